//! Precomputed predictions in sled, for the API: per set the genes the model adds to it, per
//! gene the sets it is predicted to belong to, per set how trustworthy its predictions are, and
//! per gene its predicted partners. They are stored through [`crate::store::predictions`], which
//! owns their trees and keys.
//!
//! The listing rule is the reference site's: for a set, z-score the logits across all
//! vocabulary genes; a gene is listed if its logit > 0 or z > 1.645; rank is its position among
//! listed genes by logit. We keep listed genes down to the `top_n`-th gene that is not already
//! in the set (members met on the way are kept with `known = true`), which bounds storage
//! while keeping ranks true.
//!
//! A set's AUROC is the median ROC AUC over 5 random 50/50 splits of its in-vocabulary genes
//! (input one half, rank the other half among all non-members); sets with fewer than 10
//! in-vocabulary genes get none.
//!
//! Partners of a gene are the top genes the model predicts for the single-gene set `{g}`
//! (the decoder's completion), with the same z-score as above.
//!
//! A run writes fresh trees and becomes current only when complete (see
//! [`crate::store::predictions`]): a killed run leaves the previous predictions as they were.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::eval::metrics;
use super::predict::Gsfm;
use super::Result;
use crate::domain::{Entrez, SetId};
use crate::ingest::Progress;
use super::coverage::{self, Memberships};
use crate::store::predictions::{GatheredRow, PredictedSet, PredictionWriter, META_KEY};
pub use crate::store::{FunctionFilter, FunctionRow, Partner, SetPrediction, SetPredictions};
use crate::store::Store;

pub const Z_THRESHOLD: f32 = 1.645;
const AUROC_SPLITS: usize = 5;
const AUROC_MIN_GENES: usize = 10;
const SETS_PER_CHUNK: usize = 256;

/// A predicted function of a gene, for the API.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GeneFunction {
    pub set_id: SetId,
    pub probability: f32,
    pub z: f32,
    pub rank: u32,
    pub known: bool,
    /// The set's own median AUROC (how far to trust its predictions).
    pub set_auroc: Option<f32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PredictionOptions {
    pub top_n: usize,
    pub partners: usize,
    pub seed: u64,
}

impl Default for PredictionOptions {
    fn default() -> Self {
        Self { top_n: 200, partners: 50, seed: 42 }
    }
}

/// What `model_predictions` in the store's meta records.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PredictionReport {
    pub fingerprint: String,
    /// The data the predictions were made from (library to generation); empty in reports
    /// written before it was recorded, which therefore count as stale.
    #[serde(default)]
    pub data: crate::store::DataVersions,
    pub options: PredictionOptions,
    pub sets: usize,
    pub sets_with_auroc: usize,
    pub median_set_auroc: Option<f64>,
    pub set_rows: u64,
    pub genes_with_predictions: usize,
    /// Genes outside the model's vocabulary answered from their stored sets
    /// ([`super::coverage`]): partners for each, and functions where their profile's votes list
    /// any (`outside_function_rows` rows in all).
    #[serde(default)]
    pub genes_outside_vocabulary: usize,
    #[serde(default)]
    pub outside_function_rows: u64,
    pub partner_rows: u64,
    /// Keys plus values written, in bytes.
    pub bytes_written: u64,
    /// Growth of the store directory on disk (sled keeps some slack).
    pub store_growth_bytes: i64,
    pub seconds: f64,
    pub created_at: String,
}

fn z_scores(logits: &[f32], live: &[bool]) -> Vec<f32> {
    let (mut n, mut sum, mut sq) = (0f64, 0f64, 0f64);
    for (&l, &ok) in logits.iter().zip(live) {
        if ok {
            n += 1.0;
            sum += l as f64;
            sq += (l as f64) * (l as f64);
        }
    }
    let mean = sum / n.max(1.0);
    let sd = ((sq / n.max(1.0) - mean * mean).max(0.0)).sqrt().max(1e-6);
    logits.iter().map(|&l| ((l as f64 - mean) / sd) as f32).collect()
}

/// The listed genes of one set (see the module docs). `member` marks the set's columns.
/// `probability` maps a logit to the model's probability ([`Gsfm::probability`]).
fn list_set(logits: &[f32], genes: &[u32], live: &[bool], member: &[bool], top_n: usize, probability: &(dyn Fn(f32) -> f32 + Sync)) -> Vec<SetPrediction> {
    let z = z_scores(logits, live);
    let mut listed: Vec<usize> = (0..logits.len()).filter(|&c| live[c] && (logits[c] > 0.0 || z[c] > Z_THRESHOLD)).collect();
    listed.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]));
    let mut out = Vec::new();
    let mut new = 0;
    for (r, c) in listed.into_iter().enumerate() {
        if new >= top_n {
            break;
        }
        let known = member[c];
        new += !known as usize;
        out.push(SetPrediction { entrez: Entrez(genes[c]), probability: probability(logits[c]), z: z[c], rank: r as u32 + 1, known });
    }
    out
}

fn split_inputs(columns: &[usize], seed: u64) -> Vec<(Vec<usize>, Vec<usize>)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..AUROC_SPLITS)
        .map(|_| {
            let mut c = columns.to_vec();
            c.shuffle(&mut rng);
            let hidden = c.split_off(c.len() / 2);
            (c, hidden)
        })
        .collect()
}

/// ROC AUC of the `hidden` columns against the `negative` ones (live columns outside the set,
/// `n_negative` of them). Every win counts a whole or a half, so the sum is exact in any order.
fn split_auroc(logits: &[f32], negative: &[bool], n_negative: usize, hidden: &[usize]) -> f64 {
    let mut pos: Vec<f32> = hidden.iter().map(|&c| logits[c]).collect();
    pos.sort_by(f32::total_cmp);
    let negatives = logits.iter().zip(negative).filter(|(_, &n)| n).map(|(&l, _)| l);
    metrics::auc_against(&pos, negatives, n_negative)
}

/// One chunk of sets with the model's logits for them and for their AUROC splits: what
/// [`list_chunk`] turns into stored rows.
struct ScoredChunk<'a> {
    /// The number (in this run) of the chunk's first set.
    first: usize,
    sets: &'a [coverage::MemberSet],
    /// Each set's gene columns (vocabulary order, specials dropped).
    members: Vec<Vec<usize>>,
    logits: Vec<Vec<f32>>,
    /// Each set's (input, hidden) splits; empty for sets too small for an AUROC.
    splits: Vec<Vec<(Vec<usize>, Vec<usize>)>>,
    /// One row per split, in the order of `splits`.
    split_logits: Vec<Vec<f32>>,
}

/// Runs a chunk of sets and their AUROC splits through the model (the forward passes).
fn score_chunk<'a>(model: &Gsfm, genes: &[u32], first: usize, sets: &'a [coverage::MemberSet], seed: u64) -> ScoredChunk<'a> {
    let vocab = model.vocabulary();
    let first_column = super::vocab::Vocab::first_gene_column();
    let members: Vec<Vec<usize>> = sets
        .iter()
        .map(|s| s.genes.iter().filter_map(|&e| vocab.column(e)).map(|c| c - first_column).collect())
        .collect();
    let inputs: Vec<&[u32]> = sets.iter().map(|s| s.genes.as_slice()).collect();
    let logits = model.logits(&inputs);
    // Split inputs for the AUROC, all sets of the chunk in one batch.
    let splits: Vec<Vec<(Vec<usize>, Vec<usize>)>> = members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            if m.len() >= AUROC_MIN_GENES {
                split_inputs(m, seed ^ ((first + i) as u64).wrapping_mul(0x9E37_79B9))
            } else {
                vec![]
            }
        })
        .collect();
    let split_genes: Vec<Vec<u32>> =
        splits.iter().flatten().map(|(input, _)| input.iter().map(|&c| genes[c]).collect()).collect();
    let split_refs: Vec<&[u32]> = split_genes.iter().map(Vec::as_slice).collect();
    let split_logits = model.logits(&split_refs);
    ScoredChunk { first, sets, members, logits, splits, split_logits }
}

/// What the sets' listing gathers over the run.
#[derive(Default)]
struct Listed {
    set_rows: u64,
    /// AUROCs of the sets that have one.
    aurocs: Vec<f64>,
    /// Per set number, its AUROC if any.
    set_aurocs: Vec<Option<f32>>,
}

/// Lists a scored chunk's sets, computes their AUROCs, and writes them.
fn list_chunk(model: &Gsfm, genes: &[u32], live: &[bool], top_n: usize, c: ScoredChunk<'_>, writer: &mut PredictionWriter, listed: &mut Listed) -> Result<()> {
    let mut offsets = Vec::with_capacity(c.splits.len());
    let mut at = 0;
    for s in &c.splits {
        offsets.push(at);
        at += s.len();
    }
    let computed: Vec<(Vec<SetPrediction>, Option<f32>)> = (0..c.sets.len())
        .into_par_iter()
        .map(|i| {
            let mut member = vec![false; live.len()];
            for &m in &c.members[i] {
                member[m] = true;
            }
            let rows = list_set(&c.logits[i], genes, live, &member, top_n, &|l| model.probability(l));
            let auroc = (!c.splits[i].is_empty()).then(|| {
                // Negatives: live columns outside the set.
                let negative: Vec<bool> = live.iter().zip(&member).map(|(&l, &m)| l && !m).collect();
                let n_negative = negative.iter().filter(|&&n| n).count();
                let mut v: Vec<f64> = c.splits[i]
                    .iter()
                    .enumerate()
                    .map(|(k, (_, hidden))| split_auroc(&c.split_logits[offsets[i] + k], &negative, n_negative, hidden))
                    .collect();
                metrics::median(&mut v).expect("five splits") as f32
            });
            (rows, auroc)
        })
        .collect();
    let mut predicted = Vec::with_capacity(c.sets.len());
    for (i, (set, (rows, auroc))) in c.sets.iter().zip(computed).enumerate() {
        if let Some(a) = auroc {
            listed.aurocs.push(a as f64);
        }
        listed.set_aurocs.push(auroc);
        listed.set_rows += rows.len() as u64;
        predicted.push(PredictedSet {
            number: (c.first + i) as u32,
            library: &set.library,
            term: &set.term,
            untitled: set.untitled,
            predictions: SetPredictions { auroc, genes: rows },
        });
    }
    Ok(writer.add_sets(&predicted)?)
}

/// Runs every stored set through the model and writes the prediction trees.
///
/// Sets go through in chunks, and two things overlap that used to wait on each other: while
/// libtorch runs one chunk's forward passes on this thread, a second thread lists the previous
/// chunk (z-scores, sorting, AUROCs) and writes it; and the in-vocabulary genes' function rows
/// are sorted, encoded and written while the partners and the genes outside the vocabulary
/// are predicted. Each set's answer is computed exactly as before, so the stored rows are the
/// same bytes (tests/store_predictions.rs recomputes them one set at a time).
pub fn predict_and_store(store: &Store, model: &Gsfm, options: &PredictionOptions) -> Result<PredictionReport> {
    let started = std::time::Instant::now();
    let size_before = dir_size(store.path());
    let genes: Vec<u32> = model.vocab().to_vec();
    let live: Vec<bool> = genes.iter().map(|&g| g != 0).collect();

    let libraries = store.libraries()?;
    let data: crate::store::DataVersions = libraries.iter().map(|l| (l.name.clone(), l.generation)).collect();
    let memberships = Memberships::from_store(store)?;
    let all_sets = &memberships.sets;
    let writer = store.prediction_writer()?;

    let progress = Progress::new("predict sets", all_sets.len() as u64);
    let (mut writer, listed) = std::thread::scope(|scope| -> Result<(PredictionWriter, Listed)> {
        // One chunk in flight: the lister works on chunk k while this thread scores k + 1.
        let (send, receive) = std::sync::mpsc::sync_channel::<ScoredChunk<'_>>(1);
        let (genes, live, progress) = (&genes, &live, &progress);
        let lister = scope.spawn(move || -> Result<(PredictionWriter, Listed)> {
            let mut writer = writer;
            let mut listed = Listed::default();
            for chunk in receive {
                let n = chunk.sets.len() as u64;
                list_chunk(model, genes, live, options.top_n, chunk, &mut writer, &mut listed)?;
                progress.inc(n);
            }
            Ok((writer, listed))
        });
        for (chunk_no, chunk) in all_sets.chunks(SETS_PER_CHUNK).enumerate() {
            let scored = score_chunk(model, genes, chunk_no * SETS_PER_CHUNK, chunk, options.seed);
            if send.send(scored).is_err() {
                break; // The lister stopped on an error, which its join returns.
            }
        }
        drop(send);
        lister.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })?;
    progress.finish(format!("{} sets predicted", all_sets.len()));
    let Listed { set_rows, mut aurocs, set_aurocs } = listed;

    let genes_with_predictions = writer.genes_with_functions();
    // No more rows come for vocabulary genes: write theirs while the rest is predicted.
    let functions = writer.take_functions();
    let (partner_rows, outside, function_bytes) = std::thread::scope(|scope| -> Result<_> {
        let written = scope.spawn(move || functions.write());
        let mut partner_rows = store_partners(model, &genes, &live, options.partners, &mut writer)?;
        let outside = store_outside_vocabulary(model, &memberships, &set_aurocs, &live, options.partners, &mut writer)?;
        partner_rows += outside.partner_rows;
        let function_bytes = written.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        Ok((partner_rows, outside, function_bytes))
    })?;
    writer.add_written(function_bytes);
    let bytes = writer.flush()?;
    let median_set_auroc = metrics::median(&mut aurocs);
    let report = PredictionReport {
        fingerprint: model.fingerprint().to_string(),
        data,
        options: options.clone(),
        sets: all_sets.len(),
        sets_with_auroc: aurocs.len(),
        median_set_auroc,
        set_rows,
        genes_with_predictions,
        genes_outside_vocabulary: outside.genes,
        outside_function_rows: outside.function_rows,
        partner_rows,
        bytes_written: bytes,
        store_growth_bytes: dir_size(store.path()) as i64 - size_before as i64,
        seconds: started.elapsed().as_secs_f64(),
        created_at: chrono::Utc::now().to_rfc3339(),
    };
    writer.finish(&serde_json::to_value(&report).expect("report serialises"))?;
    Ok(report)
}

/// The `k` best columns of `row` (live, not `exclude`) as partners, best first.
fn top_partners(model: &Gsfm, row: &[f32], genes: &[u32], live: &[bool], exclude: Option<usize>, k: usize) -> Vec<Partner> {
    let z = z_scores(row, live);
    let mut order: Vec<usize> = (0..row.len()).filter(|&c| live[c] && Some(c) != exclude).collect();
    // Only the top k are kept: select them first (linear), then sort those k, rather
    // than sorting all ~20,000 genes for each of ~20,000 genes.
    let by_logit = |a: &usize, b: &usize| row[*b].total_cmp(&row[*a]).then(a.cmp(b));
    if order.len() > k && k > 0 {
        order.select_nth_unstable_by(k - 1, by_logit);
    }
    order.truncate(k);
    order.sort_by(by_logit);
    order.into_iter().map(|c| Partner { entrez: Entrez(genes[c]), probability: model.probability(row[c]), z: z[c] }).collect()
}

fn store_partners(model: &Gsfm, genes: &[u32], live: &[bool], k: usize, writer: &mut PredictionWriter) -> Result<u64> {
    let known: Vec<(usize, u32)> = genes.iter().copied().enumerate().filter(|(_, g)| *g != 0).collect();
    let progress = Progress::new("predict partners", known.len() as u64);
    let mut rows = 0u64;
    for chunk in known.chunks(super::predict::INFERENCE_BATCH) {
        let singles: Vec<[u32; 1]> = chunk.iter().map(|&(_, g)| [g]).collect();
        let refs: Vec<&[u32]> = singles.iter().map(|s| s.as_slice()).collect();
        let logits = model.logits(&refs);
        let lists: Vec<Vec<Partner>> = chunk
            .par_iter()
            .zip(logits.par_iter())
            .map(|(&(col, _), row)| top_partners(model, row, genes, live, Some(col), k))
            .collect();
        let lists: Vec<(Entrez, Vec<Partner>)> = chunk.iter().map(|&(_, g)| Entrez(g)).zip(lists).collect();
        rows += lists.iter().map(|(_, l)| l.len() as u64).sum::<u64>();
        writer.add_partners(&lists)?;
        progress.inc(chunk.len() as u64);
    }
    progress.finish(format!("{rows} partner rows"));
    Ok(rows)
}

struct OutsideReport {
    genes: usize,
    partner_rows: u64,
    function_rows: u64,
}

/// Partners and functions of every gene in a stored set but outside the vocabulary, from its
/// profile ([`coverage`]): partners are the model's completion of the profile, functions the
/// sets the profile's genes vote for. `rank` is 0 on these rows (the gene is in no set's list).
fn store_outside_vocabulary(
    model: &Gsfm,
    m: &Memberships,
    set_aurocs: &[Option<f32>],
    live: &[bool],
    k: usize,
    writer: &mut PredictionWriter,
) -> Result<OutsideReport> {
    let genes = model.vocab();
    let vocab = model.vocabulary();
    let in_vocab = |g: u32| vocab.column(g).is_some();
    let outside: Vec<(u32, Vec<u32>)> = m
        .genes()
        .into_iter()
        .filter(|&g| !in_vocab(g))
        .map(|g| (g, m.profile(g, in_vocab, coverage::PROFILE_GENES)))
        .filter(|(_, p)| !p.is_empty())
        .collect();
    let progress = Progress::new("predict genes outside the vocabulary", outside.len() as u64);
    let mut report = OutsideReport { genes: outside.len(), partner_rows: 0, function_rows: 0 };
    for chunk in outside.chunks(super::predict::INFERENCE_BATCH) {
        let refs: Vec<&[u32]> = chunk.iter().map(|(_, p)| p.as_slice()).collect();
        let logits = model.logits(&refs);
        let answers: Vec<(Vec<Partner>, Vec<coverage::Vote>)> = chunk
            .par_iter()
            .zip(logits.par_iter())
            .map(|((_, profile), row)| (top_partners(model, row, genes, live, None, k), coverage::listed(m.vote(profile))))
            .collect();
        let mut lists = Vec::with_capacity(chunk.len());
        for ((gene, _), (partners, votes)) in chunk.iter().zip(answers) {
            let own: std::collections::HashSet<u32> = m.sets_of(*gene).iter().copied().collect();
            for v in votes {
                let set = &m.sets[v.set as usize];
                writer.add_function(
                    Entrez(*gene),
                    &set.library,
                    GatheredRow {
                        set: v.set,
                        probability: v.share,
                        z: v.z,
                        rank: 0,
                        known: own.contains(&v.set),
                        set_auroc: set_aurocs.get(v.set as usize).copied().flatten(),
                        untitled: set.untitled,
                    },
                );
                report.function_rows += 1;
            }
            report.partner_rows += partners.len() as u64;
            lists.push((Entrez(*gene), partners));
        }
        writer.add_partners(&lists)?;
        progress.inc(chunk.len() as u64);
    }
    progress.finish(format!("{} genes, {} function rows", report.genes, report.function_rows));
    Ok(report)
}

fn dir_size(path: &std::path::Path) -> u64 {
    fn walk(p: &std::path::Path) -> u64 {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => std::fs::read_dir(p)
                .map(|it| it.flatten().map(|e| walk(&e.path())).sum())
                .unwrap_or(0),
            Ok(m) => m.len(),
            Err(_) => 0,
        }
    }
    walk(path)
}

/// The report of the last prediction run, if a complete one exists.
pub fn prediction_report(store: &Store) -> Result<Option<PredictionReport>> {
    Ok(store.meta_json(META_KEY)?.and_then(|v| serde_json::from_value(v).ok()))
}

/// Why stored predictions cannot answer for `library` (or for every library): none stored, made
/// by another model, or older than the library's data. `None` when they are current.
pub fn stale_reason(store: &Store, model_fingerprint: &str, library: Option<&str>) -> Result<Option<String>> {
    Ok(PredictionStatus::read(store)?.stale_reason(model_fingerprint, library))
}

/// What [`stale_reason`] judges from: the last prediction run's fingerprint and data, and the
/// store's data. Read once per data generation by the API (`AppState::predictions_stale_reason`):
/// reading and decoding them on every request cost more than the gene page's rows.
#[derive(Debug, Clone)]
pub struct PredictionStatus {
    /// The last complete run: fingerprint and data versions.
    run: Option<(String, crate::store::DataVersions)>,
    data: crate::store::DataVersions,
}

impl PredictionStatus {
    pub fn read(store: &Store) -> Result<Self> {
        Ok(Self { run: prediction_report(store)?.map(|r| (r.fingerprint, r.data)), data: store.data_versions()? })
    }

    /// See [`stale_reason`].
    pub fn stale_reason(&self, model_fingerprint: &str, library: Option<&str>) -> Option<String> {
        let Some((fingerprint, made_from)) = &self.run else {
            return Some("no predictions are stored: run `genekg model predict`".into());
        };
        if fingerprint != model_fingerprint {
            return Some("the stored predictions are from another model: run `genekg model predict`".into());
        }
        let mut changed = crate::store::changed_libraries(made_from, &self.data);
        if let Some(l) = library {
            changed.retain(|c| c == l);
        }
        (!changed.is_empty()).then(|| {
            format!("predictions for library {} are older than its data: run `genekg model predict`", changed.join(", "))
        })
    }
}

/// Predicted functions of a gene: the sets it is listed in, by descending z, optionally of one
/// library only and with z at least `min_z`.
pub fn functions_of_gene(store: &Store, entrez: Entrez, library: Option<&str>, min_z: f32) -> Result<Vec<GeneFunction>> {
    let libraries = library.map(|l| vec![l.to_string()]);
    let filter = FunctionFilter { min_z, ..FunctionFilter::ALL };
    let (_, rows) = store.functions_page(entrez, libraries.as_deref(), &filter, 0, None)?;
    Ok(rows
        .into_iter()
        .map(|r| GeneFunction {
            set_id: r.set_id(),
            probability: r.probability,
            z: r.z,
            rank: r.rank,
            known: r.known,
            set_auroc: r.set_auroc,
        })
        .collect())
}

/// The listed genes of a set and its AUROC; `None` if it was not predicted.
pub fn members_of_set(store: &Store, id: &SetId) -> Result<Option<SetPredictions>> {
    Ok(store.set_predictions(id)?)
}

pub fn set_auroc(store: &Store, id: &SetId) -> Result<Option<f32>> {
    Ok(members_of_set(store, id)?.and_then(|s| s.auroc))
}

/// A gene's predicted partners, best first.
pub fn partners_of_gene(store: &Store, entrez: Entrez) -> Result<Vec<Partner>> {
    Ok(store.partners(entrez)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_follows_the_reference_rule_and_cap() {
        // Gene 0 is a member; genes 1 and 2 have positive logits; the rest are far below.
        let mut logits = vec![5.0, 3.0, 1.0];
        logits.extend(std::iter::repeat(-4.0).take(40));
        let genes: Vec<u32> = (100..143).collect();
        let live = vec![true; 43];
        let sigmoid = |l: f32| crate::model::calibrate::sigmoid(l as f64) as f32;
        let mut member = vec![false; 43];
        member[0] = true;
        let rows = list_set(&logits, &genes, &live, &member, 1, &sigmoid);
        assert_eq!(rows.len(), 2, "the member, then one new gene (cap 1)");
        assert!(rows[0].known && rows[0].rank == 1 && rows[0].entrez.0 == 100);
        assert!(!rows[1].known && rows[1].rank == 2 && rows[1].entrez.0 == 101);
        let all = list_set(&logits, &genes, &live, &member, 100, &sigmoid);
        assert_eq!(all.len(), 3, "negative logits with low z are not listed");
        assert!(all.iter().all(|r| r.z > Z_THRESHOLD || sigmoid(logits[(r.entrez.0 - 100) as usize]) > 0.5));
    }
}
