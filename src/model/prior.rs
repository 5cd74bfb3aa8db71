//! Gene priors: one additive bias per gene column, for how likely a gene is to join a set at all.
//!
//! Why: real additions to GO are not a random sample of genes. On the development time split
//! (3.12 -> 3.16, docs/model.md) two counts predict them beyond the model's logit: a gene that
//! many training sets already hold is over-ranked (the logit already favours it), and a gene
//! with many papers is under-ranked (curators reach studied genes first). A logistic regression
//! of "added" on the logit and the two counts gives, per logit unit,
//! `bias = w_sets * ln(1 + training sets) + w_papers * ln(1 + papers)`.
//!
//! The bias is added after the gene-to-gene path, so augment, stored predictions, partners and
//! coverage all serve the same score, and the probability map is fitted on the biased logits.
//! A gene's own ranking of sets (its predicted functions' order) does not move: its bias is the
//! same in every row. The counts are saved with the model (`gene_prior.tsv`), not read from the
//! store, so a model answers the same on any store and its fingerprint covers them.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::vocab::Vocab;
use super::{io_err, ModelError, Result};
use crate::store::Store;

pub const FILE: &str = "gene_prior.tsv";
const HEADER: &str = "entrez\ttraining_sets\tpublications";

/// The weights of the two counts, in logit units per `ln(1 + count)`; part of the model's
/// config and fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GenePriorConfig {
    pub training_sets: f64,
    pub publications: f64,
}

impl GenePriorConfig {
    /// Fitted on the development time split, GO BP, MF and CC cases pooled (9,100 held-out
    /// genes beside 400 sampled candidates per case; `scripts/dev/levers.sh`, docs/model.md).
    /// BP alone gave -0.366 / +0.262, MF -0.257 / +0.073, CC -0.196 / +0.100.
    pub const FITTED: Self = Self { training_sets: -0.33, publications: 0.22 };

    pub fn validate(&self) -> std::result::Result<(), String> {
        if !(self.training_sets.is_finite() && self.publications.is_finite()) {
            return Err(format!("gene prior weights must be finite (got {} and {})", self.training_sets, self.publications));
        }
        Ok(())
    }
}

/// What one gene's bias is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PriorCounts {
    /// Training sets holding the gene.
    pub training_sets: u32,
    /// Papers linked to the gene in the store the model was trained on.
    pub publications: u32,
}

/// The counts of every gene column and the bias they make.
#[derive(Debug, Clone)]
pub struct GenePrior {
    counts: Vec<PriorCounts>,
    bias: Vec<f32>,
}

impl GenePrior {
    /// Counts each vocabulary gene's training sets (`examples`, as [`Vocab::encode`] gives
    /// them) and its papers in `store`. Errors if the store has no publication counts.
    pub fn count(store: &Store, examples: &[Vec<i64>], vocab: &Vocab, config: GenePriorConfig) -> Result<Self> {
        let mut sets = vec![0u32; vocab.gene_count()];
        for cols in examples {
            for g in Vocab::gene_indices(cols) {
                sets[g] += 1;
            }
        }
        let counts = vocab
            .genes()
            .iter()
            .zip(sets)
            .map(|(&entrez, training_sets)| {
                let publications = if entrez == 0 { 0 } else { store.publication_count(entrez)? };
                Ok(PriorCounts { training_sets, publications })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self::from_counts(counts, config))
    }

    pub fn from_counts(counts: Vec<PriorCounts>, config: GenePriorConfig) -> Self {
        let bias = counts
            .iter()
            .map(|c| {
                (config.training_sets * (c.training_sets as f64).ln_1p() + config.publications * (c.publications as f64).ln_1p())
                    as f32
            })
            .collect();
        Self { counts, bias }
    }

    /// The bias of each gene column, in vocabulary order.
    pub fn bias(&self) -> &[f32] {
        &self.bias
    }

    /// The counts behind gene column `index` (0-based, specials left out).
    pub fn counts(&self, index: usize) -> Option<PriorCounts> {
        self.counts.get(index).copied()
    }

    /// Adds the bias to a logit row over the gene columns.
    pub fn add_to(&self, row: &mut [f32]) {
        debug_assert_eq!(row.len(), self.bias.len());
        for (x, b) in row.iter_mut().zip(&self.bias) {
            *x += b;
        }
    }

    /// sha256 of the counts, folded into the model's fingerprint: the same recipe on a store
    /// with other publication counts is another model.
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        for c in &self.counts {
            h.update(c.training_sets.to_le_bytes());
            h.update(c.publications.to_le_bytes());
        }
        hex::encode(h.finalize())
    }

    /// One line per gene column, in vocabulary order, readable as a table.
    pub fn save(&self, path: &Path, vocab: &Vocab) -> Result<()> {
        let mut text = String::with_capacity(self.counts.len() * 16);
        text.push_str(HEADER);
        text.push('\n');
        for (entrez, c) in vocab.genes().iter().zip(&self.counts) {
            text.push_str(&format!("{entrez}\t{}\t{}\n", c.training_sets, c.publications));
        }
        std::fs::write(path, text).map_err(io_err(path))
    }

    /// Reads [`GenePrior::save`]'s file, checking it lists `vocab`'s genes in order.
    pub fn load(path: &Path, vocab: &Vocab, config: GenePriorConfig) -> Result<Self> {
        let corrupt = |reason: String| ModelError::Corrupt { file: path.display().to_string(), reason };
        let text = std::fs::read_to_string(path).map_err(io_err(path))?;
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return Err(corrupt(format!("the first line is not `{}`", HEADER.replace('\t', "<tab>"))));
        }
        let mut counts = Vec::with_capacity(vocab.gene_count());
        for (i, line) in lines.enumerate() {
            let fields: Vec<&str> = line.split('\t').collect();
            let number = |k: usize| -> Result<u32> {
                fields.get(k).and_then(|f| f.parse().ok()).ok_or_else(|| corrupt(format!("line {}: `{line}` is not entrez, training sets, papers", i + 2)))
            };
            let entrez = number(0)?;
            if fields.len() != 3 || vocab.genes().get(i) != Some(&entrez) {
                return Err(corrupt(format!("line {}: gene {entrez} is not column {} of the vocabulary", i + 2, i)));
            }
            counts.push(PriorCounts { training_sets: number(1)?, publications: number(2)? });
        }
        if counts.len() != vocab.gene_count() {
            return Err(corrupt(format!("{} genes, but the vocabulary has {}", counts.len(), vocab.gene_count())));
        }
        Ok(Self::from_counts(counts, config))
    }
}

/// What [`apply`] did.
#[derive(Debug, Serialize)]
pub struct Applied {
    pub fingerprint: String,
    /// Whether the probability map was refitted on the recipe's calibration sets.
    pub recalibrated: bool,
}

/// Gives the model in `dir` this gene prior (`None` removes it), counting its training sets in
/// `store` as its recipe chose them, so a model trained before the prior existed gets the one
/// training would give it without retraining. The probability map is refitted on the recipe's
/// calibration sets (a model without them keeps `sigmoid(logit)`), and the model gets a new
/// fingerprint: its answers change, so stored predictions and indexes count as stale.
pub fn apply(store: &Store, dir: &Path, config: Option<GenePriorConfig>) -> Result<Applied> {
    if let Some(c) = config {
        c.validate().map_err(ModelError::Invalid)?;
    }
    let mut model = super::checkpoint::load(dir)?;
    let recipe = model.file.training.clone().ok_or_else(|| {
        ModelError::Invalid("the model records no training recipe (imported?), so its training sets cannot be counted for a gene prior".into())
    })?;
    if config.is_some() && !store.has_publication_counts()? {
        return Err(ModelError::Invalid(
            "this store has no publication counts, which the gene prior needs; run `genekg ingest default` (or `ingest orgdb`) to add them".into(),
        ));
    }
    let corpus = super::corpus::Corpus::for_recipe(store, &recipe)?;
    let gene_prior = match config {
        Some(c) => {
            let examples = corpus.examples(&model.vocab);
            Some(GenePrior::count(store, &examples, &model.vocab, c)?)
        }
        None => None,
    };
    let fingerprint = hex::encode(Sha256::digest(format!(
        "{}:gene_prior:{}",
        model.fingerprint,
        gene_prior.as_ref().map_or_else(|| "none".to_string(), |p| format!("{:?}:{}", config, p.digest()))
    )));
    model.file.model.gene_prior = config;
    model.gene_prior = gene_prior;
    let recalibrated = super::calibrate::save_and_refit(store, dir, model, &fingerprint)?;
    Ok(Applied { fingerprint, recalibrated })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bias_follows_the_counts_and_round_trips_through_the_file() {
        let vocab = Vocab::from_entrez(vec![7157, 4171, 55101]);
        let counts = vec![
            PriorCounts { training_sets: 900, publications: 10_000 },
            PriorCounts { training_sets: 60, publications: 400 },
            PriorCounts { training_sets: 5, publications: 0 },
        ];
        let prior = GenePrior::from_counts(counts.clone(), GenePriorConfig::FITTED);
        let expected = -0.33 * 901f64.ln() + 0.22 * 10_001f64.ln();
        assert!((prior.bias()[0] as f64 - expected).abs() < 1e-5);
        assert_eq!(prior.bias()[2], (-0.33 * 6f64.ln()) as f32);
        let mut row = vec![1.0f32; 3];
        prior.add_to(&mut row);
        assert_eq!(row[1], 1.0 + prior.bias()[1]);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        prior.save(&path, &vocab).unwrap();
        let back = GenePrior::load(&path, &vocab, GenePriorConfig::FITTED).unwrap();
        assert_eq!(back.bias(), prior.bias());
        assert_eq!(back.digest(), prior.digest());
        assert_eq!(back.counts(1), Some(counts[1]));

        let other = Vocab::from_entrez(vec![7157, 55101, 4171]);
        let err = GenePrior::load(&path, &other, GenePriorConfig::FITTED).unwrap_err().to_string();
        assert!(err.contains("line 3") && err.contains("4171"), "{err}");
    }
}
