use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;

use super::Context;
use crate::model::corpus::Corpus;
use crate::model::eval::baselines::{Cooccurrence, Frequency, Random, Scorer};
use crate::model::eval::{self, cases, Method};
use crate::model::Gsfm;

#[derive(Subcommand)]
pub enum EvalCommand {
    /// Accuracy of the question parser (intent and entities) on a corpus of questions.
    Questions {
        /// JSON lines `{"q", "intent", "genes", "terms", "unknown", "ambiguous"}` [default: the
        /// bundled corpus, tests/nl/questions.jsonl, written for the test fixture's data].
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Hide genes, predict them: ROC AUC, average precision and ES per case, summarised.
    Holdout {
        /// TSV with header `id<TAB>input<TAB>held_out`, genes comma-separated.
        #[arg(long)]
        cases: PathBuf,
        /// Methods, comma-separated. `autoencoder` is the model without its item-item path.
        #[arg(long, value_enum, value_delimiter = ',', default_value = "gsfm")]
        method: Vec<Method>,
        /// Model directory [default: DATA_DIR/model]. Its vocabulary is every method's
        /// candidate list and its training sets are the baselines' data.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Training libraries for the baselines when the model does not record them (imported).
        #[arg(long, value_delimiter = ',')]
        libraries: Option<Vec<String>>,
        #[arg(long)]
        json: bool,
        /// Include per-case figures in the JSON.
        #[arg(long)]
        per_case: bool,
        /// Save the summaries in the model directory (`evaluation.json`), where `meta.model`
        /// of the API reads them.
        #[arg(long)]
        save: bool,
        #[arg(long, default_value_t = 2)]
        threads: i32,
        /// Instead of scoring: write each case's held-out genes and 400 sampled other candidates
        /// with the model's logit, co-occurrence and frequency (raw and z within the case) to
        /// this TSV, for fitting combinations outside genekg (scripts/dev/levers.sh).
        #[arg(long)]
        features_out: Option<PathBuf>,
        /// Instead of the methods: score the model with each rule that also reads the case's
        /// sub-sets (the maximal sets of its library inside its input; `model::subsets`) and
        /// print each rule's summary and each case's sub-set count as JSON (docs/model.md,
        /// "Levers measured").
        #[arg(long, value_enum, value_delimiter = ',')]
        sub_set_rules: Option<Vec<crate::model::subsets::Rule>>,
        /// With `--sub-set-rules`: every set of the library inside the input, not only the
        /// maximal ones.
        #[arg(long, requires = "sub_set_rules")]
        all_sub_sets: bool,
    },
    /// Reliability of the model's probabilities: predicted against observed rate of held-out
    /// members per probability bin (docs/model.md). By default on the sets the model's recipe
    /// kept out of training (the half not used to fit its probability map).
    Calibration {
        /// Cases TSV as for `holdout` (e.g. `make-cases go-annotations` with a model trained
        /// `--hold-out` on it).
        #[arg(long, conflicts_with = "library")]
        cases: Option<PathBuf>,
        /// The sets of this library with half of each hidden [default without calibration sets:
        /// GO_BP]; in-sample when the model trained on it.
        #[arg(long)]
        library: Option<String>,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Cases used at most (the first of the split).
        #[arg(long, default_value_t = 1000)]
        max_cases: usize,
        #[arg(long, default_value_t = 10)]
        bins: usize,
        /// Model directory [default: DATA_DIR/model].
        #[arg(long)]
        model: Option<PathBuf>,
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 2)]
        threads: i32,
    },
    /// Model-augmented enrichment on lists with a known answer: a few random members of a
    /// stored set as the query, and where each result order puts that set (docs/enrichment.md).
    EnrichmentRecovery {
        #[arg(long, default_value = "GO_BP")]
        library: String,
        #[arg(long, default_value_t = 100)]
        cases: usize,
        /// Genes per query.
        #[arg(long, default_value_t = 3)]
        query_size: usize,
        /// Source sets have this many genes in the model's vocabulary.
        #[arg(long, default_value_t = 15)]
        min_set: usize,
        #[arg(long, default_value_t = 200)]
        max_set: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Model directory [default: DATA_DIR/model].
        #[arg(long)]
        model: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Per gene, on a time split: how well the terms that later gained a gene rank among all
    /// case terms, for genes outside the model's vocabulary (answered from their stored sets)
    /// and vocabulary genes with few publications (docs/model.md, Coverage).
    Coverage {
        /// Cases TSV as for `holdout` (`make-cases time-split`); without it, only the census of
        /// protein-coding genes by the evidence behind their answers.
        #[arg(long)]
        cases: Option<PathBuf>,
        /// Model directory [default: DATA_DIR/model].
        #[arg(long)]
        model: Option<PathBuf>,
        /// Publications at most for the few-publications group.
        #[arg(long, default_value_t = 10)]
        max_publications: u32,
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 2)]
        threads: i32,
    },
    /// Write evaluation cases (TSV) built from the store.
    #[command(subcommand)]
    MakeCases(MakeCases),
}

#[derive(Subcommand)]
pub enum MakeCases {
    /// Each set of a library split 50/50. Train without this library before evaluating: GO
    /// terms share genes with their ancestors, so training on it leaks held-out genes.
    RandomSplit {
        #[arg(long)]
        library: String,
        #[command(flatten)]
        split: SplitArgs,
    },
    /// Literature sets with PMID >= N, split 50/50; train with `--before-pmid N` first.
    LiteratureAfter {
        #[arg(long)]
        pmid: u32,
        #[arg(long, default_value = "PubMed")]
        library: String,
        #[command(flatten)]
        split: SplitArgs,
    },
    /// A simulated later GO release: a random share of the direct GO annotations is hidden and
    /// the rest propagated; each term's hidden genes are the targets and its remaining genes
    /// the input. Train with `--hold-out FILE` (which removes the hidden genes from training)
    /// and keep GO in training, as the default model does.
    GoAnnotations {
        /// BP, MF or CC.
        #[arg(long, default_value = "BP")]
        ontology: String,
        /// Share of direct annotations hidden.
        #[arg(long, default_value_t = 0.1)]
        share: f64,
        /// Directory with org.Hs.eg.sqlite and GO.sqlite [default: DATA_DIR/source].
        #[arg(long)]
        source_dir: Option<PathBuf>,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Output file [default: stdout].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// A real GO time split: the terms of an older release (`--old`, e.g. data/dev-source from
    /// scripts/fetch-dev-data.sh), input = their genes there, held out = the genes the newer
    /// release (`--new`, default DATA_DIR/source) added. Evaluate a model trained on a store
    /// ingested from `--old` alone (docs/model.md, "Development time split").
    TimeSplit {
        /// BP, MF or CC.
        #[arg(long, default_value = "BP")]
        ontology: String,
        /// Directory with the older org.Hs.eg.sqlite and GO.sqlite.
        #[arg(long)]
        old: PathBuf,
        /// Directory with the newer ones [default: DATA_DIR/source].
        #[arg(long)]
        new: Option<PathBuf>,
        /// Output file [default: stdout].
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// BP, MF or CC (any case), or an error naming the flag's value.
/// Negatives sampled per case by `--features-out`: with every positive kept, 400 estimate a
/// case's AUROC within about 0.01 and keep the file near 1.3M rows for 3,000 cases.
const FEATURE_NEGATIVES: usize = 400;

fn ontology_arg(ontology: &str) -> anyhow::Result<String> {
    let ontology = ontology.to_ascii_uppercase();
    if !["BP", "MF", "CC"].contains(&ontology.as_str()) {
        anyhow::bail!("--ontology must be BP, MF or CC, not `{ontology}`");
    }
    Ok(ontology)
}

/// How sets are split into cases, shared by every `make-cases` kind.
#[derive(clap::Args)]
pub struct SplitArgs {
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Smaller sets are left out (each half needs 5 genes).
    #[arg(long, default_value_t = 10)]
    min_size: usize,
    /// Output file [default: stdout].
    #[arg(long)]
    out: Option<PathBuf>,
}

/// The sets of `library`, or an error naming it when the store lacks it.
fn library_sets(store: &crate::store::Store, library: &str) -> anyhow::Result<Vec<crate::store::GeneSet>> {
    if store.library(library)?.is_none() {
        anyhow::bail!("library `{library}` is not in the store");
    }
    Ok(store.library_sets(library)?)
}

fn write_cases(store: &crate::store::Store, library: &str, cases: Vec<cases::Case>, out: Option<PathBuf>, note: &str) -> anyhow::Result<()> {
    // A symbol that does not resolve back to its own gene (shared with another gene) is
    // written as the Entrez id, so reading the cases back loses nothing.
    let resolver = store.resolver()?;
    let symbols: HashMap<u32, String> = store
        .genes()
        .map(|g| {
            g.map(|g| {
                let unique = resolver.resolve_str(&g.symbol) == crate::store::Resolution::Found(g.entrez);
                (g.entrez, if unique { g.symbol } else { g.entrez.to_string() })
            })
        })
        .collect::<Result<_, _>>()?;
    match &out {
        Some(path) => {
            let mut f = std::io::BufWriter::new(std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?);
            cases::write_cases(&mut f, &cases, &symbols)?;
        }
        None => cases::write_cases(&mut std::io::stdout().lock(), &cases, &symbols)?,
    }
    eprintln!("{} cases from {library}; {note}", cases.len());
    Ok(())
}

pub fn run(ctx: &Context, cmd: EvalCommand) -> anyhow::Result<()> {
    match cmd {
        EvalCommand::Questions { file, json } => {
            let text = match &file {
                Some(f) => std::fs::read_to_string(f).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", f.display()))?,
                None => crate::nl::eval::BUNDLED_CORPUS.to_string(),
            };
            let cases = crate::nl::eval::read_corpus(&text)?;
            let state = crate::graphql::AppState::load(ctx.open_store()?)?;
            let report = crate::nl::eval::evaluate(&state, &cases)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                for m in &report.misses {
                    println!("MISS {}
  expected {}
  got      {}", m.q, m.expected, m.got);
                }
                println!(
                    "questions {}  intent+entities {:.1}% ({})  intent {:.1}% ({})",
                    report.questions,
                    100.0 * report.accuracy,
                    report.correct,
                    100.0 * report.intent_accuracy,
                    report.intent_correct
                );
            }
            Ok(())
        }
        EvalCommand::MakeCases(MakeCases::RandomSplit { library, split }) => {
            let store = ctx.open_store()?;
            let sets = library_sets(&store, &library)?;
            let note = format!("evaluate a model trained without {library} (e.g. `genekg train --libraries <others> --out DIR`)");
            write_cases(&store, &library, cases::random_split(&library, &sets, split.seed, split.min_size), split.out, &note)
        }
        EvalCommand::MakeCases(MakeCases::LiteratureAfter { pmid, library, split }) => {
            let store = ctx.open_store()?;
            let sets = library_sets(&store, &library)?;
            let note = format!("evaluate a model trained with `--before-pmid {pmid}`");
            write_cases(&store, &library, cases::literature_after(&library, &sets, pmid, split.seed, split.min_size), split.out, &note)
        }
        EvalCommand::MakeCases(MakeCases::GoAnnotations { ontology, share, source_dir, seed, out }) => {
            let ontology = ontology_arg(&ontology)?;
            if !(share > 0.0 && share < 1.0) {
                anyhow::bail!("--share {share} is outside (0, 1)");
            }
            let paths = super::ingest::default_data(ctx, source_dir)?;
            let library = format!("GO_{ontology}");
            let cases: Vec<cases::Case> = crate::ingest::go_annotation_holdout(&paths, &ontology, share, seed)?
                .into_iter()
                .map(|t| cases::Case { id: format!("{library}:{}", t.term), input: t.kept, held_out: t.held_out })
                .collect();
            let store = ctx.open_store()?;
            let note = "train with `genekg train --hold-out FILE` (GO kept in training, the hidden genes removed)".to_string();
            write_cases(&store, &library, cases, out, &note)
        }
        EvalCommand::EnrichmentRecovery { library, cases, query_size, min_set, max_set, seed, model, json } => {
            let store = ctx.open_store()?;
            let gsfm = Gsfm::load(&model.unwrap_or_else(|| ctx.paths.model_dir()))?;
            let index = crate::enrich::EnrichIndex::build(&store, Some(std::slice::from_ref(&library)))?;
            let opts = crate::enrich::recovery::RecoveryOptions { library, cases, query_size, min_set, max_set, seed };
            let r = crate::enrich::recovery::recovery(&index, &gsfm, &opts)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "{} cases from {} ({min_set}-{max_set} genes), {query_size} random members each; median {} sets tested",
                    r.cases, r.library, r.sets_tested
                );
                println!("{:<22} {:>11} {:>8} {:>6} {:>6} {:>6}", "order", "median rank", "MRR", "top1", "top10", "top50");
                for o in &r.orders {
                    println!(
                        "{:<22} {:>11.1} {:>8.3} {:>6.2} {:>6.2} {:>6.2}",
                        o.order, o.median_rank, o.mean_reciprocal_rank, o.top1, o.top10, o.top50
                    );
                }
            }
            Ok(())
        }
        EvalCommand::MakeCases(MakeCases::TimeSplit { ontology, old, new, out }) => {
            let ontology = ontology_arg(&ontology)?;
            let old_paths = super::ingest::default_data(ctx, Some(old)).context("--old")?;
            let new_paths = super::ingest::default_data(ctx, new).context("--new")?;
            if std::fs::canonicalize(&old_paths.org)? == std::fs::canonicalize(&new_paths.org)? {
                anyhow::bail!("--old and --new are the same release ({}); a time split needs two", old_paths.org.display());
            }
            let library = format!("GO_{ontology}");
            let split = crate::ingest::go_time_split(&old_paths, &new_paths, &ontology)?;
            let cases: Vec<cases::Case> = split
                .terms
                .into_iter()
                .map(|t| cases::Case { id: format!("{library}:{}", t.term), input: t.kept, held_out: t.held_out })
                .collect();
            let store = ctx.open_store()?;
            let note = format!(
                "{} added memberships of genes the old catalogue lacks left out; evaluate a model trained on a store ingested from {} alone",
                split.unknown_to_old,
                old_paths.org.parent().unwrap_or(std::path::Path::new(".")).display()
            );
            write_cases(&store, &library, cases, out, &note)
        }
        EvalCommand::Calibration { cases: path, library, seed, max_cases, bins, model, json, threads } => {
            let library_given = library.is_some();
            let library = library.unwrap_or_else(|| "GO_BP".into());
            crate::model::limit_threads(threads);
            let store = ctx.open_store()?;
            let gsfm = Gsfm::load(&model.unwrap_or_else(|| ctx.paths.model_dir()))?;
            let training = gsfm.config().training.clone();
            let reserve = match (&path, library_given, &training) {
                (None, false, Some(t)) if t.calibration_sets > 0 => Some(Corpus::for_recipe(&store, t)?.reserve_cases(t.seed).1),
                _ => None,
            };
            let held_out = reserve.is_some();
            let (mut all, source) = match (&path, reserve) {
                (Some(p), _) => (cases::read_cases(p, &store.resolver()?)?.cases, p.display().to_string()),
                (None, Some(check)) => {
                    let n = check.len();
                    (check, format!("{n} sets kept out of training (the check half of the calibration sets, not used to fit the map)"))
                }
                (None, None) => {
                    let sets = library_sets(&store, &library)?;
                    (cases::random_split(&library, &sets, seed, 4), format!("{library}, half of each set hidden (seed {seed})"))
                }
            };
            all.truncate(max_cases);
            let seen = !held_out
                && training.as_ref().is_some_and(|t| t.hold_out.is_none() && t.before_pmid.is_none())
                && all.iter().filter_map(|c| c.id.split_once(':')).any(|(l, _)| training.as_ref().is_some_and(|t| t.libraries.iter().any(|x| x == l)));
            if seen {
                eprintln!("note: the model was trained on these sets; their hidden genes are held out of the input, not of training");
            }
            let r = eval::calibration::reliability(&gsfm, &all, bins);
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!("cases {} (skipped {}) from {source}; {} predictions, {} members, {:.1} expected", r.cases, r.skipped, r.predictions, r.members, r.expected_members);
                println!("{:<13} {:>12} {:>9} {:>10} {:>10}", "probability", "predictions", "members", "predicted", "observed");
                for b in r.bins.iter().filter(|b| b.predictions > 0) {
                    println!(
                        "{:<13} {:>12} {:>9} {:>10.4} {:>10.4}",
                        format!("{:.1}-{:.1}", b.lower, b.upper),
                        b.predictions,
                        b.members,
                        b.mean_probability,
                        b.observed_rate
                    );
                }
                println!("ECE {:.4}  Brier {:.5}", r.ece, r.brier);
            }
            Ok(())
        }
        EvalCommand::Coverage { cases: path, model, max_publications, json, threads } => {
            crate::model::limit_threads(threads);
            rayon::ThreadPoolBuilder::new().num_threads(threads.max(1) as usize).build_global().ok();
            let store = ctx.open_store()?;
            let gsfm = Gsfm::load(&model.unwrap_or_else(|| ctx.paths.model_dir()))?;
            let memberships = crate::model::coverage::Memberships::from_store(&store)?;
            let census = crate::model::coverage::census(&store, &memberships, |g| gsfm.vocabulary().column(g).is_some())?;
            let Some(path) = path else {
                println!("{}", serde_json::to_string_pretty(&census)?);
                return Ok(());
            };
            eprintln!("protein-coding genes: {census:?}");
            let file = cases::read_cases(&path, &store.resolver()?)?;
            let pubs = |g: u32| store.publication_count(g);
            pubs(0)?;
            let groups = eval::coverage::groups(&gsfm, &memberships, &file.cases, |g| pubs(g).unwrap_or(0), max_publications);
            eprintln!("{} genes outside the vocabulary, {} with at most {max_publications} publications", groups.outside.len(), groups.few_publications.len());
            let summaries = eval::coverage::evaluate(&gsfm, &memberships, &file.cases, &groups);
            if json {
                println!("{}", serde_json::to_string_pretty(&summaries)?);
            } else {
                let f = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_else(|| "-".into());
                for s in summaries {
                    println!("{:<24} {:<28} genes {:>6}  median AUROC {}  mean AUROC {}  mean AP {}", s.group, s.method, s.genes, f(s.median_auroc), f(s.mean_auroc), f(s.mean_ap));
                }
            }
            Ok(())
        }
        EvalCommand::Holdout { cases: path, method, model, libraries, json, per_case, save, threads, features_out, sub_set_rules, all_sub_sets } => {
            crate::model::limit_threads(threads);
            rayon::ThreadPoolBuilder::new().num_threads(threads.max(1) as usize).build_global().ok();
            let store = ctx.open_store()?;
            let model_dir = model.unwrap_or_else(|| ctx.paths.model_dir());
            let gsfm = Gsfm::load(&model_dir)?;
            let resolver = store.resolver()?;
            let file = cases::read_cases(&path, &resolver)?;
            let training = gsfm.config().training.clone();
            let (train_libs, before_pmid) = match (&libraries, &training) {
                (Some(l), _) => (l.clone(), training.as_ref().and_then(|t| t.before_pmid)),
                (None, Some(t)) => (t.libraries.clone(), t.before_pmid),
                (None, None) => (vec![], None),
            };
            let hold_out = training.as_ref().and_then(|t| t.hold_out.clone());
            eprintln!(
                "model {} ({}) trained on: {}{}",
                model_dir.display(),
                &gsfm.fingerprint()[..12.min(gsfm.fingerprint().len())],
                if train_libs.is_empty() { "unknown (imported)".to_string() } else { train_libs.join(", ") },
                before_pmid.map(|p| format!(", literature before PMID {p}")).unwrap_or_default()
                    + &hold_out.as_ref().map(|h| format!(", without the held-out genes of {h}")).unwrap_or_default()
            );
            let case_libs: std::collections::BTreeSet<&str> =
                file.cases.iter().filter_map(|c| c.id.split_once(':').map(|(l, _)| l)).collect();
            for lib in &case_libs {
                if train_libs.iter().any(|t| t == lib) && before_pmid.is_none() && hold_out.is_none() {
                    eprintln!("warning: the model was trained on {lib}, the library these cases come from; held-out genes were seen in training");
                }
            }
            if file.unresolved_genes > 0 {
                eprintln!("{} gene names in {} did not resolve and were dropped", file.unresolved_genes, path.display());
            }
            let needs_sets = features_out.is_some() || method.iter().any(|m| matches!(m, Method::Cooccurrence | Method::Frequency));
            let train_sets: Vec<Vec<u32>> = if needs_sets {
                if train_libs.is_empty() {
                    anyhow::bail!("the model does not record its training libraries; pass --libraries for the baselines");
                }
                let recipe = crate::model::TrainConfig {
                    libraries: train_libs.clone(),
                    before_pmid,
                    hold_out: hold_out.clone(),
                    calibration_sets: training.as_ref().map_or(0, |t| t.calibration_sets),
                    ..Default::default()
                };
                Corpus::for_recipe(&store, &recipe)?.sets.into_iter().map(|s| s.genes).collect()
            } else {
                vec![]
            };
            if let Some(path) = features_out {
                let c = Cooccurrence::new(train_sets.clone());
                let f = Frequency::new(&train_sets);
                let mut out = std::io::BufWriter::new(std::fs::File::create(&path).map_err(|e| anyhow::anyhow!("creating {}: {e}", path.display()))?);
                eval::features::write(&gsfm, &c, &f, &file.cases, FEATURE_NEGATIVES, &mut out)?;
                std::io::Write::flush(&mut out)?;
                eprintln!("features written to {}", path.display());
                return Ok(());
            }
            if let Some(rules) = sub_set_rules {
                let vocab: std::collections::HashSet<u32> = gsfm.vocab().iter().copied().filter(|&g| g != 0).collect();
                let mut index = HashMap::new();
                for lib in &case_libs {
                    let sets = library_sets(&store, lib)?;
                    index.insert(lib.to_string(), crate::model::subsets::SubSets::new(sets.iter().map(|s| s.genes.as_slice()), |g| vocab.contains(&g), eval::MIN_KNOWN_PER_SIDE));
                }
                let started = std::time::Instant::now();
                let (by_rule, counts) = eval::holdout_by_sub_sets(&gsfm, &file.cases, &index, &rules, !all_sub_sets, per_case);
                eprintln!("scored {} cases under {} rules in {:.1}s", counts.len(), rules.len(), started.elapsed().as_secs_f64());
                let rules: Vec<serde_json::Value> = by_rule.into_iter().map(|(r, s)| serde_json::json!({ "rule": r, "summary": s })).collect();
                let counts: Vec<serde_json::Value> = counts.into_iter().map(|(id, n, k)| serde_json::json!({ "id": id, "input_known": n, "sub_sets": k })).collect();
                println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "rules": rules, "cases": counts }))?);
                return Ok(());
            }
            let mut summaries = Vec::new();
            for m in &method {
                let started = std::time::Instant::now();
                let summary = match m {
                    Method::Gsfm | Method::GsfmWithoutPrior | Method::GsfmWithoutComention | Method::Autoencoder => eval::holdout(&gsfm, None, *m, &file.cases, per_case),
                    Method::Cooccurrence => {
                        let s = Cooccurrence::new(train_sets.clone());
                        eval::holdout(&gsfm, Some(&s as &dyn Scorer), *m, &file.cases, per_case)
                    }
                    Method::Frequency => {
                        let s = Frequency::new(&train_sets);
                        eval::holdout(&gsfm, Some(&s as &dyn Scorer), *m, &file.cases, per_case)
                    }
                    Method::Random => eval::holdout(&gsfm, Some(&Random { seed: 42 } as &dyn Scorer), *m, &file.cases, per_case),
                };
                if !json {
                    let f = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_else(|| "-".into());
                    println!(
                        "{:<13} cases {:>6} (skipped {:>5})  median AUROC {}  mean AP {}  median ES {}  ({:.1}s)",
                        format!("{m:?}").to_lowercase(),
                        summary.cases,
                        summary.skipped,
                        f(summary.median_auroc),
                        f(summary.mean_ap),
                        f(summary.median_es),
                        started.elapsed().as_secs_f64()
                    );
                }
                summaries.push(summary);
            }
            if json {
                let v = if summaries.len() == 1 { serde_json::to_value(&summaries[0])? } else { serde_json::to_value(&summaries)? };
                println!("{}", serde_json::to_string_pretty(&v)?);
            }
            if save {
                let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                eval::save_summaries(&model_dir, &name, &summaries, gsfm.fingerprint(), &train_libs, before_pmid)?;
                eprintln!("saved in {}", model_dir.join(eval::EVALUATION_FILE).display());
            }
            Ok(())
        }
    }
}
