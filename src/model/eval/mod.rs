//! Hold-out evaluation: for each case, score every vocabulary gene except the input, and ask
//! how well the held-out genes rank (ROC AUC, average precision, ES).
//!
//! All methods score the same candidates (the model's vocabulary minus the case's input) and
//! the baselines count over the same training sets the model saw, so the comparison is fair.

pub mod baselines;
pub mod calibration;
pub mod coverage;
pub mod features;
pub mod cases;
pub mod metrics;

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;
use serde::Serialize;

use baselines::Scorer;
use cases::Case;

use super::predict::{Gsfm, Parts, INFERENCE_BATCH};

/// A case counts only with at least this many known (in-vocabulary) genes on each side.
pub const MIN_KNOWN_PER_SIDE: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// The model as it answers everywhere else.
    Gsfm,
    /// The same model without its gene prior (`prior.rs`), to show the prior's share.
    #[value(name = "gsfm-without-prior")]
    #[serde(rename = "gsfm-without-prior")]
    GsfmWithoutPrior,
    /// The same model without its co-mention path (`comention.rs`), to show that path's share.
    #[value(name = "gsfm-without-comention")]
    #[serde(rename = "gsfm-without-comention")]
    GsfmWithoutComention,
    /// The same model without its item-item path and gene prior (the published architecture's
    /// answer).
    Autoencoder,
    Cooccurrence,
    Frequency,
    Random,
}

impl Method {
    /// The parts of the model a model-based method scores with (all of them for the others,
    /// which do not use the model's logits).
    pub fn parts(self) -> Parts {
        match self {
            Method::GsfmWithoutPrior => Parts { gene_prior: false, ..Parts::ALL },
            Method::GsfmWithoutComention => Parts { comention: false, ..Parts::ALL },
            Method::Autoencoder => Parts::AUTOENCODER,
            _ => Parts::ALL,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub id: String,
    pub auroc: f64,
    pub ap: f64,
    pub es: f64,
    pub input_known: usize,
    pub held_out_known: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub method: Method,
    /// Cases scored.
    pub cases: usize,
    /// Cases left out for fewer than [`MIN_KNOWN_PER_SIDE`] known genes on a side.
    pub skipped: usize,
    pub median_auroc: Option<f64>,
    pub mean_ap: Option<f64>,
    pub median_es: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub per_case: Vec<CaseResult>,
}

/// A case the evaluation keeps, over the model's vocabulary.
pub(crate) struct Prepared {
    /// Its position in the case list.
    pub case: usize,
    /// Its input genes in the vocabulary.
    pub input: Vec<u32>,
    /// Every vocabulary gene outside its input: what each method ranks.
    pub candidates: Vec<u32>,
    /// Per candidate: one of its held-out genes.
    pub positive: Vec<bool>,
}

/// The cases with at least [`MIN_KNOWN_PER_SIDE`] known genes on each side, prepared over
/// `model`'s vocabulary.
pub(crate) fn prepare_cases(model: &Gsfm, cases: &[Case]) -> Vec<Prepared> {
    let genes = model.vocab();
    let vocab: HashSet<u32> = genes.iter().copied().filter(|&g| g != 0).collect();
    cases.iter().enumerate().filter_map(|(i, c)| prepare(i, c, &vocab, genes)).collect()
}

fn prepare(index: usize, case: &Case, vocab: &HashSet<u32>, genes: &[u32]) -> Option<Prepared> {
    let input: HashSet<u32> = case.input.iter().copied().collect();
    let known_input: Vec<u32> = case.input.iter().copied().filter(|g| vocab.contains(g)).collect();
    let held: HashSet<u32> = case.held_out.iter().copied().filter(|g| vocab.contains(g) && !input.contains(g)).collect();
    if known_input.len() < MIN_KNOWN_PER_SIDE || held.len() < MIN_KNOWN_PER_SIDE {
        return None;
    }
    let candidates: Vec<u32> = genes.iter().copied().filter(|g| *g != 0 && !input.contains(g)).collect();
    let positive = candidates.iter().map(|g| held.contains(g)).collect();
    Some(Prepared { case: index, input: known_input, candidates, positive })
}

/// The model's scores of prepared cases' candidates, with each of `parts` of the model, a
/// batch of [`INFERENCE_BATCH`] cases at a time: `each` gets a batch and, per case, one score
/// vector per part (in candidate order). The hold-out evaluation and the features file score
/// through this one path, so a feature row holds exactly what the evaluation ranked by.
pub(crate) fn model_scores<E>(
    model: &Gsfm,
    prepared: &[Prepared],
    parts: &[Parts],
    mut each: impl FnMut(&[Prepared], Vec<Vec<Vec<f32>>>) -> Result<(), E>,
) -> Result<(), E> {
    // The model scores every gene column; candidates are the columns minus the input.
    let column_of: HashMap<u32, usize> = model.vocab().iter().enumerate().map(|(i, &g)| (g, i)).collect();
    for chunk in prepared.chunks(INFERENCE_BATCH) {
        let inputs: Vec<&[u32]> = chunk.iter().map(|p| p.input.as_slice()).collect();
        let logits: Vec<Vec<Vec<f32>>> = parts.iter().map(|&part| model.logits_of(&inputs, part)).collect();
        let scores = chunk
            .par_iter()
            .enumerate()
            .map(|(k, p)| logits.iter().map(|rows| p.candidates.iter().map(|g| rows[k][column_of[g]]).collect()).collect())
            .collect();
        each(chunk, scores)?;
    }
    Ok(())
}

fn result(case: &Case, known_input: usize, scores: &[f32], positive: &[bool]) -> CaseResult {
    CaseResult {
        id: case.id.clone(),
        auroc: metrics::roc_auc(scores, positive).unwrap_or(f64::NAN),
        ap: metrics::average_precision(scores, positive).unwrap_or(f64::NAN),
        es: metrics::enrichment_score(scores, positive).unwrap_or(f64::NAN),
        input_known: known_input,
        held_out_known: positive.iter().filter(|&&p| p).count(),
    }
}

/// Evaluates `cases` with the model (`scorer` None, with [`Method::parts`] of it) or a
/// baseline, over `model`'s vocabulary.
pub fn holdout(model: &Gsfm, scorer: Option<&dyn Scorer>, method: Method, cases: &[Case], keep_per_case: bool) -> Summary {
    let prepared = prepare_cases(model, cases);
    let results: Vec<CaseResult> = match scorer {
        Some(scorer) => prepared
            .par_iter()
            .map(|p| {
                let scores = scorer.score(p.case, &p.input, &p.candidates);
                result(&cases[p.case], p.input.len(), &scores, &p.positive)
            })
            .collect(),
        None => {
            let mut out = Vec::with_capacity(prepared.len());
            let Ok(()) = model_scores(model, &prepared, &[method.parts()], |chunk, scores| {
                let part: Vec<CaseResult> = chunk
                    .par_iter()
                    .zip(scores.par_iter())
                    .map(|(p, by_part)| result(&cases[p.case], p.input.len(), &by_part[0], &p.positive))
                    .collect();
                out.extend(part);
                Ok::<(), std::convert::Infallible>(())
            });
            out
        }
    };
    summarise(method, cases.len(), results, keep_per_case)
}

fn summarise(method: Method, total: usize, results: Vec<CaseResult>, keep_per_case: bool) -> Summary {
    let mut auroc: Vec<f64> = results.iter().map(|r| r.auroc).filter(|v| v.is_finite()).collect();
    let mut es: Vec<f64> = results.iter().map(|r| r.es).filter(|v| v.is_finite()).collect();
    let ap: Vec<f64> = results.iter().map(|r| r.ap).filter(|v| v.is_finite()).collect();
    Summary {
        method,
        cases: results.len(),
        skipped: total - results.len(),
        median_auroc: metrics::median(&mut auroc),
        mean_ap: (!ap.is_empty()).then(|| ap.iter().sum::<f64>() / ap.len() as f64),
        median_es: metrics::median(&mut es),
        per_case: if keep_per_case { results } else { vec![] },
    }
}

/// The file in a model directory holding the summaries `genekg eval holdout --save` wrote for
/// that model: a JSON object keyed `CASE_FILE:method`. It lives with the model (not in the
/// store) because it describes the model: a copied model keeps it, a retrained one starts empty.
pub const EVALUATION_FILE: &str = "evaluation.json";

/// The saved summaries of the model in `model_dir` (an empty object when none were saved).
pub fn read_evaluation(model_dir: &std::path::Path) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
    let path = model_dir.join(EVALUATION_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Default::default()),
        Err(e) => Err(anyhow::anyhow!("reading {}: {e}", path.display())),
    }
}

/// Adds (or replaces) the summaries of one case file in the saved ones of the model in
/// `model_dir`, with what they were measured on (per-case figures left out).
pub fn save_summaries(
    model_dir: &std::path::Path,
    case_file: &str,
    summaries: &[Summary],
    fingerprint: &str,
    trained_on: &[String],
    before_pmid: Option<u32>,
) -> anyhow::Result<()> {
    let mut all = read_evaluation(model_dir)?;
    for s in summaries {
        let mut v = serde_json::to_value(s)?;
        v.as_object_mut().map(|o| o.remove("per_case"));
        v["model_fingerprint"] = fingerprint.into();
        v["trained_on"] = serde_json::json!(trained_on);
        v["before_pmid"] = serde_json::json!(before_pmid);
        v["evaluated_at"] = chrono::Utc::now().to_rfc3339().into();
        all.insert(format!("{case_file}:{}", format!("{:?}", s.method).to_lowercase()), v);
    }
    let path = model_dir.join(EVALUATION_FILE);
    std::fs::write(&path, serde_json::to_vec_pretty(&all)?).map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))
}

/// Cases scored under each sub-set rule (`subsets.rs`): per rule, the summary; beside them, how
/// many sub-sets each kept case had. A case's sub-sets are the maximal sets of its own library
/// (`index` by library name, the part of the case id before the first `:`) strictly inside its
/// input (`maximal`; else every set inside it); the model answers the input and each sub-set
/// with every part, and each rule combines the rows over the case's candidates.
pub fn holdout_by_sub_sets(
    model: &Gsfm,
    cases: &[Case],
    index: &HashMap<String, crate::model::subsets::SubSets>,
    rules: &[crate::model::subsets::Rule],
    maximal: bool,
    keep_per_case: bool,
) -> (Vec<(crate::model::subsets::Rule, Summary)>, Vec<(String, usize, usize)>) {
    let prepared = prepare_cases(model, cases);
    let column_of: HashMap<u32, usize> = model.vocab().iter().enumerate().map(|(i, &g)| (g, i)).collect();
    let mut results: Vec<Vec<CaseResult>> = vec![Vec::new(); rules.len()];
    let mut counts = Vec::new();
    // A few cases at a time, so the rows of their sub-sets stay within a couple of inference batches.
    let mut start = 0;
    while start < prepared.len() {
        let mut end = start;
        let mut rows = 0;
        let mut subs_of: Vec<Vec<&[u32]>> = Vec::new();
        while end < prepared.len() && (rows < INFERENCE_BATCH || end == start) {
            let p = &prepared[end];
            let library = cases[p.case].id.split_once(':').map(|(l, _)| l).unwrap_or("");
            let subs = index.get(library).map(|ix| ix.within(&p.input, maximal)).unwrap_or_default();
            rows += 1 + subs.len();
            subs_of.push(subs);
            end += 1;
        }
        let chunk = &prepared[start..end];
        let mut inputs: Vec<&[u32]> = Vec::with_capacity(rows);
        for (p, subs) in chunk.iter().zip(&subs_of) {
            inputs.push(p.input.as_slice());
            inputs.extend(subs.iter().copied());
        }
        let logits = model.logits(&inputs);
        let mut at = 0;
        let mut per_case = Vec::with_capacity(chunk.len());
        for subs in &subs_of {
            per_case.push((at, subs.len()));
            at += 1 + subs.len();
        }
        let scored: Vec<Vec<CaseResult>> = chunk
            .par_iter()
            .zip(per_case.par_iter())
            .map(|(p, &(at, n))| {
                let over_candidates = |row: &Vec<f32>| p.candidates.iter().map(|g| row[column_of[g]]).collect::<Vec<f32>>();
                let own = over_candidates(&logits[at]);
                let subs: Vec<Vec<f32>> = logits[at + 1..at + 1 + n].iter().map(over_candidates).collect();
                rules.iter().map(|r| result(&cases[p.case], p.input.len(), &r.combine(&own, &subs), &p.positive)).collect()
            })
            .collect();
        for (p, (by_rule, subs)) in chunk.iter().zip(scored.into_iter().zip(&subs_of)) {
            counts.push((cases[p.case].id.clone(), p.input.len(), subs.len()));
            for (k, r) in by_rule.into_iter().enumerate() {
                results[k].push(r);
            }
        }
        start = end;
    }
    let summaries = rules.iter().zip(results).map(|(&r, res)| (r, summarise(Method::Gsfm, cases.len(), res, keep_per_case))).collect();
    (summaries, counts)
}
