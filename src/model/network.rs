//! The GSFM network in libtorch: encoder `V -> 512 -> 256`, decoder `256 -> 256 -> V`
//! (for the default d_model 256, depth 2), Linear + ReLU + dropout between layers and nothing
//! after a block's last layer, exactly as the published `MLP` stacks them. Note that the
//! published model puts no activation between the encoder's output and the decoder's first
//! layer; we keep that so imported weights compute the same function.
//!
//! The first layer is held transposed, `[V, h]`, and applied as an embedding-bag (sum of the
//! rows of the set's genes) instead of a dense `[B, V] x [V, h]` product. Both are the same
//! function (`bag_equals_dense_first_layer` proves it); the bag reads only the rows a batch
//! uses, which is what makes large vocabularies cheap. `genekg model bench` measures both.

use tch::nn::{self, Module};
use tch::{Device, Kind, Reduction, Tensor};

use super::config::{InputNorm, ModelConfig, Objective, WeightedLoss};
use super::vocab::PAD;

/// Name of the transposed first-layer weight inside the var store; the checkpoint writes it
/// back as the published `encoder.layers.0.weight` `[h, V]`.
pub(crate) const FIRST_WEIGHT_T: &str = "encoder.layers.0.weight_t";

/// Gene sets as column lists, ready for the embedding-bag: all columns concatenated, plus where
/// each set starts.
pub struct Batch {
    pub indices: Tensor,
    pub offsets: Tensor,
    pub len: usize,
    /// `1 / sqrt(set size)` per set `[B, 1]`, for L2 input normalisation.
    pub l2_scale: Tensor,
}

impl Batch {
    pub fn new<S: AsRef<[i64]>>(sets: &[S]) -> Self {
        let total: usize = sets.iter().map(|s| s.as_ref().len()).sum();
        let mut indices = Vec::with_capacity(total);
        let mut offsets = Vec::with_capacity(sets.len());
        let mut scale = Vec::with_capacity(sets.len());
        for s in sets {
            offsets.push(indices.len() as i64);
            indices.extend_from_slice(s.as_ref());
            scale.push(1.0 / (s.as_ref().len().max(1) as f32).sqrt());
        }
        Self {
            indices: Tensor::from_slice(&indices),
            offsets: Tensor::from_slice(&offsets),
            len: sets.len(),
            l2_scale: Tensor::from_slice(&scale).view([-1, 1]),
        }
    }

    /// The multi-hot `[B, V]` matrix of the same sets (the dense input, or a target).
    pub fn multi_hot<S: AsRef<[i64]>>(sets: &[S], vocab_size: i64) -> Tensor {
        let mut flat = Vec::new();
        for (row, s) in sets.iter().enumerate() {
            for &c in s.as_ref() {
                if c != PAD as i64 {
                    flat.push(row as i64 * vocab_size + c);
                }
            }
        }
        let mut m = Tensor::zeros([sets.len() as i64 * vocab_size], (Kind::Float, Device::Cpu));
        let _ = m.index_fill_(0, &Tensor::from_slice(&flat), 1.0);
        m.view([sets.len() as i64, vocab_size])
    }
}

/// Inference batches of at most this many rows take [`few_rows_linear`] through the last layer
/// (training never does, so it computes exactly as before).
const FEW_ROWS: i64 = 8;

/// The last layer `x W^T + b` for a few rows, computed as `(W x^T + b)^T`. Why: for 2 to 8 rows
/// libtorch's CPU GEMM (MKL) copies the whole `[V, 256]` weight (20 MB at V = 19,521) into
/// its panel layout on every call (`perf`: that copy took 6x the cycles of the product in
/// `genekg model bench`'s augment); with the weight as the left operand it is read in place.
/// docs/model.md (Benchmarks) has the timings. The values agree to ~1e-6 (the sums run in
/// another order); from 12 rows on MKL takes one path either way and the bits are equal, and
/// batch prediction (hundreds of rows a pass) does not come here.
fn few_rows_linear(layer: &nn::Linear, x: &Tensor) -> Tensor {
    let xt = x.tr();
    let out = match &layer.bs {
        Some(b) => b.unsqueeze(1).addmm(&layer.ws, &xt),
        None => layer.ws.matmul(&xt),
    };
    out.tr().contiguous()
}

pub struct Network {
    pub(crate) vs: nn::VarStore,
    config: ModelConfig,
    first_weight_t: Tensor,
    first_bias: Tensor,
    encoder_rest: Vec<nn::Linear>,
    decoder: Vec<nn::Linear>,
    /// Running positive/negative counts for `WeightedLoss::Balance` (index PAD counts rows).
    balance_counts: Option<Tensor>,
}

impl Network {
    /// A freshly initialised network (PyTorch's default Linear init: U(±1/sqrt(fan_in)) for
    /// weights and biases), on the CPU.
    pub fn new(config: &ModelConfig) -> Self {
        Self::build(config, true)
    }

    /// A network whose weights are about to be overwritten by a checkpoint: zero-initialised, so
    /// loading a model never draws from libtorch's global generator (which would disturb a
    /// training running at the same time and break its reproducibility).
    pub fn for_loading(config: &ModelConfig) -> Self {
        Self::build(config, false)
    }

    fn build(config: &ModelConfig, random_init: bool) -> Self {
        let vs = nn::VarStore::new(Device::Cpu);
        let root = vs.root();
        let enc_dims = config.encoder_dims();
        let dec_dims = config.decoder_dims();
        let uniform = |fan_in: i64| {
            let bound = 1.0 / (fan_in as f64).sqrt();
            if random_init {
                nn::Init::Uniform { lo: -bound, up: bound }
            } else {
                nn::Init::Const(0.0)
            }
        };
        let layer0 = root.sub("encoder").sub("layers").sub("0");
        let first_weight_t = layer0.var("weight_t", &[enc_dims[0], enc_dims[1]], uniform(enc_dims[0]));
        let first_bias = layer0.var("bias", &[enc_dims[1]], uniform(enc_dims[0]));
        let linear = |block: &str, i: usize, a: i64, b: i64| {
            let init = uniform(a);
            nn::linear(
                root.sub(block).sub("layers").sub((3 * i).to_string()),
                a,
                b,
                nn::LinearConfig { ws_init: init, bs_init: Some(init), bias: true },
            )
        };
        let encoder_rest = (1..enc_dims.len() - 1).map(|i| linear("encoder", i, enc_dims[i], enc_dims[i + 1])).collect();
        let decoder = (0..dec_dims.len() - 1).map(|i| linear("decoder", i, dec_dims[i], dec_dims[i + 1])).collect();
        let balance_counts = (config.weighted_loss == WeightedLoss::Balance)
            .then(|| Tensor::ones([config.vocab_size], (Kind::Float, Device::Cpu)));
        Self { vs, config: config.clone(), first_weight_t, first_bias, encoder_rest, decoder, balance_counts }
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// Where the weights live. Batches are built on the CPU and moved here as they are used, so
    /// callers never need to know.
    pub fn device(&self) -> Device {
        self.vs.device()
    }

    /// Moves the weights (and any running loss state) to `device`, in place: every handle on
    /// them follows. An optimizer must be built after the move.
    pub fn to_device(&mut self, device: Device) {
        self.vs.set_device(device);
        self.balance_counts = self.balance_counts.take().map(|t| t.to(device));
    }

    fn hidden(&self, h: Tensor, train: bool) -> Tensor {
        h.relu().dropout(self.config.dropout, train)
    }

    /// Encoder after its first layer: `h` is the first layer's pre-activation.
    fn encode_from_first(&self, mut h: Tensor, train: bool) -> Tensor {
        for layer in &self.encoder_rest {
            h = layer.forward(&self.hidden(h, train));
        }
        h
    }

    /// The set encodings `[B, d_model]` (the published "embedding" of a gene set).
    pub fn encode(&self, batch: &Batch, train: bool) -> Tensor {
        self.encode_from_first(self.first_layer_bag(batch), train)
    }

    pub fn decode(&self, z: &Tensor, train: bool) -> Tensor {
        let mut h = z.shallow_clone();
        let last = self.decoder.len() - 1;
        for (i, layer) in self.decoder.iter().enumerate() {
            if i > 0 {
                h = self.hidden(h, train);
            }
            h = if i == last && !train && h.size()[0] <= FEW_ROWS { few_rows_linear(layer, &h) } else { layer.forward(&h) };
        }
        h
    }

    /// Logits `[B, V]` for a batch of sets.
    pub fn forward(&self, batch: &Batch, train: bool) -> Tensor {
        self.decode(&self.encode(batch, train), train)
    }

    /// The same logits from a dense multi-hot input `[B, V]` (kept for the equality test and
    /// the speed comparison).
    pub fn forward_dense(&self, multi_hot: &Tensor, train: bool) -> Tensor {
        let multi_hot = &multi_hot.to(self.device());
        let x = match self.config.input_norm {
            InputNorm::None => multi_hot.shallow_clone(),
            InputNorm::L2 => multi_hot / multi_hot.sum_dim_intlist(1i64, true, Kind::Float).clamp_min(1.0).sqrt(),
        };
        let h = x.matmul(&self.first_weight_t) + &self.first_bias;
        self.decode(&self.encode_from_first(h, train), train)
    }

    fn first_layer_bag(&self, batch: &Batch) -> Tensor {
        // mode 0 = sum: the multi-hot product, without touching the other V - |S| rows.
        let device = self.device();
        let (sum, _, _, _) = Tensor::embedding_bag::<Tensor>(
            &self.first_weight_t,
            &batch.indices.to(device),
            &batch.offsets.to(device),
            false,
            0,
            false,
            None,
            false,
        );
        match self.config.input_norm {
            InputNorm::None => sum + &self.first_bias,
            InputNorm::L2 => sum * batch.l2_scale.to(device) + &self.first_bias,
        }
    }

    /// The training loss of one batch: BCE-with-logits between the logits for `inputs` and the
    /// multi-hot `targets`, weighted as the config says.
    pub fn loss<S: AsRef<[i64]>>(&mut self, inputs: &[S], targets: &[S], train: bool) -> Tensor {
        let v = self.config.vocab_size;
        let logits = self.forward(&Batch::new(inputs), train);
        let y = Batch::multi_hot(targets, v).to(self.device());
        if self.config.objective == Objective::Multinomial {
            return -(logits.log_softmax(1, Kind::Float) * &y).sum_dim_intlist(1i64, false, Kind::Float).mean(Kind::Float);
        }
        let pos_weight = match self.config.weighted_loss {
            WeightedLoss::None => None,
            WeightedLoss::Unseen => {
                let seen = Batch::multi_hot(inputs, v).to(self.device());
                Some(seen.neg() + 1.0)
            }
            WeightedLoss::Balance => {
                let counts = self.balance_counts.as_mut().expect("balance counts exist for balance loss");
                tch::no_grad(|| {
                    let _ = counts.g_add_(&y.sum_dim_intlist(0i64, false, Kind::Float));
                    let mut rows = counts.get(PAD as i64);
                    let _ = rows.g_add_scalar_(inputs.len() as f64);
                });
                let rows = counts.get(PAD as i64);
                Some(((&rows - &*counts) / &*counts).clamp_min(0.0).unsqueeze(0))
            }
        };
        logits.binary_cross_entropy_with_logits(&y, None::<&Tensor>, pos_weight.as_ref(), Reduction::Mean)
    }

    /// Sets the output bias to each column's log-odds in the training data. The network then
    /// starts at the gene-frequency baseline instead of predicting 0.5 everywhere, so the first
    /// few hundred Adam steps go into the conditional structure rather than into pushing
    /// 20,000 logits down (the usual prior initialisation for rare positives).
    pub fn init_output_bias(&mut self, column_frequency: &[f32]) {
        let last = self.decoder.last_mut().expect("the decoder has layers");
        let bias = last.bs.as_mut().expect("decoder layers have a bias");
        let log_odds: Vec<f32> = column_frequency
            .iter()
            .map(|&p| {
                let p = p.clamp(1e-6, 0.5);
                (p / (1.0 - p)).ln()
            })
            .collect();
        tch::no_grad(|| bias.copy_(&Tensor::from_slice(&log_odds).to(bias.device())));
    }

    /// Named weights in the published layout (first layer back to `[h, V]`), for saving.
    pub fn published_tensors(&self) -> Vec<(String, Tensor)> {
        let mut out: Vec<(String, Tensor)> = self
            .vs
            .variables()
            .into_iter()
            .map(|(name, t)| {
                // Saved from the CPU whatever device trained them.
                let t = t.detach().to(Device::Cpu);
                if name == FIRST_WEIGHT_T {
                    ("encoder.layers.0.weight".to_string(), t.tr().contiguous())
                } else {
                    (name, t)
                }
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Loads weights in the published layout; every tensor must be present with the right shape.
    pub fn load_published(&mut self, tensors: &std::collections::HashMap<String, Tensor>) -> Result<(), String> {
        let mut vars = self.vs.variables();
        let names: Vec<String> = vars.keys().cloned().collect();
        for name in names {
            let (file_name, transpose) = if name == FIRST_WEIGHT_T {
                ("encoder.layers.0.weight".to_string(), true)
            } else {
                (name.clone(), false)
            };
            let src = tensors.get(&file_name).ok_or_else(|| format!("tensor `{file_name}` is missing"))?;
            let src = if transpose { src.tr() } else { src.shallow_clone() };
            let dst = vars.get_mut(&name).expect("name comes from the map");
            if src.size() != dst.size() {
                return Err(format!(
                    "tensor `{file_name}` has shape {:?}, the config needs {:?}",
                    if transpose { src.tr().size() } else { src.size() },
                    if transpose { dst.tr().size() } else { dst.size() }
                ));
            }
            tch::no_grad(|| dst.copy_(&src.to_kind(Kind::Float).to(dst.device())));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bag_equals_dense_first_layer() {
        for norm in [InputNorm::None, InputNorm::L2] {
            tch::manual_seed(1);
            let config = ModelConfig { dropout: 0.0, input_norm: norm, ..ModelConfig::new(300) };
            let net = Network::new(&config);
            let sets: Vec<Vec<i64>> = vec![vec![2, 5, 77, 299], vec![0, 3], vec![10], (2..200).collect()];
            let bag = net.forward(&Batch::new(&sets), false);
            let dense = net.forward_dense(&Batch::multi_hot(&sets, 300), false);
            assert_eq!(bag.size(), vec![4, 300]);
            let diff = f64::try_from((&bag - &dense).abs().max()).unwrap();
            assert!(diff < 1e-4, "{norm:?}: bag and dense logits differ by {diff}");
            // And not trivially: different sets give different logits.
            let d01 = f64::try_from((bag.get(0) - bag.get(1)).abs().max()).unwrap();
            assert!(d01 > 1e-3);
        }
    }

    #[test]
    fn published_layout_round_trips() {
        tch::manual_seed(2);
        let config = ModelConfig::new(50);
        let a = Network::new(&config);
        let tensors: std::collections::HashMap<String, Tensor> = a.published_tensors().into_iter().collect();
        let mut names: Vec<&String> = tensors.keys().collect();
        names.sort();
        assert_eq!(
            names,
            [
                "decoder.layers.0.bias",
                "decoder.layers.0.weight",
                "decoder.layers.3.bias",
                "decoder.layers.3.weight",
                "encoder.layers.0.bias",
                "encoder.layers.0.weight",
                "encoder.layers.3.bias",
                "encoder.layers.3.weight"
            ]
        );
        assert_eq!(tensors["encoder.layers.0.weight"].size(), vec![512, 50]);
        let mut b = Network::for_loading(&config);
        b.load_published(&tensors).unwrap();
        let sets = vec![vec![2i64, 7, 9]];
        let la = a.forward(&Batch::new(&sets), false);
        let lb = b.forward(&Batch::new(&sets), false);
        assert!(la.equal(&lb));
        let mut wrong = tensors;
        wrong.remove("decoder.layers.3.bias");
        assert!(b.load_published(&wrong).unwrap_err().contains("decoder.layers.3.bias"));
    }

    #[test]
    fn multinomial_loss_is_the_softmax_cross_entropy_of_the_members() {
        tch::manual_seed(3);
        let config = ModelConfig { dropout: 0.0, objective: Objective::Multinomial, ..ModelConfig::new(40) };
        let mut net = Network::new(&config);
        let inputs: Vec<Vec<i64>> = vec![vec![2, 3], vec![7]];
        let targets: Vec<Vec<i64>> = vec![vec![2, 3, 9], vec![7, 30]];
        let loss = f64::try_from(net.loss(&inputs, &targets, false)).unwrap();
        // By hand: per set, minus the sum of log softmax over its members; mean over sets.
        let logits = Vec::<Vec<f32>>::try_from(net.forward(&Batch::new(&inputs), false)).unwrap();
        let expected: f64 = logits
            .iter()
            .zip(&targets)
            .map(|(row, members)| {
                let max = row.iter().cloned().fold(f32::MIN, f32::max) as f64;
                let log_z = max + row.iter().map(|&l| (l as f64 - max).exp()).sum::<f64>().ln();
                members.iter().map(|&c| log_z - row[c as usize] as f64).sum::<f64>()
            })
            .sum::<f64>()
            / 2.0;
        assert!((loss - expected).abs() < 1e-4 * expected, "{loss} vs {expected}");
    }
}
