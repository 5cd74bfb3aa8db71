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

/// Refits the calibration of a trained model in `dir` on its training corpus, as training does
/// (same sets, hidden share and seed), and saves it. The model gets a new fingerprint (its
/// answers change), so stored predictions and indexes count as stale. For models trained
/// before the scale existed; needs the recipe in `config.json` and the store it was trained on.
pub fn recalibrate(store: &crate::store::Store, dir: &std::path::Path) -> super::Result<(Calibration, String)> {
    let mut model = super::checkpoint::load(dir)?;
    let recipe = model.file.training.clone().ok_or_else(|| {
        super::ModelError::Invalid("the model records no training recipe (imported?); it cannot be recalibrated".into())
    })?;
    let corpus = super::corpus::Corpus::for_recipe(store, &recipe)?;
    let examples: Vec<Vec<i64>> = corpus
        .sets
        .iter()
        .map(|s| model.vocab.encode(&s.genes))
        .filter(|cols| cols.iter().any(|&c| c >= Vocab::first_gene_column() as i64))
        .collect();
    let config = &model.file.model;
    let hide = if config.input_dropout > 0.0 { config.input_dropout } else { 0.5 };
    let blend = model.item_item.as_ref().zip(config.item_item.map(|c| c.weight));
    let c = fit(&model.network, blend, &examples, hide, recipe.seed);
    model.file.model.logit_scale = Some(c.scale);
    model.file.model.logit_offset = Some(c.offset);
    use sha2::Digest;
    let fingerprint = hex::encode(sha2::Sha256::digest(format!("{}:calibration:{}:{}", model.fingerprint, c.scale, c.offset)));
    super::checkpoint::save(dir, &model.network, &model.vocab, &model.file, model.item_item.as_ref(), &fingerprint)?;
    Ok((c, fingerprint))
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
