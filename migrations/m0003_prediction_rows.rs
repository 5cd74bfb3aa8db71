//! Version 3: a gene's predicted functions are stored per gene and library in order of
//! descending z, in chunks of rows (`model_gene_functions`, with counts in
//! `model_gene_function_counts`; see `store::predictions`), so that a page of them is a short
//! range read. Before, each gene had one value listing every set it was predicted for by set
//! number (`model_gene_predictions`), resolved through `model_set_index`, and a page of ten
//! decoded all of them (thousands for a well-studied gene).
//!
//! Existing predictions are converted, so `model_predictions` stays valid and no new
//! `genekg model predict` is needed. The old trees are dropped only once the new rows are
//! flushed; a conversion killed before that is redone from the start on the next open.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::super::predictions::{count_rows, write_rows, GatheredRow, FUNCTION_COUNT_TREE, FUNCTION_TREE};
use super::super::records::{GeneSet, Library};
use crate::domain::is_untitled_set;
use super::super::decode;

const OLD_GENE_TREE: &str = "model_gene_predictions";
const OLD_SET_INDEX_TREE: &str = "model_set_index";
/// Genes per batch: bounds memory (a gene has up to some tens of thousands of rows).
const GENES_PER_BATCH: usize = 256;

#[derive(Deserialize)]
struct OldGeneHit {
    set: u32,
    probability: f32,
    z: f32,
    rank: u32,
    known: bool,
}

#[derive(Deserialize)]
struct OldSetIndexEntry {
    id: String,
    auroc: Option<f32>,
}

struct SetInfo {
    library: String,
    term: String,
    auroc: Option<f32>,
    untitled: bool,
}

fn corrupt(what: impl std::fmt::Display) -> sled::Error {
    sled::Error::Unsupported(format!("migration 3 (prediction rows): {what}"))
}

pub fn up(db: &sled::Db) -> sled::Result<()> {
    let functions = db.open_tree(FUNCTION_TREE)?;
    let counts_tree = db.open_tree(FUNCTION_COUNT_TREE)?;
    let has_old = db.tree_names().iter().any(|n| n.as_ref() == OLD_GENE_TREE.as_bytes());
    if !has_old {
        db.drop_tree(OLD_SET_INDEX_TREE)?;
        return Ok(());
    }
    functions.clear()?;
    counts_tree.clear()?;
    let old_genes = db.open_tree(OLD_GENE_TREE)?;
    let index = db.open_tree(OLD_SET_INDEX_TREE)?;

    // Set names decide "untitled"; a set whose library was re-ingested since counts as titled
    // (its predictions are stale anyway and `stale_reason` says so).
    let libraries: HashMap<String, u64> = db
        .open_tree("libraries")?
        .iter()
        .values()
        .map(|v| {
            let l: Library = decode("libraries", &v?).map_err(corrupt)?;
            Ok((l.name, l.generation))
        })
        .collect::<sled::Result<_>>()?;
    let sets_tree = db.open_tree("sets")?;
    let mut sets: HashMap<u32, SetInfo> = HashMap::new();
    for kv in index.iter() {
        let (k, v) = kv?;
        let number = u32::from_be_bytes(k.as_ref().try_into().map_err(|_| corrupt("set index key is not a u32"))?);
        let entry: OldSetIndexEntry = decode(OLD_SET_INDEX_TREE, &v).map_err(corrupt)?;
        let (library, term) = entry.id.split_once(':').ok_or_else(|| corrupt(format!("set id {}", entry.id)))?;
        let mut untitled = false;
        if let Some(generation) = libraries.get(library) {
            let mut key = generation.to_be_bytes().to_vec();
            key.extend_from_slice(term.as_bytes());
            if let Some(v) = sets_tree.get(key)? {
                let set: GeneSet = decode("sets", &v).map_err(corrupt)?;
                untitled = is_untitled_set(&set.term, &set.name);
            }
        }
        sets.insert(number, SetInfo { library: library.to_string(), term: term.to_string(), auroc: entry.auroc, untitled });
    }

    let mut genes = old_genes.iter().peekable();
    while genes.peek().is_some() {
        let (mut rows, mut counts) = (sled::Batch::default(), sled::Batch::default());
        for kv in genes.by_ref().take(GENES_PER_BATCH) {
            let (k, v) = kv?;
            let entrez = u32::from_be_bytes(k.as_ref().try_into().map_err(|_| corrupt("gene key is not a u32"))?);
            let hits: Vec<OldGeneHit> = decode(OLD_GENE_TREE, &v).map_err(corrupt)?;
            let mut by_library: BTreeMap<&str, Vec<GatheredRow>> = BTreeMap::new();
            for h in hits {
                let Some(set) = sets.get(&h.set) else { continue };
                by_library.entry(&set.library).or_default().push(GatheredRow {
                    set: h.set,
                    probability: h.probability,
                    z: h.z,
                    rank: h.rank,
                    known: h.known,
                    set_auroc: set.auroc,
                    untitled: set.untitled,
                });
            }
            for (library, list) in by_library {
                count_rows(&mut counts, entrez, library, &list);
                // Every row's set is in `sets` (the others were skipped above).
                write_rows(&mut rows, entrez, library, list, |n| sets[&n].term.as_str());
            }
        }
        functions.apply_batch(rows)?;
        counts_tree.apply_batch(counts)?;
    }
    db.flush()?;
    db.drop_tree(OLD_GENE_TREE)?;
    db.drop_tree(OLD_SET_INDEX_TREE)?;
    Ok(())
}
