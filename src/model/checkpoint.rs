//! Reading and writing model directories (see the module docs for the files).
//!
//! A model is saved into a staging directory and swapped into place whole
//! ([`crate::publish`]): a reader, or a save killed midway, sees the old model or the new one.
//! Within a directory `fingerprint` is written last, so a directory with a fingerprint is
//! complete. Checkpoints are written file by file (`NAME.tmp` renamed into place), state last.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tch::Tensor;

use super::config::ModelFile;
use super::item_item::{self, ItemItem};
use super::comention::{self, CoMention};
use super::prior::{self, GenePrior};
use super::network::Network;
use super::vocab::Vocab;
use super::{io_err, ModelError, Result};

pub const WEIGHTS: &str = "model.safetensors";
pub const VOCAB: &str = "vocab.txt";
pub const CONFIG: &str = "config.json";
pub const FINGERPRINT: &str = "fingerprint";
pub const CHECKPOINT_DIR: &str = "checkpoint";
const STATE: &str = "state.json";

/// A loaded model directory.
pub struct ModelDir {
    pub network: Network,
    pub vocab: Vocab,
    pub file: ModelFile,
    pub fingerprint: String,
    /// Present exactly when `file.model.item_item` is.
    pub item_item: Option<ItemItem>,
    /// Present exactly when `file.model.gene_prior` is.
    pub gene_prior: Option<GenePrior>,
    /// Present exactly when `file.model.comention` is.
    pub comention: Option<CoMention>,
}

fn write_atomic(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("")
    ));
    write(&tmp)?;
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

fn write_weights(network: &Network, path: &Path) -> Result<()> {
    let tensors = network.published_tensors();
    write_atomic(path, |tmp| Ok(Tensor::write_safetensors(&tensors, tmp)?))
}

fn read_weights(network: &mut Network, path: &Path) -> Result<()> {
    let tensors: HashMap<String, Tensor> = Tensor::read_safetensors(path)
        .map_err(|e| ModelError::Corrupt { file: path.display().to_string(), reason: e.to_string() })?
        .into_iter()
        .collect();
    network
        .load_published(&tensors)
        .map_err(|reason| ModelError::Corrupt { file: path.display().to_string(), reason })
}

/// Writes a complete model directory, replacing `dir` in one step; other files of `dir` (the
/// saved evaluation, a training checkpoint) are kept. `item_item`, `gene_prior` and `comention`
/// must be given exactly when the config names them.
#[allow(clippy::too_many_arguments)]
pub fn save(dir: &Path, network: &Network, vocab: &Vocab, file: &ModelFile, item_item: Option<&ItemItem>, gene_prior: Option<&GenePrior>, comention: Option<&CoMention>, fingerprint: &str) -> Result<()> {
    let staging = crate::publish::staging(dir).map_err(io_err(dir))?;
    write_dir(&staging, network, vocab, file, item_item, gene_prior, comention, fingerprint)?;
    let owned = [WEIGHTS, VOCAB, CONFIG, FINGERPRINT, item_item::FILE, prior::FILE, comention::FILE];
    crate::publish::publish(&staging, dir, |name| !owned.contains(&name)).map_err(io_err(dir))
}

/// Writes the model's files into `dir` (the fingerprint last), without the swap of [`save`]:
/// for a staging directory of the caller's.
#[allow(clippy::too_many_arguments)]
pub fn write_dir(dir: &Path, network: &Network, vocab: &Vocab, file: &ModelFile, item_item: Option<&ItemItem>, gene_prior: Option<&GenePrior>, comention: Option<&CoMention>, fingerprint: &str) -> Result<()> {
    if file.model.item_item.is_some() != item_item.is_some() {
        return Err(ModelError::Invalid("the config and the item-item weights disagree on whether the model has that path".into()));
    }
    if file.model.gene_prior.is_some() != gene_prior.is_some() {
        return Err(ModelError::Invalid("the config and the gene prior counts disagree on whether the model has a gene prior".into()));
    }
    if file.model.comention.is_some() != comention.is_some() {
        return Err(ModelError::Invalid("the config and the co-mention counts disagree on whether the model has that path".into()));
    }
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    // Whatever was there is no longer complete once we start replacing files.
    let fp = dir.join(FINGERPRINT);
    if fp.exists() {
        std::fs::remove_file(&fp).map_err(io_err(&fp))?;
    }
    write_weights(network, &dir.join(WEIGHTS))?;
    write_atomic(&dir.join(VOCAB), |tmp| vocab.save(tmp))?;
    let item_item_path = dir.join(item_item::FILE);
    match item_item {
        Some(ii) => write_atomic(&item_item_path, |tmp| ii.save(tmp))?,
        None if item_item_path.exists() => std::fs::remove_file(&item_item_path).map_err(io_err(&item_item_path))?,
        None => {}
    }
    let prior_path = dir.join(prior::FILE);
    match gene_prior {
        Some(p) => write_atomic(&prior_path, |tmp| p.save(tmp, vocab))?,
        None if prior_path.exists() => std::fs::remove_file(&prior_path).map_err(io_err(&prior_path))?,
        None => {}
    }
    let comention_path = dir.join(comention::FILE);
    match comention {
        Some(c) => write_atomic(&comention_path, |tmp| c.save(tmp, vocab))?,
        None if comention_path.exists() => std::fs::remove_file(&comention_path).map_err(io_err(&comention_path))?,
        None => {}
    }
    let json = serde_json::to_string_pretty(file).expect("config serialises");
    write_atomic(&dir.join(CONFIG), |tmp| std::fs::write(tmp, &json).map_err(io_err(tmp)))?;
    write_atomic(&fp, |tmp| std::fs::write(tmp, fingerprint).map_err(io_err(tmp)))
}

/// Loads a model directory written by [`save`] (or by `genekg model import`).
pub fn load(dir: &Path) -> Result<ModelDir> {
    let missing = |reason: String| ModelError::Missing { dir: dir.display().to_string(), reason };
    let fp_path = dir.join(FINGERPRINT);
    if !fp_path.is_file() {
        return Err(missing(format!("{} not found (no complete model was saved here)", FINGERPRINT)));
    }
    let fingerprint = std::fs::read_to_string(&fp_path).map_err(io_err(&fp_path))?.trim().to_string();
    let config_path = dir.join(CONFIG);
    let text = std::fs::read_to_string(&config_path).map_err(io_err(&config_path))?;
    let file: ModelFile = serde_json::from_str(&text)
        .map_err(|e| ModelError::Corrupt { file: config_path.display().to_string(), reason: e.to_string() })?;
    file.model
        .validate()
        .map_err(|reason| ModelError::Corrupt { file: config_path.display().to_string(), reason })?;
    let vocab = Vocab::load(&dir.join(VOCAB))?;
    if vocab.size() as i64 != file.model.vocab_size {
        return Err(ModelError::Corrupt {
            file: dir.join(VOCAB).display().to_string(),
            reason: format!("{} columns, but config.json says vocab_size {}", vocab.size(), file.model.vocab_size),
        });
    }
    let mut network = Network::for_loading(&file.model);
    read_weights(&mut network, &dir.join(WEIGHTS))?;
    let item_item = match file.model.item_item {
        Some(_) => Some(ItemItem::load(&dir.join(item_item::FILE), vocab.gene_count())?),
        None => None,
    };
    let gene_prior = match file.model.gene_prior {
        Some(config) => Some(GenePrior::load(&dir.join(prior::FILE), &vocab, config)?),
        None => None,
    };
    let comention = match file.model.comention {
        Some(config) => Some(CoMention::load(&dir.join(comention::FILE), &vocab, config)?),
        None => None,
    };
    Ok(ModelDir { network, vocab, file, fingerprint, item_item, gene_prior, comention })
}

/// Where training stands after a finished epoch, for `--resume`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainState {
    /// Fingerprint of the data and recipe; a checkpoint of another run is never resumed.
    pub fingerprint: String,
    pub epochs_done: usize,
    pub learning_rate: f64,
    pub epoch_losses: Vec<f64>,
    /// Training sets seen so far and seconds spent, for throughput reporting.
    pub sets_seen: u64,
    pub seconds: f64,
}

pub fn checkpoint_dir(model_dir: &Path) -> PathBuf {
    model_dir.join(CHECKPOINT_DIR)
}

pub fn save_checkpoint(model_dir: &Path, network: &Network, state: &TrainState) -> Result<()> {
    let dir = checkpoint_dir(model_dir);
    std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let state_path = dir.join(STATE);
    if state_path.exists() {
        std::fs::remove_file(&state_path).map_err(io_err(&state_path))?;
    }
    write_weights(network, &dir.join(WEIGHTS))?;
    let json = serde_json::to_string_pretty(state).expect("state serialises");
    write_atomic(&state_path, |tmp| std::fs::write(tmp, &json).map_err(io_err(tmp)))
}

/// The checkpoint's state, if one exists; its weights are loaded into `network` only when its
/// fingerprint is `fingerprint`.
pub fn load_checkpoint(model_dir: &Path, network: &mut Network, fingerprint: &str) -> Result<Option<TrainState>> {
    let dir = checkpoint_dir(model_dir);
    let state_path = dir.join(STATE);
    if !state_path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&state_path).map_err(io_err(&state_path))?;
    let state: TrainState = serde_json::from_str(&text)
        .map_err(|e| ModelError::Corrupt { file: state_path.display().to_string(), reason: e.to_string() })?;
    if state.fingerprint != fingerprint {
        return Err(ModelError::Invalid(format!(
            "the checkpoint in {} belongs to another run (data or recipe differ: fingerprint {} vs {}); drop --resume to start over",
            dir.display(),
            &state.fingerprint[..12.min(state.fingerprint.len())],
            &fingerprint[..12.min(fingerprint.len())]
        )));
    }
    read_weights(network, &dir.join(WEIGHTS))?;
    Ok(Some(state))
}

pub fn remove_checkpoint(model_dir: &Path) {
    let _ = std::fs::remove_dir_all(checkpoint_dir(model_dir));
}
