//! Neighbourhood search: HNSW indexes over gene and gene-set embeddings.
//!
//! Two indexes, each a [`VectorIndex`]: `genes` (keys are Entrez ids) and `sets` (keys are set
//! ids `LIBRARY:term`; users' sets are private and never indexed). Both live in `DATA_DIR/index/` as the hnsw_rs dump
//! (`<kind>.hnsw.graph`, `<kind>.hnsw.data`), the key list (`<kind>.keys`, postcard) and
//! `<kind>.meta.json` with the model fingerprint the embeddings came from. A server refuses an
//! index whose fingerprint is not the current model's: its neighbours would be from another model.

mod ann;
pub mod bench;
pub mod evidence;
mod gsfm;
mod neighbourhood;
pub mod vectors;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use serde::{Deserialize, Serialize};

pub use ann::{AnnGraph, AnnParams};
pub use neighbourhood::{
    all_sets, build_indexes, embed_all, sets_mismatch, BuildReport, Embedder, Neighbour, Neighbourhood, SetsIndexStale, GENES, SETS,
};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IndexMeta {
    pub kind: String,
    pub fingerprint: String,
    pub dim: usize,
    pub count: usize,
    pub params: AnnParams,
    pub built_at: String,
    pub build_secs: f64,
    /// The store data the sets were embedded from (library to generation); empty for the genes
    /// index and for indexes built before it was recorded.
    #[serde(default)]
    pub data: crate::store::DataVersions,
}

/// Why an index on disk cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("no {kind} index in {dir}; run `genekg index build`")]
    Missing { kind: String, dir: PathBuf },
    #[error("the {kind} index in {dir} was built from model {found}, but the current model is {expected}; run `genekg index build` again")]
    Stale { kind: String, dir: PathBuf, found: String, expected: String },
}

/// An HNSW graph plus the keys its positions stand for.
pub struct VectorIndex {
    pub meta: IndexMeta,
    keys: Vec<String>,
    positions: HashMap<String, usize>,
    /// Positions per key prefix before the first `:` (the library of a set id), sorted, for
    /// filtered search.
    groups: HashMap<String, Vec<usize>>,
    graph: AnnGraph,
}

fn group_of(key: &str) -> Option<&str> {
    key.split_once(':').map(|(g, _)| g)
}

impl VectorIndex {
    /// Builds from (key, vector) pairs; vectors are L2-normalised here.
    pub fn build(kind: &str, fingerprint: &str, items: Vec<(String, Vec<f32>)>, params: AnnParams) -> anyhow::Result<Self> {
        let started = std::time::Instant::now();
        let dim = items.first().map(|(_, v)| v.len()).unwrap_or(0);
        if let Some((k, v)) = items.iter().find(|(_, v)| v.len() != dim) {
            bail!("vector for {k} has {} dimensions, expected {dim}", v.len());
        }
        let (keys, mut vectors): (Vec<String>, Vec<Vec<f32>>) = items.into_iter().unzip();
        vectors.iter_mut().for_each(|v| vectors::normalize(v));
        let graph = AnnGraph::build(&vectors, params);
        let meta = IndexMeta {
            kind: kind.to_string(),
            fingerprint: fingerprint.to_string(),
            dim,
            count: keys.len(),
            params,
            built_at: chrono::Utc::now().to_rfc3339(),
            build_secs: started.elapsed().as_secs_f64(),
            data: Default::default(),
        };
        Ok(Self::assemble(meta, keys, graph))
    }

    fn assemble(meta: IndexMeta, keys: Vec<String>, graph: AnnGraph) -> Self {
        let positions = keys.iter().enumerate().map(|(i, k)| (k.clone(), i)).collect();
        let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            if let Some(g) = group_of(k) {
                groups.entry(g.to_string()).or_default().push(i);
            }
        }
        Self { meta, keys, positions, groups, graph }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Keys in position order.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    pub fn contains(&self, key: &str) -> bool {
        self.positions.contains_key(key)
    }

    /// Nearest keys to `vector` by cosine, best first. `group` limits results to keys starting
    /// with `group:` (a library); `exclude` drops one key (the query itself).
    pub fn search(&self, vector: &[f32], k: usize, ef: Option<usize>, group: Option<&str>, exclude: Option<&str>) -> Vec<(String, f32)> {
        let mut q = vector.to_vec();
        vectors::normalize(&mut q);
        let allowed = match group {
            Some(g) => match self.groups.get(g) {
                Some(ids) => Some(ids),
                None => return vec![],
            },
            None => None,
        };
        let extra = usize::from(exclude.is_some());
        self.graph
            .search(&q, k + extra, ef, allowed)
            .into_iter()
            .map(|(i, s)| (self.keys[i].clone(), s))
            .filter(|(key, _)| Some(key.as_str()) != exclude)
            .take(k)
            .collect()
    }

    /// Adds a key (a new user set) to the live graph. Not persisted: user sets are re-added from
    /// the store when the index is loaded.
    pub fn insert(&mut self, key: String, mut vector: Vec<f32>) -> anyhow::Result<()> {
        if vector.len() != self.meta.dim {
            bail!("vector has {} dimensions, index has {}", vector.len(), self.meta.dim);
        }
        if self.positions.contains_key(&key) {
            return Ok(());
        }
        vectors::normalize(&mut vector);
        let id = self.keys.len();
        self.graph.insert(&vector, id);
        self.positions.insert(key.clone(), id);
        if let Some(g) = group_of(&key) {
            self.groups.entry(g.to_string()).or_default().push(id);
        }
        self.keys.push(key);
        self.meta.count = self.keys.len();
        Ok(())
    }

    pub fn save(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let kind = &self.meta.kind;
        // The meta file is written last and removed first: its presence means a complete index.
        let meta_path = dir.join(format!("{kind}.meta.json"));
        let _ = std::fs::remove_file(&meta_path);
        self.graph.dump(dir, kind)?;
        std::fs::write(dir.join(format!("{kind}.keys")), postcard::to_allocvec(&self.keys)?)?;
        std::fs::write(&meta_path, serde_json::to_vec_pretty(&self.meta)?)?;
        Ok(())
    }

    /// Reads the index metadata only (cheap), if the index exists.
    pub fn read_meta(dir: &Path, kind: &str) -> anyhow::Result<Option<IndexMeta>> {
        let path = dir.join(format!("{kind}.meta.json"));
        if !path.exists() {
            return Ok(None);
        }
        Ok(Some(serde_json::from_slice(&std::fs::read(&path)?).with_context(|| format!("reading {}", path.display()))?))
    }

    /// Loads an index, refusing one built from another model.
    pub fn load(dir: &Path, kind: &str, expected_fingerprint: &str) -> anyhow::Result<Self> {
        let meta = Self::read_meta(dir, kind)?
            .ok_or_else(|| IndexError::Missing { kind: kind.into(), dir: dir.into() })?;
        if meta.fingerprint != expected_fingerprint {
            return Err(IndexError::Stale {
                kind: kind.into(),
                dir: dir.into(),
                found: meta.fingerprint,
                expected: expected_fingerprint.into(),
            }
            .into());
        }
        let keys: Vec<String> = postcard::from_bytes(&std::fs::read(dir.join(format!("{kind}.keys")))?)
            .with_context(|| format!("reading {kind}.keys"))?;
        let graph = AnnGraph::load(dir, kind, meta.params)?;
        if graph.len() != keys.len() {
            bail!("{kind} index in {} has {} vectors but {} keys; rebuild it", dir.display(), graph.len(), keys.len());
        }
        Ok(Self::assemble(meta, keys, graph))
    }
}

/// Whether both indexes in `dir` exist and were built from the model `fingerprint` and, for the
/// sets index, from the store data `data`.
pub fn is_current(dir: &Path, fingerprint: &str, data: &crate::store::DataVersions) -> anyhow::Result<bool> {
    for kind in [GENES, SETS] {
        match VectorIndex::read_meta(dir, kind)? {
            Some(m) if m.fingerprint == fingerprint && (kind == GENES || &m.data == data) => {}
            _ => return Ok(false),
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Clustered random vectors: a data-structure test, not biology.
    fn items(n: usize, dim: usize) -> Vec<(String, Vec<f32>)> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let centres: Vec<Vec<f32>> = (0..20).map(|_| (0..dim).map(|_| rng.gen_range(-1.0..1.0)).collect()).collect();
        (0..n)
            .map(|i| {
                let c = &centres[i % centres.len()];
                let v = c.iter().map(|x| x + rng.gen_range(-0.5..0.5)).collect();
                (format!("{}:{i}", if i % 2 == 0 { "A" } else { "B" }), v)
            })
            .collect()
    }

    #[test]
    fn dump_load_gives_identical_results_and_stale_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let data = items(2000, 32);
        let index = VectorIndex::build("sets", "fp1", data.clone(), AnnParams::default()).unwrap();
        index.save(dir.path()).unwrap();
        let loaded = VectorIndex::load(dir.path(), "sets", "fp1").unwrap();
        for (key, v) in data.iter().take(50) {
            assert_eq!(index.search(v, 10, None, None, None), loaded.search(v, 10, None, None, None));
            let own = index.search(v, 10, None, Some("A"), Some(key));
            assert!(own.iter().all(|(k, _)| k.starts_with("A:") && k != key));
            assert_eq!(own.len(), 10);
        }
        let err = VectorIndex::load(dir.path(), "sets", "fp2").err().unwrap().to_string();
        assert!(err.contains("fp1") && err.contains("fp2") && err.contains("index build"), "{err}");
        let err = VectorIndex::load(dir.path(), "genes", "fp1").err().unwrap().to_string();
        assert!(err.contains("no genes index"), "{err}");
    }

    #[test]
    fn recall_against_brute_force() {
        let data = items(3000, 32);
        let index = VectorIndex::build("genes", "fp", data.clone(), AnnParams::default()).unwrap();
        let report = bench::recall_at_k(&index, &data.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>(), 200, 10, None);
        assert!(report >= 0.95, "recall@10 {report}");
    }

    #[test]
    fn inserted_key_is_found() {
        let data = items(500, 16);
        let mut index = VectorIndex::build("sets", "fp", data.clone(), AnnParams::default()).unwrap();
        let v: Vec<f32> = data[3].1.iter().map(|x| x * 2.0).collect();
        index.insert("user:1".into(), v.clone()).unwrap();
        let top = index.search(&v, 2, None, None, None);
        assert!(top.iter().any(|(k, _)| k == "user:1"), "{top:?}");
        assert!(index.insert("user:2".into(), vec![1.0]).is_err());
    }
}
