//! What every resolver shares: the store plus the in-memory indexes built from it at start.
//!
//! The store cannot change under a running server except through the API (sled locks the
//! database for one process, so no ingest runs meanwhile); libraries, the gene index and the set
//! directory are therefore built once and never go stale. User gene sets, the only thing the
//! API writes, are always read from the store.
//!
//! The model, the neighbourhood index and enrichment attach here as they land: each becomes an
//! `Option<Arc<…>>` field filled by `genekg serve` when its files exist, its fields join the
//! schema as one more object in `QueryRoot`, and its resolvers say plainly which capability is
//! not loaded when the field is `None`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use sha2::{Digest, Sha256};

use super::search::GeneIndex;
use super::target_family::TargetFamilies;
use crate::store::{Library, Store};

/// One library's sets in term order (the store's order), for listing and name filtering without
/// reading set records.
pub struct SetEntry {
    pub term: Box<str>,
    pub name_upper: Box<str>,
}

impl SetEntry {
    /// See [`crate::domain::is_untitled_set`].
    pub fn is_untitled(&self) -> bool {
        crate::domain::is_untitled_set(&self.term, &self.name_upper)
    }
}

/// Counters the HTTP layer exports on /metrics; shared handles, so resolvers just increment.
#[derive(Default, Clone)]
pub struct ApiMetrics {
    /// Batched store reads per loader (`loader="gene_set"|"membership"`), and the keys they carried.
    pub loader_batches: Family<Vec<(String, String)>, Counter>,
    pub loader_keys: Family<Vec<(String, String)>, Counter>,
    /// GraphQL errors by `code`.
    pub errors: Family<Vec<(String, String)>, Counter>,
}

impl ApiMetrics {
    pub fn label(key: &str, value: &str) -> Vec<(String, String)> {
        vec![(key.to_string(), value.to_string())]
    }
}

pub struct AppState {
    pub store: Store,
    pub genes: GeneIndex,
    pub families: TargetFamilies,
    /// By name.
    pub libraries: BTreeMap<String, Arc<Library>>,
    pub sets: BTreeMap<String, Vec<SetEntry>>,
    /// Changes whenever the genes or any library are re-ingested; sent with every answer.
    pub data_version: String,
    pub metrics: ApiMetrics,
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// Over-representation analysis over every library, built at start (about a second).
    pub enrich: Arc<crate::enrich::EnrichIndex>,
    /// The trained model, when `DATA_DIR/model` holds one.
    pub model: Option<Arc<crate::model::Gsfm>>,
    /// Where the model was loaded from (for its saved evaluation, see `meta.model`).
    pub model_dir: Option<std::path::PathBuf>,
    /// The HNSW indexes, when built from the loaded model. Immutable while serving, so no lock:
    /// `addGeneSet` stores private lists, which are never indexed.
    pub neighbourhood: Option<Arc<crate::index::Neighbourhood>>,
    /// The question parser's gene dictionary and term index, built on the first question.
    pub lexicon: std::sync::OnceLock<Arc<crate::nl::Lexicon>>,
    /// The LLM backends for explanations (template only unless `with_llm`).
    pub explainer: crate::explain::Explainer,
    /// Where CPU-heavy request work runs (see `graphql::blocking`).
    pub heavy: super::HeavyPool,
    /// Faults the fault tests inject into a running server (none otherwise).
    #[doc(hidden)]
    pub faults: Faults,
    /// Read on first use: the store's data (`data_version`) is fixed for the life of the state,
    /// and the model's fingerprint is compared on every call.
    prediction_status: std::sync::OnceLock<crate::model::predictions::PredictionStatus>,
}

/// Faults a test can inject into the real server, to check what a client and the server go
/// through when code fails or stalls in ways no input can provoke on purpose.
#[doc(hidden)]
#[derive(Default)]
pub struct Faults {
    panic_next_request: std::sync::atomic::AtomicBool,
    panic_next_stream: std::sync::atomic::AtomicBool,
    hold_next_job: std::sync::Mutex<Option<HeldJob>>,
}

struct HeldJob {
    entered: tokio::sync::oneshot::Sender<()>,
    release: std::sync::mpsc::Receiver<()>,
}

/// The test's side of a held blocking job (see [`Faults::hold_next_blocking_job`]).
#[doc(hidden)]
pub struct JobHold {
    entered: Option<tokio::sync::oneshot::Receiver<()>>,
    _release: std::sync::mpsc::Sender<()>,
}

impl JobHold {
    /// Waits until the held job has started (and now occupies a blocking thread).
    pub async fn entered(&mut self) {
        if let Some(rx) = self.entered.take() {
            let _ = rx.await;
        }
    }
}

impl Faults {
    /// The next request to the GraphQL or explanation routes panics in its handler.
    pub fn panic_next_request(&self) {
        self.panic_next_request.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub(crate) fn take_panic(&self) -> bool {
        self.panic_next_request.swap(false, std::sync::atomic::Ordering::SeqCst)
    }

    /// The next explanation stream panics after its headers went out.
    pub fn panic_next_stream(&self) {
        self.panic_next_stream.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub(crate) fn take_stream_panic(&self) -> bool {
        self.panic_next_stream.swap(false, std::sync::atomic::Ordering::SeqCst)
    }

    /// The next job on the blocking pool (`graphql::blocking`) waits, holding its thread, until
    /// the returned guard is dropped: a resolver as slow as the test wants.
    pub fn hold_next_blocking_job(&self) -> JobHold {
        let (entered_tx, entered_rx) = tokio::sync::oneshot::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel();
        *self.hold_next_job.lock().unwrap_or_else(|e| e.into_inner()) = Some(HeldJob { entered: entered_tx, release: release_rx });
        JobHold { entered: Some(entered_rx), _release: release_tx }
    }

    pub(crate) fn before_blocking_job(&self) {
        let held = self.hold_next_job.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(job) = held {
            let _ = job.entered.send(());
            // Returns when the test drops its guard.
            let _ = job.release.recv();
        }
    }
}

impl AppState {
    pub fn load(store: Store) -> anyhow::Result<Self> {
        let started = Instant::now();
        let genes = GeneIndex::build(&store)?;
        let families = TargetFamilies::build(&store)?;
        let mut libraries = BTreeMap::new();
        let mut sets = BTreeMap::new();
        for lib in store.libraries()? {
            let entries = store
                .library_sets(&lib.name)?
                .into_iter()
                .map(|s| SetEntry { term: s.term.into_boxed_str(), name_upper: s.name.to_uppercase().into_boxed_str() })
                .collect();
            sets.insert(lib.name.clone(), entries);
            libraries.insert(lib.name.clone(), Arc::new(lib));
        }
        let data_version = data_version(&store, &libraries)?;
        let store_for_enrich = store.clone();
        tracing::info!(
            genes = genes.gene_count(),
            libraries = libraries.len(),
            data_version,
            secs = format!("{:.2}", started.elapsed().as_secs_f64()),
            "API state loaded"
        );
        Ok(Self {
            store,
            genes,
            families,
            libraries,
            sets,
            data_version,
            metrics: ApiMetrics::default(),
            started_at: chrono::Utc::now(),
            heavy: super::HeavyPool::from_env()?,
            faults: Faults::default(),
            enrich: Arc::new(crate::enrich::EnrichIndex::build(&store_for_enrich, None)?),
            model: None,
            model_dir: None,
            neighbourhood: None,
            lexicon: Default::default(),
            explainer: crate::explain::Explainer::default(),
            prediction_status: Default::default(),
        })
    }

    /// Attaches the model in `model_dir` and the indexes in `index_dir` when they exist. A
    /// missing model is not an error (the server still answers about genes and sets); an index
    /// built from another model is refused and left out, with a warning saying how to rebuild; a
    /// sets index that does not match the store is kept for gene neighbours only, likewise.
    pub fn with_model(mut self, model_dir: &std::path::Path, index_dir: &std::path::Path) -> anyhow::Result<Self> {
        if !model_dir.join("config.json").exists() {
            tracing::warn!(dir = %model_dir.display(), "no model: model fields will answer NOT_FOUND (run `genekg train`)");
            return Ok(self);
        }
        let model = Arc::new(crate::model::Gsfm::load(model_dir)?);
        tracing::info!(fingerprint = model.fingerprint(), "model loaded");
        match crate::index::Neighbourhood::load(&self.store, model.as_ref(), index_dir) {
            Ok(hood) => {
                if let Some(why) = &hood.sets_stale {
                    tracing::warn!("similar-set fields will answer NOT_FOUND: {why}");
                }
                self.neighbourhood = Some(Arc::new(hood));
            }
            Err(e) => tracing::warn!("neighbourhood index not loaded: {e:#}"),
        }
        self.model = Some(model);
        self.model_dir = Some(model_dir.to_path_buf());
        Ok(self)
    }

    /// Runs heavy request work on `threads` threads instead of one per core.
    pub fn with_heavy_threads(mut self, threads: usize) -> anyhow::Result<Self> {
        self.heavy = super::HeavyPool::new(threads)?;
        Ok(self)
    }

    /// The directory entry of a set, if the store has it.
    pub fn set_entry(&self, id: &crate::domain::SetId) -> Option<&SetEntry> {
        let entries = self.sets.get(id.library())?;
        entries.binary_search_by(|e| e.term.as_ref().cmp(id.term())).ok().map(|i| &entries[i])
    }

    /// Makes `llm` the default backend of explanations, and clears cached explanations made
    /// under another model or other data.
    pub fn with_llm(mut self, llm: Option<Arc<dyn crate::llm::Llm>>) -> anyhow::Result<Self> {
        self.explainer = crate::explain::Explainer::with_llm(llm);
        crate::explain::prepare_cache(&self)?;
        Ok(self)
    }

    /// Why the stored predictions cannot answer for `library` under the model with
    /// `fingerprint` (see `model::predictions::stale_reason`), without reading the store again.
    pub fn predictions_stale_reason(&self, fingerprint: &str, library: Option<&str>) -> anyhow::Result<Option<String>> {
        let status = match self.prediction_status.get() {
            Some(s) => s,
            None => {
                let read = crate::model::predictions::PredictionStatus::read(&self.store)?;
                self.prediction_status.get_or_init(|| read)
            }
        };
        Ok(status.stale_reason(fingerprint, library))
    }

    pub fn library(&self, name: &str) -> Option<&Arc<Library>> {
        self.libraries.get(name)
    }

    pub fn set_count(&self) -> usize {
        self.sets.values().map(Vec::len).sum()
    }
}

/// A short fingerprint of what was ingested (gene catalogue provenance and every library's
/// generation and ingest time): equal versions mean equal data.
fn data_version(store: &Store, libraries: &BTreeMap<String, Arc<Library>>) -> anyhow::Result<String> {
    let mut h = Sha256::new();
    h.update(store.genes_provenance()?.map(|p| p.to_string()).unwrap_or_default());
    for lib in libraries.values() {
        h.update(format!("\n{}\t{}\t{}", lib.name, lib.generation, lib.ingested_at));
    }
    Ok(hex::encode(&h.finalize()[..6]))
}
