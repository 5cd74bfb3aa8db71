//! The two indexes together, built from a model's embeddings and queried by the API and CLI.

use std::path::Path;

use anyhow::{bail, Context as _};

use super::{AnnParams, VectorIndex};
use crate::domain::{Entrez, GeneQuery, SetId};
use crate::model::coverage::Memberships;
use crate::ingest::Progress;
use crate::store::{Resolution, Store};

/// What the index needs from a model. The GSFM implements it; keeping it a trait lets the index
/// be built and tested without knowing how embeddings are computed.
pub trait Embedder {
    /// Identifies the model (weights + vocabulary + config); stamped into the index.
    fn fingerprint(&self) -> String;
    /// One vector per vocabulary gene.
    fn gene_embeddings(&self) -> anyhow::Result<Vec<(u32, Vec<f32>)>>;
    /// One vector per gene set (Entrez ids).
    fn embed_sets(&self, sets: &[&[u32]]) -> anyhow::Result<Vec<Vec<f32>>>;
}

/// Sets are embedded in batches of this many: large enough to amortise a forward pass, small
/// enough to show progress.
const EMBED_BATCH: usize = 1024;

pub const GENES: &str = "genes";
pub const SETS: &str = "sets";

#[derive(Debug, serde::Serialize)]
pub struct BuildReport {
    pub genes: usize,
    pub sets: usize,
    pub genes_secs: f64,
    pub sets_secs: f64,
    pub fingerprint: String,
}

/// Every library set with its index key. Users' registered sets are private: they are never
/// indexed, so no neighbour search can list them; a user's own set is searched from by its genes.
pub fn all_sets(store: &Store) -> anyhow::Result<Vec<(SetId, Vec<u32>)>> {
    let mut out = Vec::new();
    for lib in store.libraries()? {
        for set in store.library_sets(&lib.name)? {
            out.push((SetId::join(&lib.name, &set.term), set.genes));
        }
    }
    Ok(out)
}

/// Embeds sets (each under its key: a set id, a gene whose profile it is) in batches, with
/// progress.
pub fn embed_all<K: Clone>(embedder: &dyn Embedder, sets: &[(K, Vec<u32>)], step: &str) -> anyhow::Result<Vec<(K, Vec<f32>)>> {
    let progress = Progress::new(step, sets.len() as u64);
    let mut out = Vec::with_capacity(sets.len());
    for chunk in sets.chunks(EMBED_BATCH) {
        let refs: Vec<&[u32]> = chunk.iter().map(|(_, g)| g.as_slice()).collect();
        let vectors = embedder.embed_sets(&refs)?;
        out.extend(chunk.iter().map(|(k, _)| k.clone()).zip(vectors));
        progress.inc(chunk.len() as u64);
    }
    progress.finish(format!("{} sets embedded", out.len()));
    Ok(out)
}

/// Builds and saves both indexes under `dir`.
pub fn build_indexes(store: &Store, embedder: &dyn Embedder, dir: &Path, params: AnnParams) -> anyhow::Result<BuildReport> {
    // Both indexes are built into a staging directory and replace `dir` together: a build
    // killed midway leaves the previous pair, never a new genes index beside an old sets index.
    let target = dir;
    let staging = crate::publish::staging(target).with_context(|| format!("staging beside {}", target.display()))?;
    let dir = staging.as_path();
    let fingerprint = embedder.fingerprint();
    let genes: Vec<(String, Vec<f32>)> =
        embedder.gene_embeddings()?.into_iter().map(|(e, v)| (e.to_string(), v)).collect();
    let step = Progress::new("index genes", 1);
    let gene_index = VectorIndex::build(GENES, &fingerprint, genes, params)?;
    gene_index.save(dir)?;
    step.finish(format!("{} genes in {:.1} s", gene_index.len(), gene_index.meta.build_secs));

    let data = store.data_versions()?;
    let sets = embed_all(embedder, &all_sets(store)?, "embed sets")?.into_iter().map(|(id, v)| (id.to_string(), v)).collect();
    let step = Progress::new("index sets", 1);
    let mut set_index = VectorIndex::build(SETS, &fingerprint, sets, params)?;
    set_index.meta.data = data;
    set_index.save(dir)?;
    step.finish(format!("{} sets in {:.1} s", set_index.len(), set_index.meta.build_secs));
    crate::publish::publish(&staging, target, |_| false).with_context(|| format!("replacing {}", target.display()))?;
    Ok(BuildReport {
        genes: gene_index.len(),
        sets: set_index.len(),
        genes_secs: gene_index.meta.build_secs,
        sets_secs: set_index.meta.build_secs,
        fingerprint,
    })
}

/// A neighbour with its cosine similarity: an [`Entrez`] id from the genes index, a [`SetId`]
/// from the sets index (both indexes key their vectors by the text form on disk).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Neighbour<K> {
    pub key: K,
    pub cosine: f32,
}

/// Both indexes, loaded for queries.
pub struct Neighbourhood {
    pub genes: VectorIndex,
    pub sets: VectorIndex,
    /// Why the sets index cannot be used with this store (see [`sets_mismatch`]); the gene index
    /// depends on the model only and stays usable.
    pub sets_stale: Option<String>,
    gene_vectors: std::collections::HashMap<u32, Vec<f32>>,
    /// Embeddings of genes outside the model's vocabulary that are in a stored set: the
    /// encoding of their profile (`crate::model::coverage`). They are searched from, never listed.
    outside_vectors: std::collections::HashMap<u32, Vec<f32>>,
    /// Sets per gene and the background cosine, for the confidence of similar genes.
    pub evidence: super::evidence::Evidence,
    /// Answers of [`Neighbourhood::similar_genes`] at the default search breadth, by (gene, k).
    /// The gene index never changes once loaded (`addGeneSet` adds sets only), so an answer is
    /// the same every time; the HNSW search was a fifth of a gene page's time under load.
    similar_genes_cache: std::sync::Mutex<std::collections::HashMap<(u32, usize), Vec<Neighbour<Entrez>>>>,
}

/// Answers kept by the similar-genes cache before it is emptied (a few MB at most).
const SIMILAR_GENES_CACHE: usize = 20_000;

/// How the sets index's keys differ from the store's library sets, or `None` when they match.
/// A set the index names but the store lacks (a library removed or re-ingested since `index
/// build`) would be an answer nobody can look up; a set the store has but the index lacks could
/// never be found; a `user:` key is a private set an earlier version indexed.
pub fn sets_mismatch(store: &Store, index: &VectorIndex) -> anyhow::Result<Option<String>> {
    let mut stored = std::collections::HashSet::new();
    for lib in store.libraries()? {
        for set in store.library_sets(&lib.name)? {
            stored.insert(format!("{}:{}", lib.name, set.term));
        }
    }
    let extra: Vec<&String> = index.keys().iter().filter(|k| !stored.contains(*k)).collect();
    let missing = stored.iter().filter(|k| !index.contains(k)).count();
    if extra.is_empty() && missing == 0 {
        return Ok(None);
    }
    let mut parts = Vec::new();
    if let Some(first) = extra.first() {
        parts.push(format!("{} indexed sets are not in the store (e.g. `{first}`)", extra.len()));
    }
    if missing > 0 {
        parts.push(format!("{missing} stored sets are not indexed"));
    }
    Ok(Some(format!(
        "the gene-set index does not match the store ({}); run `genekg index build`",
        parts.join("; ")
    )))
}

impl Neighbourhood {
    /// Loads both indexes, refusing ones built from another model, and checks the sets index
    /// against the store (see [`sets_mismatch`]).
    pub fn load(store: &Store, embedder: &dyn Embedder, dir: &Path) -> anyhow::Result<Self> {
        let fp = embedder.fingerprint();
        let genes = VectorIndex::load(dir, GENES, &fp)?;
        let sets = VectorIndex::load(dir, SETS, &fp)?;
        let sets_stale = sets_mismatch(store, &sets)?;
        let gene_vectors: std::collections::HashMap<u32, Vec<f32>> = embedder.gene_embeddings()?.into_iter().collect();
        let memberships = Memberships::from_store(store)?;
        let outside = outside_profiles(&memberships, &gene_vectors);
        let outside_vectors =
            embed_all(embedder, &outside, "embed genes outside the vocabulary")?.into_iter().map(|(k, v)| (k.0, v)).collect();
        let evidence = super::evidence::Evidence::new(&memberships, &gene_vectors);
        Ok(Self { genes, sets, sets_stale, gene_vectors, outside_vectors, evidence, similar_genes_cache: Default::default() })
    }

    /// Refuses set searches when the sets index does not match the store.
    fn usable_sets(&self) -> anyhow::Result<&VectorIndex> {
        match &self.sets_stale {
            Some(why) => Err(SetsIndexStale(why.clone()).into()),
            None => Ok(&self.sets),
        }
    }

    /// Genes whose embeddings are closest to `gene`'s (the gene itself excluded). A gene outside
    /// the vocabulary is placed by its profile's embedding; a gene in no stored set has none.
    pub fn similar_genes(&self, store: &Store, gene: &str, k: usize, ef: Option<usize>) -> anyhow::Result<Vec<Neighbour<Entrez>>> {
        let entrez = resolve_one(store, gene)?;
        self.similar_genes_of(Entrez(entrez), k, ef)
            .ok_or_else(|| anyhow::anyhow!("{}", crate::model::coverage::NO_EVIDENCE.replace("{gene}", gene)))
    }

    /// [`similar_genes`](Self::similar_genes) of a gene already resolved; `None` when it has no
    /// embedding (no evidence in the store).
    pub fn similar_genes_of(&self, gene: Entrez, k: usize, ef: Option<usize>) -> Option<Vec<Neighbour<Entrez>>> {
        let v = self.gene_vectors.get(&gene.0).or_else(|| self.outside_vectors.get(&gene.0))?;
        if ef.is_none() {
            if let Some(found) = self.cached_similar_genes(gene, k) {
                return Some(found);
            }
        }
        let found = wrap(self.genes.search(v, k, ef, None, Some(&gene.to_string())));
        if ef.is_none() {
            // A cache left by a panicking request holds only complete answers: recover it.
            let mut cache = self.similar_genes_cache.lock().unwrap_or_else(|e| e.into_inner());
            if cache.len() >= SIMILAR_GENES_CACHE {
                cache.clear();
            }
            cache.insert((gene.0, k), found.clone());
        }
        Some(found)
    }

    /// [`similar_genes`](Self::similar_genes)'s answer at the default breadth, if it is cached:
    /// a map look-up, which a server answers in place instead of sending it to a thread pool.
    pub fn cached_similar_genes(&self, gene: Entrez, k: usize) -> Option<Vec<Neighbour<Entrez>>> {
        self.similar_genes_cache.lock().unwrap_or_else(|e| e.into_inner()).get(&(gene.0, k)).cloned()
    }

    /// Cosine of `gene`'s embedding with each of `others` (those with an embedding), largest
    /// first; empty when `gene` has none.
    pub fn gene_cosines(&self, gene: Entrez, others: &[Entrez]) -> Vec<(Entrez, f32)> {
        let Some(v) = self.gene_vectors.get(&gene.0).or_else(|| self.outside_vectors.get(&gene.0)) else { return vec![] };
        let norm = |x: &[f32]| x.iter().map(|a| a * a).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
        let nv = norm(v);
        let mut out: Vec<(Entrez, f32)> = others
            .iter()
            .filter(|&&o| o != gene)
            .filter_map(|&o| self.gene_vectors.get(&o.0).map(|w| (o, super::vectors::dot(v, w) / (nv * norm(w)))))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// Sets closest to an ad-hoc gene list (Entrez ids), optionally within one library.
    pub fn similar_sets_for_genes(&self, embedder: &dyn Embedder, genes: &[u32], k: usize, library: Option<&str>, ef: Option<usize>) -> anyhow::Result<Vec<Neighbour<SetId>>> {
        if genes.is_empty() {
            bail!("the gene list is empty");
        }
        let sets = self.usable_sets()?;
        let v = embedder.embed_sets(&[genes])?.remove(0);
        Ok(wrap(sets.search(&v, k, ef, library, None)))
    }

    /// Sets closest to a stored set (the set itself excluded).
    pub fn similar_sets_for_set(&self, store: &Store, embedder: &dyn Embedder, id: &SetId, k: usize, library: Option<&str>, ef: Option<usize>) -> anyhow::Result<Vec<Neighbour<SetId>>> {
        let sets = self.usable_sets()?;
        let set = store.gene_set(id)?.with_context(|| format!("no gene set {id}"))?;
        let v = embedder.embed_sets(&[&set.genes])?.remove(0);
        Ok(wrap(sets.search(&v, k, ef, library, Some(&id.to_string()))))
    }

    /// Why the sets index cannot answer for `library` (or for every library): it was built
    /// before the library's data changed. `None` when it is current.
    pub fn stale_reason(&self, store: &Store, library: Option<&str>) -> anyhow::Result<Option<String>> {
        let mut changed = crate::store::changed_libraries(&self.sets.meta.data, &store.data_versions()?);
        if let Some(l) = library {
            changed.retain(|c| c == l);
        }
        Ok((!changed.is_empty()).then(|| {
            format!("the neighbourhood index is older than the data of library {}: run `genekg index build`", changed.join(", "))
        }))
    }
}

/// A set search refused because the sets index does not match the store; the message names the
/// step to run.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SetsIndexStale(pub String);

/// The profile of every gene in a stored set but without an embedding, by gene.
fn outside_profiles(m: &Memberships, embedded: &std::collections::HashMap<u32, Vec<f32>>) -> Vec<(Entrez, Vec<u32>)> {
    m.genes()
        .into_iter()
        .filter(|g| !embedded.contains_key(g))
        .map(|g| (Entrez(g), m.profile(g, |x| embedded.contains_key(&x), crate::model::coverage::PROFILE_GENES)))
        .filter(|(_, p)| !p.is_empty())
        .collect()
}

/// Types the keys an index search found. The indexes are written from Entrez ids and
/// `LIBRARY:term` set ids (`build_indexes`), so every key parses; a sets index whose keys do not
/// match the store is refused before any search (`sets_mismatch`).
fn wrap<K: std::str::FromStr>(found: Vec<(String, f32)>) -> Vec<Neighbour<K>> {
    found.into_iter().filter_map(|(key, cosine)| Some(Neighbour { key: key.parse().ok()?, cosine })).collect()
}

fn resolve_one(store: &Store, gene: &str) -> anyhow::Result<u32> {
    let q = GeneQuery::parse(gene).map_err(anyhow::Error::msg)?;
    match store.resolve(&q)? {
        Resolution::Found(e) => Ok(e),
        Resolution::Ambiguous(ids) => bail!("gene {gene} is ambiguous: it is an alias of Entrez {ids:?}"),
        Resolution::NotFound => bail!("unknown gene {gene}"),
    }
}
