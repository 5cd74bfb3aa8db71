//! What a model is (architecture, [`ModelConfig`]) and how it was trained ([`TrainConfig`]).
//!
//! `ModelConfig` keeps the field names of the published GSFM's `config.json` (the keyword
//! arguments of its `GSFM.__init__`), so a published config can be read as is.

use serde::{Deserialize, Serialize};

pub use super::item_item::ItemItemConfig;
pub use super::comention::CoMentionConfig;
pub use super::prior::GenePriorConfig;

/// How the input multi-hot vector is scaled before the first layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum InputNorm {
    /// The raw multi-hot vector, as published: the first layer sums its genes' rows.
    #[default]
    None,
    /// Divided by its L2 norm (sqrt of the set size), as Mult-DAE does: a 1,000-gene set then
    /// enters on the same scale as a 10-gene one instead of 100 times larger.
    L2,
}

/// How positives are weighted in the BCE loss (the published GSFM's `weighted_loss`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum WeightedLoss {
    /// Plain BCE over every vocabulary column.
    #[default]
    None,
    /// With `partition > 0`: positives that were in the input get weight 0, so the model is
    /// rewarded only for genes it did not see.
    Unseen,
    /// Positive weight (negatives seen / positives seen) per gene, counted while training, so
    /// rare genes matter as much as frequent ones.
    Balance,
}

/// The likelihood the decoder's logits are trained under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Objective {
    /// Independent Bernoulli per gene (BCE-with-logits), as published.
    #[default]
    Bce,
    /// One multinomial over the vocabulary (softmax cross-entropy, Mult-DAE): genes compete
    /// for probability mass, which trains the ranking directly.
    Multinomial,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Columns: `<unk>`, `<pad>` and the genes.
    pub vocab_size: i64,
    #[serde(default = "default_d_model")]
    pub d_model: i64,
    /// Linear layers in the encoder (and in the decoder).
    #[serde(default = "default_depth")]
    pub depth: usize,
    #[serde(default = "default_dropout")]
    pub dropout: f64,
    /// Share of each training set hidden from the input and used as the only target
    /// (0 = reconstruct the whole set; dropout is then the only noise).
    #[serde(default)]
    pub partition: f64,
    #[serde(default)]
    pub weighted_loss: WeightedLoss,
    /// Denoising noise: each input gene is dropped with this probability while the target stays
    /// the whole set, so the model learns to restore missing members without being taught that
    /// the genes it was shown are absent (which `partition` does). Not in the published config;
    /// left out of the JSON when 0, so fingerprints of models without it do not change.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub input_dropout: f64,
    /// Not in the published model; left out of the JSON when `none` (fingerprints unchanged).
    #[serde(default, skip_serializing_if = "is_no_norm")]
    pub input_norm: InputNorm,
    /// Not in the published model; left out of the JSON when `bce` (fingerprints unchanged).
    #[serde(default, skip_serializing_if = "is_bce")]
    pub objective: Objective,
    /// Added to every logit the model returns; fitted after training a multinomial model so
    /// `sigmoid(logit)` is a probability again (see `calibrate.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logit_offset: Option<f64>,
    /// Multiplies every logit before `logit_offset` is added (Platt scaling, `calibrate.rs`):
    /// fitted with the offset so probabilities do not saturate. Always positive, so ranks do not
    /// change. Left out of the JSON when `None` (models calibrated by offset alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logit_scale: Option<f64>,
    /// Logit -> probability, fitted on sets the model did not train on (`calibrate.rs`);
    /// `None` = `sigmoid(logit)` (models from before it). Left out of the JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability_map: Option<super::calibrate::ProbabilityMap>,
    /// Inputs with more vocabulary genes than this are answered as a mixture of chunks of at
    /// most this many (`mixture.rs`); `None` runs every input whole, as published. Not in the
    /// published config; left out of the JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_chunk: Option<usize>,
    /// The gene-to-gene path added to the logits (`item_item.rs`); `None` = the autoencoder
    /// alone, as published. Not in the published config; left out of the JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_item: Option<ItemItemConfig>,
    /// One bias per gene column added to every logit (`prior.rs`); `None` = no prior, as
    /// published. Not in the published config; left out of the JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gene_prior: Option<GenePriorConfig>,
    /// Co-mention in small papers added to the logits of genes outside the input, after the
    /// gene prior (`comention.rs`); `None` = no such path, as published. Not in the published
    /// config; left out of the JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comention: Option<CoMentionConfig>,
}

fn is_bce(o: &Objective) -> bool {
    *o == Objective::Bce
}

fn is_no_norm(n: &InputNorm) -> bool {
    *n == InputNorm::None
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

fn default_d_model() -> i64 {
    256
}
fn default_depth() -> usize {
    2
}
fn default_dropout() -> f64 {
    0.2
}

impl ModelConfig {
    pub fn new(vocab_size: i64) -> Self {
        Self {
            vocab_size,
            d_model: default_d_model(),
            depth: default_depth(),
            dropout: default_dropout(),
            partition: 0.0,
            weighted_loss: WeightedLoss::None,
            input_dropout: 0.0,
            input_norm: InputNorm::None,
            objective: Objective::Bce,
            logit_offset: None,
            logit_scale: None,
            probability_map: None,
            input_chunk: None,
            item_item: None,
            gene_prior: None,
            comention: None,
        }
    }

    /// Widths of the encoder's layers, input first: `V, 512, 256` for depth 2 and d_model 256
    /// (each hidden layer doubles towards the input, as in the published model).
    pub fn encoder_dims(&self) -> Vec<i64> {
        let mut dims = vec![self.vocab_size];
        for n in (2..=self.depth).rev() {
            dims.push(self.d_model << (n - 1));
        }
        dims.push(self.d_model);
        dims
    }

    /// Widths of the decoder's layers: `256, 256, V` for depth 2.
    pub fn decoder_dims(&self) -> Vec<i64> {
        let mut dims = vec![self.d_model];
        for n in 1..self.depth {
            dims.push(self.d_model << (n - 1));
        }
        dims.push(self.vocab_size);
        dims
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.vocab_size < 3 {
            return Err(format!("vocab_size {} leaves no gene columns", self.vocab_size));
        }
        if self.depth == 0 || self.depth > 6 {
            return Err(format!("depth {} is outside 1..=6", self.depth));
        }
        if self.d_model < 2 || self.d_model > 8192 {
            return Err(format!("d_model {} is outside 2..=8192", self.d_model));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(format!("dropout {} is outside [0, 1)", self.dropout));
        }
        if !(0.0..1.0).contains(&self.partition) {
            return Err(format!("partition {} is outside [0, 1)", self.partition));
        }
        if !(0.0..1.0).contains(&self.input_dropout) {
            return Err(format!("input dropout {} is outside [0, 1)", self.input_dropout));
        }
        if self.objective == Objective::Multinomial && self.weighted_loss != WeightedLoss::None {
            return Err("--weighted-loss weights the BCE objective; it has no meaning with --loss multinomial".into());
        }
        if self.input_dropout > 0.0 && self.partition > 0.0 {
            return Err("input dropout and partition are two kinds of input noise; choose one".into());
        }
        if let Some(item_item) = &self.item_item {
            item_item.validate()?;
        }
        if let Some(prior) = &self.gene_prior {
            prior.validate()?;
        }
        if let Some(comention) = &self.comention {
            comention.validate()?;
        }
        Ok(())
    }
}

/// The training recipe. Everything that changes the weights is here, so it goes into the
/// fingerprint; thread count and paths do not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Libraries whose sets are training examples.
    pub libraries: Vec<String>,
    /// Literature sets (those with a PMID) are kept only if their PMID is below this.
    pub before_pmid: Option<u32>,
    /// A gene enters the vocabulary if it is in at least this many training sets.
    pub min_gene_sets: usize,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    /// Multiply the learning rate by this after every epoch (1 = constant).
    pub lr_decay: f64,
    pub seed: u64,
    /// Decoupled weight decay (AdamW); 0 = plain Adam. Left out of the JSON when 0, so
    /// fingerprints of earlier recipes do not change.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub weight_decay: f64,
    /// A cases file (`eval make-cases go-annotations`) whose held-out genes were taken out of
    /// the training sets with the same ids, so an evaluation on it never saw them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_out: Option<String>,
    /// Training sets kept out of training for the probability map: half to fit it, half to
    /// check it (`calibrate.rs`). 0 (older recipes) = none; left out of the JSON when 0.
    #[serde(default, skip_serializing_if = "is_zero_usize")]
    pub calibration_sets: usize,
    /// Papers of 2 to 4 genes (the store's `small_papers`) drawn afresh each epoch and trained on
    /// beside the corpus (`small_papers.rs`); 0 = none, the served recipe. Left out of the JSON
    /// when 0, so fingerprints of earlier recipes do not change.
    #[serde(default, skip_serializing_if = "is_zero_usize")]
    pub small_papers: usize,
}

fn is_zero_usize(n: &usize) -> bool {
    *n == 0
}

/// Sets kept out of training by default for the probability map (~2% of the default corpus).
pub const DEFAULT_CALIBRATION_SETS: usize = 800;

impl Default for TrainConfig {
    /// The default recipe; docs/model.md records the evaluation behind each choice.
    fn default() -> Self {
        Self {
            libraries: ["GO_BP", "GO_MF", "GO_CC", "PubMed"].map(String::from).to_vec(),
            before_pmid: None,
            min_gene_sets: 5,
            epochs: 12,
            batch_size: 256,
            learning_rate: 4e-3,
            lr_decay: 0.85,
            seed: 42,
            weight_decay: 0.0,
            hold_out: None,
            calibration_sets: DEFAULT_CALIBRATION_SETS,
            small_papers: 0,
        }
    }
}

/// A whole training recipe: what is trained on and how ([`TrainConfig`]) and the architecture
/// ([`ModelConfig`], `vocab_size` filled in by training).
///
/// [`Recipe::served`] is the one place the served model's recipe is written down: `genekg train`
/// takes its defaults from it and the tests train it (at fixture scale), so what is tested is
/// what is served. The published GSFM's architecture is [`ModelConfig::new`].
#[derive(Debug, Clone, PartialEq)]
pub struct Recipe {
    pub training: TrainConfig,
    pub architecture: ModelConfig,
}

impl Recipe {
    /// The recipe of the default model; docs/model.md records the evaluation behind each choice.
    pub fn served() -> Self {
        Self {
            training: TrainConfig::default(),
            architecture: ModelConfig {
                input_dropout: 0.5,
                input_norm: InputNorm::L2,
                objective: Objective::Multinomial,
                input_chunk: Some(25),
                item_item: Some(ItemItemConfig { lambda: 500.0, keep: 1024, weight: 0.5 }),
                gene_prior: Some(GenePriorConfig::FITTED),
                comention: Some(CoMentionConfig::FITTED),
                ..ModelConfig::new(3)
            },
        }
    }

    /// The same recipe sized for the 430-gene test fixture: fewer epochs and smaller batches
    /// so a test trains in seconds, everything else (objective, input noise and scale,
    /// chunking, gene-to-gene path, calibration reserve) unchanged.
    pub fn at_fixture_scale(mut self) -> Self {
        self.training.epochs = 6;
        self.training.batch_size = 64;
        self.training.learning_rate = 5e-3;
        self
    }
}

/// Everything `config.json` records: the architecture at the top level (so the published
/// layout stays readable) and how the model came to be.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelFile {
    #[serde(flatten)]
    pub model: ModelConfig,
    #[serde(default)]
    pub training: Option<TrainConfig>,
    /// Training sets per library after filtering.
    #[serde(default)]
    pub training_sets: std::collections::BTreeMap<String, usize>,
    #[serde(default)]
    pub created_at: Option<String>,
    /// Where the weights came from when imported.
    #[serde(default)]
    pub imported_from: Option<String>,
    /// Mean training loss of each finished epoch.
    #[serde(default)]
    pub epoch_losses: Vec<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_widths_follow_the_published_model() {
        let c = ModelConfig::new(1000);
        assert_eq!(c.encoder_dims(), vec![1000, 512, 256]);
        assert_eq!(c.decoder_dims(), vec![256, 256, 1000]);
        let c3 = ModelConfig { depth: 3, ..c.clone() };
        assert_eq!(c3.encoder_dims(), vec![1000, 1024, 512, 256]);
        assert_eq!(c3.decoder_dims(), vec![256, 256, 512, 1000]);
        let c1 = ModelConfig { depth: 1, ..c };
        assert_eq!(c1.encoder_dims(), vec![1000, 256]);
        assert_eq!(c1.decoder_dims(), vec![256, 1000]);
    }

    #[test]
    fn published_config_json_parses() {
        let json = r#"{"vocab_size": 19589, "d_model": 256, "depth": 2, "dropout": 0.2, "partition": 0, "weighted_loss": "none"}"#;
        let f: ModelFile = serde_json::from_str(json).unwrap();
        assert_eq!(f.model.vocab_size, 19589);
        assert_eq!(f.model.weighted_loss, WeightedLoss::None);
        assert!(f.training.is_none());
    }
}
