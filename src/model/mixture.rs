//! Long inputs answered as a mixture of chunks.
//!
//! Why: a GO term of several hundred genes spans several functions, and one 256-wide code
//! summarises such a mixture poorly, while the model was trained on inputs of a few to a few
//! dozen genes (literature sets, and every set with half its genes dropped). So a set with more
//! than `k` vocabulary genes is dealt into `ceil(n / k)` chunks, each chunk is run through the
//! model, and the answer is the mixture `p(g) = mean over chunks of p(g | chunk)`: a gene scores
//! high if it belongs with any part of the input, not only with its average. Sets of at most
//! `k` genes are answered exactly as before. docs/model.md has the evaluation behind it.

use tch::{Kind, Tensor};

use super::config::Objective;

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

/// Answers for whole inputs from a block of chunk logits `[rows, genes]`, where input `i` owns
/// `parts[i]` consecutive rows: one row is passed through bit for bit, several are mixed.
/// Multinomial: `log(mean_j softmax(z_j))`, shifted back by the mean log-normaliser so the
/// calibrated offset keeps its meaning. Bernoulli (BCE): `logit(mean_j sigmoid(z_j))`.
pub fn mix(block: &Tensor, parts: &[usize], objective: Objective) -> Tensor {
    if parts.iter().all(|&n| n == 1) {
        return block.shallow_clone();
    }
    let device = block.device();
    // Rows of inputs answered whole, and where they go; rows of mixed inputs, the mixed
    // input (segment) each belongs to, and where each mixed input goes.
    let (mut single_rows, mut single_at) = (vec![], vec![]);
    let (mut multi_rows, mut segment, mut multi_at, mut counts) = (vec![], vec![], vec![], vec![]);
    let mut row = 0i64;
    for (i, &n) in parts.iter().enumerate() {
        if n == 1 {
            single_rows.push(row);
            single_at.push(i as i64);
        } else {
            multi_rows.extend(row..row + n as i64);
            segment.extend(std::iter::repeat_n(multi_at.len() as i64, n));
            multi_at.push(i as i64);
            counts.push(n as f32);
        }
        row += n as i64;
    }
    let genes = block.size()[1];
    let z = block.index_select(0, &Tensor::from_slice(&multi_rows).to(device));
    let segment = Tensor::from_slice(&segment).to(device);
    let counts = Tensor::from_slice(&counts).to(device).unsqueeze(1);
    let mean_over = |t: &Tensor, width: i64| {
        Tensor::zeros([multi_at.len() as i64, width], (Kind::Float, device)).index_add(0, &segment, t) / &counts
    };
    // A probability below f32's smallest normal in every chunk would log to -inf; clamping
    // there only ties genes the model gives no chance anywhere.
    let floor = f32::MIN_POSITIVE as f64;
    let mixed = match objective {
        Objective::Multinomial => {
            let lse = z.logsumexp([1].as_slice(), true);
            mean_over(&z.softmax(1, Kind::Float), genes).clamp_min(floor).log() + mean_over(&lse, 1)
        }
        Objective::Bce => {
            let p = mean_over(&z.sigmoid(), genes).clamp(floor, 1.0 - 1e-7);
            (&p / (p.ones_like() - &p)).log()
        }
    };
    // Filled in place: both parts are written into one output block, with no copies of it.
    let mut out = Tensor::empty([parts.len() as i64, genes], (block.kind(), device));
    let _ = out.index_copy_(0, &Tensor::from_slice(&multi_at).to(device), &mixed.to_kind(block.kind()));
    if !single_at.is_empty() {
        let singles = block.index_select(0, &Tensor::from_slice(&single_rows).to(device));
        let _ = out.index_copy_(0, &Tensor::from_slice(&single_at).to(device), &singles);
    }
    out
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

    fn rows(t: &Tensor) -> Vec<Vec<f32>> {
        let w = t.size()[1] as usize;
        Vec::<f32>::try_from(t.contiguous().view([-1])).unwrap().chunks(w).map(<[f32]>::to_vec).collect()
    }

    #[test]
    fn single_rows_pass_through_and_mixtures_average_probabilities() {
        // Input 0 owns row 0, input 1 rows 1-2, input 2 row 3.
        let block = Tensor::from_slice(&[1.0f32, -2.0, 0.5, 0.0, 0.0, -100.0, -100.0, 0.0, 0.0, 3.0, 2.0, 1.0]).view([4, 3]);
        let mixed = rows(&mix(&block, &[1, 2, 1], Objective::Multinomial));
        assert_eq!(mixed[0], vec![1.0, -2.0, 0.5]);
        assert_eq!(mixed[2], vec![3.0, 2.0, 1.0]);
        // softmax [0.5, 0.5, ~0] and [~0, 0.5, 0.5] mix to [0.25, 0.5, 0.25].
        let lse = mixed[1].iter().map(|x| x.exp()).sum::<f32>().ln();
        for (got, want) in mixed[1].iter().map(|x| (x - lse).exp()).zip([0.25f32, 0.5, 0.25]) {
            assert!((got - want).abs() < 1e-5, "{mixed:?}");
        }
        // Bernoulli: sigmoid 0.5 and ~1 mix to 0.75, logit ln 3.
        let b = rows(&mix(&Tensor::from_slice(&[0.0f32, 40.0]).view([2, 1]), &[2], Objective::Bce));
        assert!((b[0][0] - 3f32.ln()).abs() < 1e-5, "{b:?}");
        // Nothing to mix: the block itself.
        assert_eq!(rows(&mix(&block, &[1, 1, 1, 1], Objective::Multinomial)), rows(&block));
    }
}
