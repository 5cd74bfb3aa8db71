//! A full-rank gene-to-gene path beside the autoencoder's bottleneck.
//!
//! Why: every association the autoencoder keeps must pass through 256 numbers. That is what
//! lets it generalise, but it blurs the long tail. On the GO BP random split the autoencoder
//! alone ranked held-out genes below plain co-occurrence counting (docs/model.md). This path
//! is EASE (Steck, WWW 2019): a ridge regression of each gene on all the others over the
//! training sets, in closed form. With `P = (XᵀX + λI)⁻¹`, the weights are `B = -P / diag(P)`
//! column by column, with `diag(B) = 0`. So a gene never predicts itself, and a pair that is
//! explained by other genes gets little weight. That is what makes it better than raw counts.
//!
//! A dense `B` for 20,000 genes takes 1.5 GB. Each row keeps only its `keep` largest weights by
//! magnitude; at 1,024 the evaluation did not move (docs/model.md).
//!
//! The model's logit for gene j is `dae_j + w * sd(dae) * z(s)_j`, where `s = Σ_{i in input} B_i`
//! and `z` standardises `s` over the gene columns. The autoencoder row keeps its mean and
//! spread, so the fitted offset and the per-set z-scores keep their meaning. `w` sets how much
//! the ranking leans on the item-item path.

use std::collections::HashMap;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor};

use super::{ModelError, Result};

pub const FILE: &str = "item_item.safetensors";
const COLUMNS: &str = "item_item.columns";
const WEIGHTS: &str = "item_item.weights";

/// How the path is fitted and mixed in; part of the model's config and fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ItemItemConfig {
    /// Ridge penalty: larger values shrink weights between genes that share few sets.
    pub lambda: f64,
    /// Weights kept per gene.
    pub keep: usize,
    /// Share of the ranking from this path (`w` above); 0 leaves the autoencoder alone.
    pub weight: f64,
}

/// Largest vocabulary the path is fitted for. The fit holds two dense `genes x genes` float
/// matrices (3.1 GB at 19,593 genes, 12.8 GB at this limit) and its time grows with the cube.
pub const MAX_GENES: usize = 40_000;

impl ItemItemConfig {
    /// Refuses a vocabulary too large to fit, before any training time is spent.
    pub fn check_genes(genes: usize) -> std::result::Result<(), String> {
        if genes > MAX_GENES {
            let gb = 2.0 * (genes as f64).powi(2) * 4.0 / 1e9;
            return Err(format!(
                "the gene-to-gene path needs two dense {genes} x {genes} matrices (~{gb:.0} GB) for a vocabulary of {genes} genes (at most {MAX_GENES}); raise --min-gene-sets or pass --item-item-lambda 0"
            ));
        }
        Ok(())
    }

    pub fn validate(&self) -> std::result::Result<(), String> {
        if !(self.lambda.is_finite() && self.lambda > 0.0) {
            return Err(format!("item-item lambda {} must be a positive number", self.lambda));
        }
        if self.keep == 0 {
            return Err("item-item keep must be at least 1".into());
        }
        if !(self.weight.is_finite() && self.weight >= 0.0) {
            return Err(format!("item-item weight {} must be 0 or more", self.weight));
        }
        Ok(())
    }
}

/// The sparse weights: row i holds the genes that gene i votes for.
pub struct ItemItem {
    genes: usize,
    keep: usize,
    /// `genes x keep` gene indices (0 = first gene column).
    columns: Vec<i32>,
    /// `genes x keep` weights, matching `columns`.
    weights: Vec<f32>,
}

impl ItemItem {
    /// Fits the path on training sets given as gene indices (0-based, `< genes`). The Gram
    /// matrix is counted on the CPU; the inverse is libtorch's Cholesky (~35 s for 20,000
    /// genes on 2 cores; at most two dense copies, 3.1 GB, at any time).
    pub fn fit(sets: &[Vec<usize>], genes: usize, lambda: f64, keep: usize) -> Result<Self> {
        let keep = keep.min(genes.saturating_sub(1)).max(1);
        let mut sets_of: Vec<Vec<u32>> = vec![vec![]; genes];
        for (s, set) in sets.iter().enumerate() {
            for &g in set {
                if g >= genes {
                    return Err(ModelError::Invalid(format!("gene index {g} is outside the {genes} gene columns")));
                }
                sets_of[g].push(s as u32);
            }
        }
        let mut gram = vec![0f32; genes * genes];
        gram.par_chunks_mut(genes).zip(&sets_of).for_each(|(row, of)| {
            for &s in of {
                for &g in &sets[s as usize] {
                    row[g] += 1.0;
                }
            }
        });
        let n = genes as i64;
        let p = tch::no_grad(|| -> Result<Tensor> {
            let g = Tensor::from_slice(&gram).view([n, n]);
            drop(gram);
            let _ = g.diagonal(0, 0, 1).g_add_scalar_(lambda);
            let l = g.f_linalg_cholesky(false)?;
            drop(g);
            Ok(l.f_cholesky_inverse(false)?)
        })?;
        // B[i, j] = -P[i, j] / P[j, j], in place so the peak stays at two V x V copies.
        let diag = p.diagonal(0, 0, 1).copy();
        let mut b = p;
        let _ = b.g_div_(&diag.view([1, n])).neg_();
        let dense = Vec::<f32>::try_from(b.contiguous().view([-1]))?;
        drop(b);
        let mut columns = vec![0i32; genes * keep];
        let mut weights = vec![0f32; genes * keep];
        dense
            .par_chunks(genes)
            .zip(columns.par_chunks_mut(keep).zip(weights.par_chunks_mut(keep)))
            .enumerate()
            .for_each(|(i, (row, (cols, ws)))| {
                let mut order: Vec<usize> = (0..genes).filter(|&j| j != i).collect();
                if order.len() > keep {
                    order.select_nth_unstable_by(keep - 1, |&a, &b| row[b].abs().total_cmp(&row[a].abs()));
                    order.truncate(keep);
                }
                order.sort_unstable();
                for (k, &j) in order.iter().enumerate() {
                    cols[k] = j as i32;
                    ws[k] = row[j];
                }
            });
        Ok(Self { genes, keep, columns, weights })
    }

    /// Gene columns this path covers (the model's vocabulary minus `<unk>` and `<pad>`).
    pub fn genes(&self) -> usize {
        self.genes
    }

    /// The weight gene `from` gives gene `to` (0 where it was not kept).
    pub fn weight(&self, from: usize, to: usize) -> f32 {
        let row = from * self.keep..(from + 1) * self.keep;
        self.columns[row.clone()].iter().zip(&self.weights[row]).find(|(&c, _)| c as usize == to).map_or(0.0, |(_, &w)| w)
    }

    /// `s = Σ_{i in input} B_i` over the gene columns; `input` holds distinct gene indices.
    pub fn scores(&self, input: &[usize]) -> Vec<f32> {
        let mut s = vec![0f32; self.genes];
        for &i in input.iter().filter(|&&i| i < self.genes) {
            let row = i * self.keep..(i + 1) * self.keep;
            for (&c, &w) in self.columns[row.clone()].iter().zip(&self.weights[row]) {
                s[c as usize] += w;
            }
        }
        s
    }

    /// Adds the path to one row of autoencoder logits over the gene columns (see the module
    /// docs). A row whose scores are all equal (no input gene in the vocabulary) is left alone.
    pub fn blend(&self, logits: &mut [f32], input: &[usize], weight: f64) {
        debug_assert_eq!(logits.len(), self.genes);
        if weight == 0.0 {
            return;
        }
        let s = self.scores(input);
        let [(s_mean, s_sd), (_, l_sd)] = mean_sd_pair(&s, logits);
        if s_sd <= 0.0 {
            return;
        }
        let scale = weight * l_sd / s_sd;
        for (l, &v) in logits.iter_mut().zip(&s) {
            *l += (scale * (v as f64 - s_mean)) as f32;
        }
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let shape = [self.genes as i64, self.keep as i64];
        let columns = Tensor::from_slice(&self.columns).view(shape);
        let weights = Tensor::from_slice(&self.weights).view(shape);
        Ok(Tensor::write_safetensors(&[(COLUMNS, columns), (WEIGHTS, weights)], path)?)
    }

    /// Loads weights for a vocabulary of `genes` gene columns.
    pub fn load(path: &Path, genes: usize) -> Result<Self> {
        let corrupt = |reason: String| ModelError::Corrupt { file: path.display().to_string(), reason };
        let mut tensors: HashMap<String, Tensor> =
            Tensor::read_safetensors(path).map_err(|e| corrupt(e.to_string()))?.into_iter().collect();
        let mut take = |name: &str, kind: Kind| -> Result<Tensor> {
            let t = tensors.remove(name).ok_or_else(|| corrupt(format!("no tensor `{name}`")))?;
            match t.size2() {
                Ok((rows, _)) if rows as usize == genes && t.kind() == kind => Ok(t),
                _ => Err(corrupt(format!("`{name}` is {:?} {:?}; expected {kind:?} with {genes} rows", t.kind(), t.size()))),
            }
        };
        let columns_t = take(COLUMNS, Kind::Int)?;
        let weights_t = take(WEIGHTS, Kind::Float)?;
        if columns_t.size() != weights_t.size() {
            return Err(corrupt(format!("columns {:?} and weights {:?} differ in shape", columns_t.size(), weights_t.size())));
        }
        let keep = columns_t.size()[1] as usize;
        let columns = Vec::<i32>::try_from(columns_t.contiguous().view([-1]))?;
        let weights = Vec::<f32>::try_from(weights_t.contiguous().view([-1]))?;
        if let Some(bad) = columns.iter().find(|&&c| c < 0 || c as usize >= genes) {
            return Err(corrupt(format!("gene index {bad} is outside the {genes} gene columns")));
        }
        Ok(Self { genes, keep, columns, weights })
    }
}

/// [`mean_sd`] of two rows of equal length, the same bits, in two passes instead of four. Why:
/// each sum is one chain of dependent `f64` additions (its order fixed, so that the stored
/// predictions keep their bits), so a pass waits on the adder's latency; two chains in one loop
/// run side by side. `blend`'s four passes were 8.5% of `genekg model predict`'s cycles.
fn mean_sd_pair(a: &[f32], b: &[f32]) -> [(f64, f64); 2] {
    assert_eq!(a.len(), b.len());
    if a.is_empty() {
        return [(0.0, 0.0); 2];
    }
    let n = a.len() as f64;
    // -0.0 is where `Iterator::sum` starts, kept for the same bits when every value is -0.0.
    let (mut sa, mut sb) = (-0.0f64, -0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        sa += x as f64;
        sb += y as f64;
    }
    let (ma, mb) = (sa / n, sb / n);
    let (mut va, mut vb) = (-0.0f64, -0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        va += (x as f64 - ma).powi(2);
        vb += (y as f64 - mb).powi(2);
    }
    [(ma, (va / n).sqrt()), (mb, (vb / n).sqrt())]
}

/// What `blend` computed before [`mean_sd_pair`]; the tests hold the pair to it.
#[cfg(test)]
fn mean_sd(v: &[f32]) -> (f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0);
    }
    let n = v.len() as f64;
    let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
    let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_the_closed_form_ridge_solution() {
        // Three genes; sets {0,1}, {0,1}, {1,2}: X'X = [[2,2,0],[2,3,1],[0,1,1]], lambda 1.
        // P = (X'X + I)^-1 = [[7,-4,2],[-4,6,-3],[2,-3,8]] / 13, so B[i][j] = -P[i][j] / P[j][j].
        let ii = ItemItem::fit(&[vec![0, 1], vec![0, 1], vec![1, 2]], 3, 1.0, 10).unwrap();
        let expected = [[0.0, 4.0 / 6.0, -2.0 / 8.0], [4.0 / 7.0, 0.0, 3.0 / 8.0], [-2.0 / 7.0, 3.0 / 6.0, 0.0]];
        for (i, row) in expected.iter().enumerate() {
            for (j, &e) in row.iter().enumerate() {
                assert!((ii.weight(i, j) - e).abs() < 1e-5, "B[{i}][{j}] = {} (expected {e})", ii.weight(i, j));
            }
        }
        // keep 1: each row holds its largest weight by magnitude only.
        let one = ItemItem::fit(&[vec![0, 1], vec![0, 1], vec![1, 2]], 3, 1.0, 1).unwrap();
        assert!((one.weight(0, 1) - 4.0 / 6.0).abs() < 1e-5 && one.weight(0, 2) == 0.0);
        assert!((one.weight(2, 1) - 3.0 / 6.0).abs() < 1e-5 && one.weight(2, 0) == 0.0);
        assert_eq!(one.scores(&[0, 2]), vec![0.0, one.weight(0, 1) + one.weight(2, 1), 0.0]);
    }

    #[test]
    fn blend_keeps_the_rows_mean_and_follows_the_scores() {
        let ii = ItemItem::fit(&[vec![0, 1], vec![0, 1], vec![1, 2], vec![2, 3]], 4, 0.5, 10).unwrap();
        let before = vec![1.0f32, 2.0, 3.0, 4.0];
        let mut row = before.clone();
        ii.blend(&mut row, &[1], 10.0);
        let (m0, _) = mean_sd(&before);
        let (m1, _) = mean_sd(&row);
        assert!((m0 - m1).abs() < 1e-5, "mean kept: {m0} vs {m1}");
        // Gene 0 shares both its sets with gene 1, gene 3 none: with a large weight the path decides.
        assert!(row[0] > row[3], "{row:?}");
        let mut untouched = before.clone();
        ii.blend(&mut untouched, &[], 10.0);
        assert_eq!(untouched, before, "no input, no change");
    }

    /// The two-pass sums against `mean_sd` on each row alone: the same bits, for rows of
    /// logits with a wide spread and sparse score rows (mostly zeros, as `scores` gives).
    #[test]
    fn paired_mean_sd_is_bit_for_bit_the_single_one() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for len in [1usize, 2, 7, 1_000, 19_521] {
            let logits: Vec<f32> = (0..len).map(|_| rng.gen_range(-60.0f32..40.0) * rng.gen::<f32>().powi(3)).collect();
            let scores: Vec<f32> = (0..len).map(|_| if rng.gen_bool(0.1) { rng.gen_range(-0.5f32..2.0) } else { 0.0 }).collect();
            let [a, b] = mean_sd_pair(&scores, &logits);
            let (ea, eb) = (mean_sd(&scores), mean_sd(&logits));
            assert_eq!((a.0.to_bits(), a.1.to_bits()), (ea.0.to_bits(), ea.1.to_bits()), "scores, {len} values");
            assert_eq!((b.0.to_bits(), b.1.to_bits()), (eb.0.to_bits(), eb.1.to_bits()), "logits, {len} values");
        }
        assert_eq!(mean_sd_pair(&[], &[]), [(0.0, 0.0); 2]);
    }

    #[test]
    fn a_vocabulary_too_large_to_fit_is_refused_with_the_way_out() {
        assert!(ItemItemConfig::check_genes(19_593).is_ok());
        let err = ItemItemConfig::check_genes(60_000).unwrap_err();
        assert!(err.contains("60000 genes") && err.contains("--item-item-lambda 0") && err.contains("29 GB"), "{err}");
    }

    #[test]
    fn save_load_round_trip_and_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let ii = ItemItem::fit(&[vec![0, 1, 2], vec![1, 2], vec![2, 3]], 4, 1.0, 2).unwrap();
        ii.save(&path).unwrap();
        let back = ItemItem::load(&path, 4).unwrap();
        assert_eq!((back.columns.clone(), back.weights.clone()), (ii.columns.clone(), ii.weights.clone()));
        let err = ItemItem::load(&path, 5).err().unwrap().to_string();
        assert!(err.contains("5 rows") && err.contains(FILE), "{err}");
    }
}
