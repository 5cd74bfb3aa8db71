//! [`Gsfm`]: a loaded model, safe to share across a server's threads.
//!
//! tch tensors are `Send` but not `Sync`, so the network sits behind a `Mutex`: one inference
//! runs at a time, using libtorch's own intra-op threads. On a CPU with a handful of cores that
//! costs nothing (a second concurrent forward pass would only compete for the same cores), and it
//! keeps one copy of the ~15M weights instead of one per worker. Gradients are never recorded
//! here (`no_grad`), and dropout is off.

use std::path::Path;
use std::sync::Mutex;

use rayon::prelude::*;
use serde::Serialize;
use tch::{Device, Kind, Tensor};

use super::checkpoint::{self, ModelDir};
use super::comention::CoMention;
use super::config::ModelFile;
use super::item_item::ItemItem;
use super::mixture;
use super::network::{Batch, Network};
use super::prior::GenePrior;
use super::vocab::Vocab;
use super::{ModelError, Result};

/// Largest gene list [`Gsfm::augment`] accepts. Far above any real gene set a user pastes
/// (the reference site takes 512), and low enough to reject a whole genome pasted by mistake.
pub const MAX_INPUT_GENES: usize = 2_000;

/// Sets per forward pass in batch inference: large enough to amortise the decoder's matrix
/// product, small enough that a `[B, V]` logit block stays around 40 MB.
pub(crate) const INFERENCE_BATCH: usize = 512;

pub struct Gsfm {
    network: Mutex<Network>,
    vocab: Vocab,
    file: ModelFile,
    fingerprint: String,
    item_item: Option<ItemItem>,
    gene_prior: Option<GenePrior>,
    comention: Option<CoMention>,
}

/// Which parts of the model a logit row is made of: everything for serving, less to show each
/// part's share in `genekg eval holdout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    pub item_item: bool,
    pub gene_prior: bool,
    pub comention: bool,
}

impl Parts {
    pub const ALL: Self = Self { item_item: true, gene_prior: true, comention: true };
    pub const AUTOENCODER: Self = Self { item_item: false, gene_prior: false, comention: false };
}

/// One vocabulary gene's score for a gene list.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScoredGene {
    pub entrez: u32,
    pub logit: f32,
    /// The model's probability map at the logit ([`Gsfm::probability`]).
    pub probability: f32,
    /// The gene was in the input list.
    pub input: bool,
}

/// The model's completion of a gene list.
#[derive(Debug, Clone, Serialize)]
pub struct Augmented {
    /// Every vocabulary gene, in vocabulary order.
    pub genes: Vec<ScoredGene>,
    /// Input genes the model used (in its vocabulary), as given.
    pub used: Vec<u32>,
    /// Input genes outside the vocabulary: reported, and left out of the model's input.
    pub unknown: Vec<u32>,
}

impl Augmented {
    /// Genes by descending logit; input genes left out unless `include_input`.
    pub fn ranked(&self, include_input: bool) -> Vec<&ScoredGene> {
        let mut v: Vec<&ScoredGene> = self.genes.iter().filter(|g| include_input || !g.input).collect();
        v.sort_by(|a, b| b.logit.total_cmp(&a.logit));
        v
    }
}

impl Gsfm {
    /// Loads a model directory (default `DATA_DIR/model`).
    pub fn load(dir: &Path) -> Result<Self> {
        Ok(Self::from_dir(checkpoint::load(dir)?))
    }

    pub fn from_dir(dir: ModelDir) -> Self {
        Self {
            network: Mutex::new(dir.network),
            vocab: dir.vocab,
            file: dir.file,
            fingerprint: dir.fingerprint,
            item_item: dir.item_item,
            gene_prior: dir.gene_prior,
            comention: dir.comention,
        }
    }

    /// sha256 of the training data and recipe (or of the imported files).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Entrez ids of the gene columns, in vocabulary order. An imported model may carry symbols
    /// this catalogue does not know; their entries are 0.
    pub fn vocab(&self) -> &[u32] {
        self.vocab.genes()
    }

    pub fn vocabulary(&self) -> &Vocab {
        &self.vocab
    }

    /// The model's gene prior, when it has one: what each gene's bias is made of.
    pub fn gene_prior(&self) -> Option<&GenePrior> {
        self.gene_prior.as_ref()
    }

    /// The model's co-mention path, when it has one (`comention.rs`).
    pub fn comention(&self) -> Option<&CoMention> {
        self.comention.as_ref()
    }

    pub fn config(&self) -> &ModelFile {
        &self.file
    }

    /// The probability that a gene with this logit belongs with the input: the model's
    /// probability map, fitted on sets it did not train on (`calibrate.rs`), or
    /// `sigmoid(logit)` for a model without one.
    pub fn probability(&self, logit: f32) -> f32 {
        match &self.file.model.probability_map {
            Some(map) => map.probability(logit),
            None => super::calibrate::sigmoid(logit as f64) as f32,
        }
    }

    fn with_network<T>(&self, f: impl FnOnce(&Network) -> T) -> T {
        // A panic inside libtorch poisons the lock but leaves the weights untouched (inference
        // never writes them), so the poisoned guard is safe to reuse.
        let guard = self.network.lock().unwrap_or_else(|e| e.into_inner());
        tch::no_grad(|| f(&guard))
    }

    /// Copies each row of a 2-d tensor out once.
    fn rows(t: &Tensor) -> Vec<Vec<f32>> {
        let (b, w) = t.size2().expect("a 2-d output");
        let t = t.contiguous();
        (0..b)
            .map(|i| {
                let mut row = vec![0f32; w as usize];
                t.get(i).copy_data(&mut row, w as usize);
                row
            })
            .collect()
    }

    /// Logits over the gene columns (vocabulary order, specials dropped) for each set.
    /// Sets longer than the model's `input_chunk` are answered as a mixture of chunks
    /// (`mixture.rs`), and the item-item path is added to each row when the model has one
    /// (`item_item.rs`), then the gene prior (`prior.rs`) and the co-mention path (`comention.rs`)
    /// when it has them. Forward passes take
    /// about [`INFERENCE_BATCH`] rows each.
    pub fn logits(&self, sets: &[&[u32]]) -> Vec<Vec<f32>> {
        self.logits_of(sets, Parts::ALL)
    }

    /// [`Gsfm::logits`] made of some parts only, for comparing them (`genekg eval holdout
    /// --method autoencoder` is [`Parts::AUTOENCODER`]). A part the model lacks stays out.
    pub fn logits_of(&self, sets: &[&[u32]], parts: Parts) -> Vec<Vec<f32>> {
        let first = Vocab::first_gene_column() as i64;
        let config = &self.file.model;
        let item_item = self.item_item.as_ref().zip(config.item_item).filter(|_| parts.item_item);
        let gene_prior = self.gene_prior.as_ref().filter(|_| parts.gene_prior);
        let comention = self.comention.as_ref().filter(|_| parts.comention);
        let (first_col, genes) = (first as usize, self.vocab.gene_count());
        let affine = mixture::Affine { scale: config.logit_scale.map(|s| s as f32), offset: config.logit_offset.map(|o| o as f32) };
        let mut out = Vec::with_capacity(sets.len());
        let mut next = 0;
        while next < sets.len() {
            let mut rows: Vec<Vec<i64>> = Vec::new();
            let mut parts_per_set = Vec::new();
            let mut inputs: Vec<Vec<usize>> = Vec::new();
            while next < sets.len() && rows.len() < INFERENCE_BATCH {
                let cols = self.vocab.encode(sets[next]);
                if item_item.is_some() || comention.is_some() {
                    inputs.push(Vocab::gene_indices(&cols));
                }
                let parts = mixture::chunks(&cols, first, config.input_chunk);
                parts_per_set.push(parts.len());
                rows.extend(parts);
                next += 1;
            }
            // The lock is held for the forward pass only: the rest is plain Rust on the block.
            let block = self.with_network(|net| net.forward(&Batch::new(&rows), false).to_device(Device::Cpu).contiguous());
            let width = block.size()[1] as usize;
            let data = cpu_floats(&block);
            let mut starts = Vec::with_capacity(parts_per_set.len());
            let mut row = 0;
            for &n in &parts_per_set {
                starts.push(row);
                row += n;
            }
            // Each input is answered in one go while its rows are in cache: the chunk mixture
            // (`mixture.rs`), then the gene-to-gene path, the prior and the co-mention term.
            let answered: Vec<Vec<f32>> = (0..parts_per_set.len())
                .into_par_iter()
                .map(|i| {
                    let chunks: Vec<&[f32]> = (starts[i]..starts[i] + parts_per_set[i])
                        .map(|r| &data[r * width + first_col..r * width + first_col + genes])
                        .collect();
                    let mut row = mixture::mix_rows(&chunks, affine, config.objective);
                    if let Some((ii, c)) = item_item {
                        ii.blend(&mut row, &inputs[i], c.weight);
                    }
                    if let Some(prior) = gene_prior {
                        prior.add_to(&mut row);
                    }
                    if let Some(c) = comention {
                        c.add_to(&mut row, &inputs[i]);
                    }
                    row
                })
                .collect();
            out.extend(answered);
        }
        out
    }

    /// Encoder outputs (`d_model` floats, 256 by default) for each set, batched. Genes outside
    /// the vocabulary only switch on `<unk>`; an empty set gets the encoding of no genes.
    pub fn embed_sets(&self, sets: &[&[u32]]) -> Vec<Vec<f32>> {
        let mut out = Vec::with_capacity(sets.len());
        for chunk in sets.chunks(INFERENCE_BATCH) {
            let cols: Vec<Vec<i64>> = chunk.iter().map(|s| self.vocab.encode(s)).collect();
            let block = self.with_network(|net| net.encode(&Batch::new(&cols), false));
            out.extend(Self::rows(&block));
        }
        out
    }

    /// One embedding per vocabulary gene: the encoding of the single-gene set `{g}`. We use
    /// this rather than the first layer's weight column because it lives in the same 256-d
    /// space as [`Gsfm::embed_sets`], so genes and sets can share one neighbourhood index.
    pub fn gene_embeddings(&self) -> Vec<(u32, Vec<f32>)> {
        let genes: Vec<u32> = self.vocab.genes().iter().copied().filter(|&g| g != 0).collect();
        let singles: Vec<[u32; 1]> = genes.iter().map(|&g| [g]).collect();
        let refs: Vec<&[u32]> = singles.iter().map(|s| s.as_slice()).collect();
        genes.into_iter().zip(self.embed_sets(&refs)).collect()
    }

    /// The gene-to-gene weight each of `members` gives `gene` (`B[member, gene]` of the
    /// item-item path): how much each member alone pushes `gene`'s score for a set holding it,
    /// largest first. `None` when the model has no such path or `gene` is outside the vocabulary;
    /// members outside it are left out.
    pub fn gene_to_gene_weights(&self, members: &[u32], gene: u32) -> Option<Vec<(u32, f32)>> {
        let ii = self.item_item.as_ref()?;
        let first = Vocab::first_gene_column();
        let to = self.vocab.column(gene)?.checked_sub(first)?;
        let mut out: Vec<(u32, f32)> = members
            .iter()
            .filter(|&&m| m != gene)
            .filter_map(|&m| self.vocab.column(m).and_then(|c| c.checked_sub(first)).map(|from| (m, ii.weight(from, to))))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Some(out)
    }

    /// Splits genes into those the model reads (in its vocabulary) and those it cannot, keeping
    /// order. User lists go in without the latter (see [`Gsfm::augment`]).
    pub fn split_vocabulary(&self, genes: &[u32]) -> (Vec<u32>, Vec<u32>) {
        genes.iter().partition(|&&g| self.vocab.column(g).is_some())
    }

    /// Scores every vocabulary gene for a gene list (Entrez ids). Errors: an empty list, more
    /// than [`MAX_INPUT_GENES`] distinct genes, or no gene in the vocabulary.
    pub fn augment(&self, genes: &[u32]) -> Result<Augmented> {
        let mut distinct: Vec<u32> = genes.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.is_empty() {
            return Err(ModelError::EmptyInput);
        }
        if distinct.len() > MAX_INPUT_GENES {
            return Err(ModelError::TooManyGenes { count: distinct.len(), max: MAX_INPUT_GENES });
        }
        let (used, unknown) = self.split_vocabulary(&distinct);
        if used.is_empty() {
            return Err(ModelError::AllUnknown {
                count: unknown.len(),
                examples: unknown.iter().take(5).copied().collect(),
                vocab: self.vocab.gene_count(),
            });
        }
        // Only the genes the model reads go in: an out-of-vocabulary gene would switch on the
        // `<unk>` column, which shifts every logit, so a gene the model cannot read would change
        // its answer (MCM6's logit fell from 150 to 121 when LOC100128288 was added).
        let logits = self.logits(&[&used]).pop().expect("one set in, one row out");
        // Input genes marked by gene column, rather than a hash-set lookup per vocabulary gene.
        let mut input = vec![false; logits.len()];
        for c in Vocab::gene_indices(&self.vocab.encode(&used)) {
            input[c] = true;
        }
        let scored = self
            .vocab
            .genes()
            .iter()
            .zip(logits)
            .zip(input)
            .filter(|((&g, _), _)| g != 0)
            .map(|((&entrez, logit), input)| ScoredGene { entrez, logit, probability: self.probability(logit), input })
            .collect();
        Ok(Augmented { genes: scored, used, unknown })
    }
}

/// A CPU float tensor's values in place, without copying them out: batch prediction reads
/// hundreds of ~40 MB logit blocks, and a copy of each cost as much as reading it.
fn cpu_floats(t: &Tensor) -> &[f32] {
    assert!(t.device() == Device::Cpu && t.kind() == Kind::Float && t.is_contiguous(), "a contiguous f32 CPU tensor");
    let n = t.numel();
    if n == 0 {
        return &[];
    }
    // SAFETY: the tensor is contiguous f32 on the CPU, so its storage holds `n` floats from
    // `data_ptr`; the slice borrows `t`, which keeps the storage alive and is not written.
    unsafe { std::slice::from_raw_parts(t.data_ptr() as *const f32, n) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn gsfm_can_be_shared_by_a_server() {
        assert_send_sync::<Gsfm>();
    }
}
