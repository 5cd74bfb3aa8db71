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
        Ok(GeneResolver { keys, entrez })
    }
}

/// An in-memory copy of the lookup keys: resolving a 20,000-line GMT through sled one key at a
/// time would dominate ingest.
pub struct GeneResolver {
    keys: HashMap<Vec<u8>, Vec<u32>>,
    entrez: HashSet<u32>,
}

impl GeneResolver {
    pub fn resolve(&self, query: &GeneQuery) -> Resolution {
        resolve_with(
            query,
            |id| self.entrez.contains(&id),
            |kind, text| self.keys.get(&lookup_key(kind, text)).cloned(),
        )
    }

    /// Parses and resolves a raw string; unparseable strings resolve to `NotFound`.
    pub fn resolve_str(&self, raw: &str) -> Resolution {
        match GeneQuery::parse(raw) {
            Ok(q) => self.resolve(&q),
            Err(_) => Resolution::NotFound,
        }
    }

    pub fn gene_count(&self) -> usize {
        self.entrez.len()
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
