//! The training corpus: the stored sets of the chosen libraries, filtered by PMID, and the
//! fingerprint that ties a model to exactly this data and recipe.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::config::{ModelConfig, TrainConfig};
use super::eval::cases::{self, Case};
use super::vocab::Vocab;
use super::{ModelError, Result};
use crate::store::Store;

/// Smallest set that can be reserved for calibration: each half gets 4 genes.
const RESERVE_MIN_GENES: usize = 8;

pub struct CorpusSet {
    /// `LIBRARY:term`.
    pub id: String,
    pub genes: Vec<u32>,
}

pub struct Corpus {
    pub sets: Vec<CorpusSet>,
    /// Sets kept per library.
    pub per_library: BTreeMap<String, usize>,
    /// Sets kept out of training for the probability map (`TrainConfig::calibration_sets`),
    /// in a fixed order: even positions fit the map, odd ones check it (`calibrate.rs`).
    pub reserve: Vec<CorpusSet>,
}

impl Corpus {
    /// Sets of `libraries` (sorted and de-duplicated, so the order of the flag does not change
    /// the model); with `before_pmid`, sets that carry a PMID are kept only below it.
    pub fn load(store: &Store, libraries: &[String], before_pmid: Option<u32>) -> Result<Self> {
        let mut names: Vec<String> = libraries.to_vec();
        names.sort();
        names.dedup();
        if names.is_empty() {
            return Err(ModelError::Invalid("no training libraries given".into()));
        }
        let mut sets = Vec::new();
        let mut per_library = BTreeMap::new();
        for name in &names {
            if store.library(name)?.is_none() {
                let known: Vec<String> = store.libraries()?.into_iter().map(|l| l.name).collect();
                return Err(ModelError::Invalid(format!(
                    "training library `{name}` is not in the store (it has: {}); ingest it first",
                    known.join(", ")
                )));
            }
            let mut kept = 0;
            for set in store.library_sets(name)? {
                if let (Some(cut), Some(pmid)) = (before_pmid, set.pmid) {
                    if pmid >= cut {
                        continue;
                    }
                }
                if set.genes.is_empty() {
                    continue;
                }
                kept += 1;
                sets.push(CorpusSet { id: format!("{name}:{}", set.term), genes: set.genes });
            }
            per_library.insert(name.clone(), kept);
        }
        if sets.is_empty() {
            return Err(ModelError::Invalid(format!("libraries {} hold no training sets", names.join(", "))));
        }
        Ok(Self { sets, per_library, reserve: Vec::new() })
    }

    /// The corpus a recipe trains on: its libraries, PMID cut-off and held-out genes.
    pub fn for_recipe(store: &Store, recipe: &TrainConfig) -> Result<Self> {
        let mut corpus = Self::load(store, &recipe.libraries, recipe.before_pmid)?;
        if let Some(path) = &recipe.hold_out {
            let path = std::path::Path::new(path);
            let file = cases::read_cases(path, &store.resolver()?)?;
            let (sets, genes) = corpus.hold_out(&file.cases);
            if sets == 0 {
                return Err(ModelError::Invalid(format!(
                    "no case in {} names a training set (ids are `LIBRARY:term`, e.g. `GO_BP:GO:0006915`)",
                    path.display()
                )));
            }
            tracing::info!(sets, genes, file = %path.display(), "held-out genes removed from training");
        }
        corpus.take_reserve(recipe.calibration_sets, recipe.seed);
        Ok(corpus)
    }

    /// Moves up to `n` sets (at most a tenth of those with 8 or more genes, so each half of a
    /// set has 4) out of training into `reserve`. Chosen by a hash of the seed and set id, so
    /// the same recipe always reserves the same sets whatever the store's order.
    pub fn take_reserve(&mut self, n: usize, seed: u64) {
        let eligible = self.sets.iter().filter(|s| s.genes.len() >= RESERVE_MIN_GENES).count();
        let n = n.min(eligible / 10);
        if n == 0 {
            return;
        }
        let key = |id: &str| -> [u8; 32] { Sha256::new().chain_update(seed.to_le_bytes()).chain_update(id.as_bytes()).finalize().into() };
        let mut ranked: Vec<([u8; 32], usize)> =
            self.sets.iter().enumerate().filter(|(_, s)| s.genes.len() >= RESERVE_MIN_GENES).map(|(i, s)| (key(&s.id), i)).collect();
        ranked.sort_unstable();
        let mut chosen: Vec<usize> = ranked[..n].iter().map(|&(_, i)| i).collect();
        let order: std::collections::HashMap<usize, usize> = chosen.iter().enumerate().map(|(k, &i)| (i, k)).collect();
        chosen.sort_unstable();
        let mut reserve: Vec<(usize, CorpusSet)> = Vec::with_capacity(n);
        for &i in chosen.iter().rev() {
            let set = self.sets.remove(i);
            if let Some(count) = set.id.split_once(':').and_then(|(lib, _)| self.per_library.get_mut(lib)) {
                *count -= 1;
            }
            reserve.push((order[&i], set));
        }
        reserve.sort_unstable_by_key(|(k, _)| *k);
        self.reserve = reserve.into_iter().map(|(_, s)| s).collect();
    }

    /// The reserve as cases, half of each set hidden: (fit, check), disjoint.
    pub fn reserve_cases(&self, seed: u64) -> (Vec<Case>, Vec<Case>) {
        let half = |parity: usize| {
            cases::split_halves(
                self.reserve.iter().enumerate().filter(|(k, _)| k % 2 == parity).map(|(_, s)| (s.id.clone(), s.genes.as_slice())),
                seed,
                RESERVE_MIN_GENES,
            )
        };
        (half(0), half(1))
    }

    /// Takes each case's held-out genes (sorted, as `read_cases` gives them) out of the training
    /// set with the case's id; sets left empty are dropped. Returns (sets changed, genes removed).
    pub fn hold_out(&mut self, cases: &[Case]) -> (usize, usize) {
        let by_id: std::collections::HashMap<&str, &[u32]> = cases.iter().map(|c| (c.id.as_str(), c.held_out.as_slice())).collect();
        let (mut sets, mut genes) = (0, 0);
        for set in &mut self.sets {
            let Some(held) = by_id.get(set.id.as_str()) else { continue };
            let before = set.genes.len();
            set.genes.retain(|g| held.binary_search(g).is_err());
            if set.genes.len() < before {
                sets += 1;
                genes += before - set.genes.len();
            }
        }
        self.sets.retain(|s| !s.genes.is_empty());
        (sets, genes)
    }

    /// sha256 over the architecture, the recipe and every training set (id and genes): equal
    /// fingerprints mean the same training run, so predictions and checkpoints can be matched
    /// to the model that made them.
    /// The training sets as the model reads them ([`Vocab::encode`]), leaving out sets with no
    /// vocabulary gene: what the epochs, the calibration fit and the gene prior all count over.
    pub fn examples(&self, vocab: &Vocab) -> Vec<Vec<i64>> {
        self.sets
            .iter()
            .map(|s| vocab.encode(&s.genes))
            .filter(|cols| cols.iter().any(|&c| c >= Vocab::first_gene_column() as i64))
            .collect()
    }

    pub fn fingerprint(&self, model: &ModelConfig, recipe: &TrainConfig) -> String {
        let mut h = Sha256::new();
        h.update(serde_json::to_vec(model).expect("config serialises"));
        h.update(serde_json::to_vec(recipe).expect("config serialises"));
        for s in &self.sets {
            h.update(s.id.as_bytes());
            h.update([0u8]);
            for g in &s.genes {
                h.update(g.to_le_bytes());
            }
        }
        hex::encode(h.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hold_out_removes_genes_only_from_the_named_sets() {
        let mut corpus = Corpus {
            sets: vec![CorpusSet { id: "GO_BP:a".into(), genes: vec![1, 2, 3] }, CorpusSet { id: "GO_MF:a".into(), genes: vec![1, 2] }, CorpusSet { id: "GO_BP:b".into(), genes: vec![4] }],
            per_library: BTreeMap::new(),
            reserve: vec![],
        };
        let case = |id: &str, held_out: Vec<u32>| Case { id: id.into(), input: vec![], held_out };
        let (sets, genes) = corpus.hold_out(&[case("GO_BP:a", vec![1, 3, 9]), case("GO_BP:b", vec![4]), case("PubMed:1", vec![2])]);
        assert_eq!((sets, genes), (2, 3));
        let left: Vec<(&str, &[u32])> = corpus.sets.iter().map(|s| (s.id.as_str(), s.genes.as_slice())).collect();
        assert_eq!(left, vec![("GO_BP:a", &[2u32][..]), ("GO_MF:a", &[1u32, 2][..])], "emptied sets are dropped, other libraries untouched");
    }

    #[test]
    fn the_reserve_leaves_training_and_splits_into_disjoint_halves() {
        let make = || {
            let sets: Vec<CorpusSet> = (0..200).map(|i| CorpusSet { id: format!("GO_BP:{i}"), genes: (0..8 + i % 5).collect() }).collect();
            Corpus { sets, per_library: BTreeMap::from([("GO_BP".to_string(), 200)]), reserve: vec![] }
        };
        let mut c = make();
        c.take_reserve(800, 42);
        assert_eq!((c.reserve.len(), c.sets.len(), c.per_library["GO_BP"]), (20, 180, 180), "at most a tenth is reserved");
        let training: std::collections::HashSet<&str> = c.sets.iter().map(|s| s.id.as_str()).collect();
        assert!(c.reserve.iter().all(|s| !training.contains(s.id.as_str())), "reserved sets are not trained on");
        let (fit, check) = c.reserve_cases(42);
        assert_eq!((fit.len(), check.len()), (10, 10));
        assert!(fit.iter().all(|f| check.iter().all(|k| k.id != f.id)), "fit and check halves are disjoint");
        let mut again = make();
        again.sets.reverse();
        again.take_reserve(800, 42);
        let ids = |c: &Corpus| c.reserve.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&again), ids(&c), "the same recipe reserves the same sets whatever the order");
        let mut none = make();
        none.take_reserve(0, 42);
        assert!(none.reserve.is_empty() && none.sets.len() == 200);
    }
}
