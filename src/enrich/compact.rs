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
    let index = EnrichIndex::from_libraries(entrez, symbols.into(), dense_of, GeneLookup::Store(resolver), libs);
    index.log_ready(started, "read from its file");
    Ok(index)
}

/// Opens `file` and checks its length against the manifest's.
fn open_file(dir: &Path, file: &str, expected: u64) -> Result<Reader, String> {
    let f = std::fs::File::open(dir.join(file)).map_err(|e| format!("{file}: {e}"))?;
    let len = f.metadata().map_err(|e| format!("{file}: {e}"))?.len();
    if len != expected {
        return Err(format!("{file}: {len} bytes where the manifest says {expected}"));
    }
    Reader::new(f, len).map_err(|e| format!("{file}: {e}"))
}

fn read_genes(dir: &Path, manifest: &Manifest) -> Result<(Vec<u32>, Vec<String>, GeneResolver), String> {
    let r = open_file(dir, GENES, manifest.genes_bytes)?;
    parse_genes(r, manifest.genes).map_err(|e| format!("{GENES}: {e}"))
}

fn parse_genes(mut r: Reader, genes: usize) -> Result<(Vec<u32>, Vec<String>, GeneResolver), String> {
    let entrez = r.u32s()?;
    let symbols = r.strings()?;
    let table = KeyTable { text: r.bytes()?, text_ends: r.u32s()?, ids: r.u32s()?, id_ends: r.u32s()?, entrez: entrez.clone() };
    r.end()?;
    if entrez.len() != genes || symbols.len() != genes {
        return Err(format!("{} genes and {} symbols where the manifest says {genes}", entrez.len(), symbols.len()));
    }
    let resolver = GeneResolver::from_table(table)?;
    Ok((entrez, symbols.into_iter().map(String::from).collect(), resolver))
}

fn read_library(dir: &Path, entry: &LibraryEntry, genes: usize) -> Result<LibraryIndex, String> {
    let r = open_file(dir, &entry.file, entry.bytes)?;
    parse_library(r, entry, genes).map_err(|e| format!("{} (library {}): {e}", entry.file, entry.name))
}

fn parse_library(mut r: Reader, entry: &LibraryEntry, genes: usize) -> Result<LibraryIndex, String> {
    let bad = |why: &str| why.to_string();
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

/// Reads sections straight from the file into the arrays that keep them: reading the whole file
/// first and copying out of it touched twice the memory, and fresh pages are most of the cost of
/// a one-shot query.
struct Reader {
    file: std::fs::File,
    /// Bytes not yet read.
    left: u64,
}

impl Reader {
    fn new(mut file: std::fs::File, len: u64) -> Result<Self, String> {
        use std::io::Read as _;
        let mut magic = [0u8; MAGIC.len()];
        if len < MAGIC.len() as u64 || file.read_exact(&mut magic).is_err() || &magic != MAGIC {
            return Err("not an enrichment index file".into());
        }
        Ok(Self { file, left: len - MAGIC.len() as u64 })
    }

    /// The next section's length, checked against what is left of the file.
    fn section(&mut self) -> Result<usize, String> {
        let mut len = [0u8; 8];
        self.fill(&mut len)?;
        let len = u64::from_le_bytes(len);
        if len > self.left {
            return Err("truncated".into());
        }
        usize::try_from(len).map_err(|_| "section too long".into())
    }

    fn fill(&mut self, buf: &mut [u8]) -> Result<(), String> {
        use std::io::Read as _;
        if (buf.len() as u64) > self.left {
            return Err("truncated".into());
        }
        self.file.read_exact(buf).map_err(|e| e.to_string())?;
        self.left -= buf.len() as u64;
        Ok(())
    }

    fn bytes(&mut self) -> Result<Vec<u8>, String> {
        let mut out = vec![0u8; self.section()?];
        self.fill(&mut out)?;
        Ok(out)
    }

    fn u32s(&mut self) -> Result<Vec<u32>, String> {
        let len = self.section()?;
        if len % 4 != 0 {
            return Err("a u32 section of odd length".into());
        }
        let mut out = vec![0u32; len / 4];
        // SAFETY: the bytes of a `u32` slice; every bit pattern is a valid `u32`.
        let bytes = unsafe { std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<u8>(), len) };
        self.fill(bytes)?;
        // A no-op on little-endian machines, where the file's order is the memory order.
        out.iter_mut().for_each(|x| *x = u32::from_le(*x));
        Ok(out)
    }

    /// Strings as one text and its end offsets; `split` gives them back.
    fn strings(&mut self) -> Result<Strings, String> {
        let text = String::from_utf8(self.bytes()?).map_err(|_| "text not UTF-8")?;
        let ends = self.u32s()?;
        let mut start = 0usize;
        for &end in &ends {
            let end = end as usize;
            if end < start || !text.is_char_boundary(end) || end > text.len() {
                return Err("string offsets out of order".into());
            }
            start = end;
        }
        if start != text.len() {
            return Err("string offsets do not cover the text".into());
        }
        Ok(Strings { text, ends })
    }

    fn end(&self) -> Result<(), String> {
        if self.left == 0 {
            Ok(())
        } else {
            Err("trailing bytes".into())
        }
    }
}

/// Checked strings from [`Reader::strings`].
struct Strings {
    text: String,
    ends: Vec<u32>,
}

impl Strings {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn into_iter(self) -> impl Iterator<Item = Box<str>> {
        let mut start = 0usize;
        let Strings { text, ends } = self;
        ends.into_iter().map(move |end| {
            let s: Box<str> = text[start..end as usize].into();
            start = end as usize;
            s
        })
    }
}
