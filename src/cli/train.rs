use std::path::PathBuf;

use clap::Args;

use super::Context;
use crate::model::train::{train_on, TrainOptions};
use crate::model::config::ItemItemConfig;
use crate::model::{InputNorm, ModelConfig, Objective, Recipe, TrainConfig, WeightedLoss};

/// The served architecture, whose fields are the defaults below.
fn served() -> ModelConfig {
    Recipe::served().architecture
}

fn served_item_item() -> ItemItemConfig {
    served().item_item.expect("the served recipe has a gene-to-gene path")
}

/// Defaults are the served recipe (`Recipe::served`); docs/model.md has the evaluation
/// behind them and the time they take.
#[derive(Args)]
pub struct TrainArgs {
    /// Training libraries, comma-separated [default: GO_BP,GO_MF,GO_CC,PubMed].
    #[arg(long, value_delimiter = ',')]
    libraries: Option<Vec<String>>,
    /// Keep only literature sets with PMID below this (for a temporal evaluation).
    #[arg(long)]
    before_pmid: Option<u32>,
    #[arg(long)]
    epochs: Option<usize>,
    #[arg(long)]
    batch_size: Option<usize>,
    #[arg(long)]
    lr: Option<f64>,
    /// Learning-rate factor applied after each epoch.
    #[arg(long)]
    lr_decay: Option<f64>,
    #[arg(long)]
    seed: Option<u64>,
    /// Cases file (`genekg eval make-cases go-annotations`): its held-out genes are removed
    /// from the training sets with the same ids, for an evaluation on them.
    #[arg(long)]
    hold_out: Option<PathBuf>,
    /// Training sets kept out of training to fit and check the probability map (at most a
    /// tenth of the sets); 0 keeps none, and the probabilities stay `sigmoid(logit)`
    /// [default: 800].
    #[arg(long)]
    calibration_sets: Option<usize>,
    /// Papers of 2 to 4 genes (below the PubMed library's 5) drawn afresh each epoch and
    /// trained on beside the corpus; 0 = none, as served (docs/model.md measures it). The
    /// vocabulary, gene prior, gene-to-gene path and calibration stay the corpus's own.
    #[arg(long, default_value_t = Recipe::served().training.small_papers)]
    small_papers: usize,
    /// Genes in fewer training sets stay out of the vocabulary.
    #[arg(long)]
    min_gene_sets: Option<usize>,
    /// Decoupled weight decay (AdamW); 0 = Adam, as published.
    #[arg(long, default_value_t = Recipe::served().training.weight_decay)]
    weight_decay: f64,
    #[arg(long, default_value_t = served().d_model)]
    d_model: i64,
    #[arg(long, default_value_t = served().depth)]
    depth: usize,
    #[arg(long, default_value_t = served().dropout)]
    dropout: f64,
    /// Share of each set hidden from the input and used as the target (0 = reconstruction).
    #[arg(long, default_value_t = served().partition)]
    partition: f64,
    #[arg(long, value_enum, default_value_t = served().weighted_loss)]
    weighted_loss: WeightedLoss,
    /// Denoising noise: drop each input gene with this probability, keep the whole set as the
    /// target (0 = off, as published) [default: 0.5, or 0 with --partition].
    #[arg(long)]
    input_dropout: Option<f64>,
    /// Scale of the input vector: `l2` (divided by the square root of the set size; the default
    /// recipe, see docs/model.md) or `none` (the raw multi-hot, as the published model).
    #[arg(long, value_enum, default_value_t = served().input_norm)]
    input_norm: InputNorm,
    /// Training objective: `multinomial` (softmax over the vocabulary, as Mult-DAE; see
    /// docs/model.md) or `bce` (a Bernoulli per gene, as published) [default: multinomial, or
    /// bce with --weighted-loss, which weights BCE].
    #[arg(long = "loss", value_enum)]
    objective: Option<Objective>,
    /// Answer inputs with more genes than this as a mixture of chunks of at most this many
    /// (see docs/model.md); 0 runs every input whole, as published.
    #[arg(long, default_value_t = served().input_chunk.unwrap_or(0))]
    input_chunk: usize,
    /// Ridge penalty of the gene-to-gene path added to the autoencoder's logits (see
    /// docs/model.md); 0 leaves the autoencoder alone, as published.
    #[arg(long, default_value_t = served_item_item().lambda)]
    item_item_lambda: f64,
    /// Weights the gene-to-gene path keeps per gene.
    #[arg(long, default_value_t = served_item_item().keep)]
    item_item_keep: usize,
    /// How much the ranking leans on the gene-to-gene path (0 = not at all).
    #[arg(long, default_value_t = served_item_item().weight)]
    item_item_weight: f64,
    /// Model directory [default: DATA_DIR/model].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue from the last finished epoch in OUT/checkpoint (same data and recipe only).
    /// Adam's moment estimates are not saved by libtorch's C++ optimizer and restart.
    #[arg(long)]
    resume: bool,
    /// Stop after N epochs and keep the checkpoint (continue later with --resume).
    #[arg(long)]
    stop_after: Option<usize>,
    /// libtorch threads.
    #[arg(long, default_value_t = 2)]
    threads: i32,
    /// Where the epochs run: `cpu`, or `cuda` / `cuda:N` with a CUDA build of libtorch and an
    /// NVIDIA GPU (docs/SCALING.md works out what the published corpus size needs).
    #[arg(long, default_value = "cpu", value_parser = crate::model::train::parse_device)]
    device: tch::Device,
    /// The served recipe sized for the test fixture (`Recipe::at_fixture_scale`: fewer epochs,
    /// smaller batches), as the tests train it; flags given still override it.
    #[arg(long)]
    fixture_scale: bool,
}

pub fn run(ctx: &Context, args: TrainArgs) -> anyhow::Result<()> {
    let base = if args.fixture_scale { Recipe::served().at_fixture_scale() } else { Recipe::served() };
    let Recipe { training: d, architecture: served } = base;
    let recipe = TrainConfig {
        libraries: args.libraries.unwrap_or(d.libraries),
        before_pmid: args.before_pmid,
        min_gene_sets: args.min_gene_sets.unwrap_or(d.min_gene_sets),
        epochs: args.epochs.unwrap_or(d.epochs),
        batch_size: args.batch_size.unwrap_or(d.batch_size),
        learning_rate: args.lr.unwrap_or(d.learning_rate),
        lr_decay: args.lr_decay.unwrap_or(d.lr_decay),
        seed: args.seed.unwrap_or(d.seed),
        weight_decay: args.weight_decay,
        // Absolute, so `eval holdout` finds it from any directory.
        hold_out: args.hold_out.map(|p| std::fs::canonicalize(&p).unwrap_or(p).display().to_string()),
        calibration_sets: args.calibration_sets.unwrap_or(d.calibration_sets),
        small_papers: args.small_papers,
    };
    let architecture = ModelConfig {
        d_model: args.d_model,
        depth: args.depth,
        dropout: args.dropout,
        partition: args.partition,
        input_chunk: (args.input_chunk > 0).then_some(args.input_chunk),
        item_item: (args.item_item_lambda != 0.0).then_some(ItemItemConfig {
            lambda: args.item_item_lambda,
            keep: args.item_item_keep,
            weight: args.item_item_weight,
        }),
        weighted_loss: args.weighted_loss,
        input_dropout: args.input_dropout.unwrap_or(if args.partition > 0.0 { 0.0 } else { served.input_dropout }),
        input_norm: args.input_norm,
        objective: args.objective.unwrap_or(if args.weighted_loss == WeightedLoss::None {
            served.objective
        } else {
            Objective::Bce
        }),
        ..served
    };
    let out_dir = args.out.unwrap_or_else(|| ctx.paths.model_dir());
    crate::model::limit_threads(args.threads);
    let store = ctx.open_store()?;
    let report = train_on(&store, &TrainOptions { recipe, architecture, out_dir, resume: args.resume, stop_after_epochs: args.stop_after }, args.device)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
