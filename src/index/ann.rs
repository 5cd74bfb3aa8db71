//! The HNSW graph (hnsw_rs) over unit vectors with DistDot, and its dump/load.
//!
//! Facts about hnsw_rs 0.3.5 this file is built around: `max_layer` must be 16 or `file_dump`
//! fails; a loaded `Hnsw` borrows from the `HnswIo` that read it, so the two are kept together in
//! one self-referential cell; there is no delete, so removed items are rebuilt away, not deleted.

use std::path::Path;

use anyhow::Context as _;
use hnsw_rs::prelude::*;
use self_cell::self_cell;

/// Build and search parameters. Recorded with the dump so a loaded index reports what it is.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AnnParams {
    /// Links per node and layer (HNSW's M).
    pub max_connections: usize,
    pub ef_construction: usize,
    /// Default candidate-list size at query time; queries may ask for more.
    pub ef_search: usize,
}

impl Default for AnnParams {
    /// ef 128 rather than 64: the genes index holds many near-identical embeddings (rare genes
    /// the model places alike), and at ef 64 its recall@10 fell to 0.97 with the 24-epoch
    /// model; 128 gives 0.99 and keeps set queries under a millisecond (README figures).
    fn default() -> Self {
        Self { max_connections: 24, ef_construction: 200, ef_search: 128 }
    }
}

const MAX_LAYER: usize = 16;

type Graph<'a> = Hnsw<'a, f32, DistDot>;

self_cell!(
    struct Loaded {
        owner: HnswIo,
        #[not_covariant]
        dependent: Graph,
    }
);

enum Inner {
    Built(Graph<'static>),
    Loaded(Loaded),
}

/// An HNSW graph whose data ids are positions 0..n in the caller's key list.
pub struct AnnGraph {
    inner: Inner,
    pub params: AnnParams,
}

// Hnsw is Send + Sync (its internals are locked); HnswIo holds only paths and options.
unsafe impl Send for AnnGraph {}
unsafe impl Sync for AnnGraph {}

impl AnnGraph {
    /// Builds from unit vectors; inserts in parallel (rayon inside hnsw_rs).
    pub fn build(vectors: &[Vec<f32>], params: AnnParams) -> Self {
        let graph: Graph<'static> =
            Hnsw::new(params.max_connections, vectors.len().max(1), MAX_LAYER, params.ef_construction, DistDot {});
        let data: Vec<(&Vec<f32>, usize)> = vectors.iter().zip(0..).collect();
        for chunk in data.chunks(10_000) {
            graph.parallel_insert(chunk);
        }
        Self { inner: Inner::Built(graph), params }
    }

    fn with_graph<R>(&self, f: impl for<'a> FnOnce(&Graph<'a>) -> R) -> R {
        match &self.inner {
            Inner::Built(g) => f(g),
            Inner::Loaded(l) => l.with_dependent(|_, g| f(g)),
        }
    }

    pub fn len(&self) -> usize {
        self.with_graph(|g| g.get_nb_point())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds one vector with data id `id` (the next position in the key list).
    pub fn insert(&self, vector: &[f32], id: usize) {
        self.with_graph(|g| g.insert_slice((vector, id)));
    }

    /// Top `k` as (position, cosine), best first. `allowed` restricts results (e.g. to one
    /// library) inside the graph walk rather than after it, so k results still come back.
    pub fn search(&self, query: &[f32], k: usize, ef: Option<usize>, allowed: Option<&Vec<usize>>) -> Vec<(usize, f32)> {
        let ef = ef.unwrap_or(self.params.ef_search).max(k);
        let found = self.with_graph(|g| match allowed {
            Some(ids) => g.search_filter(query, k, ef, Some(ids as &dyn FilterT)),
            None => g.search(query, k, ef),
        });
        found.into_iter().map(|n| (n.d_id, 1.0 - n.distance)).collect()
    }

    /// Writes `<dir>/<basename>.hnsw.graph` and `.hnsw.data`, replacing earlier files.
    pub fn dump(&self, dir: &Path, basename: &str) -> anyhow::Result<()> {
        for ext in ["hnsw.graph", "hnsw.data"] {
            let _ = std::fs::remove_file(dir.join(format!("{basename}.{ext}")));
        }
        let written = self.with_graph(|g| g.file_dump(dir, basename)).context("hnsw dump")?;
        anyhow::ensure!(written == basename, "hnsw_rs wrote {written} instead of {basename}");
        Ok(())
    }

    pub fn load(dir: &Path, basename: &str, params: AnnParams) -> anyhow::Result<Self> {
        let io = HnswIo::new(dir, basename);
        let loaded = Loaded::try_new(io, |io| io.load_hnsw_with_dist(DistDot {}))
            .with_context(|| format!("loading HNSW index {}/{basename}", dir.display()))?;
        Ok(Self { inner: Inner::Loaded(loaded), params })
    }
}
