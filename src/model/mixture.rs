//! Long inputs answered as a mixture of chunks.
//!
//! Why: a GO term of several hundred genes spans several functions, and one 256-wide code
//! summarises such a mixture poorly, while the model was trained on inputs of a few to a few
//! dozen genes (literature sets, and every set with half its genes dropped). So a set with more
//! than `k` vocabulary genes is dealt into `ceil(n / k)` chunks, each chunk is run through the
//! model, and the answer is the mixture `p(g) = mean over chunks of p(g | chunk)`: a gene scores
//! high if it belongs with any part of the input, not only with its average. Sets of at most
//! `k` genes are answered exactly as before. docs/model.md has the evaluation behind it.

use wide::f32x8;

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

/// What turns the network's raw outputs into the model's logits: `logit_scale` multiplies each
/// chunk before the mixture (the calibration's scale was fitted on whole inputs), and
/// `logit_offset` is added after it (a shift, which the mixture keeps). `None` leaves a row
/// as it is; both are applied in `f32`, as libtorch applied them before.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    pub scale: Option<f32>,
    pub offset: Option<f32>,
}

/// The answer for one input from its chunks' raw outputs (each the gene columns of one row):
/// one chunk is passed through (scaled and shifted), several are mixed.
/// Multinomial: `log(mean_j softmax(z_j))`, shifted back by the mean log-normaliser so the
/// calibrated offset keeps its meaning. Bernoulli (BCE): `logit(mean_j sigmoid(z_j))`.
///
/// Why in Rust, one input at a time: done by libtorch on a whole `[rows, genes]` block, the
/// mixture took a dozen passes over ~40 MB (select, log-sum-exp, softmax, sum, clamp, log,
/// copy), each from memory; `genekg model predict` spent as long in it as in the forward passes.
/// Here each chunk is read three times while it is in cache, with one `exp` per value
/// (`wide`'s vectorised one); the mixed values agree with libtorch's to float tolerance
/// (tests below and in `tests/model.rs`).
pub fn mix_rows(chunks: &[&[f32]], affine: Affine, objective: Objective) -> Vec<f32> {
    let mut out = match chunks {
        [] => return vec![],
        [one] => match affine.scale {
            Some(s) => one.iter().map(|&x| x * s).collect(),
            None => one.to_vec(),
        },
        _ => match objective {
            Objective::Multinomial => mix_softmax(chunks, affine.scale.unwrap_or(1.0)),
            Objective::Bce => mix_sigmoid(chunks, affine.scale.unwrap_or(1.0)),
        },
    };
    if let Some(o) = affine.offset {
        for x in &mut out {
            *x += o;
        }
    }
    out
}

/// A probability below f32's smallest normal in every chunk would log to -inf; clamping there
/// only ties genes the model gives no chance anywhere.
const FLOOR: f32 = f32::MIN_POSITIVE;

/// `x` eight values at a time, the tail padded with `pad`.
fn eights(x: &[f32], pad: f32) -> impl Iterator<Item = f32x8> + '_ {
    let body = x.chunks_exact(8);
    let rest = body.remainder();
    let tail = (!rest.is_empty()).then(|| {
        let mut t = [pad; 8];
        t[..rest.len()].copy_from_slice(rest);
        f32x8::from(t)
    });
    body.map(|c| f32x8::from(<[f32; 8]>::try_from(c).expect("eight values"))).chain(tail)
}

/// `out[i] = f(x[i])`, eight at a time (the tail is padded with `pad`, which `f` must accept;
/// `f` sees the same vectors in the same order as [`eights`] gives them). Whole groups of eight
/// are stored as one fixed-size array: a copy of a length known only at run time compiled to a
/// `memcpy` call per eight values, ~2.7% of `genekg model predict`'s cycles.
fn map8(x: &[f32], out: &mut [f32], pad: f32, mut f: impl FnMut(f32x8) -> f32x8) {
    debug_assert_eq!(x.len(), out.len());
    let mut body = out.chunks_exact_mut(8);
    let mut values = eights(x, pad);
    for (o, v) in (&mut body).zip(&mut values) {
        let o: &mut [f32; 8] = o.try_into().expect("eight values");
        *o = f(v).to_array();
    }
    let rest = body.into_remainder();
    if let Some(v) = values.next() {
        let n = rest.len();
        rest.copy_from_slice(&f(v).to_array()[..n]);
    }
}

fn mix_softmax(chunks: &[&[f32]], scale: f32) -> Vec<f32> {
    let genes = chunks[0].len();
    let s = f32x8::splat(scale);
    let mut sum_p = vec![0f32; genes];
    let mut e = vec![0f32; genes];
    let mut lse_sum = 0f64;
    // Padding that scales to -inf: no part of the maximum, and exp gives 0.
    let pad = if scale < 0.0 { f32::INFINITY } else { f32::NEG_INFINITY };
    for z in chunks {
        debug_assert_eq!(z.len(), genes);
        let max = eights(z, pad).fold(f32x8::splat(f32::NEG_INFINITY), |m, v| m.max(v * s));
        let max = max.to_array().into_iter().fold(f32::NEG_INFINITY, f32::max);
        let m = f32x8::splat(max);
        // e = exp(scale z - max), and its sum.
        let mut total = f32x8::ZERO;
        map8(z, &mut e, pad, |v| {
            let x = (v * s - m).exp();
            total += x;
            x
        });
        let total = total.reduce_add();
        lse_sum += max as f64 + (total as f64).ln();
        let w = 1.0 / total;
        for (p, &x) in sum_p.iter_mut().zip(&e) {
            *p += x * w;
        }
    }
    let count = f32x8::splat(chunks.len() as f32);
    let floor = f32x8::splat(FLOOR);
    let mean_lse = f32x8::splat((lse_sum / chunks.len() as f64) as f32);
    map8(&sum_p, &mut e, 1.0, |p| (p / count).max(floor).ln() + mean_lse);
    e
}

fn mix_sigmoid(chunks: &[&[f32]], scale: f32) -> Vec<f32> {
    let genes = chunks[0].len();
    let mut p = vec![0f32; genes];
    for z in chunks {
        for (p, &x) in p.iter_mut().zip(z.iter()) {
            *p += 1.0 / (1.0 + (-(x * scale)).exp());
        }
    }
    let n = chunks.len() as f32;
    p.into_iter()
        .map(|p| {
            let p = (p / n).clamp(FLOOR, 1.0 - 1e-7);
            (p / (1.0 - p)).ln()
        })
        .collect()
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

    /// `map8` as it was, copying each group through a slice of run-time length.
    fn map8_by_slices(x: &[f32], out: &mut [f32], pad: f32, mut f: impl FnMut(f32x8) -> f32x8) {
        for (v, o) in eights(x, pad).zip(out.chunks_mut(8)) {
            let n = o.len();
            o.copy_from_slice(&f(v).to_array()[..n]);
        }
    }

    /// `map8` writes the same values and hands `f` the same vectors in the same order (what
    /// `mix_softmax` sums its totals from), for every tail length.
    #[test]
    fn map8_matches_the_slice_copy() {
        for len in 0..=35 {
            let x: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin() * 30.0).collect();
            let run = |map: fn(&[f32], &mut [f32], f32, &mut dyn FnMut(f32x8) -> f32x8)| {
                let mut out = vec![f32::NAN; len];
                let mut seen = Vec::new();
                map(&x, &mut out, f32::NEG_INFINITY, &mut |v| {
                    seen.push(v.to_array());
                    (v * f32x8::splat(0.1)).exp()
                });
                (out, seen)
            };
            let new = run(|x, o, p, f| map8(x, o, p, f));
            let old = run(|x, o, p, f| map8_by_slices(x, o, p, f));
            let bits = |(out, seen): &(Vec<f32>, Vec<[f32; 8]>)| {
                (out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), seen.iter().flatten().map(|v| v.to_bits()).collect::<Vec<_>>())
            };
            assert_eq!(bits(&new), bits(&old), "{len} values");
            assert_eq!(new.1.len(), len.div_ceil(8));
        }
    }

    fn mix(chunks: &[&[f32]], objective: Objective) -> Vec<f32> {
        mix_rows(chunks, Affine { scale: None, offset: None }, objective)
    }

    #[test]
    fn single_rows_pass_through_and_mixtures_average_probabilities() {
        let one = [1.0f32, -2.0, 0.5];
        assert_eq!(mix(&[&one], Objective::Multinomial), one.to_vec());
        // softmax [0.5, 0.5, ~0] and [~0, 0.5, 0.5] mix to [0.25, 0.5, 0.25].
        let mixed = mix(&[&[0.0, 0.0, -100.0], &[-100.0, 0.0, 0.0]], Objective::Multinomial);
        let lse = mixed.iter().map(|x| x.exp()).sum::<f32>().ln();
        for (got, want) in mixed.iter().map(|x| (x - lse).exp()).zip([0.25f32, 0.5, 0.25]) {
            assert!((got - want).abs() < 1e-5, "{mixed:?}");
        }
        // Bernoulli: sigmoid 0.5 and ~1 mix to 0.75, logit ln 3.
        let b = mix(&[&[0.0], &[40.0]], Objective::Bce);
        assert!((b[0] - 3f32.ln()).abs() < 1e-5, "{b:?}");
    }

    /// The mixture as libtorch computed it before (whole block, `softmax`, `logsumexp`, `log`),
    /// against `mix_rows`: one chunk gives the same bits, several the same values to float
    /// tolerance, over rows long enough for the eight-wide steps and a tail.
    #[test]
    fn mix_rows_agrees_with_libtorch() {
        use tch::{Kind, Tensor};
        let (scale, offset) = (0.105f32, -5.58f32);
        let affine = Affine { scale: Some(scale), offset: Some(offset) };
        tch::manual_seed(5);
        let genes = 1_003;
        let z = Tensor::randn([4, genes], (Kind::Float, tch::Device::Cpu)) * 40.0;
        let rows: Vec<Vec<f32>> = (0..4).map(|i| Vec::<f32>::try_from(z.get(i)).unwrap()).collect();
        let scaled = &z * scale as f64;
        let want_one = Vec::<f32>::try_from(scaled.get(0) + offset as f64).unwrap();
        assert_eq!(mix_rows(&[&rows[0]], affine, Objective::Multinomial), want_one, "one chunk: the same bits");
        let lse = scaled.logsumexp([1].as_slice(), true);
        let want = (scaled.softmax(1, Kind::Float).mean_dim([0].as_slice(), false, Kind::Float).clamp_min(FLOOR as f64).log()
            + lse.mean(Kind::Float))
            + offset as f64;
        let want = Vec::<f32>::try_from(want).unwrap();
        let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let got = mix_rows(&refs, affine, Objective::Multinomial);
        assert_eq!(got.len(), genes as usize);
        let worst = got.iter().zip(&want).map(|(a, b)| (a - b).abs() / b.abs().max(1.0)).fold(0f32, f32::max);
        assert!(worst < 1e-5, "mixture differs from libtorch's by {worst} (relative)");
        assert!(got.iter().all(|x| x.is_finite()));
    }
}
