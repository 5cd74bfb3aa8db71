//! Long inputs answered as a mixture of chunks.
//!
//! Why: a GO term of several hundred genes spans several functions, and one 256-wide code
//! summarises such a mixture poorly, while the model was trained on inputs of a few to a few
//! dozen genes (literature sets, and every set with half its genes dropped). So a set with more
//! than `k` vocabulary genes is dealt into `ceil(n / k)` chunks, each chunk is run through the
//! model, and the answer is the mixture `p(g) = mean over chunks of p(g | chunk)`: a gene scores
//! high if it belongs with any part of the input, not only with its average. Sets of at most
//! `k` genes are answered exactly as before. docs/model.md has the evaluation behind it.

/// The model's input columns for one set, split into chunks of at most `k` gene columns.
/// Gene columns are dealt round-robin in column (frequency) order, so every chunk gets a
/// similar mix of common and rare genes, and the split needs no random state: the same set is
/// always answered the same way. `<unk>` (and any special column) goes into every chunk.
pub fn chunks(columns: &[i64], first_gene: i64, k: Option<usize>) -> Vec<Vec<i64>> {
    let (special, genes): (Vec<i64>, Vec<i64>) = columns.iter().partition(|&&c| c < first_gene);
    let Some(k) = k.filter(|&k| k > 0 && genes.len() > k) else {
        return vec![columns.to_vec()];
    };
    let m = genes.len().div_ceil(k);
    (0..m)
        .map(|j| {
            let mut chunk = special.clone();
            chunk.extend(genes.iter().skip(j).step_by(m));
            chunk
        })
        .collect()
}

/// Mixes the logits of a multinomial model: `log(mean_j softmax(z_j))`, shifted back by the mean
/// log-normaliser so a single chunk gives its logits unchanged (and the calibrated offset keeps
/// its meaning).
pub fn mix_multinomial(mut parts: Vec<Vec<f32>>) -> Vec<f32> {
    if parts.len() == 1 {
        return parts.pop().expect("one part");
    }
    let lse: Vec<f32> = parts.iter().map(|z| log_sum_exp(z)).collect();
    let shift = lse.iter().sum::<f32>() / parts.len() as f32;
    let ln_m = (parts.len() as f32).ln();
    (0..parts[0].len())
        .map(|g| {
            let max = parts.iter().zip(&lse).map(|(z, l)| z[g] - l).fold(f32::NEG_INFINITY, f32::max);
            let sum: f32 = parts.iter().zip(&lse).map(|(z, l)| (z[g] - l - max).exp()).sum();
            max + sum.ln() - ln_m + shift
        })
        .collect()
}

/// Mixes the logits of a Bernoulli (BCE) model: `logit(mean_j sigmoid(z_j))`.
pub fn mix_bernoulli(mut parts: Vec<Vec<f32>>) -> Vec<f32> {
    if parts.len() == 1 {
        return parts.pop().expect("one part");
    }
    let m = parts.len() as f64;
    (0..parts[0].len())
        .map(|g| {
            let p = parts.iter().map(|z| 1.0 / (1.0 + (-z[g] as f64).exp())).sum::<f64>() / m;
            let p = p.clamp(1e-12, 1.0 - 1e-12);
            (p / (1.0 - p)).ln() as f32
        })
        .collect()
}

fn log_sum_exp(z: &[f32]) -> f32 {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        return max;
    }
    max + z.iter().map(|x| (x - max).exp()).sum::<f32>().ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_sets_stay_whole_and_long_ones_are_dealt_round_robin() {
        assert_eq!(chunks(&[0, 2, 3, 4], 2, Some(3)), vec![vec![0, 2, 3, 4]]);
        assert_eq!(chunks(&[2, 3, 4, 5], 2, None), vec![vec![2, 3, 4, 5]]);
        assert_eq!(chunks(&[0, 2, 3, 4, 5, 6], 2, Some(2)), vec![vec![0, 2, 5], vec![0, 3, 6], vec![0, 4]]);
        let all: Vec<i64> = (2..102).collect();
        let parts = chunks(&all, 2, Some(25));
        assert_eq!(parts.len(), 4);
        assert!(parts.iter().all(|p| p.len() == 25));
        let mut back: Vec<i64> = parts.concat();
        back.sort_unstable();
        assert_eq!(back, all, "every gene in exactly one chunk");
    }

    #[test]
    fn one_part_is_unchanged_and_mixtures_average_probabilities() {
        let z = vec![1.0f32, -2.0, 0.5];
        assert_eq!(mix_multinomial(vec![z.clone()]), z);
        assert_eq!(mix_bernoulli(vec![z.clone()]), z);
        // Two chunks: softmax [0.5, 0.5, ~0] and [~0, 0.5, 0.5] mix to [0.25, 0.5, 0.25].
        let a = vec![0.0f32, 0.0, -100.0];
        let b = vec![-100.0f32, 0.0, 0.0];
        let mixed = mix_multinomial(vec![a, b]);
        let total = log_sum_exp(&mixed);
        let p: Vec<f32> = mixed.iter().map(|x| (x - total).exp()).collect();
        for (got, want) in p.iter().zip([0.25f32, 0.5, 0.25]) {
            assert!((got - want).abs() < 1e-5, "{p:?}");
        }
        // Bernoulli: sigmoid 0.5 and ~1 mix to 0.75, logit ln 3.
        let m = mix_bernoulli(vec![vec![0.0], vec![40.0]]);
        assert!((m[0] - 3f32.ln()).abs() < 1e-5, "{m:?}");
    }
}
