//! The gene catalogue and gene resolution (symbol, alias, Entrez, Ensembl, UniProt).

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{decode, encode, Gene, Result, Store};
use crate::domain::GeneQuery;

const GENE: u8 = b'g';
const KEY: u8 = b'k';
/// Provenance of the catalogue, kept in the same tree so it changes in the same batch.
const PROVENANCE: &[u8] = b"p";

const KIND_SYMBOL: u8 = b'S';
const KIND_ALIAS: u8 = b'A';
const KIND_ENSEMBL: u8 = b'E';
const KIND_UNIPROT: u8 = b'U';

/// The outcome of resolving one user-supplied gene string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    Found(u32),
    /// Several genes carry this alias; we never guess between them.
    Ambiguous(Vec<u32>),
    NotFound,
}

fn gene_key(entrez: u32) -> [u8; 5] {
    let mut k = [GENE; 5];
    k[1..].copy_from_slice(&entrez.to_be_bytes());
    k
}

fn lookup_key(kind: u8, text: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(2 + text.len());
    k.push(KEY);
    k.push(kind);
    k.extend_from_slice(text.to_ascii_uppercase().as_bytes());
    k
}

/// All lookup keys of a catalogue. Symbols and aliases are indexed separately so that an exact
/// symbol always wins over somebody else's alias (a classic source of wrongly mapped genes).
fn index_keys(genes: &BTreeMap<u32, Gene>) -> BTreeMap<Vec<u8>, Vec<u32>> {
    let mut keys: BTreeMap<Vec<u8>, Vec<u32>> = BTreeMap::new();
    let mut add = |kind: u8, text: &str, id: u32| {
        if text.is_empty() || text == "-" {
            return;
        }
        let ids = keys.entry(lookup_key(kind, text)).or_default();
        if !ids.contains(&id) {
            ids.push(id);
        }
    };
    for g in genes.values() {
        add(KIND_SYMBOL, &g.symbol, g.entrez);
        for a in &g.aliases {
            add(KIND_ALIAS, a, g.entrez);
        }
        for e in &g.ensembl {
            add(KIND_ENSEMBL, e, g.entrez);
        }
        for u in &g.uniprot {
            add(KIND_UNIPROT, u, g.entrez);
        }
    }
    for ids in keys.values_mut() {
        ids.sort_unstable();
    }
    keys
}

/// Shared resolution rules over any key lookup, so the store and the in-memory resolver agree.
fn resolve_with(
    query: &GeneQuery,
    has_gene: impl Fn(u32) -> bool,
    mut lookup: impl FnMut(u8, &str) -> Option<Vec<u32>>,
) -> Resolution {
    let from_ids = |ids: Vec<u32>| match ids.len() {
        0 => Resolution::NotFound,
        1 => Resolution::Found(ids[0]),
        _ => Resolution::Ambiguous(ids),
    };
    match query {
        GeneQuery::Entrez(id) if has_gene(*id) => Resolution::Found(*id),
        GeneQuery::Entrez(_) => Resolution::NotFound,
        GeneQuery::Ensembl(e) => from_ids(lookup(KIND_ENSEMBL, e).unwrap_or_default()),
        GeneQuery::Name(n) => {
            for kind in [KIND_SYMBOL, KIND_UNIPROT, KIND_ALIAS] {
                if let Some(ids) = lookup(kind, n) {
                    return from_ids(ids);
                }
            }
            Resolution::NotFound
        }
    }
}

impl Store {
    pub fn gene(&self, entrez: u32) -> Result<Option<Gene>> {
        self.genes.get(gene_key(entrez))?.map(|v| decode("genes", &v)).transpose()
    }

    pub fn gene_count(&self) -> usize {
        self.genes.scan_prefix([GENE]).count()
    }

    /// Every gene, in Entrez order.
    pub fn genes(&self) -> impl Iterator<Item = Result<Gene>> + '_ {
        self.genes
            .scan_prefix([GENE])
            .map(|kv| kv.map_err(Into::into).and_then(|(_, v)| decode("genes", &v)))
    }

    pub fn resolve(&self, query: &GeneQuery) -> Result<Resolution> {
        let tree = &self.genes;
        let mut err = None;
        let res = resolve_with(
            query,
            |id| tree.contains_key(gene_key(id)).unwrap_or(false),
            |kind, text| match tree.get(lookup_key(kind, text)) {
                Ok(v) => v.and_then(|v| decode::<Vec<u32>>("genes", &v).ok()),
                Err(e) => {
                    err = Some(e);
                    None
                }
            },
        );
        match err {
            Some(e) => Err(e.into()),
            None => Ok(res),
        }
    }

    pub fn genes_provenance(&self) -> Result<Option<serde_json::Value>> {
        Ok(self.genes.get(PROVENANCE)?.and_then(|v| serde_json::from_slice(&v).ok()))
    }

    /// Inserts or replaces `genes` (by Entrez id) and rebuilds every lookup key, in one atomic
    /// batch: a crash leaves either the old catalogue or the new one, never a mix.
    pub fn upsert_genes(&self, new_genes: Vec<Gene>, provenance: &serde_json::Value) -> Result<usize> {
        self.mark_enrich_index_stale("the gene catalogue changed")?;
        let mut all: BTreeMap<u32, Gene> = BTreeMap::new();
        for g in self.genes() {
            let g = g?;
            all.insert(g.entrez, g);
        }
        let n = new_genes.len();
        for g in new_genes {
            all.insert(g.entrez, g);
        }
        let keys = index_keys(&all);
        let mut batch = sled::Batch::default();
        for k in self.genes.scan_prefix([KEY]).keys() {
            let k = k?;
            if !keys.contains_key(k.as_ref()) {
                batch.remove(k);
            }
        }
        for (k, ids) in &keys {
            batch.insert(k.as_slice(), encode(ids));
        }
        for g in all.values() {
            batch.insert(&gene_key(g.entrez)[..], encode(g));
        }
        batch.insert(PROVENANCE, provenance.to_string().as_bytes());
        self.genes.apply_batch(batch)?;
        self.flush()?;
        Ok(n)
    }

    /// Loads the whole lookup index into memory, for resolving many genes at once.
    pub fn resolver(&self) -> Result<GeneResolver> {
        let mut keys = HashMap::new();
        for kv in self.genes.scan_prefix([KEY]) {
            let (k, v) = kv?;
            keys.insert(k.to_vec(), decode::<Vec<u32>>("genes", &v)?);
        }
        let mut entrez = HashSet::new();
        for k in self.genes.scan_prefix([GENE]).keys() {
            let k = k?;
            entrez.insert(u32::from_be_bytes(k[1..5].try_into().expect("gene keys are 5 bytes")));
        }
        Ok(GeneResolver { keys: Keys::Map { keys, entrez } })
    }
}

/// An in-memory copy of the lookup keys: resolving a 20,000-line GMT through sled one key at a
/// time would dominate ingest.
pub struct GeneResolver {
    keys: Keys,
}

/// Hashed for the store's resolver; flat and sorted when read back from the enrichment index
/// file (`enrich::compact`), where building a hash map of every key would cost more than the
/// one query the process answers. Both answer through the same [`resolve_with`] rules.
enum Keys {
    Map { keys: HashMap<Vec<u8>, Vec<u32>>, entrez: HashSet<u32> },
    Flat(KeyTable),
}

/// The lookup keys laid out flat: key `i` is `text[text_ends[i-1]..text_ends[i]]` (keys sorted
/// as bytes), its genes `ids[id_ends[i-1]..id_ends[i]]`; `entrez` holds every gene, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyTable {
    pub text: Vec<u8>,
    pub text_ends: Vec<u32>,
    pub ids: Vec<u32>,
    pub id_ends: Vec<u32>,
    pub entrez: Vec<u32>,
}

impl KeyTable {
    fn key(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.text_ends[i - 1] as usize };
        &self.text[start..self.text_ends[i] as usize]
    }

    fn ids(&self, i: usize) -> &[u32] {
        let start = if i == 0 { 0 } else { self.id_ends[i - 1] as usize };
        &self.ids[start..self.id_ends[i] as usize]
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u32>> {
        // One end per key, in key order: the search runs over the ends, and an end's place in
        // its slice (from its address, as the search hands out elements) is its key's number.
        let base = self.text_ends.as_ptr() as usize;
        let number = |end: &u32| (end as *const u32 as usize - base) / std::mem::size_of::<u32>();
        self.text_ends.binary_search_by(|end| self.key(number(end)).cmp(key)).ok().map(|i| self.ids(i).to_vec())
    }

    /// Checks the layout (offsets within bounds and non-decreasing, keys strictly sorted), so a
    /// damaged file is refused rather than answering wrongly or panicking.
    fn validate(&self) -> std::result::Result<(), String> {
        let ends_ok = |ends: &[u32], len: usize| {
            ends.windows(2).all(|w| w[0] <= w[1]) && ends.last().map_or(len == 0, |&e| e as usize == len)
        };
        if self.text_ends.len() != self.id_ends.len() {
            return Err("key and id offsets differ in length".into());
        }
        if !ends_ok(&self.text_ends, self.text.len()) || !ends_ok(&self.id_ends, self.ids.len()) {
            return Err("offsets out of order or out of bounds".into());
        }
        if !(1..self.text_ends.len()).all(|i| self.key(i - 1) < self.key(i)) {
            return Err("keys not sorted".into());
        }
        if !self.entrez.windows(2).all(|w| w[0] < w[1]) {
            return Err("genes not sorted".into());
        }
        Ok(())
    }
}

impl GeneResolver {
    pub fn resolve(&self, query: &GeneQuery) -> Resolution {
        match &self.keys {
            Keys::Map { keys, entrez } => {
                resolve_with(query, |id| entrez.contains(&id), |kind, text| keys.get(&lookup_key(kind, text)).cloned())
            }
            Keys::Flat(t) => {
                resolve_with(query, |id| t.entrez.binary_search(&id).is_ok(), |kind, text| t.get(&lookup_key(kind, text)))
            }
        }
    }

    /// Parses and resolves a raw string; unparseable strings resolve to `NotFound`.
    pub fn resolve_str(&self, raw: &str) -> Resolution {
        match GeneQuery::parse(raw) {
            Ok(q) => self.resolve(&q),
            Err(_) => Resolution::NotFound,
        }
    }

    pub fn gene_count(&self) -> usize {
        match &self.keys {
            Keys::Map { entrez, .. } => entrez.len(),
            Keys::Flat(t) => t.entrez.len(),
        }
    }

    /// The keys laid out flat, to be written to a file and read back with
    /// [`from_table`](Self::from_table).
    pub fn to_table(&self) -> KeyTable {
        match &self.keys {
            Keys::Flat(t) => t.clone(),
            Keys::Map { keys, entrez } => {
                let mut sorted: Vec<(&Vec<u8>, &Vec<u32>)> = keys.iter().collect();
                sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
                let mut t = KeyTable { text: vec![], text_ends: vec![], ids: vec![], id_ends: vec![], entrez: vec![] };
                for (k, ids) in sorted {
                    t.text.extend_from_slice(k);
                    t.text_ends.push(u32::try_from(t.text.len()).expect("keys under 4 GB"));
                    t.ids.extend_from_slice(ids);
                    t.id_ends.push(u32::try_from(t.ids.len()).expect("under 4 billion key genes"));
                }
                t.entrez = entrez.iter().copied().collect();
                t.entrez.sort_unstable();
                t
            }
        }
    }

    /// A resolver over a table from [`to_table`](Self::to_table); a malformed table is refused.
    pub fn from_table(table: KeyTable) -> std::result::Result<Self, String> {
        table.validate()?;
        Ok(Self { keys: Keys::Flat(table) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gene(entrez: u32, symbol: &str, aliases: &[&str]) -> Gene {
        Gene {
            entrez,
            symbol: symbol.into(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn symbol_beats_alias_and_shared_alias_is_ambiguous() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("db")).unwrap();
        // From org.Hs.eg.db: P53 is an alias of TP53; CAP is an alias of CAP1, SORBS1 and five
        // other genes (two of them kept here).
        store
            .upsert_genes(
                vec![
                    gene(7157, "TP53", &["P53", "LFS1"]),
                    gene(10487, "CAP1", &["CAP"]),
                    gene(10580, "SORBS1", &["CAP", "SH3D5"]),
                    gene(4609, "MYC", &["MYCC", "BHLHE39"]),
                ],
                &serde_json::json!({}),
            )
            .unwrap();
        let r = |s: &str| store.resolve(&GeneQuery::parse(s).unwrap()).unwrap();
        assert_eq!(r("tp53"), Resolution::Found(7157));
        assert_eq!(r("p53"), Resolution::Found(7157));
        assert_eq!(r("7157"), Resolution::Found(7157));
        assert_eq!(r("cap"), Resolution::Ambiguous(vec![10487, 10580]));
        assert_eq!(r("NOPE1"), Resolution::NotFound);
        assert_eq!(r("99999"), Resolution::NotFound);
        let mem = store.resolver().unwrap();
        for q in ["tp53", "p53", "7157", "cap", "NOPE1", "mycc"] {
            assert_eq!(mem.resolve_str(q), r(q), "in-memory and store disagree on {q}");
        }
        let flat = GeneResolver::from_table(mem.to_table()).unwrap();
        for q in ["tp53", "p53", "7157", "cap", "NOPE1", "mycc", "99999", "4609", "bhlhe39"] {
            assert_eq!(flat.resolve_str(q), r(q), "flat table and store disagree on {q}");
        }
        assert_eq!(flat.gene_count(), 4);
        let mut bad = mem.to_table();
        bad.text_ends.swap(0, 1);
        assert!(GeneResolver::from_table(bad).is_err());
    }

    #[test]
    fn upsert_replaces_keys_of_changed_genes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("db")).unwrap();
        store.upsert_genes(vec![gene(1, "OLD", &["X1"])], &serde_json::json!({})).unwrap();
        store.upsert_genes(vec![gene(1, "NEW", &["X2"])], &serde_json::json!({})).unwrap();
        let r = |s: &str| store.resolve(&GeneQuery::parse(s).unwrap()).unwrap();
        assert_eq!(r("OLD"), Resolution::NotFound);
        assert_eq!(r("X1"), Resolution::NotFound);
        assert_eq!(r("new"), Resolution::Found(1));
        assert_eq!(store.gene_count(), 1);
    }
}
