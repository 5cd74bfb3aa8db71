use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use clap::Subcommand;

use super::Context;
use crate::model::checkpoint;
use crate::model::config::ModelFile;
use crate::model::network::{Batch, Network};
use crate::model::predictions::{predict_and_store, PredictionOptions};
use crate::model::{Gsfm, Vocab};
use crate::store::Resolution;

#[derive(Subcommand)]
pub enum ModelCommand {
    /// Import published GSFM weights (safetensors with `encoder.layers.0.weight`, …), their
    /// vocab.txt (gene symbols) and config.json; symbols are mapped to Entrez ids here.
    Import {
        #[arg(long)]
        weights: PathBuf,
        #[arg(long)]
        vocab: PathBuf,
        #[arg(long)]
        config: PathBuf,
        /// Model directory [default: DATA_DIR/model].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run every stored set through the model and store predictions, AUROCs and partners.
    Predict {
        #[arg(long)]
        model: Option<PathBuf>,
        /// New genes kept per set.
        #[arg(long, default_value_t = 200)]
        top_n: usize,
        /// Partners kept per gene.
        #[arg(long, default_value_t = 50)]
        partners: usize,
        #[arg(long, default_value_t = 2)]
        threads: i32,
        /// Skip when the stored predictions are already from this model and the store's data.
        #[arg(long)]
        if_stale: bool,
    },
    /// Score every gene for a gene list and print the top new ones.
    Augment {
        /// Genes, as separate arguments or comma-separated (quoted CSV is read too).
        #[arg(required = true)]
        genes: Vec<String>,
        #[arg(long)]
        model: Option<PathBuf>,
        #[arg(long, default_value_t = 20)]
        top: usize,
    },
    /// Refit the model's probability map on sets it did not train on (the calibration sets its
    /// recipe kept out, or `--cases`) and save it; then run `model predict` and `index build`.
    /// A model from before the logit scale existed also gets its logit fit (Platt scaling).
    Calibrate {
        #[arg(long)]
        model: Option<PathBuf>,
        /// Cases TSV (as for `eval holdout`) the model did not train on, e.g. `eval make-cases
        /// go-annotations` for a model trained `--hold-out` on them [default: the model's
        /// calibration sets].
        #[arg(long)]
        cases: Option<PathBuf>,
        #[arg(long, default_value_t = 2)]
        threads: i32,
    },
    /// Give the model a gene prior (one bias per gene from its training sets and papers; see
    /// docs/model.md) without retraining, or remove it with `--off`; the probability map is
    /// refitted. Then run `model predict` and `index build`.
    Prior {
        #[arg(long)]
        model: Option<PathBuf>,
        /// Weight of ln(1 + training sets) in logit units [default: the fitted one].
        #[arg(long, allow_hyphen_values = true)]
        training_sets: Option<f64>,
        /// Weight of ln(1 + papers) in logit units [default: the fitted one].
        #[arg(long, allow_hyphen_values = true)]
        publications: Option<f64>,
        /// Remove the model's gene prior.
        #[arg(long, conflicts_with_all = ["training_sets", "publications"])]
        off: bool,
        #[arg(long, default_value_t = 2)]
        threads: i32,
    },
    /// Give the model the co-mention path (genes named in papers of 2-4 genes beside the input's;
    /// see docs/model.md) without retraining, or remove it with `--off`; the probability map is
    /// refitted. Then run `model predict` and `index build`.
    Comention {
        #[arg(long)]
        model: Option<PathBuf>,
        /// Weight of ln(1 + c / scale) in logit units [default: the fitted one].
        #[arg(long, allow_hyphen_values = true)]
        weight: Option<f64>,
        /// Co-mention at which the term is weight * ln 2 [default: the fitted one].
        #[arg(long)]
        scale: Option<f64>,
        /// Remove the model's co-mention path.
        #[arg(long, conflicts_with_all = ["weight", "scale"])]
        off: bool,
        #[arg(long, default_value_t = 2)]
        threads: i32,
    },
    /// Print the model's config and fingerprint.
    Info {
        #[arg(long)]
        model: Option<PathBuf>,
        /// One JSON object (`fingerprint`, `config`) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Measure training throughput (embedding-bag vs dense first layer), augment latency and,
    /// with --predict, the time to predict and store every set.
    Bench {
        #[arg(long)]
        model: Option<PathBuf>,
        #[arg(long, value_delimiter = ',', default_value = "128,512")]
        batch_sizes: Vec<usize>,
        /// Training steps timed per variant (after one warm-up step); 0 skips training.
        #[arg(long, default_value_t = 10)]
        steps: usize,
        #[arg(long)]
        predict: bool,
        #[arg(long, default_value_t = 2)]
        threads: i32,
        /// One JSON object instead of lines of text (for scripts/bench.sh).
        #[arg(long)]
        json: bool,
    },
}

pub fn run(ctx: &Context, cmd: ModelCommand) -> anyhow::Result<()> {
    let default_dir = || ctx.paths.model_dir();
    match cmd {
        ModelCommand::Import { weights, vocab, config, out } => {
            let out = out.unwrap_or_else(default_dir);
            let store = ctx.open_store()?;
            let resolver = store.resolver()?;
            let text = std::fs::read_to_string(&config).with_context(|| format!("reading {}", config.display()))?;
            let mut file: ModelFile = serde_json::from_str(&text).with_context(|| format!("parsing {}", config.display()))?;
            let vocab_text = std::fs::read_to_string(&vocab).with_context(|| format!("reading {}", vocab.display()))?;
            let mut unmapped = 0usize;
            let v = Vocab::parse(&vocab_text, |token| match resolver.resolve_str(token) {
                Resolution::Found(id) => Some(id),
                _ => {
                    unmapped += 1;
                    None
                }
            })
            .map_err(|e| anyhow::anyhow!("{}: {e}", vocab.display()))?;
            if v.size() as i64 != file.model.vocab_size {
                anyhow::bail!("{} has {} columns but {} says vocab_size {}", vocab.display(), v.size(), config.display(), file.model.vocab_size);
            }
            file.model.validate().map_err(anyhow::Error::msg)?;
            let mut network = Network::for_loading(&file.model);
            let tensors: std::collections::HashMap<String, tch::Tensor> = tch::Tensor::read_safetensors(&weights)
                .with_context(|| format!("reading {}", weights.display()))?
                .into_iter()
                .collect();
            network.load_published(&tensors).map_err(|e| anyhow::anyhow!("{}: {e}", weights.display()))?;
            file.imported_from = Some(weights.display().to_string());
            // Only the published network is imported; an item-item path would need its own file.
            file.model.item_item = None;
            let bytes = std::fs::read(&weights)?;
            let fingerprint = {
                use sha2::{Digest, Sha256};
                let mut h = Sha256::new();
                h.update(&bytes);
                h.update(vocab_text.as_bytes());
                h.update(text.as_bytes());
                hex::encode(h.finalize())
            };
            checkpoint::save(&out, &network, &v, &file, None, None, None, &fingerprint)?;
            println!(
                "imported {} gene columns ({} symbols not in this catalogue) into {}",
                v.gene_count(),
                unmapped,
                out.display()
            );
        }
        ModelCommand::Predict { model, top_n, partners, threads, if_stale } => {
            crate::model::rerun_with_passive_openmp();
            crate::model::limit_threads(threads);
            let store = ctx.open_store()?;
            let gsfm = Gsfm::load(&model.unwrap_or_else(default_dir))?;
            if if_stale {
                match crate::model::predictions::stale_reason(&store, gsfm.fingerprint(), None)? {
                    None => {
                        tracing::info!(fingerprint = gsfm.fingerprint(), "stored predictions are from this model and data; skipping");
                        return Ok(());
                    }
                    Some(why) => tracing::info!("predicting: {why}"),
                }
            }
            let report = predict_and_store(&store, &gsfm, &PredictionOptions { top_n, partners, ..Default::default() })?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        ModelCommand::Augment { genes, model, top } => {
            let store = ctx.open_store()?;
            let gsfm = Gsfm::load(&model.unwrap_or_else(default_dir))?;
            let list = resolve_gene_args(&store, &genes)?;
            let a = gsfm.augment(&list.genes)?;
            note_out_of_vocabulary(&store, &a.unknown);
            println!("entrez\tsymbol\tprobability\tlogit");
            for g in a.ranked(false).into_iter().take(top) {
                let sym = store.gene(g.entrez)?.map(|x| x.symbol).unwrap_or_default();
                println!("{}\t{}\t{:.4}\t{:.3}", g.entrez, sym, g.probability, g.logit);
            }
        }
        ModelCommand::Calibrate { model, cases, threads } => {
            use crate::model::calibrate::{recalibrate, HeldOut};
            crate::model::limit_threads(threads);
            let store = ctx.open_store()?;
            let dir = model.unwrap_or_else(default_dir);
            let file = match &cases {
                Some(p) => Some(crate::model::eval::cases::read_cases(p, &store.resolver()?)?.cases),
                None => None,
            };
            let held_out = file.as_deref().map_or(HeldOut::Reserve, HeldOut::Cases);
            let fit = recalibrate(&store, &dir, held_out, true)?;
            let gsfm = Gsfm::load(&dir)?;
            let kind = match fit.chosen {
                crate::model::calibrate::ProbabilityMap::Platt { .. } => "platt",
                crate::model::calibrate::ProbabilityMap::Isotonic { .. } => "isotonic",
            };
            println!(
                "{}",
                serde_json::json!({
                    "kept": kind,
                    "fit_cases": fit.fit_cases,
                    "check_cases": fit.isotonic_check.cases,
                    "check_ece": { "platt": fit.platt_check.ece, "isotonic": fit.isotonic_check.ece },
                    "logit_scale": gsfm.config().model.logit_scale,
                    "logit_offset": gsfm.config().model.logit_offset,
                    "fingerprint": gsfm.fingerprint(),
                })
            );
            eprintln!("the model has a new fingerprint: run `genekg model predict` and `genekg index build`");
        }
        ModelCommand::Prior { model, training_sets, publications, off, threads } => {
            use crate::model::prior::GenePriorConfig;
            crate::model::limit_threads(threads);
            let store = ctx.open_store()?;
            let dir = model.unwrap_or_else(default_dir);
            let fitted = GenePriorConfig::FITTED;
            let config = (!off).then(|| GenePriorConfig {
                training_sets: training_sets.unwrap_or(fitted.training_sets),
                publications: publications.unwrap_or(fitted.publications),
            });
            let applied = crate::model::prior::apply(&store, &dir, config)?;
            println!("{}", serde_json::json!({ "gene_prior": config, "recalibrated": applied.recalibrated, "fingerprint": applied.fingerprint }));
            eprintln!("the model has a new fingerprint: run `genekg model predict` and `genekg index build`");
        }
        ModelCommand::Comention { model, weight, scale, off, threads } => {
            use crate::model::comention::CoMentionConfig;
            crate::model::limit_threads(threads);
            let store = ctx.open_store()?;
            let dir = model.unwrap_or_else(default_dir);
            let fitted = CoMentionConfig::FITTED;
            let config = (!off).then(|| CoMentionConfig { weight: weight.unwrap_or(fitted.weight), scale: scale.unwrap_or(fitted.scale) });
            let applied = crate::model::comention::apply(&store, &dir, config)?;
            println!(
                "{}",
                serde_json::json!({ "comention": config, "pairs": applied.pairs, "recalibrated": applied.recalibrated, "fingerprint": applied.fingerprint })
            );
            eprintln!("the model has a new fingerprint: run `genekg model predict` and `genekg index build`");
        }
        ModelCommand::Info { model, json } => {
            let dir = model.unwrap_or_else(default_dir);
            let gsfm = Gsfm::load(&dir)?;
            if json {
                let info = serde_json::json!({ "fingerprint": gsfm.fingerprint(), "config": gsfm.config() });
                println!("{}", serde_json::to_string_pretty(&info)?);
            } else {
                println!("fingerprint {}", gsfm.fingerprint());
                println!("{}", serde_json::to_string_pretty(gsfm.config())?);
            }
        }
        ModelCommand::Bench { model, batch_sizes, steps, predict, threads, json } => {
            crate::model::limit_threads(threads);
            let dir = model.unwrap_or_else(default_dir);
            let gsfm = Gsfm::load(&dir)?;
            let report = bench(ctx, &gsfm, &batch_sizes, steps, predict, !json)?;
            if json {
                println!("{report}");
            }
        }
    }
    Ok(())
}

/// Prints each figure as it is measured (`text`) and returns them all as one JSON object.
/// `steps` 0 leaves the training variants out.
fn bench(ctx: &Context, gsfm: &Gsfm, batch_sizes: &[usize], steps: usize, predict: bool, text: bool) -> anyhow::Result<serde_json::Value> {
    use rand::{Rng, SeedableRng};
    use tch::nn::OptimizerConfig;
    let store = ctx.open_store()?;
    let config = gsfm.config().model.clone();
    // Real training sets (the model's own libraries, or every library), in vocabulary columns.
    let libs: Vec<String> = match &gsfm.config().training {
        Some(t) => t.libraries.clone(),
        None => store.libraries()?.into_iter().map(|l| l.name).collect(),
    };
    let corpus = crate::model::corpus::Corpus::load(&store, &libs, None)?;
    let sets: Vec<Vec<i64>> = corpus.sets.iter().map(|s| gsfm.vocabulary().encode(&s.genes)).collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    if text {
        println!("vocabulary {} columns, {} training sets ({})", config.vocab_size, sets.len(), libs.join(","));
    }
    let mut report = serde_json::json!({ "vocab_size": config.vocab_size, "training_sets": sets.len(), "train": [] });
    for &bs in batch_sizes.iter().filter(|_| steps > 0) {
        for dense in [false, true] {
            let mut net = Network::new(&config);
            let mut opt = tch::nn::adam(0.9, 0.999, 0.0).build(&net.vs, 1e-3)?;
            let mut timed = 0.0;
            for step in 0..=steps {
                let batch: Vec<Vec<i64>> = (0..bs).map(|_| sets[rng.gen_range(0..sets.len())].clone()).collect();
                let started = Instant::now();
                let loss = if dense {
                    let x = Batch::multi_hot(&batch, config.vocab_size);
                    net.forward_dense(&x, true).binary_cross_entropy_with_logits(&x, None::<&tch::Tensor>, None::<&tch::Tensor>, tch::Reduction::Mean)
                } else {
                    net.loss(&batch, &batch, true)
                };
                opt.backward_step(&loss);
                if step > 0 {
                    timed += started.elapsed().as_secs_f64();
                }
            }
            let variant = if dense { "dense" } else { "embedding-bag" };
            let rate = (bs * steps) as f64 / timed;
            if text {
                println!("train  batch {bs:>4} {variant:<13} {rate:>7.0} sets/s");
            }
            report["train"].as_array_mut().expect("an array").push(serde_json::json!({ "batch": bs, "first_layer": variant, "sets_per_second": rate }));
        }
    }
    // Augment: a 100-gene list drawn from the vocabulary, 200 calls.
    let vocab: Vec<u32> = gsfm.vocab().iter().copied().filter(|&g| g != 0).collect();
    let genes: Vec<u32> = (0..100).map(|_| vocab[rng.gen_range(0..vocab.len())]).collect();
    let mut times: Vec<f64> = (0..200)
        .map(|_| {
            let t = Instant::now();
            gsfm.augment(&genes).expect("augment of vocabulary genes");
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    report["augment_100_genes"] = serde_json::json!({ "calls": times.len(), "p50_ms": times[100], "p95_ms": times[190] });
    if text {
        println!("augment 100 genes   p50 {:.2} ms  p95 {:.2} ms", times[100], times[190]);
    }
    if predict {
        let t = Instant::now();
        let r = predict_and_store(&store, gsfm, &PredictionOptions::default())?;
        let secs = t.elapsed().as_secs_f64();
        report["predict"] = serde_json::json!({
            "sets": r.sets, "set_rows": r.set_rows, "partner_rows": r.partner_rows, "seconds": secs,
            "bytes_written": r.bytes_written, "store_growth_bytes": r.store_growth_bytes,
        });
        if text {
            println!(
                "predict+store {} sets, {} set rows, {} partner rows: {:.1} s ({} MB written, store grew {} MB)",
                r.sets,
                r.set_rows,
                r.partner_rows,
                secs,
                r.bytes_written / 1_000_000,
                r.store_growth_bytes / 1_000_000
            );
        }
    }
    Ok(report)
}

/// Resolves gene arguments (commas, spaces and quoted CSV split) with the one gene-list policy,
/// printing a line for every entry left out; an error only when nothing resolves.
pub(super) fn resolve_gene_args(store: &crate::store::Store, genes: &[String]) -> anyhow::Result<crate::store::ResolvedList> {
    let list = store.resolver()?.resolve_list(&crate::store::split_gene_args(genes));
    for note in list.notes(|e| symbol_of(store, e)) {
        eprintln!("{note}");
    }
    if let Some(msg) = list.nothing_resolved() {
        anyhow::bail!(msg);
    }
    Ok(list)
}

/// Says which known input genes the model could not read (they were left out of its input).
pub(super) fn note_out_of_vocabulary(store: &crate::store::Store, genes: &[u32]) {
    for &e in genes {
        eprintln!("{}: not in the model's vocabulary (in too few training sets); left out", symbol_of(store, e));
    }
}

fn symbol_of(store: &crate::store::Store, entrez: u32) -> String {
    store.gene(entrez).ok().flatten().map(|g| g.symbol).unwrap_or_else(|| entrez.to_string())
}
