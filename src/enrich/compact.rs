//! The enrichment index file: the genes, their lookup keys and every library's sets, laid out
//! as the in-memory [`EnrichIndex`] holds them, in the store directory
//! (`DB/enrich-index/`, [`crate::store::ENRICH_INDEX_DIR`]).
//!
//! Why: a one-shot `genekg enrich` from the store spent ~0.9 s opening sled and decoding every
//! set record (and `genekg` another 0.2 s starting libtorch), while the query itself takes a
//! few milliseconds. Reading this file instead is a few megabytes of flat arrays (only the
//! libraries asked for), needs no sled lock (so it also works while `genekg serve` holds the
//! store, without copying it) and no libtorch (`genekg-lite`). The answers are the store
//! path's: the file is written from an index built from the store and read back into the same
//! structure, scanned by the same code, and genes are resolved by the store's resolver rules
//! over the same keys ([`GeneResolver::from_table`]).
//!
//! Written by every ingest (and `genekg enrich-index`) through a staging directory swapped in
//! whole ([`crate::publish`]). Every write to genes or libraries first drops a `STALE` marker
//! into the directory ([`crate::store::Store::mark_enrich_index_stale`]), so a kill between the
//! store's change and the new index leaves an index that says it is stale.
//!
//! # Layout (format 1)
//! `manifest.json` ([`Manifest`]); `genes.bin` and one `library-N.bin` per library, each the
//! magic `GKENRICH`, then sections: a u64 LE byte length followed by the bytes (`u32` arrays
//! little-endian). `genes.bin`: Entrez ids (sorted), symbol text and ends, lookup key text and
//! ends, key genes and ends. `library-N.bin`: term text and ends, name text and ends, set
//! offsets (sets + 1), members (dense gene numbers, sorted within each set). No checksum: the
//! swap means a file is never seen half-written; the lengths in the manifest and the bounds
//! checks on read catch damage.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::index::{DenseIds, LibraryIndex};
use super::query::GeneLookup;
use super::{EnrichError, EnrichIndex};
use crate::store::{DataVersions, GeneResolver, KeyTable, Store, ENRICH_INDEX_DIR, ENRICH_INDEX_STALE};

const FORMAT: u32 = 1;
const MAGIC: &[u8; 8] = b"GKENRICH";
const MANIFEST: &str = "manifest.json";
const GENES: &str = "genes.bin";
/// The command that (re)builds the file, named in every message about a missing or stale one.
pub const BUILD_COMMAND: &str = "genekg enrich-index";

/// What the directory holds; written last, so its presence means the files are complete.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: u32,
    pub built_at: String,
    pub genes: usize,
    pub genes_bytes: u64,
    /// By name.
    pub libraries: Vec<LibraryEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LibraryEntry {
    pub name: String,
    /// The library's generation in the store when the file was written.
    pub generation: u64,
    pub sets: usize,
    pub file: String,
    pub bytes: u64,
}

/// Why the file cannot answer; each message names [`BUILD_COMMAND`].
#[derive(Debug, Error)]
pub enum IndexFileError {
    #[error("no enrichment index at {0} (stores ingested before it existed have none); build it with `{BUILD_COMMAND}`")]
    Missing(PathBuf),
    #[error("the enrichment index at {path} is stale ({why}); rebuild it with `{BUILD_COMMAND}`")]
    Stale { path: PathBuf, why: String },
    #[error("the enrichment index at {path} cannot be read ({why}); rebuild it with `{BUILD_COMMAND}`")]
    Damaged { path: PathBuf, why: String },
    /// A question the file could answer but that is wrong (an unknown library).
    #[error(transparent)]
    Enrich(#[from] EnrichError),
}

/// The index directory of the store at `db`.
pub fn index_dir(db: &Path) -> PathBuf {
    db.join(ENRICH_INDEX_DIR)
}

/// Builds the file from every gene and library of `store` and publishes it into the store
/// directory `db` (which differs from `store.path()` when the store read is a copy of a served
/// one).
pub fn rebuild(store: &Store, db: &Path) -> anyhow::Result<Manifest> {
    let started = std::time::Instant::now();
    let index = EnrichIndex::build(store, None)?;
    let versions = store.data_versions()?;
    let manifest = write(&index, &versions, &index_dir(db))?;
    tracing::info!(
        libraries = manifest.libraries.len(),
        genes = manifest.genes,
        secs = format!("{:.2}", started.elapsed().as_secs_f64()),
        "enrichment index written"
    );
    Ok(manifest)
}

/// Writes `index` (built from a store, every library) to `target` through a staging directory.
pub fn write(index: &EnrichIndex, versions: &DataVersions, target: &Path) -> anyhow::Result<Manifest> {
    use anyhow::Context as _;
    let GeneLookup::Store(resolver) = &index.resolver else {
        anyhow::bail!("an enrichment index read from GMT files has no gene catalogue to write");
    };
    let stage = crate::publish::staging(target).with_context(|| format!("staging {}", target.display()))?;
    let table = resolver.to_table();
    let mut genes = Writer::new();
    genes.u32s(&index.entrez);
    genes.strings(index.symbols.iter().map(String::as_str));
    genes.bytes(&table.text);
    genes.u32s(&table.text_ends);
    genes.u32s(&table.ids);
    genes.u32s(&table.id_ends);
    if table.entrez != index.entrez {
        anyhow::bail!("the resolver's genes differ from the index's (the store changed while it was read); run again");
    }
    let genes_bytes = genes.save(&stage.join(GENES))?;
    let mut libraries = Vec::with_capacity(index.libraries.len());
    for (i, lib) in index.libraries.iter().enumerate() {
        let mut w = Writer::new();
        w.strings(lib.terms.iter().map(|t| &**t));
        w.strings(lib.names.iter().map(|t| &**t));
        w.u32s(&lib.offsets);
        w.u32s(&lib.members);
        let file = format!("library-{i}.bin");
        let bytes = w.save(&stage.join(&file))?;
        let generation = *versions.get(&*lib.name).with_context(|| format!("library {} vanished from the store", lib.name))?;
        libraries.push(LibraryEntry { name: lib.name.to_string(), generation, sets: lib.set_count(), file, bytes });
    }
    libraries.sort_by(|a, b| a.name.cmp(&b.name));
    let manifest = Manifest {
        format: FORMAT,
        built_at: chrono::Utc::now().to_rfc3339(),
        genes: index.entrez.len(),
        genes_bytes,
        libraries,
    };
    std::fs::write(stage.join(MANIFEST), serde_json::to_vec_pretty(&manifest)?)?;
    crate::publish::publish(&stage, target, |_| false).with_context(|| format!("publishing {}", target.display()))?;
    Ok(manifest)
}

/// The manifest of the index at `dir`, if it is there, complete and not marked stale.
pub fn manifest(dir: &Path) -> Result<Manifest, IndexFileError> {
    let damaged = |why: String| IndexFileError::Damaged { path: dir.to_path_buf(), why };
    let bytes = match std::fs::read(dir.join(MANIFEST)) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(IndexFileError::Missing(dir.to_path_buf())),
        Err(e) => return Err(damaged(format!("{MANIFEST}: {e}"))),
    };
    if let Ok(why) = std::fs::read_to_string(dir.join(ENRICH_INDEX_STALE)) {
        let why = if why.trim().is_empty() { "the store changed after it was built".to_string() } else { why.trim().to_string() };
        return Err(IndexFileError::Stale { path: dir.to_path_buf(), why });
    }
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| damaged(format!("{MANIFEST}: {e}")))?;
    if manifest.format != FORMAT {
        return Err(IndexFileError::Stale {
            path: dir.to_path_buf(),
            why: format!("format {} written by another genekg version; this one reads {FORMAT}", manifest.format),
        });
    }
    Ok(manifest)
}

/// Reads the index at `dir` with `libraries` (every library when `None`); the same index
/// [`EnrichIndex::build`] makes from the store.
pub fn load(dir: &Path, libraries: Option<&[String]>) -> Result<EnrichIndex, IndexFileError> {
    let started = std::time::Instant::now();
    let manifest = manifest(dir)?;
    let stored: Vec<String> = manifest.libraries.iter().map(|l| l.name.clone()).collect();
    let chosen = super::index::choose_libraries(libraries, &stored)?;
    let damaged = |why: String| IndexFileError::Damaged { path: dir.to_path_buf(), why };
    let entries: Vec<&LibraryEntry> =
        chosen.iter().map(|n| manifest.libraries.iter().find(|l| &l.name == n).expect("chosen from the manifest")).collect();
    // The gene table and the libraries are read and decoded in parallel.
    let (genes, libs) = rayon::join(
        || read_genes(dir, &manifest),
        || {
            entries
                .par_iter()
                .map(|e| read_library(dir, e, manifest.genes))
                .collect::<Result<Vec<LibraryIndex>, String>>()
        },
    );
    let (entrez, symbols, resolver) = genes.map_err(damaged)?;
    let libs = libs.map_err(damaged)?;
    let dense_of: DenseIds = entrez.iter().enumerate().map(|(i, &e)| (e, i as u32)).collect();
    let index = EnrichIndex::from_libraries(entrez, symbols, dense_of, GeneLookup::Store(resolver), libs);
    index.log_built(started);
    Ok(index)
}

fn read_file(dir: &Path, file: &str, expected: u64) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(dir.join(file)).map_err(|e| format!("{file}: {e}"))?;
    if bytes.len() as u64 != expected {
        return Err(format!("{file}: {} bytes where the manifest says {expected}", bytes.len()));
    }
    Ok(bytes)
}

fn read_genes(dir: &Path, manifest: &Manifest) -> Result<(Vec<u32>, Vec<String>, GeneResolver), String> {
    let bytes = read_file(dir, GENES, manifest.genes_bytes)?;
    parse_genes(&bytes, manifest.genes).map_err(|e| format!("{GENES}: {e}"))
}

fn parse_genes(bytes: &[u8], genes: usize) -> Result<(Vec<u32>, Vec<String>, GeneResolver), String> {
    let mut r = Reader::new(bytes)?;
    let entrez = r.u32s()?;
    let symbols = r.strings()?;
    let table = KeyTable { text: r.bytes()?.to_vec(), text_ends: r.u32s()?, ids: r.u32s()?, id_ends: r.u32s()?, entrez: entrez.clone() };
    r.end()?;
    if entrez.len() != genes || symbols.len() != genes {
        return Err(format!("{} genes and {} symbols where the manifest says {genes}", entrez.len(), symbols.len()));
    }
    let resolver = GeneResolver::from_table(table)?;
    Ok((entrez, symbols.into_iter().map(str::to_string).collect(), resolver))
}

fn read_library(dir: &Path, entry: &LibraryEntry, genes: usize) -> Result<LibraryIndex, String> {
    let bytes = read_file(dir, &entry.file, entry.bytes)?;
    parse_library(&bytes, entry, genes).map_err(|e| format!("{} (library {}): {e}", entry.file, entry.name))
}

fn parse_library(bytes: &[u8], entry: &LibraryEntry, genes: usize) -> Result<LibraryIndex, String> {
    let bad = |why: &str| why.to_string();
    let mut r = Reader::new(bytes)?;
    let terms: Vec<Arc<str>> = r.strings()?.into_iter().map(Arc::from).collect();
    let names: Vec<Arc<str>> = r.strings()?.into_iter().map(Arc::from).collect();
    let offsets = r.u32s()?;
    let members = r.u32s()?;
    r.end()?;
    let sets = terms.len();
    if names.len() != sets || sets != entry.sets || offsets.len() != sets + 1 {
        return Err(bad("set counts disagree"));
    }
    if offsets[0] != 0 || offsets.windows(2).any(|w| w[0] > w[1]) || offsets[sets] as usize != members.len() {
        return Err(bad("set offsets out of order"));
    }
    if members.iter().any(|&d| d as usize >= genes) {
        return Err(bad("a member outside the gene table"));
    }
    Ok(LibraryIndex::from_dense(&entry.name, terms, names, offsets, members, genes))
}

/// Sections appended to one buffer.
struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    fn new() -> Self {
        Self { buf: MAGIC.to_vec() }
    }

    fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(&(b.len() as u64).to_le_bytes());
        self.buf.extend_from_slice(b);
    }

    fn u32s(&mut self, v: &[u32]) {
        self.buf.extend_from_slice(&((v.len() * 4) as u64).to_le_bytes());
        for x in v {
            self.buf.extend_from_slice(&x.to_le_bytes());
        }
    }

    /// Text concatenated, then the end offset of each string.
    fn strings<'a>(&mut self, items: impl Iterator<Item = &'a str>) {
        let mut text = Vec::new();
        let mut ends = Vec::new();
        for s in items {
            text.extend_from_slice(s.as_bytes());
            ends.push(u32::try_from(text.len()).expect("text under 4 GB"));
        }
        self.bytes(&text);
        self.u32s(&ends);
    }

    fn save(self, path: &Path) -> std::io::Result<u64> {
        std::fs::write(path, &self.buf)?;
        Ok(self.buf.len() as u64)
    }
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Result<Self, String> {
        match bytes.strip_prefix(MAGIC) {
            Some(rest) => Ok(Self { rest }),
            None => Err("not an enrichment index file".into()),
        }
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let (len, rest) = self.rest.split_first_chunk::<8>().ok_or("truncated")?;
        let len = usize::try_from(u64::from_le_bytes(*len)).map_err(|_| "section too long")?;
        if rest.len() < len {
            return Err("truncated".into());
        }
        let (section, rest) = rest.split_at(len);
        self.rest = rest;
        Ok(section)
    }

    fn u32s(&mut self) -> Result<Vec<u32>, String> {
        let b = self.bytes()?;
        if b.len() % 4 != 0 {
            return Err("a u32 section of odd length".into());
        }
        Ok(b.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes"))).collect())
    }

    fn strings(&mut self) -> Result<Vec<&'a str>, String> {
        let text = std::str::from_utf8(self.bytes()?).map_err(|_| "text not UTF-8")?;
        let ends = self.u32s()?;
        let mut out = Vec::with_capacity(ends.len());
        let mut start = 0usize;
        for &end in &ends {
            let end = end as usize;
            let s = text.get(start..end).ok_or("string offsets out of order")?;
            out.push(s);
            start = end;
        }
        if start != text.len() {
            return Err("string offsets do not cover the text".into());
        }
        Ok(out)
    }

    fn end(&self) -> Result<(), String> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err("trailing bytes".into())
        }
    }
}
