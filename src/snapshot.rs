//! Store snapshots: one immutable, checksummed file holding a store, its model and its indexes,
//! for read replicas (docs/SCALING.md) and for swapping what a server serves.
//!
//! Why not a copy of sled's files: they are a log being written (a copy of a live store is a
//! crash image, see `cli::holder`), their format belongs to one sled version, and they carry no
//! checksum. A snapshot is the store's trees as key/value records, which any genekg with the
//! same or a newer schema imports (migrations run on open).
//!
//! # Format (version 1)
//! `GENEKG-SNAPSHOT\n`, the format version (u32 LE), then sections, each a tag byte:
//! - `M`: the [`Manifest`] as JSON (u64 LE length, bytes); always first;
//! - `T`: a tree: its name (u32 LE length, bytes), then records (u32 LE key length, key, u32 LE
//!   value length, value), ended by a key length of `u32::MAX`;
//! - `F`: a file: its path under the data directory (`model/config.json`), u64 LE length, bytes;
//! - `E`: the end, followed by the sha256 of every byte before it.
//!
//! The enrichment index file (`DB/enrich-index`, [`crate::enrich::compact`]) is not in the
//! snapshot: import writes it from the imported store. It is derived from the store alone and
//! takes a second or two to write (a small part of an import); left out, a snapshot cannot
//! carry an index that disagrees with its store, the format needs no section for files inside
//! the store directory, and snapshots exported before the index existed import with one.
//!
//! Export writes `FILE.partial`, renames it to `FILE` when complete and makes it read-only; an
//! existing `FILE` is never overwritten. Import checks the checksum before anything it wrote
//! becomes visible: it fills staging directories and publishes them only at the end
//! ([`crate::publish`]).

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::Store;

const MAGIC: &[u8; 16] = b"GENEKG-SNAPSHOT\n";
const VERSION: u32 = 1;
const END_OF_TREE: u32 = u32::MAX;
/// Records per sled batch on import.
const BATCH: usize = 10_000;

/// What a snapshot holds, readable without importing it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: u32,
    pub genekg_version: String,
    pub created_at: String,
    pub schema_version: u32,
    pub genes: usize,
    /// Library name to generation (the data version the API reports is derived from these).
    pub data: crate::store::DataVersions,
    pub model_fingerprint: Option<String>,
    /// Files under the data directory (`model/…`, `index/…`).
    pub files: Vec<String>,
}

/// Where an imported (or exported) snapshot's parts live.
pub struct Layout {
    pub db: PathBuf,
    pub model: PathBuf,
    pub index: PathBuf,
}

impl Layout {
    fn dirs(&self) -> [(&'static str, &Path); 2] {
        [("model", &self.model), ("index", &self.index)]
    }
}

struct Hashing<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

fn put_bytes32(w: &mut impl Write, b: &[u8]) -> std::io::Result<()> {
    w.write_all(&(b.len() as u32).to_le_bytes())?;
    w.write_all(b)
}

/// Files directly in `dir` (sub-directories, such as a model's training checkpoint, are not
/// part of what is served), sorted.
fn files_in(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(vec![]);
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

/// Writes a snapshot of `store` and the model and index directories of `layout` to `file`.
pub fn export(store: &Store, layout: &Layout, file: &Path) -> anyhow::Result<Manifest> {
    if file.exists() {
        bail!("{} exists; snapshots are immutable, so choose a new file name", file.display());
    }
    let mut files = Vec::new();
    for (name, dir) in layout.dirs() {
        for f in files_in(dir)? {
            files.push((format!("{name}/{}", f.file_name().unwrap().to_string_lossy()), f));
        }
    }
    let model_fingerprint = std::fs::read_to_string(layout.model.join("fingerprint")).ok().map(|s| s.trim().to_string());
    let manifest = Manifest {
        format: VERSION,
        genekg_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: chrono::Utc::now().to_rfc3339(),
        schema_version: store.schema_version()?,
        genes: store.gene_count(),
        data: store.data_versions()?,
        model_fingerprint,
        files: files.iter().map(|(n, _)| n.clone()).collect(),
    };
    let partial = file.with_file_name(format!("{}.partial", file.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()));
    let out = std::fs::File::create(&partial).with_context(|| format!("creating {}", partial.display()))?;
    let mut w = Hashing { inner: BufWriter::with_capacity(1 << 20, out), hash: Sha256::new() };
    w.write_all(MAGIC)?;
    w.write_all(&VERSION.to_le_bytes())?;
    let json = serde_json::to_vec(&manifest)?;
    w.write_all(b"M")?;
    w.write_all(&(json.len() as u64).to_le_bytes())?;
    w.write_all(&json)?;
    for (name, tree) in store.trees()? {
        w.write_all(b"T")?;
        put_bytes32(&mut w, name.as_bytes())?;
        for kv in tree.iter() {
            let (k, v) = kv?;
            put_bytes32(&mut w, &k)?;
            put_bytes32(&mut w, &v)?;
        }
        w.write_all(&END_OF_TREE.to_le_bytes())?;
    }
    for (name, path) in &files {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        w.write_all(b"F")?;
        put_bytes32(&mut w, name.as_bytes())?;
        w.write_all(&(bytes.len() as u64).to_le_bytes())?;
        w.write_all(&bytes)?;
    }
    w.write_all(b"E")?;
    let digest = w.hash.finalize_reset();
    let mut inner = w.inner;
    inner.write_all(&digest)?;
    let out = inner.into_inner().map_err(|e| e.into_error())?;
    out.sync_all()?;
    let mut perms = out.metadata()?.permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&partial, perms)?;
    std::fs::rename(&partial, file).with_context(|| format!("renaming {} to {}", partial.display(), file.display()))?;
    Ok(manifest)
}

struct Reader<R> {
    r: Hashing<R>,
    file: PathBuf,
}

impl<R: Read> Reader<R> {
    fn damaged(&self, what: impl std::fmt::Display) -> anyhow::Error {
        anyhow::anyhow!("{} is not a complete genekg snapshot ({what}); export it again", self.file.display())
    }

    fn exact<const N: usize>(&mut self) -> anyhow::Result<[u8; N]> {
        let mut b = [0u8; N];
        self.r.read_exact(&mut b).map_err(|_| self.damaged("it ends early"))?;
        Ok(b)
    }

    fn bytes(&mut self, len: u64, limit: u64) -> anyhow::Result<Vec<u8>> {
        if len > limit {
            return Err(self.damaged(format!("a record claims {len} bytes")));
        }
        let mut b = vec![0u8; len as usize];
        self.r.read_exact(&mut b).map_err(|_| self.damaged("it ends early"))?;
        Ok(b)
    }

    fn u32(&mut self) -> anyhow::Result<u32> {
        Ok(u32::from_le_bytes(self.exact()?))
    }

    fn u64(&mut self) -> anyhow::Result<u64> {
        Ok(u64::from_le_bytes(self.exact()?))
    }
}

/// Reads only the manifest of a snapshot (its checksum is not verified: see [`import`]).
pub fn manifest(file: &Path) -> anyhow::Result<Manifest> {
    let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let mut r = Reader { r: Hashing { inner: BufReader::new(f), hash: Sha256::new() }, file: file.to_path_buf() };
    read_manifest(&mut r)
}

fn read_manifest<R: Read>(r: &mut Reader<R>) -> anyhow::Result<Manifest> {
    let magic: [u8; 16] = r.exact().map_err(|_| r.damaged("no snapshot header"))?;
    if &magic != MAGIC {
        bail!("{} is not a genekg snapshot (made by `genekg snapshot export`)", r.file.display());
    }
    let version = r.u32()?;
    if version != VERSION {
        bail!("{} is a snapshot of format {version}; this genekg reads format {VERSION}", r.file.display());
    }
    if r.exact::<1>()? != *b"M" {
        return Err(r.damaged("no manifest"));
    }
    let len = r.u64()?;
    let json = r.bytes(len, 1 << 24)?;
    serde_json::from_slice(&json).map_err(|e| r.damaged(format!("manifest: {e}")))
}

/// Imports `file` into `layout`, whose store, model and index directories must not exist yet
/// (or be empty). Nothing becomes visible unless the whole file reads back with its checksum.
pub fn import(file: &Path, layout: &Layout) -> anyhow::Result<Manifest> {
    for p in [&layout.db, &layout.model, &layout.index] {
        if p.exists() && std::fs::read_dir(p).map(|mut d| d.next().is_some()).unwrap_or(true) {
            bail!("{} exists; import a snapshot into an empty data directory (or pass another --data-dir)", p.display());
        }
        if p.exists() {
            std::fs::remove_dir(p).with_context(|| format!("removing empty {}", p.display()))?;
        }
    }
    let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let size = f.metadata()?.len();
    let mut r = Reader { r: Hashing { inner: BufReader::with_capacity(1 << 20, f), hash: Sha256::new() }, file: file.to_path_buf() };
    let manifest = read_manifest(&mut r)?;
    let staging_db = crate::publish::staging(&layout.db)?;
    let staged: Vec<(&str, PathBuf, &Path)> = layout
        .dirs()
        .into_iter()
        .map(|(name, dir)| Ok((name, crate::publish::staging(dir)?, dir)))
        .collect::<std::io::Result<_>>()?;
    {
        let store = Store::open(&staging_db)?;
        loop {
            match &r.exact::<1>()? {
                b"T" => {
                    let len = r.u32()?;
                    let name = String::from_utf8(r.bytes(len as u64, 4096)?).map_err(|_| r.damaged("a tree name is not UTF-8"))?;
                    let tree = store.tree(&name)?;
                    tree.clear()?;
                    let mut batch = sled::Batch::default();
                    let mut pending = 0;
                    loop {
                        let klen = r.u32()?;
                        if klen == END_OF_TREE {
                            break;
                        }
                        let k = r.bytes(klen as u64, size)?;
                        let vlen = r.u32()?;
                        let v = r.bytes(vlen as u64, size)?;
                        batch.insert(k, v);
                        pending += 1;
                        if pending == BATCH {
                            tree.apply_batch(std::mem::take(&mut batch))?;
                            pending = 0;
                        }
                    }
                    tree.apply_batch(batch)?;
                }
                b"F" => {
                    let len = r.u32()?;
                    let name = String::from_utf8(r.bytes(len as u64, 4096)?).map_err(|_| r.damaged("a file name is not UTF-8"))?;
                    let (dir, base) = name.split_once('/').ok_or_else(|| r.damaged(format!("file `{name}` has no directory")))?;
                    let Some((_, stage, _)) = staged.iter().find(|(d, ..)| *d == dir) else {
                        return Err(r.damaged(format!("file `{name}` is outside model/ and index/")));
                    };
                    if base.is_empty() || base.contains('/') || base.starts_with('.') {
                        return Err(r.damaged(format!("file name `{name}`")));
                    }
                    let len = r.u64()?;
                    let bytes = r.bytes(len, size)?;
                    std::fs::write(stage.join(base), bytes)?;
                }
                b"E" => break,
                other => return Err(r.damaged(format!("unknown section {:?}", other[0] as char))),
            }
        }
        let expected = r.r.hash.finalize_reset();
        let mut found = [0u8; 32];
        r.r.inner.read_exact(&mut found).map_err(|_| r.damaged("the checksum is missing"))?;
        if found[..] != expected[..] {
            bail!("{} is damaged: its sha256 does not match its content; nothing was imported", file.display());
        }
        store.flush()?;
    }
    crate::publish::publish(&staging_db, &layout.db, |_| false)?;
    for (_, stage, dir) in staged {
        crate::publish::publish(&stage, dir, |_| false)?;
    }
    // Migrations of an older snapshot run here, once; the enrichment index is read from the
    // migrated store.
    let store = Store::open(&layout.db)?;
    crate::enrich::compact::rebuild(&store, &layout.db).context("writing the enrichment index")?;
    store.flush()?;
    Ok(manifest)
}

/// A snapshot's identity: its checksum (the file's last 32 bytes), in hex, read without reading
/// the file.
pub fn id(file: &Path) -> anyhow::Result<String> {
    use std::io::{Seek, SeekFrom};
    let mut f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let len = f.metadata()?.len();
    if len < (MAGIC.len() + 32) as u64 {
        bail!("{} is not a genekg snapshot (made by `genekg snapshot export`)", file.display());
    }
    f.seek(SeekFrom::Start(len - 32))?;
    let mut digest = [0u8; 32];
    f.read_exact(&mut digest)?;
    Ok(hex::encode(digest))
}
