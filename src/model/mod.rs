//! The gene set foundation model (GSFM): a denoising autoencoder over a gene vocabulary, trained
//! on the stored gene sets with libtorch (through `tch`), and everything built on it:
//! augmenting gene lists, embeddings, stored per-set and per-gene predictions, and evaluation
//! against simple baselines.
//!
//! # Files of a model directory (default `DATA_DIR/model`)
//! | file                 | content                                                            |
//! |----------------------|--------------------------------------------------------------------|
//! | `model.safetensors`  | weights, named like the published PyTorch checkpoint              |
//! |                      | (`encoder.layers.0.weight` `[512, V]`, `encoder.layers.3.*`, …)     |
//! | `vocab.txt`          | `<unk>`, `<pad>`, then one Entrez id per line, in column order     |
//! | `config.json`        | [`ModelConfig`] (architecture) + the training recipe and data      |
//! | `item_item.safetensors` | the gene-to-gene path, when the config has `item_item`          |
//! |                      | (`item_item.columns`, `item_item.weights`, `[V-2, keep]`)          |
//! | `gene_prior.tsv`     | training sets and papers per gene column, when the config has      |
//! |                      | `gene_prior` (`prior.rs`)                                          |
//! | `comention.tsv`      | gene pairs sharing papers of 2, 3 and 4 genes, when the config has |
//! |                      | `comention` (`comention.rs`)                                       |
//! | `fingerprint`        | sha256 over the training data and the config (see [`train`])      |
//! | `checkpoint/`        | the last finished epoch, for `genekg train --resume`               |
//!
//! # Stored predictions
//! [`predictions::predict_and_store`] writes them through [`crate::store::predictions`], whose
//! trees are listed with the store's others (`crate::store`).
//! The store's `meta` holds `model_predictions` (fingerprint, counts, bytes written). Evaluation
//! summaries live with the model, in `MODEL_DIR/evaluation.json` (see [`eval::EVALUATION_FILE`]).

pub mod calibrate;
pub mod checkpoint;
pub mod comention;
pub mod config;
pub mod corpus;
pub mod coverage;
pub mod eval;
pub mod item_item;
pub mod mixture;
pub mod network;
pub mod predict;
pub mod predictions;
pub mod prior;
pub mod small_papers;
pub mod subsets;
pub mod train;
pub mod vocab;

use thiserror::Error;

pub use config::{InputNorm, ModelConfig, Objective, Recipe, TrainConfig, WeightedLoss};
pub use predict::{Augmented, Gsfm, ScoredGene, MAX_INPUT_GENES};
pub use vocab::Vocab;

#[derive(Debug, Error)]
pub enum ModelError {
    #[error("the gene list is empty")]
    EmptyInput,
    #[error("none of the {count} input genes is in the model's vocabulary (e.g. Entrez {examples:?}); the model knows {vocab} genes")]
    AllUnknown { count: usize, examples: Vec<u32>, vocab: usize },
    #[error("the gene list has {count} distinct genes; the model accepts at most {max}")]
    TooManyGenes { count: usize, max: usize },
    #[error("no model in {dir}: {reason}; train one with `genekg train` or import one with `genekg model import`")]
    Missing { dir: String, reason: String },
    #[error("model file {file}: {reason}")]
    Corrupt { file: String, reason: String },
    #[error("{0}")]
    Invalid(String),
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
    #[error("i/o on {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl From<sled::Error> for ModelError {
    fn from(e: sled::Error) -> Self {
        Self::Store(e.into())
    }
}

pub type Result<T, E = ModelError> = std::result::Result<T, E>;

pub(crate) fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> ModelError + '_ {
    move |source| ModelError::Io { path: path.display().to_string(), source }
}

/// Caps libtorch's intra-op threads. The machine this runs on is shared (two cores in CI), and
/// libtorch would otherwise start one thread per core for every op.
pub fn limit_threads(n: i32) {
    tch::set_num_threads(n.max(1));
}

/// Runs this process again with passive OpenMP waiting, unless the caller chose a wait policy.
/// Returns only when it does not (or when the re-run could not start, logged).
///
/// Why: libtorch's OpenMP threads spin between its parallel regions by default, and in a batch
/// command that runs Rust work beside the forward passes (`genekg model predict`) they spin on
/// the cores that work needs: 42% of that command's cycles were libgomp's, user CPU 123.5 s
/// against 116.2 s with passive waiting, wall 72.2 s against 68.8 s (docs/model.md,
/// Benchmarks). libgomp reads `OMP_WAIT_POLICY` once, when it is loaded with the binary, so
/// setting it from `main` is too late. Serving keeps spinning: an augment call's few small
/// passes answered faster with it.
pub fn rerun_with_passive_openmp() {
    let Some((name, value)) = passive_openmp_env(|v| std::env::var_os(v).is_some()) else { return };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        let mut args = std::env::args_os();
        let arg0 = args.next();
        let Ok(exe) = std::env::current_exe() else { return };
        let mut command = std::process::Command::new(exe);
        if let Some(arg0) = arg0 {
            command.arg0(arg0);
        }
        tracing::debug!("running again with {name}={value}");
        // `exec` returns only on failure; the run then goes on with spinning threads.
        let error = command.args(args).env(name, value).exec();
        tracing::warn!("could not run again with {name}={value} ({error}); OpenMP threads will spin while they wait");
    }
    #[cfg(not(unix))]
    let _ = (name, value);
}

/// The variable [`rerun_with_passive_openmp`] sets, or `None` when the caller set either of
/// libgomp's waiting variables (`is_set` says which are) or this is the re-run.
fn passive_openmp_env(is_set: impl Fn(&str) -> bool) -> Option<(&'static str, &'static str)> {
    const CHOSEN: [&str; 2] = ["OMP_WAIT_POLICY", "GOMP_SPINCOUNT"];
    (!CHOSEN.iter().any(|v| is_set(v))).then_some(("OMP_WAIT_POLICY", "PASSIVE"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passive_waiting_is_set_once_and_never_over_the_callers_choice() {
        assert_eq!(passive_openmp_env(|_| false), Some(("OMP_WAIT_POLICY", "PASSIVE")));
        // The re-run sees its own variable and goes on.
        assert_eq!(passive_openmp_env(|v| v == "OMP_WAIT_POLICY"), None);
        assert_eq!(passive_openmp_env(|v| v == "GOMP_SPINCOUNT"), None);
    }
}
