//! Training: Adam on BCE-with-logits or the multinomial likelihood over the corpus, one
//! checkpoint per epoch, and for multinomial models a fitted logit offset at the end.
//!
//! Reproducibility: the shuffle of each epoch comes from a ChaCha generator seeded with
//! `seed` and the epoch number, and libtorch's generator (dropout, initialisation) is re-seeded
//! the same way, so a run resumed after epoch k continues exactly like an uninterrupted one up
//! to Adam's moment estimates, which libtorch's C++ optimizer cannot export: a resumed run
//! restarts them (documented in `genekg train --help`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use tch::nn::OptimizerConfig;
use tch::Device;

use super::checkpoint::{self, TrainState};
use super::calibrate;
use super::config::{ItemItemConfig, ModelConfig, ModelFile, Objective, Recipe, TrainConfig};
use super::corpus::Corpus;
use super::item_item::ItemItem;
use super::comention::{self, CoMention};
use super::prior::GenePrior;
use super::small_papers::{self, SmallPapers};
use super::network::Network;
use super::vocab::Vocab;
use super::{ModelError, Result};
use crate::ingest::Progress;
use crate::store::Store;

pub struct TrainOptions {
    pub recipe: TrainConfig,
    /// Architecture; `vocab_size` is replaced by the size of the vocabulary built here.
    pub architecture: ModelConfig,
    pub out_dir: PathBuf,
    pub resume: bool,
    /// Stop after this many epochs, leaving the checkpoint for a later `--resume` (to split a
    /// long run; the final model is written only when all epochs are done).
    pub stop_after_epochs: Option<usize>,
}

impl TrainOptions {
    /// A fresh run of `recipe` into `out_dir`.
    pub fn new(recipe: Recipe, out_dir: impl Into<PathBuf>) -> Self {
        Self { recipe: recipe.training, architecture: recipe.architecture, out_dir: out_dir.into(), resume: false, stop_after_epochs: None }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    pub out_dir: String,
    pub fingerprint: String,
    pub vocab_size: usize,
    pub parameters: i64,
    pub training_sets: std::collections::BTreeMap<String, usize>,
    pub epochs: usize,
    pub resumed_from_epoch: Option<usize>,
    pub epoch_losses: Vec<f64>,
    pub seconds: f64,
    pub sets_per_second: f64,
}

/// Mixed into the seed of the small papers' draw (`SmallPapers::draw`), so it is not the
/// shuffle's generator.
const SMALL_PAPERS_SEED: u64 = 0x5EED_5A11;

fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(epoch as u64 + 1)
}

/// Splits a set into model input and target: with `partition` p, a random (1-p) share (at
/// least one gene) is the input and the rest the target; with p = 0 both are the whole set.
fn partition_set(cols: &[i64], p: f64, rng: &mut ChaCha8Rng) -> (Vec<i64>, Vec<i64>) {
    if p <= 0.0 || cols.len() < 2 {
        return (cols.to_vec(), cols.to_vec());
    }
    let mut shuffled = cols.to_vec();
    shuffled.shuffle(rng);
    let keep = ((cols.len() as f64 * (1.0 - p)).ceil() as usize).clamp(1, cols.len() - 1);
    let target = shuffled.split_off(keep);
    (shuffled, target)
}

/// Denoising: each gene stays in the input with probability `1 - p` (at least one stays); the
/// target is the whole set.
fn corrupt_set(cols: &[i64], p: f64, rng: &mut ChaCha8Rng) -> (Vec<i64>, Vec<i64>) {
    use rand::Rng;
    let mut kept: Vec<i64> = cols.iter().copied().filter(|_| !rng.gen_bool(p)).collect();
    if kept.is_empty() && !cols.is_empty() {
        kept.push(cols[rng.gen_range(0..cols.len())]);
    }
    (kept, cols.to_vec())
}

/// libtorch's random generator (initialisation, dropout) is global to the process, so two
/// trainings at once would draw from it in an unpredictable order; they take turns instead.
static TRAINING: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn train(store: &Store, opts: &TrainOptions) -> Result<TrainReport> {
    train_on(store, opts, Device::Cpu)
}

/// The device `genekg train --device` names: `cpu`, `cuda` or `cuda:N`. CUDA needs a libtorch
/// built with it (scripts/setup.sh installs the CPU build's runtime; see docs/SCALING.md) and a
/// visible GPU; otherwise this says so before any work is done.
pub fn parse_device(text: &str) -> std::result::Result<Device, String> {
    let device = match text {
        "cpu" => return Ok(Device::Cpu),
        "cuda" => Device::Cuda(0),
        _ => match text.strip_prefix("cuda:").map(str::parse::<usize>) {
            Some(Ok(n)) => Device::Cuda(n),
            _ => return Err(format!("unknown device `{text}`: use cpu, cuda or cuda:N")),
        },
    };
    let gpus = tch::Cuda::device_count() as usize;
    match device {
        Device::Cuda(n) if n < gpus => Ok(device),
        _ if gpus == 0 => Err(format!(
            "--device {text}: this libtorch sees no CUDA GPU (a CPU-only libtorch, no GPU, or no driver); train with --device cpu, or use a CUDA build of libtorch on a machine with an NVIDIA GPU"
        )),
        _ => Err(format!("--device {text}: only {gpus} CUDA GPUs are visible (cuda:0..cuda:{})", gpus - 1)),
    }
}

/// [`train`] with the epochs on `device` (the network is moved back to the CPU for the
/// gene-to-gene fit, calibration and saving, so the saved model is the same kind of file). The
/// recipe's fingerprint does not include the device: a GPU run is the same training run,
/// equal to a CPU run up to floating-point rounding.
pub fn train_on(store: &Store, opts: &TrainOptions, device: Device) -> Result<TrainReport> {
    let _turn = TRAINING.lock().unwrap_or_else(|e| e.into_inner());
    let recipe = &opts.recipe;
    if recipe.epochs == 0 || recipe.batch_size == 0 {
        return Err(ModelError::Invalid("--epochs and --batch-size must be at least 1".into()));
    }
    if !(recipe.learning_rate > 0.0 && recipe.learning_rate < 1.0) {
        return Err(ModelError::Invalid(format!("--lr {} is outside (0, 1)", recipe.learning_rate)));
    }
    if !(0.0..1.0).contains(&recipe.weight_decay) {
        return Err(ModelError::Invalid(format!("--weight-decay {} is outside [0, 1)", recipe.weight_decay)));
    }
    let corpus = Corpus::for_recipe(store, recipe)?;
    let vocab = Vocab::build(corpus.sets.iter().map(|s| s.genes.as_slice()), recipe.min_gene_sets);
    if vocab.gene_count() < 2 {
        return Err(ModelError::Invalid(format!(
            "only {} genes are in at least {} training sets; lower --min-gene-sets",
            vocab.gene_count(),
            recipe.min_gene_sets
        )));
    }
    let mut architecture = ModelConfig { vocab_size: vocab.size() as i64, ..opts.architecture.clone() };
    architecture.validate().map_err(ModelError::Invalid)?;
    if architecture.item_item.is_some() {
        ItemItemConfig::check_genes(vocab.gene_count()).map_err(ModelError::Invalid)?;
    }
    let examples = corpus.examples(&vocab);
    let gene_prior = match architecture.gene_prior {
        Some(config) if store.has_publication_counts()? => Some(GenePrior::count(store, &examples, &vocab, config)?),
        Some(_) => {
            // The weights were fitted with papers beside training sets; half of them would be
            // another prior, so none is better than a wrong one.
            tracing::warn!("the store has no publication counts (a GMT-only store?): training without the gene prior");
            architecture.gene_prior = None;
            None
        }
        None => None,
    };
    let comention = match architecture.comention {
        Some(config) if store.has_small_papers()? => Some(CoMention::count(store, &vocab, config)?),
        Some(_) => {
            tracing::warn!(
                "the store has no small papers (ingested before genekg kept them, or GMT only): training without the co-mention path; \
                 `genekg ingest default --if-empty` adds them"
            );
            architecture.comention = None;
            None
        }
        None => None,
    };
    // Extra examples only: the vocabulary, prior, gene-to-gene path and calibration above and
    // below are the corpus's own (`small_papers.rs`).
    let small = if recipe.small_papers > 0 {
        let small = SmallPapers::load(store, &vocab, recipe.before_pmid)?;
        if small.is_empty() {
            return Err(ModelError::Invalid(
                "--small-papers: the store has no paper of 2 to 4 genes with two vocabulary genes; `genekg ingest default --if-empty` adds the small papers to a store made without them".into(),
            ));
        }
        Some(small)
    } else {
        None
    };
    let per_epoch = examples.len() + small.as_ref().map_or(0, |p| recipe.small_papers.min(p.len()));
    let fingerprint = small_papers::fingerprint_with(
        comention::fingerprint_with(fingerprint_with_prior(corpus.fingerprint(&architecture, recipe), gene_prior.as_ref()), comention.as_ref()),
        small.as_ref(),
    );
    tracing::info!(
        sets = examples.len(),
        small_papers = small.as_ref().map_or(0, |p| p.len()),
        per_epoch,
        vocab = vocab.size(),
        fingerprint = &fingerprint[..12],
        "training corpus ready"
    );

    tch::manual_seed(recipe.seed as i64);
    let mut network = Network::new(&architecture);
    let mut frequency = vec![0f32; vocab.size()];
    for cols in &examples {
        for &c in cols {
            frequency[c as usize] += 1.0 / examples.len() as f32;
        }
    }
    network.init_output_bias(&frequency);
    let parameters: i64 = network.vs.trainable_variables().iter().map(|t| t.numel() as i64).sum();
    let mut state = TrainState {
        fingerprint: fingerprint.clone(),
        epochs_done: 0,
        learning_rate: recipe.learning_rate,
        epoch_losses: vec![],
        sets_seen: 0,
        seconds: 0.0,
    };
    let mut resumed_from_epoch = None;
    if opts.resume {
        if let Some(saved) = checkpoint::load_checkpoint(&opts.out_dir, &mut network, &fingerprint)? {
            tracing::info!(epochs_done = saved.epochs_done, "resuming from checkpoint");
            resumed_from_epoch = Some(saved.epochs_done);
            state = saved;
        } else {
            tracing::info!(dir = %opts.out_dir.display(), "no checkpoint to resume; starting from scratch");
        }
    } else {
        checkpoint::remove_checkpoint(&opts.out_dir);
    }
    // Trained on `device`; everything after the epochs (the gene-to-gene fit, calibration,
    // saving) runs on the CPU.
    network.to_device(device);
    let mut optimizer = if recipe.weight_decay > 0.0 {
        tch::nn::adamw(0.9, 0.999, recipe.weight_decay).build(&network.vs, state.learning_rate)?
    } else {
        tch::nn::adam(0.9, 0.999, 0.0).build(&network.vs, state.learning_rate)?
    };

    let total = (recipe.epochs * per_epoch) as u64;
    let progress = Progress::new("train", total);
    progress.inc((state.epochs_done * per_epoch) as u64);
    let run_started = Instant::now();
    let seconds_before = state.seconds;
    let last_epoch = opts.stop_after_epochs.map_or(recipe.epochs, |n| n.min(recipe.epochs));
    for epoch in state.epochs_done..last_epoch {
        let started = Instant::now();
        let mut rng = ChaCha8Rng::seed_from_u64(epoch_seed(recipe.seed, epoch));
        tch::manual_seed(epoch_seed(recipe.seed, epoch) as i64);
        // The small papers are drawn by a generator of their own, so a run without them
        // shuffles and corrupts exactly as before.
        let drawn = small.as_ref().map_or_else(Vec::new, |p| p.draw(recipe.small_papers, epoch_seed(recipe.seed ^ SMALL_PAPERS_SEED, epoch)));
        let example = |i: usize| -> &[i64] { if i < examples.len() { &examples[i] } else { drawn[i - examples.len()] } };
        let mut order: Vec<usize> = (0..examples.len() + drawn.len()).collect();
        order.shuffle(&mut rng);
        let mut loss_sum = 0.0;
        let mut batches = 0usize;
        for (b, chunk) in order.chunks(recipe.batch_size).enumerate() {
            let (inputs, targets): (Vec<Vec<i64>>, Vec<Vec<i64>>) = chunk
                .iter()
                .map(|&i| {
                    if architecture.input_dropout > 0.0 {
                        corrupt_set(example(i), architecture.input_dropout, &mut rng)
                    } else {
                        partition_set(example(i), architecture.partition, &mut rng)
                    }
                })
                .unzip();
            let loss = network.loss(&inputs, &targets, true);
            optimizer.backward_step(&loss);
            loss_sum += f64::try_from(&loss)?;
            batches += 1;
            progress.inc(chunk.len() as u64);
            if b % 5 == 0 {
                let rate = ((b + 1) * recipe.batch_size) as f64 / started.elapsed().as_secs_f64().max(1e-9);
                progress.set_message(format!(
                    "epoch {}/{} loss {:.5} {:.0} sets/s",
                    epoch + 1,
                    recipe.epochs,
                    loss_sum / batches as f64,
                    rate
                ));
            }
        }
        let epoch_loss = loss_sum / batches.max(1) as f64;
        state.epochs_done = epoch + 1;
        state.epoch_losses.push(epoch_loss);
        state.sets_seen += order.len() as u64;
        state.seconds = seconds_before + run_started.elapsed().as_secs_f64();
        state.learning_rate *= recipe.lr_decay;
        optimizer.set_lr(state.learning_rate);
        checkpoint::save_checkpoint(&opts.out_dir, &network, &state)?;
        tracing::info!(
            epoch = epoch + 1,
            loss = format!("{epoch_loss:.5}"),
            secs = format!("{:.1}", started.elapsed().as_secs_f64()),
            sets_per_sec = format!("{:.0}", order.len() as f64 / started.elapsed().as_secs_f64()),
            "epoch done"
        );
    }
    progress.finish(format!("trained {} of {} epochs", state.epochs_done, recipe.epochs));
    drop(optimizer);
    network.to_device(Device::Cpu);
    if state.epochs_done < recipe.epochs {
        return Ok(TrainReport {
            out_dir: opts.out_dir.display().to_string(),
            fingerprint,
            vocab_size: vocab.size(),
            parameters,
            training_sets: corpus.per_library,
            epochs: state.epochs_done,
            resumed_from_epoch,
            epoch_losses: state.epoch_losses,
            seconds: state.seconds,
            sets_per_second: state.sets_seen as f64 / state.seconds.max(1e-9),
        });
    }

    let item_item = match &architecture.item_item {
        Some(c) => Some(fit_item_item(&examples, vocab.gene_count(), c)?),
        None => None,
    };
    if architecture.objective == Objective::Multinomial {
        let hide = if architecture.input_dropout > 0.0 { architecture.input_dropout } else { 0.5 };
        let blend = item_item.as_ref().zip(architecture.item_item.map(|c| c.weight));
        let c = calibrate::fit(&network, blend, &examples, hide, recipe.seed);
        tracing::info!(scale = format!("{:.5}", c.scale), offset = format!("{:.4}", c.offset), "calibrated the logits");
        architecture.logit_scale = Some(c.scale);
        architecture.logit_offset = Some(c.offset);
    }
    let file = ModelFile {
        model: architecture,
        training: Some(recipe.clone()),
        training_sets: corpus.per_library.clone(),
        created_at: Some(chrono::Utc::now().to_rfc3339()),
        imported_from: None,
        epoch_losses: state.epoch_losses.clone(),
    };
    // The model and its probability map are finished in a staging directory and published
    // together: a run killed in between leaves the previous model, never an uncalibrated one
    // under the final fingerprint.
    let staging = crate::publish::staging(&opts.out_dir).map_err(super::io_err(&opts.out_dir))?;
    checkpoint::write_dir(&staging, &network, &vocab, &file, item_item.as_ref(), gene_prior.as_ref(), comention.as_ref(), &fingerprint)?;
    if !corpus.reserve.is_empty() {
        calibrate::recalibrate(store, &staging, calibrate::HeldOut::Reserve, false)?;
    }
    let owned = |name: &str| name != checkpoint::CHECKPOINT_DIR && !staging.join(name).exists();
    crate::publish::publish(&staging, &opts.out_dir, owned).map_err(super::io_err(&opts.out_dir))?;
    checkpoint::remove_checkpoint(&opts.out_dir);
    Ok(TrainReport {
        out_dir: opts.out_dir.display().to_string(),
        fingerprint,
        vocab_size: vocab.size(),
        parameters,
        training_sets: corpus.per_library,
        epochs: recipe.epochs,
        resumed_from_epoch,
        epoch_losses: state.epoch_losses,
        seconds: state.seconds,
        sets_per_second: state.sets_seen as f64 / state.seconds.max(1e-9),
    })
}

/// The model's fingerprint covers the gene prior's counts: the same recipe and sets on a store
/// with other publication counts make another model. Without a prior it is the corpus's own.
pub fn fingerprint_with_prior(corpus_fingerprint: String, gene_prior: Option<&GenePrior>) -> String {
    match gene_prior {
        None => corpus_fingerprint,
        Some(prior) => {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(format!("{corpus_fingerprint}:gene_prior:{}", prior.digest())))
        }
    }
}

/// Fits the item-item path on the training sets once the epochs are done. It is not
/// checkpointed: it takes well under a minute, and `--resume` after the last epoch refits it.
fn fit_item_item(examples: &[Vec<i64>], genes: usize, config: &ItemItemConfig) -> Result<ItemItem> {
    let sets: Vec<Vec<usize>> = examples.iter().map(|cols| Vocab::gene_indices(cols)).collect();
    let progress = Progress::new("item-item", 1);
    progress.set_message(format!("ridge regression over {genes} genes (lambda {})", config.lambda));
    let started = Instant::now();
    let fitted = ItemItem::fit(&sets, genes, config.lambda, config.keep)?;
    progress.inc(1);
    progress.finish(format!("item-item path fitted in {:.1} s", started.elapsed().as_secs_f64()));
    Ok(fitted)
}

/// True when `dir` holds a complete model.
pub fn model_exists(dir: &Path) -> bool {
    dir.join(checkpoint::FINGERPRINT).is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_hides_genes_and_corruption_keeps_the_whole_target() {
        let cols: Vec<i64> = (2..42).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (input, target) = partition_set(&cols, 0.5, &mut rng);
        assert_eq!((input.len(), target.len()), (20, 20));
        assert!(input.iter().all(|c| !target.contains(c)), "partition: disjoint halves");

        let (input, target) = corrupt_set(&cols, 0.5, &mut rng);
        assert_eq!(target, cols, "corruption: the target is the whole set");
        assert!(input.iter().all(|c| cols.contains(c)) && input.len() < cols.len() && input.len() > 5, "{input:?}");
        // Even at a high drop rate one gene stays.
        for _ in 0..50 {
            assert!(!corrupt_set(&[7], 0.99, &mut rng).0.is_empty());
        }
    }

    #[test]
    fn input_noise_kinds_exclude_each_other() {
        let both = ModelConfig { partition: 0.5, input_dropout: 0.5, ..ModelConfig::new(10) };
        assert!(both.validate().unwrap_err().contains("choose one"));
        // A config without the field (as published) reads as 0 and serialises without it.
        let plain = ModelConfig::new(10);
        assert!(!serde_json::to_string(&plain).unwrap().contains("input_dropout"));
    }
}
