//! Libraries of gene sets, written all-or-nothing through generations (see the module docs).

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{decode, encode, GeneSet, Library, Result, Store, StoreError};
use crate::domain::{LibraryName, SetId};

/// Sets are written in batches of this many, bounding memory while keeping sled's per-batch cost
/// small relative to the work.
const BATCH_SETS: usize = 2_000;

fn set_key(generation: u64, term: &str) -> Vec<u8> {
    let mut k = generation.to_be_bytes().to_vec();
    k.extend_from_slice(term.as_bytes());
    k
}

fn gene_sets_key(entrez: u32, generation: u64) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..4].copy_from_slice(&entrez.to_be_bytes());
    k[4..].copy_from_slice(&generation.to_be_bytes());
    k
}

/// Library name to the generation its sets are stored under.
pub type DataVersions = BTreeMap<String, u64>;

/// Libraries whose data differ between `recorded` (when a step ran) and `current`: re-ingested,
/// added or removed since, sorted.
pub fn changed_libraries(recorded: &DataVersions, current: &DataVersions) -> Vec<String> {
    let mut out: Vec<String> = current.iter().filter(|(l, g)| recorded.get(*l) != Some(g)).map(|(l, _)| l.clone()).collect();
    out.extend(recorded.keys().filter(|l| !current.contains_key(*l)).cloned());
    out.sort();
    out
}

/// The leading fields of a [`Library`] record, in the record's order. postcard writes fields
/// in sequence and `decode` ignores what follows, so this reads the generation without
/// allocating; the test below keeps it in step with [`Library`].
#[derive(serde::Deserialize)]
struct LibraryHead<'a> {
    name: &'a str,
    _version: Option<&'a str>,
    _source: &'a str,
    generation: u64,
}

impl Store {
    pub fn library(&self, name: &str) -> Result<Option<Library>> {
        self.libraries.get(name)?.map(|v| decode("libraries", &v)).transpose()
    }

    /// The data version of every library: its generation, which every ingest renews. Stored with
    /// predictions and indexes, so a step run before the last ingest is known to be stale.
    pub fn data_versions(&self) -> Result<DataVersions> {
        self.library_generations().collect()
    }

    /// Every library's name and generation, read from the heads of their records (see
    /// [`LibraryHead`]): the API asks for them on every gene's known sets.
    fn library_generations(&self) -> impl Iterator<Item = Result<(String, u64)>> + '_ {
        self.libraries.iter().values().map(|v| {
            let bytes = v?;
            let head: LibraryHead<'_> = decode("libraries", &bytes)?;
            Ok((head.name.to_string(), head.generation))
        })
    }

    /// All libraries, by name.
    pub fn libraries(&self) -> Result<Vec<Library>> {
        self.libraries.iter().values().map(|v| decode("libraries", &v?)).collect()
    }

    /// The sets of a library in term order; empty if the library does not exist.
    pub fn library_sets(&self, name: &str) -> Result<Vec<GeneSet>> {
        let Some(lib) = self.library(name)? else { return Ok(vec![]) };
        self.sets
            .scan_prefix(lib.generation.to_be_bytes())
            .values()
            .map(|v| decode("sets", &v?))
            .collect()
    }

    pub fn gene_set(&self, id: &SetId) -> Result<Option<GeneSet>> {
        let Some(generation) = self.library_generation(id.library())? else { return Ok(None) };
        self.sets.get(set_key(generation, id.term()))?.map(|v| decode("sets", &v)).transpose()
    }

    /// The generation library `name`'s sets are stored under. Read from the head of its record
    /// (see [`LibraryHead`]): a gene page looks up a library for every set it shows, and
    /// decoding the whole record (provenance map, examples) cost more than reading the set.
    pub fn library_generation(&self, name: &str) -> Result<Option<u64>> {
        let Some(bytes) = self.libraries.get(name)? else { return Ok(None) };
        let head: LibraryHead<'_> = decode("libraries", &bytes)?;
        Ok(Some(head.generation))
    }

    /// The ids of the sets that contain `entrez`, grouped by library name.
    pub fn sets_of_gene(&self, entrez: u32) -> Result<BTreeMap<String, Vec<String>>> {
        let live: HashMap<u64, String> =
            self.library_generations().map(|r| r.map(|(name, generation)| (generation, name))).collect::<Result<_>>()?;
        let mut out = BTreeMap::new();
        for kv in self.gene_sets.scan_prefix(entrez.to_be_bytes()) {
            let (k, v) = kv?;
            let generation = u64::from_be_bytes(k[4..12].try_into().expect("gene_sets keys are 12 bytes"));
            if let Some(lib) = live.get(&generation) {
                out.insert(lib.clone(), decode::<Vec<String>>("gene_sets", &v)?);
            }
        }
        Ok(out)
    }

    /// Starts writing a new version of library `name`. Nothing is visible until
    /// [`LibraryWriter::commit`]; dropping the writer discards what it wrote.
    pub fn begin_library(&self, name: &LibraryName) -> Result<LibraryWriter<'_>> {
        Ok(LibraryWriter {
            store: self,
            name: name.clone(),
            generation: self.generate_id()?,
            batch: sled::Batch::default(),
            pending: 0,
            terms: HashSet::new(),
            members: 0,
            gene_terms: HashMap::new(),
            committed: false,
        })
    }

    /// Deletes a library and its sets.
    pub fn remove_library(&self, name: &str) -> Result<bool> {
        if self.library(name)?.is_none() {
            return Ok(false);
        }
        self.mark_enrich_index_stale(&format!("library {name} was removed"))?;
        let Some(old) = self.libraries.remove(name)? else { return Ok(false) };
        let old: Library = decode("libraries", &old)?;
        self.flush()?;
        self.drop_generation(old.generation)?;
        Ok(true)
    }

    fn drop_generation(&self, generation: u64) -> Result<()> {
        let mut batch = sled::Batch::default();
        for k in self.sets.scan_prefix(generation.to_be_bytes()).keys() {
            batch.remove(k?);
        }
        self.sets.apply_batch(batch)?;
        let mut batch = sled::Batch::default();
        for k in self.gene_sets.iter().keys() {
            let k = k?;
            if k.len() == 12 && k[4..12] == generation.to_be_bytes() {
                batch.remove(k);
            }
        }
        self.gene_sets.apply_batch(batch)?;
        Ok(())
    }

    /// The highest generation or prediction run the store holds, if any (see
    /// [`Store::generate_id`]).
    pub(crate) fn max_generation(&self) -> Result<Option<u64>> {
        let mut max = self.libraries()?.iter().map(|l| l.generation).max();
        if let Some((k, _)) = self.sets.last()? {
            if let Ok(g) = <[u8; 8]>::try_from(&k[..8.min(k.len())]) {
                max = max.max(Some(u64::from_be_bytes(g)));
            }
        }
        Ok(max.max(super::predictions::current_run(self)?))
    }

    /// Removes sets of generations that no library points to: the remains of an ingest that was
    /// killed or failed before its commit.
    pub(crate) fn sweep_orphan_generations(&self) -> Result<usize> {
        let live: HashSet<u64> = self.libraries()?.iter().map(|l| l.generation).collect();
        let mut orphans = HashSet::new();
        for k in self.sets.iter().keys() {
            let k = k?;
            let generation = u64::from_be_bytes(k[..8].try_into().map_err(|_| StoreError::Corrupt {
                tree: "sets",
                reason: "short key".into(),
            })?);
            if !live.contains(&generation) {
                orphans.insert(generation);
            }
        }
        for k in self.gene_sets.iter().keys() {
            let k = k?;
            if k.len() == 12 {
                let generation = u64::from_be_bytes(k[4..12].try_into().unwrap());
                if !live.contains(&generation) {
                    orphans.insert(generation);
                }
            }
        }
        for &g in &orphans {
            tracing::info!(generation = g, "removing sets left by an interrupted ingest");
            self.drop_generation(g)?;
        }
        Ok(orphans.len())
    }
}

/// Writes one library version. See [`Store::begin_library`].
pub struct LibraryWriter<'a> {
    store: &'a Store,
    name: LibraryName,
    generation: u64,
    batch: sled::Batch,
    pending: usize,
    terms: HashSet<String>,
    members: u64,
    gene_terms: HashMap<u32, Vec<String>>,
    committed: bool,
}

impl LibraryWriter<'_> {
    /// Adds a set. Genes are sorted and de-duplicated here; a repeated term is an error because
    /// it would silently overwrite the first set.
    pub fn add(&mut self, mut set: GeneSet) -> Result<()> {
        if set.term.is_empty() {
            return Err(StoreError::Invalid("gene set term is empty".into()));
        }
        if !self.terms.insert(set.term.clone()) {
            return Err(StoreError::Invalid(format!(
                "term `{}` appears twice in library {}",
                set.term, self.name
            )));
        }
        set.genes.sort_unstable();
        set.genes.dedup();
        self.members += set.genes.len() as u64;
        for &g in &set.genes {
            self.gene_terms.entry(g).or_default().push(set.term.clone());
        }
        self.batch.insert(set_key(self.generation, &set.term), encode(&set));
        self.pending += 1;
        if self.pending >= BATCH_SETS {
            self.store.sets.apply_batch(std::mem::take(&mut self.batch))?;
            self.pending = 0;
        }
        Ok(())
    }

    pub fn set_count(&self) -> usize {
        self.terms.len()
    }

    /// Makes the new version visible in one insert and removes the old one.
    /// `library.generation`, `sets`, `genes` and `members` are filled in here.
    pub fn commit(mut self, mut library: Library) -> Result<Library> {
        let store = self.store;
        store.sets.apply_batch(std::mem::take(&mut self.batch))?;
        let mut batch = sled::Batch::default();
        for (gene, terms) in &self.gene_terms {
            batch.insert(&gene_sets_key(*gene, self.generation)[..], encode(terms));
        }
        store.gene_sets.apply_batch(batch)?;
        // Everything the new version needs must be durable before the pointer flips.
        store.flush()?;

        library.name = self.name.to_string();
        library.generation = self.generation;
        library.sets = self.terms.len() as u64;
        library.genes = self.gene_terms.len() as u64;
        library.members = self.members;
        store.mark_enrich_index_stale(&format!("library {} was re-ingested", self.name))?;
        let previous = store.libraries.insert(self.name.as_str(), encode(&library))?;
        store.flush()?;
        self.committed = true;
        if let Some(prev) = previous {
            let prev: Library = decode("libraries", &prev)?;
            store.drop_generation(prev.generation)?;
        }
        Ok(library)
    }
}

impl Drop for LibraryWriter<'_> {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: anything left behind is swept at the next open.
            let _ = self.store.drop_generation(self.generation);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_of_a_library_record_reads_its_generation() {
        let library = Library {
            name: "GO_BP".into(),
            version: Some("3.16".into()),
            source: "GO.db".into(),
            generation: 300_000_000_017,
            sets: 9373,
            genes: 18118,
            members: 1,
            unknown_genes: 2,
            unknown_examples: vec!["X".into()],
            ambiguous_genes: 0,
            ambiguous_examples: vec![],
            ingested_at: "2026-11-28T00:00:00Z".into(),
            provenance: BTreeMap::from([("sha256".to_string(), "ab".repeat(32))]),
        };
        let bytes = encode(&library);
        let head: LibraryHead<'_> = decode("libraries", &bytes).unwrap();
        assert_eq!((head.name, head.generation), ("GO_BP", library.generation));
        let unversioned = encode(&Library { version: None, ..library.clone() });
        assert_eq!(decode::<LibraryHead<'_>>("libraries", &unversioned).unwrap().generation, library.generation);
    }
}
