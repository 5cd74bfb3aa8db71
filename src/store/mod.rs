//! The sled store: genes, libraries of gene sets, user sets and the model's stored predictions.
//!
//! # Trees and keys
//! | tree        | key                                   | value (postcard)            |
//! |-------------|---------------------------------------|-----------------------------|
//! | `meta`      | utf-8 name (`schema_version`, …)      | bytes / JSON                |
//! | `genes`     | `g` + Entrez id (u32 BE)              | [`Gene`]                    |
//! |             | `k` + key kind byte + upper-case text | `Vec<u32>` Entrez ids       |
//! | `libraries` | library name                          | [`Library`]                 |
//! | `sets`      | generation (u64 BE) + term            | [`GeneSet`]                 |
//! | `gene_sets` | Entrez id (u32 BE) + generation (u64 BE) | `Vec<String>` terms      |
//! | `user_sets` | id (u64 BE)                           | [`UserSet`]                 |
//! | `term_synonyms` | term (GO id)                      | `Vec<String>` labels        |
//! | `gene_publications` | Entrez id (u32 BE)            | papers linked (u32 BE)      |
//! | `small_papers` | PMID (u32 BE)                      | its 2 to 4 genes (u32 BE each, ascending) |
//! | `explanations` | see [`crate::explain`] (cache of explanations, per model and LLM) |
//! | `model_set_predictions` | `LIBRARY:term`            | [`SetPredictions`]          |
//! | `model_gene_functions` | Entrez id (u32 BE) + library + 0 + z (4 bytes, descending) + set number (u32 BE) | one predicted function of the gene |
//! | `model_gene_function_counts` | Entrez id (u32 BE) + library | [`FunctionCounts`] |
//! | `model_partners` | Entrez id (u32 BE)               | `Vec<`[`Partner`]`>`, best first |
//!
//! The four `model_*` trees are named `NAME@RUN`, one set per prediction run (plain `NAME` in a
//! store predicted before runs existed).
//!
//! `meta` keys: `schema_version` and `migration:NNNN` (see migrations/), `publication_counts`
//! (provenance of `gene_publications`), `small_papers` (provenance of that tree), `model_predictions` (the report of the current
//! prediction run) and `model_predictions_run` (its number, written in the same batch).
//! [`predictions`] says why the prediction trees are keyed as they are. [`check`] verifies all
//! of this (`genekg check`).
//!
//! Why genes and their lookup keys share one tree: a sled batch is atomic only within one tree,
//! and a gene and the keys that find it must change together.
//!
//! Why generations: a library (tens of thousands of sets, millions of memberships) is too big for
//! one sled transaction. Each ingest writes its sets under a fresh generation number that nothing
//! points to yet, then flips the library record to it with a single insert. A killed ingest
//! leaves an unreferenced generation, which [`Store::open`] sweeps away; readers only follow
//! library records, so they always see a complete library.
//!
//! Beside the trees, the store directory holds the enrichment index file
//! ([`ENRICH_INDEX_DIR`], see `enrich::compact`): a copy of the genes and libraries read without
//! sled's lock. Every write to genes or libraries first marks it stale
//! ([`Store::mark_enrich_index_stale`]), so a reader never takes an outdated index for current.

pub mod check;
mod gene_list;
mod genes;
mod libraries;
pub mod predictions;
mod publications;
mod records;
mod synonyms;
mod user_sets;

use std::path::{Path, PathBuf};

use thiserror::Error;

pub use gene_list::{split_gene_args, split_gene_list, AmbiguousInput, ResolvedList};
pub use genes::{GeneResolver, KeyTable, Resolution};
pub use libraries::{changed_libraries, DataVersions, LibraryWriter};
pub use predictions::{FunctionCounts, FunctionFilter, FunctionRow, Partner, SetPrediction, SetPredictions};
pub use publications::SMALL_PAPER_GENES;
pub use records::{Gene, GeneSet, Library, UserSet};

#[path = "../../migrations/mod.rs"]
mod migrations;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("store at {path} was written by a newer genekg (schema version {found}; this build knows up to {known}); upgrade genekg or use another --db")]
    TooNew { path: PathBuf, found: u32, known: u32 },
    #[error("cannot open store at {path}: {source}")]
    Open { path: PathBuf, source: sled::Error },
    #[error("store error: {0}")]
    Sled(#[from] sled::Error),
    #[error("corrupt record in tree `{tree}`: {reason}")]
    Corrupt { tree: &'static str, reason: String },
    #[error("{0}")]
    Invalid(String),
}

impl StoreError {
    /// Another process holds the store (sled's exclusive lock on `DIR/db`). sled 0.34 reports it
    /// as an `io::ErrorKind::Other` carrying this text, so the text is what identifies it.
    pub fn is_locked(&self) -> bool {
        matches!(self, StoreError::Open { source: sled::Error::Io(e), .. } if e.to_string().contains("could not acquire lock"))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The enrichment index's directory inside a store directory (`enrich::compact`). Inside rather
/// than beside: copies of the store (`cp -r`, the copies read beside a server) carry it along,
/// and a store replaced whole (`genekg snapshot import`) never inherits another store's index.
pub const ENRICH_INDEX_DIR: &str = "enrich-index";
/// The file whose presence in [`ENRICH_INDEX_DIR`] says the store changed after it was built.
pub const ENRICH_INDEX_STALE: &str = "STALE";

/// Handle to the store. Cheap to clone: sled trees are reference-counted.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    path: PathBuf,
    /// Ids handed out are at least this (see [`Store::generate_id`]).
    id_floor: std::sync::Arc<std::sync::atomic::AtomicU64>,
    pub(crate) meta: sled::Tree,
    pub(crate) genes: sled::Tree,
    pub(crate) libraries: sled::Tree,
    pub(crate) sets: sled::Tree,
    pub(crate) gene_sets: sled::Tree,
    pub(crate) user_sets: sled::Tree,
    pub(crate) publications: sled::Tree,
    pub(crate) small_papers: sled::Tree,
}

impl Store {
    /// Opens (creating if needed) the store at `path`, applies pending migrations and sweeps
    /// generations left behind by an interrupted ingest.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).ok();
        }
        let db = sled::Config::new()
            .path(&path)
            .cache_capacity(512 * 1024 * 1024)
            .open()
            .map_err(|source| StoreError::Open { path: path.clone(), source })?;
        let meta = db.open_tree("meta")?;
        let found = read_u32(&meta, "schema_version")?.unwrap_or(0);
        let known = migrations::latest();
        if found > known {
            return Err(StoreError::TooNew { path, found, known });
        }
        for m in migrations::MIGRATIONS.iter().filter(|m| m.version > found) {
            tracing::info!(version = m.version, name = m.name, "applying store migration");
            (m.up)(&db)?;
            let record = serde_json::json!({"name": m.name, "applied_at": chrono::Utc::now().to_rfc3339()});
            meta.insert(format!("migration:{:04}", m.version), record.to_string().as_bytes())?;
            meta.insert("schema_version", &m.version.to_be_bytes())?;
        }
        let store = Self {
            meta,
            genes: db.open_tree("genes")?,
            libraries: db.open_tree("libraries")?,
            sets: db.open_tree("sets")?,
            gene_sets: db.open_tree("gene_sets")?,
            user_sets: db.open_tree("user_sets")?,
            publications: db.open_tree("gene_publications")?,
            small_papers: db.open_tree("small_papers")?,
            db,
            path,
            id_floor: Default::default(),
        };
        store.id_floor.store(store.max_generation()?.map_or(0, |g| g + 1), std::sync::atomic::Ordering::SeqCst);
        store.sweep_orphan_generations()?;
        predictions::sweep_orphan_runs(&store)?;
        store.db.flush()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Marks the enrichment index of this store stale (when there is one) before genes or
    /// libraries change: written and synced before the change, so a process killed anywhere
    /// after it leaves an index that says it is stale, never one that looks current.
    pub(crate) fn mark_enrich_index_stale(&self, why: &str) -> Result<()> {
        let dir = self.path.join(ENRICH_INDEX_DIR);
        if !dir.is_dir() || dir.join(ENRICH_INDEX_STALE).exists() {
            return Ok(());
        }
        let io = |e: std::io::Error| StoreError::Invalid(format!("marking the enrichment index at {} stale: {e}", dir.display()));
        let file = std::fs::File::create(dir.join(ENRICH_INDEX_STALE)).map_err(io)?;
        std::io::Write::write_all(&mut &file, why.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::File::open(&dir).and_then(|d| d.sync_all()).map_err(io)?;
        Ok(())
    }

    pub fn schema_version(&self) -> Result<u32> {
        Ok(read_u32(&self.meta, "schema_version")?.unwrap_or(0))
    }

    /// Opens an extra named tree, for concerns that keep their own data (predictions, indexes).
    pub fn tree(&self, name: &str) -> Result<sled::Tree> {
        Ok(self.db.open_tree(name)?)
    }

    pub fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    /// A fresh id for a library generation or a prediction run. sled's counter lives outside
    /// the trees, so a store rebuilt from its trees (`genekg snapshot import`) restarts it at 0
    /// while its libraries keep their generations; ids therefore never go below one past the
    /// highest generation found at open. Both sequences advance by one per call, so the ids
    /// stay distinct.
    pub fn generate_id(&self) -> Result<u64> {
        let floor = self.id_floor.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(self.db.generate_id()?.max(floor))
    }

    /// Every tree of the store by name (sled's default tree included), for whole-store copies
    /// (`crate::snapshot`) and integrity checks.
    pub fn trees(&self) -> Result<Vec<(String, sled::Tree)>> {
        let mut out = Vec::new();
        for name in self.db.tree_names() {
            let tree = self.db.open_tree(&name)?;
            out.push((String::from_utf8_lossy(&name).into_owned(), tree));
        }
        Ok(out)
    }

    /// Removes a whole tree (a superseded prediction run's).
    pub(crate) fn drop_tree(&self, name: &str) -> Result<bool> {
        Ok(self.db.drop_tree(name)?)
    }

    /// Reads a JSON value stored under `meta/name`.
    pub fn meta_json(&self, name: &str) -> Result<Option<serde_json::Value>> {
        match self.meta.get(name)? {
            None => Ok(None),
            Some(v) => serde_json::from_slice(&v)
                .map(Some)
                .map_err(|e| StoreError::Corrupt { tree: "meta", reason: format!("{name}: {e}") }),
        }
    }

    pub fn set_meta_json(&self, name: &str, value: &serde_json::Value) -> Result<()> {
        self.meta.insert(name, value.to_string().as_bytes())?;
        Ok(())
    }
}

fn read_u32(tree: &sled::Tree, key: &str) -> Result<Option<u32>> {
    match tree.get(key)? {
        None => Ok(None),
        Some(v) => {
            let bytes: [u8; 4] = v.as_ref().try_into().map_err(|_| StoreError::Corrupt {
                tree: "meta",
                reason: format!("{key} is not a u32"),
            })?;
            Ok(Some(u32::from_be_bytes(bytes)))
        }
    }
}

pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).expect("postcard encoding of in-memory records cannot fail")
}

pub(crate) fn decode<'a, T: serde::Deserialize<'a>>(tree: &'static str, bytes: &'a [u8]) -> Result<T> {
    postcard::from_bytes(bytes).map_err(|e| StoreError::Corrupt { tree, reason: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_from_a_newer_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            let store = Store::open(&path).unwrap();
            assert_eq!(store.schema_version().unwrap(), migrations::latest());
            store.meta.insert("schema_version", &(migrations::latest() + 1).to_be_bytes()).unwrap();
            store.flush().unwrap();
        }
        let err = Store::open(&path).err().expect("newer store must be refused").to_string();
        assert!(err.contains("newer genekg"), "{err}");
    }

    #[test]
    fn orphan_generation_is_swept_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            let store = Store::open(&path).unwrap();
            // What a killed ingest leaves: sets under a generation no library points to.
            store.sets.insert(42u64.to_be_bytes(), b"partial".to_vec()).unwrap();
            store.flush().unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.sets.len(), 0);
    }
}
