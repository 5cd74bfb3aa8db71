//! The training corpus: the stored sets of the chosen libraries, filtered by PMID, and the
//! fingerprint that ties a model to exactly this data and recipe.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::config::{ModelConfig, TrainConfig};
use super::{ModelError, Result};
use crate::store::Store;

pub struct CorpusSet {
    /// `LIBRARY:term`.
    pub id: String,
    pub genes: Vec<u32>,
}

pub struct Corpus {
    pub sets: Vec<CorpusSet>,
    /// Sets kept per library.
    pub per_library: BTreeMap<String, usize>,
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
        Ok(Self { sets, per_library })
    }

    /// sha256 over the architecture, the recipe and every training set (id and genes): equal
    /// fingerprints mean the same training run, so predictions and checkpoints can be matched
    /// to the model that made them.
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
