//! Calibration of the model's logits: `logit' = scale * logit + offset`, fitted after training.
//!
//! Why: softmax cross-entropy pins the logits of a set only up to a shared constant, so
//! `sigmoid(logit)` of a multinomial model is a score, not a probability. And with an offset
//! alone (the first version of this file) the probabilities saturated: the MCM/ORC list gave
//! nine genes at 1.0000 with logits up to 150, because the logits' spread is the model's
//! confidence on the sets it was trained on, not the rate at which a gene scored so comes back.
//!
//! So we fit Platt scaling, a slope and an offset, on training sets with part of each hidden
//! (`hide`): every gene outside the input is one pair (logit, hidden member or not). A plain
//! maximum-likelihood slope diverges when the model separates hidden members from the rest
//! almost perfectly, which it nearly does on sets it was trained on; Platt's smoothed targets
//! (`(N+ + 1) / (N+ + 2)` for members, `1 / (N- + 2)` for the rest) keep it finite, and the slope
//! is kept positive, so ranks, z-scores and evaluation metrics never change. `genekg eval
//! calibration` checks the result on held-out genes (a reliability table, docs/model.md).

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::item_item::ItemItem;
use super::network::{Batch, Network};
use super::vocab::Vocab;

/// Training sets the fit looks at: ~10M (logit, member) pairs for a 20,000-gene vocabulary.
const SAMPLE_SETS: usize = 512;

/// A fitted calibration map: `scale * logit + offset`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    pub scale: f64,
    pub offset: f64,
}

/// Fits the map on up to [`SAMPLE_SETS`] of `examples` (vocabulary columns): each set keeps a
/// random `1 - hide` share as input, and every gene column outside that input is one pair.
/// With an item-item path (and its weight), the logits are the blended ones the model returns,
/// before any calibration.
pub fn fit(network: &Network, item_item: Option<(&ItemItem, f64)>, examples: &[Vec<i64>], hide: f64, seed: u64) -> Calibration {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xCA11_B8A7E);
    let mut chosen: Vec<&Vec<i64>> = examples.iter().filter(|s| s.len() >= 2).collect();
    chosen.shuffle(&mut rng);
    chosen.truncate(SAMPLE_SETS);
    let first = Vocab::first_gene_column();
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for block in chosen.chunks(128) {
        let (inputs, targets): (Vec<Vec<i64>>, Vec<Vec<i64>>) = block
            .iter()
            .map(|set| {
                let mut input: Vec<i64> = set.iter().copied().filter(|_| !rng.gen_bool(hide)).collect();
                if input.is_empty() {
                    input.push(set[rng.gen_range(0..set.len())]);
                }
                (input, set.to_vec())
            })
            .unzip();
        let logits = tch::no_grad(|| network.forward(&Batch::new(&inputs), false));
        let width = logits.size()[1] as usize;
        let flat = Vec::<f32>::try_from(logits.contiguous().view([-1])).expect("float logits");
        for (row, (input, target)) in flat.chunks(width).zip(inputs.iter().zip(&targets)) {
            let mut row = row.to_vec();
            if let Some((ii, weight)) = item_item {
                ii.blend(&mut row[first..], &Vocab::gene_indices(input), weight);
            }
            let mut member = vec![0u8; width];
            for &c in target {
                member[c as usize] = 1;
            }
            for &c in input {
                member[c as usize] = 2;
            }
            for c in first..width {
                if member[c] != 2 {
                    xs.push(row[c]);
                    ys.push(member[c] == 1);
                }
            }
        }
    }
    fit_platt(&xs, &ys)
}

/// A map from the model's logit to a probability, fitted on sets the model did not train on.
///
/// Why a second map after the logit calibration: the logit's Platt fit above is made on
/// training sets, where the model knows the hidden genes too well; on sets it never saw, the
/// same probabilities over-stated the top (0.97 predicted, 0.71 observed) and under-stated the
/// middle by up to 0.28. So training keeps a reserve of sets out (`TrainConfig::
/// calibration_sets`), fits both a Platt map and an isotonic map (pool-adjacent-violators) on
/// half of it, and keeps whichever has the lower expected calibration error on the other half
/// ([`fit_held_out`]). Both are non-decreasing, so ranks never change.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProbabilityMap {
    /// `sigmoid(scale * logit + offset)`.
    Platt { scale: f64, offset: f64 },
    /// `[logit, probability]` knots, both non-decreasing; linear between knots, flat beyond.
    Isotonic { knots: Vec<[f64; 2]> },
}

impl ProbabilityMap {
    pub fn probability(&self, logit: f32) -> f32 {
        let x = logit as f64;
        match self {
            ProbabilityMap::Platt { scale, offset } => sigmoid(scale * x + offset) as f32,
            ProbabilityMap::Isotonic { knots } => {
                let (Some(first), Some(last)) = (knots.first(), knots.last()) else { return sigmoid(x) as f32 };
                if x <= first[0] {
                    return first[1] as f32;
                }
                if x >= last[0] {
                    return last[1] as f32;
                }
                let i = knots.partition_point(|k| k[0] <= x);
                let (a, b) = (knots[i - 1], knots[i]);
                let t = if b[0] > a[0] { (x - a[0]) / (b[0] - a[0]) } else { 1.0 };
                (a[1] + t * (b[1] - a[1])) as f32
            }
        }
    }
}

pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Fewest predictions behind one block of an isotonic map: fewer and a block is noise (three
/// genes that all came back would claim probability 1).
const MIN_BLOCK: f64 = 200.0;
/// Most blocks kept; neighbours closest in probability are pooled first.
const MAX_BLOCKS: usize = 200;

/// Isotonic regression of `ys` on `xs` by pool-adjacent-violators: equal `xs` pooled first,
/// then adjacent blocks pooled while a block's rate is not below the next one's. Blocks of
/// fewer than [`MIN_BLOCK`] predictions are pooled with their upper neighbour, and at most
/// [`MAX_BLOCKS`] are kept; pooling neighbours of a non-decreasing sequence keeps it
/// non-decreasing. Each block gives one knot, at its mean logit with its member rate, and the map
/// is linear between knots (centred isotonic regression, Oron & Flournoy 2017). Why not knots at
/// each block's ends (scikit-learn's shape): that map is flat within a block, and the top block
/// spans most high scores (logits 6 to 35 on the default model), so every confident prediction
/// read the same probability and the number told a reader nothing; between centres it still
/// rises only where the held-out rate does.
pub fn fit_isotonic(xs: &[f32], ys: &[bool]) -> ProbabilityMap {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_unstable_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    // [count, members, lowest x, highest x, sum of x], in x order.
    let pool = |a: [f64; 5], b: [f64; 5]| [a[0] + b[0], a[1] + b[1], a[2], b[3], a[4] + b[4]];
    let mut blocks: Vec<[f64; 5]> = Vec::new();
    for &i in &order {
        let (x, y) = (xs[i] as f64, ys[i] as u8 as f64);
        match blocks.last_mut() {
            Some(b) if b[3] == x => *b = pool(*b, [1.0, y, x, x, x]),
            _ => blocks.push([1.0, y, x, x, x]),
        }
        while blocks.len() >= 2 {
            let (b, a) = (blocks[blocks.len() - 1], blocks[blocks.len() - 2]);
            if a[1] / a[0] < b[1] / b[0] {
                break;
            }
            blocks.pop();
            *blocks.last_mut().expect("two blocks") = pool(a, b);
        }
    }
    let mut sized: Vec<[f64; 5]> = Vec::new();
    for b in blocks {
        match sized.last_mut() {
            Some(last) if last[0] < MIN_BLOCK => *last = pool(*last, b),
            _ => sized.push(b),
        }
    }
    if sized.len() >= 2 && sized[sized.len() - 1][0] < MIN_BLOCK {
        let b = sized.pop().expect("two blocks");
        let last = sized.last_mut().expect("one block");
        *last = pool(*last, b);
    }
    let rate = |b: &[f64; 5]| b[1] / b[0];
    while sized.len() > MAX_BLOCKS {
        let i = (0..sized.len() - 1)
            .min_by(|&i, &j| (rate(&sized[i + 1]) - rate(&sized[i])).total_cmp(&(rate(&sized[j + 1]) - rate(&sized[j]))))
            .expect("two blocks");
        let b = sized.remove(i + 1);
        sized[i] = pool(sized[i], b);
    }
    ProbabilityMap::Isotonic { knots: sized.iter().map(|b| [b[4] / b[0], rate(b)]).collect() }
}

/// The outcome of [`fit_held_out`]: the map kept, and both candidates' reliability on the check half.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HeldOutFit {
    pub chosen: ProbabilityMap,
    pub platt: ProbabilityMap,
    pub isotonic: ProbabilityMap,
    pub fit_cases: usize,
    pub platt_check: super::eval::calibration::Reliability,
    pub isotonic_check: super::eval::calibration::Reliability,
}

/// Fits a Platt and an isotonic map from `model`'s logits to probabilities on `fit` (cases the
/// model did not train on) and keeps the one with the lower ECE on `check` (disjoint from
/// `fit`, also unseen). See [`ProbabilityMap`].
pub fn fit_held_out(model: &super::Gsfm, fit: &[super::eval::cases::Case], check: &[super::eval::cases::Case], bins: usize) -> HeldOutFit {
    use super::eval::calibration::{pairs, table};
    let on_fit = pairs(model, fit);
    let c = fit_platt(&on_fit.logits, &on_fit.members);
    let platt = ProbabilityMap::Platt { scale: c.scale, offset: c.offset };
    let isotonic = fit_isotonic(&on_fit.logits, &on_fit.members);
    drop(on_fit);
    let on_check = pairs(model, check);
    let platt_check = table(&on_check, |l| platt.probability(l), bins);
    let isotonic_check = table(&on_check, |l| isotonic.probability(l), bins);
    let chosen = if isotonic_check.ece <= platt_check.ece { isotonic.clone() } else { platt.clone() };
    HeldOutFit { chosen, platt, isotonic, fit_cases: fit.len(), platt_check, isotonic_check }
}

/// Where the probability map of [`recalibrate`] is fitted.
pub enum HeldOut<'a> {
    /// The sets the model's recipe kept out of training (`calibration_sets`).
    Reserve,
    /// Cases the model did not train on (e.g. `eval make-cases go-annotations` for a model
    /// trained `--hold-out` on them): alternate cases fit and check.
    Cases(&'a [super::eval::cases::Case]),
}

/// Fits the probability map of the model in `dir` on held-out data (see [`ProbabilityMap`])
/// and saves it. A model from before the logit scale existed gets its Platt logit fit first,
/// as training does. With `new_fingerprint` the model gets a new fingerprint (its answers
/// change, so stored predictions count as stale); training keeps its own.
pub fn recalibrate(store: &crate::store::Store, dir: &std::path::Path, held_out: HeldOut, new_fingerprint: bool) -> super::Result<HeldOutFit> {
    let mut model = super::checkpoint::load(dir)?;
    let recipe = model.file.training.clone().ok_or_else(|| {
        super::ModelError::Invalid("the model records no training recipe (imported?); it cannot be recalibrated".into())
    })?;
    let corpus = super::corpus::Corpus::for_recipe(store, &recipe)?;
    let (fit_cases, check_cases) = match held_out {
        HeldOut::Cases(cases) => {
            let (fit, check): (Vec<_>, Vec<_>) = cases.iter().cloned().enumerate().partition(|(i, _)| i % 2 == 0);
            (fit.into_iter().map(|c| c.1).collect(), check.into_iter().map(|c| c.1).collect())
        }
        HeldOut::Reserve if corpus.reserve.is_empty() => {
            return Err(super::ModelError::Invalid(format!(
                "the model in {} was trained on every set of its libraries (its recipe keeps no calibration sets), so no \
                 held-out sets are left to fit its probabilities on; retrain it (`genekg train` keeps {} sets out by default), \
                 or pass `--cases FILE` with cases it did not train on",
                dir.display(),
                super::config::DEFAULT_CALIBRATION_SETS
            )))
        }
        HeldOut::Reserve => corpus.reserve_cases(recipe.seed),
    };
    let config = &model.file.model;
    if config.logit_scale.is_none() && config.objective == super::Objective::Multinomial {
        let examples = corpus.examples(&model.vocab);
        let hide = if config.input_dropout > 0.0 { config.input_dropout } else { 0.5 };
        let blend = model.item_item.as_ref().zip(config.item_item.map(|c| c.weight));
        let c = fit(&model.network, blend, &examples, hide, recipe.seed);
        model.file.model.logit_scale = Some(c.scale);
        model.file.model.logit_offset = Some(c.offset);
    }
    model.file.model.probability_map = None;
    let (scale, offset) = (model.file.model.logit_scale, model.file.model.logit_offset);
    let gsfm = super::Gsfm::from_dir(model);
    let outcome = fit_held_out(&gsfm, &fit_cases, &check_cases, 10);
    drop(gsfm);
    // The weights moved into the scorer and are unchanged: read them again to save.
    let mut saved = super::checkpoint::load(dir)?;
    saved.file.model.logit_scale = scale;
    saved.file.model.logit_offset = offset;
    saved.file.model.probability_map = Some(outcome.chosen.clone());
    let fingerprint = if new_fingerprint {
        use sha2::Digest;
        let map = serde_json::to_string(&saved.file.model.probability_map).expect("map serialises");
        hex::encode(sha2::Sha256::digest(format!(
            "{}:calibration:{:?}:{:?}:{map}",
            saved.fingerprint, saved.file.model.logit_scale, saved.file.model.logit_offset
        )))
    } else {
        saved.fingerprint.clone()
    };
    super::checkpoint::save(dir, &saved.network, &saved.vocab, &saved.file, saved.item_item.as_ref(), saved.gene_prior.as_ref(), saved.comention.as_ref(), &fingerprint)?;
    tracing::info!(
        fit_cases = outcome.fit_cases,
        platt_ece = format!("{:.4}", outcome.platt_check.ece),
        isotonic_ece = format!("{:.4}", outcome.isotonic_check.ece),
        kept = match outcome.chosen { ProbabilityMap::Platt { .. } => "platt", ProbabilityMap::Isotonic { .. } => "isotonic" },
        "probability map fitted on held-out sets"
    );
    Ok(outcome)
}

/// Saves `model`, whose answers changed (a part given or removed: `prior::apply`,
/// `comention::apply`), under `fingerprint`, and refits its probability map on the recipe's
/// calibration sets. A model whose recipe kept none (or that records no recipe) is left with
/// `sigmoid(logit)`, with a warning if it had a map. Returns whether the map was refitted.
pub(crate) fn save_and_refit(store: &crate::store::Store, dir: &std::path::Path, mut model: super::checkpoint::ModelDir, fingerprint: &str) -> super::Result<bool> {
    let had_map = model.file.model.probability_map.is_some();
    let reserve = match &model.file.training {
        Some(recipe) => !super::corpus::Corpus::for_recipe(store, recipe)?.reserve.is_empty(),
        None => false,
    };
    model.file.model.probability_map = None;
    super::checkpoint::save(dir, &model.network, &model.vocab, &model.file, model.item_item.as_ref(), model.gene_prior.as_ref(), model.comention.as_ref(), fingerprint)?;
    if reserve {
        recalibrate(store, dir, HeldOut::Reserve, false)?;
    } else if had_map {
        tracing::warn!(
            "the model's recipe kept no calibration sets: its probabilities are sigmoid(logit) until `genekg model calibrate --cases FILE`"
        );
    }
    Ok(reserve)
}

/// Platt scaling: the `(scale, offset)` minimising cross-entropy against Platt's smoothed
/// targets, by Newton's method with step halving, started from the offset-only fit. The scale
/// is floored at a small positive value so the map stays increasing.
pub fn fit_platt(xs: &[f32], ys: &[bool]) -> Calibration {
    let positives = ys.iter().filter(|&&y| y).count() as f64;
    let negatives = ys.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return Calibration { scale: 1.0, offset: 0.0 };
    }
    let (t_pos, t_neg) = ((positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0));
    let loss = |a: f64, b: f64| -> f64 {
        xs.iter()
            .zip(ys)
            .map(|(&x, &y)| {
                let f = a * x as f64 + b;
                let t = if y { t_pos } else { t_neg };
                // -(t log p + (1 - t) log(1 - p)), with log p = -softplus(-f).
                t * softplus(-f) + (1.0 - t) * softplus(f)
            })
            .sum()
    };
    let (mut a, mut b) = (1.0, fit_offset(xs, ys));
    let mut current = loss(a, b);
    for _ in 0..100 {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (&x, &y) in xs.iter().zip(ys) {
            let x = x as f64;
            let p = 1.0 / (1.0 + (-(a * x + b)).exp());
            let d = p - if y { t_pos } else { t_neg };
            let w = (p * (1.0 - p)).max(1e-12);
            ga += d * x;
            gb += d;
            haa += w * x * x;
            hab += w * x;
            hbb += w;
        }
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-300 {
            break;
        }
        let (da, db) = ((hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det);
        let mut step = 1.0;
        let mut improved = false;
        while step > 1e-6 {
            let (na, nb) = ((a - step * da).max(MIN_SCALE), b - step * db);
            let l = loss(na, nb);
            if l < current {
                (a, b, current, improved) = (na, nb, l, true);
                break;
            }
            step /= 2.0;
        }
        if !improved || (step * da).abs() < 1e-9 && (step * db).abs() < 1e-9 {
            break;
        }
    }
    Calibration { scale: a, offset: b }
}

/// Smallest scale kept: the map must stay strictly increasing, so ranks never change.
const MIN_SCALE: f64 = 1e-6;

fn softplus(x: f64) -> f64 {
    if x > 30.0 {
        x
    } else {
        x.exp().ln_1p()
    }
}

/// The `b` of `P(y) = sigmoid(x + b)` by Newton's method: the root of
/// `sum sigmoid(x + b) = positives`, which is unique and finite whenever both classes occur
/// (0 when one is missing).
fn fit_offset(xs: &[f32], ys: &[bool]) -> f64 {
    let positives = ys.iter().filter(|&&y| y).count();
    if positives == 0 || positives == ys.len() {
        return 0.0;
    }
    // Start where the mean logit sits at the base rate's log-odds; steps are capped, so from
    // there Newton cannot jump across a flat tail.
    let rate = positives as f64 / ys.len() as f64;
    let mean = xs.iter().map(|&x| x as f64).sum::<f64>() / xs.len() as f64;
    let mut b = (rate / (1.0 - rate)).ln() - mean;
    for _ in 0..200 {
        let (mut g, mut h) = (0.0, 0.0);
        for (&x, &y) in xs.iter().zip(ys) {
            let p = 1.0 / (1.0 + (-(x as f64 + b)).exp());
            g += p - if y { 1.0 } else { 0.0 };
            h += p * (1.0 - p);
        }
        let step = if h > 0.0 { (g / h).clamp(-10.0, 10.0) } else { 10.0 * g.signum() };
        b -= step;
        if step.abs() < 1e-9 {
            break;
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platt_recovers_a_known_map_and_stays_finite_when_separable() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        // Members drawn with P = sigmoid(0.1 * x - 8): logits far too spread for probabilities.
        let xs: Vec<f32> = (0..200_000).map(|_| rng.gen_range(-50.0..150.0)).collect();
        let ys: Vec<bool> = xs.iter().map(|&x| rng.gen_bool(1.0 / (1.0 + (-(0.1 * x as f64 - 8.0)).exp()))).collect();
        let c = fit_platt(&xs, &ys);
        assert!((c.scale - 0.1).abs() < 0.01 && (c.offset + 8.0).abs() < 0.8, "{c:?}");
        // Perfectly separated: a plain fit diverges, the smoothed one stays finite and increasing.
        let ys: Vec<bool> = xs.iter().map(|&x| x > 100.0).collect();
        let c = fit_platt(&xs, &ys);
        assert!(c.scale.is_finite() && c.scale > 0.0 && c.offset.is_finite(), "{c:?}");
    }

    #[test]
    fn isotonic_follows_a_shape_platt_cannot_and_stays_monotone() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        // P(member) rises as a step from 0.02 to 0.6 at x = 0, then stays: no logistic fits it.
        let truth = |x: f64| if x < 0.0 { 0.02 } else { 0.6 };
        let xs: Vec<f32> = (0..100_000).map(|_| rng.gen_range(-10.0..10.0)).collect();
        let ys: Vec<bool> = xs.iter().map(|&x| rng.gen_bool(truth(x as f64))).collect();
        let map = fit_isotonic(&xs, &ys);
        let ProbabilityMap::Isotonic { knots } = &map else { panic!("isotonic") };
        assert!(knots.len() <= MAX_BLOCKS && knots.windows(2).all(|w| w[0][0] < w[1][0] && w[0][1] < w[1][1]), "{knots:?}");
        for x in [-8.0f32, -3.0, 3.0, 8.0] {
            let p = map.probability(x) as f64;
            assert!((p - truth(x as f64)).abs() < 0.03, "isotonic at {x}: {p}");
        }
        let c = fit_platt(&xs, &ys);
        let platt = ProbabilityMap::Platt { scale: c.scale, offset: c.offset };
        let worst = [-8.0f32, -3.0, 3.0, 8.0].iter().map(|&x| (platt.probability(x) as f64 - truth(x as f64)).abs()).fold(0.0, f64::max);
        assert!(worst > 0.05, "a logistic cannot follow a step: off by {worst}");
        // Flat beyond the ends, and a block is never fewer than MIN_BLOCK predictions.
        assert_eq!(map.probability(-1e6), knots[0][1] as f32);
        assert_eq!(map.probability(1e6), knots[knots.len() - 1][1] as f32);
        let few = fit_isotonic(&[1.0, 2.0, 3.0], &[false, true, true]);
        assert_eq!(few, ProbabilityMap::Isotonic { knots: vec![[2.0, 2.0 / 3.0]] }, "three predictions make one block, its knot at their mean");
    }

    #[test]
    fn isotonic_keeps_rising_inside_a_block() {
        // 5,000 predictions whose rate rises steadily: blocks of 200 or more span >= 0.4 in x,
        // so a map flat within each block would give some of these four points one value.
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let truth = |x: f64| x / 12.0;
        let xs: Vec<f32> = (0..5_000).map(|_| rng.gen_range(0.0..10.0)).collect();
        let ys: Vec<bool> = xs.iter().map(|&x| rng.gen_bool(truth(x as f64))).collect();
        let map = fit_isotonic(&xs, &ys);
        let ps: Vec<f32> = [5.0f32, 5.1, 5.2, 5.3].iter().map(|&x| map.probability(x)).collect();
        assert!(ps.windows(2).all(|w| w[0] < w[1]), "{ps:?}");
        for (x, p) in [5.0, 5.1, 5.2, 5.3].iter().zip(&ps) {
            assert!((*p as f64 - truth(*x)).abs() < 0.08, "at {x}: {p}");
        }
    }

    #[test]
    fn probability_maps_round_trip_through_json() {
        for map in [ProbabilityMap::Platt { scale: 0.1, offset: -5.0 }, ProbabilityMap::Isotonic { knots: vec![[-3.0, 0.001], [4.0, 0.7]] }] {
            let text = serde_json::to_string(&map).unwrap();
            assert_eq!(serde_json::from_str::<ProbabilityMap>(&text).unwrap(), map, "{text}");
        }
        let iso = ProbabilityMap::Isotonic { knots: vec![[-3.0, 0.1], [1.0, 0.5]] };
        assert!((iso.probability(-1.0) - 0.3).abs() < 1e-6, "linear between knots");
    }

    #[test]
    fn offset_makes_probabilities_sum_to_the_members() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        // Logits far from 0, as a multinomial model can leave them, and members almost
        // perfectly separated (the case that makes a fitted slope diverge).
        let xs: Vec<f32> = (0..200_000).map(|_| rng.gen_range(-130.0..-110.0)).collect();
        let ys: Vec<bool> = xs.iter().map(|&x| x > -110.5).collect();
        let b = fit_offset(&xs, &ys);
        let members = ys.iter().filter(|&&y| y).count() as f64;
        let predicted: f64 = xs.iter().map(|&x| 1.0 / (1.0 + (-(x as f64 + b)).exp())).sum();
        assert!((predicted - members).abs() < 1e-3 * members, "{predicted} vs {members}");
        assert!(b > 100.0, "{b}");
        assert_eq!(fit_offset(&[1.0, 2.0], &[true, true]), 0.0);
        assert_eq!(fit_offset(&[], &[]), 0.0);
    }
}
