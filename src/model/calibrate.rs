//! An output offset for models trained with the multinomial objective.
//!
//! Why: softmax cross-entropy pins the logits of a set only up to a shared constant, so
//! `sigmoid(logit)` of such a model is a score, not a probability, and the "logit > 0" rule of
//! the stored predictions would select an arbitrary number of genes. After training we fit one
//! offset `b` so that on training sets with part of each hidden, `sigmoid(logit + b)` over the
//! genes outside the input sums to the number of hidden members (the maximum-likelihood offset),
//! and add it to every logit the model returns. Ranks, z-scores and evaluation metrics do not
//! change. No slope is fitted: on sets it was trained on, the model separates hidden members
//! from the rest almost perfectly, and a fitted slope diverges.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::item_item::ItemItem;
use super::network::{Batch, Network};
use super::vocab::Vocab;

/// Training sets the fit looks at: ~10M (logit, member) pairs for a 20,000-gene vocabulary.
const SAMPLE_SETS: usize = 512;

/// Fits the offset on up to [`SAMPLE_SETS`] of `examples` (vocabulary columns): each set keeps a
/// random `1 - hide` share as input, and every gene column outside that input is one pair.
/// With an item-item path (and its weight), the logits are the blended ones the model returns.
pub fn fit(network: &Network, item_item: Option<(&ItemItem, f64)>, examples: &[Vec<i64>], hide: f64, seed: u64) -> f64 {
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
    fit_offset(&xs, &ys)
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
