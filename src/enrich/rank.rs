//! The rank-based test behind model-augmented enrichment: genes ranked by a score (the model's
//! logits for an input list), each set tested for sitting near the top with the classic
//! Kolmogorov-Smirnov running sum (+1/m at each of the set's m genes, -1/(N-m) at each other
//! gene, walking down the ranking; the enrichment score is the sum's peak).
//!
//! # Why analytic p-values, and which
//! The unweighted running-sum peak is exactly the one-sided two-sample Smirnov statistic D+
//! between the ranks of the set's genes and the ranks of all other genes; under the null (the
//! set's genes are a random draw from the ranking) its distribution depends only on m and N-m.
//! So p-values come from Hodges' (1957) asymptotic formula with its finite-sample correction,
//! `ln p = -2z^2 - 2z(M + 2n')/(3 sqrt(M n' (M + n')))`, `z = D sqrt(M n'/(M + n'))` (M the
//! larger and n' the smaller sample; the same formula scipy's `ks_2samp(method="asymp")` uses,
//! which the oracle test checks against). Permutations were rejected: telling apart the top
//! sets among ~37,000 after FDR needs p-values far below 1/permutations, i.e. millions of
//! permutations per query, while the analytic p costs microseconds, is deterministic, and stays
//! finite in log space. The price: the score's magnitude is ignored (GSEA's weighted statistic
//! has no closed-form null; blitzGSEA fits one from permutations), and for sets with very few
//! ranked genes the asymptotic p is rough, hence a default minimum of 5 genes.

use std::f64::consts::LN_10;
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use super::fdr::benjamini_hochberg_ln;
use super::index::{DenseIds, LibraryIndex};
use super::{EnrichError, Result};

/// Default smallest set (genes within the ranking) tested; see the module docs.
pub const DEFAULT_MIN_SIZE: usize = 5;

#[derive(Debug, Clone, Default)]
pub struct RankOptions {
    /// Library names; `None` tests every library of the index.
    pub libraries: Option<Vec<String>>,
    /// Sets with fewer ranked genes are not tested (default [`DEFAULT_MIN_SIZE`]).
    pub min_size: Option<usize>,
    pub max_size: Option<usize>,
}

/// One set's result of the running-sum test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankRow {
    pub set_id: Arc<str>,
    pub library: Arc<str>,
    pub term: Arc<str>,
    pub name: Arc<str>,
    /// The set's genes present in the ranking.
    pub set_size: usize,
    /// Peak of the running sum, in [0, 1].
    pub es: f64,
    /// The set's genes ranked at or above the peak (Entrez, in ranking order): the genes that
    /// drive the enrichment.
    pub leading_edge: Vec<u32>,
    pub p_value: f64,
    pub log10_p: f64,
    /// Benjamini-Hochberg within the set's library.
    pub fdr: f64,
    pub log10_fdr: f64,
    /// 1-based position in the result order (p, then set id).
    pub rank: usize,
    #[serde(skip)]
    pub(crate) id_order: u32,
}

/// Peak of the running sum for a set whose genes sit at `positions` (0-based, sorted,
/// distinct) in a ranking of `total` genes, and how many of the set's genes lie up to the peak.
pub fn running_sum_peak(positions: &[u32], total: usize) -> (f64, usize) {
    let m = positions.len();
    if m == 0 || m >= total {
        return (0.0, 0);
    }
    let (mf, misses) = (m as f64, (total - m) as f64);
    let (mut best, mut at) = (0.0f64, 0usize);
    for (i, &r) in positions.iter().enumerate() {
        let hits = (i + 1) as f64;
        let value = hits / mf - (r as f64 + 1.0 - hits) / misses;
        if value > best {
            best = value;
            at = i + 1;
        }
    }
    (best, at)
}

/// `ln P(D+ >= d)` for the one-sided two-sample Smirnov statistic with samples of `m` and `n`
/// (Hodges' approximation; see the module docs).
pub fn ln_p_smirnov_greater(d: f64, m: usize, n: usize) -> f64 {
    if d <= 0.0 || m == 0 || n == 0 {
        return 0.0;
    }
    let (big, small) = (m.max(n) as f64, m.min(n) as f64);
    let en = big * small / (big + small);
    let z = en.sqrt() * d;
    let expt = -2.0 * z * z - 2.0 * z * (big + 2.0 * small) / (big * small * (big + small)).sqrt() / 3.0;
    expt.min(0.0)
}

/// The ranking: genes sorted by score, highest first, ties by Entrez id so equal inputs give
/// equal answers.
fn rank_positions(scores: &[(u32, f32)], dense_of: &DenseIds, genes: usize) -> Result<Vec<u32>> {
    if scores.is_empty() {
        return Err(EnrichError::Scores("no scores given".into()));
    }
    if let Some((g, s)) = scores.iter().find(|(_, s)| !s.is_finite()) {
        return Err(EnrichError::Scores(format!("the score of gene {g} is {s}, not a finite number")));
    }
    let mut order: Vec<(u32, f32)> = scores.to_vec();
    order.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    if let Some(w) = order.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(EnrichError::Scores(format!("gene {} is scored more than once", w[0].0)));
    }
    let mut pos = vec![u32::MAX; genes];
    for (rank, (g, _)) in order.iter().enumerate() {
        // Genes outside the store stay in the ranking (as genes no set contains).
        if let Some(&d) = dense_of.get(g) {
            pos[d as usize] = rank as u32;
        }
    }
    Ok(pos)
}

pub(crate) fn run(
    scores: &[(u32, f32)],
    libraries: &[&LibraryIndex],
    dense_of: &DenseIds,
    entrez: &[u32],
    options: &RankOptions,
) -> Result<Vec<RankRow>> {
    let min_size = options.min_size.unwrap_or(DEFAULT_MIN_SIZE).max(1);
    let max_size = options.max_size.unwrap_or(usize::MAX);
    if min_size > max_size {
        return Err(EnrichError::SizeRange { min: min_size, max: max_size });
    }
    let pos = rank_positions(scores, dense_of, entrez.len())?;
    let total = scores.len();
    let mut rows = Vec::new();
    for lib in libraries {
        let (mut lib_rows, ln_p): (Vec<RankRow>, Vec<f64>) = (0..lib.set_count())
            .into_par_iter()
            .with_min_len(256)
            .filter_map(|i| {
                let members = lib.members(i);
                let mut hits: Vec<(u32, u32)> = members
                    .iter()
                    .filter(|&&d| pos[d as usize] != u32::MAX)
                    .map(|&d| (pos[d as usize], entrez[d as usize]))
                    .collect();
                let m = hits.len();
                if m < min_size || m > max_size || m >= total {
                    return None;
                }
                hits.sort_unstable();
                let positions: Vec<u32> = hits.iter().map(|h| h.0).collect();
                let (es, peak) = running_sum_peak(&positions, total);
                let ln_p = ln_p_smirnov_greater(es, m, total - m);
                let row = RankRow {
                    set_id: lib.set_ids[i].clone(),
                    library: lib.name.clone(),
                    term: lib.terms[i].clone(),
                    name: lib.names[i].clone(),
                    set_size: m,
                    es,
                    leading_edge: hits[..peak].iter().map(|h| h.1).collect(),
                    p_value: ln_p.exp(),
                    log10_p: ln_p / LN_10,
                    fdr: 1.0,
                    log10_fdr: 0.0,
                    rank: 0,
                    id_order: lib.id_order[i],
                };
                Some((row, ln_p))
            })
            .unzip();
        let tested = lib_rows.len();
        for (row, ln_q) in lib_rows.iter_mut().zip(benjamini_hochberg_ln(&ln_p, tested)) {
            row.fdr = ln_q.exp();
            row.log10_fdr = ln_q / LN_10;
        }
        rows.extend(lib_rows);
    }
    let mut rows = super::sort_rows(rows, |r| (r.log10_p, r.id_order));
    for (i, row) in rows.iter_mut().enumerate() {
        row.rank = i + 1;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_by_hand() {
        // 2 hits at the top of 6 genes: +1/2, +1/2 -> peak 1 after both.
        assert_eq!(running_sum_peak(&[0, 1], 6), (1.0, 2));
        // Hits at positions 1 and 5 of 6: -1/4, +1/2 -> 0.25, then misses, then the last hit
        // brings the sum back to 0.
        let (es, at) = running_sum_peak(&[1, 5], 6);
        assert!((es - 0.25).abs() < 1e-15 && at == 1);
        // Hits at the bottom never rise above zero.
        assert_eq!(running_sum_peak(&[4, 5], 6), (0.0, 0));
    }

    #[test]
    fn p_value_falls_with_the_peak_and_is_one_at_zero() {
        assert_eq!(ln_p_smirnov_greater(0.0, 10, 100), 0.0);
        let a = ln_p_smirnov_greater(0.3, 20, 1000);
        let b = ln_p_smirnov_greater(0.6, 20, 1000);
        assert!(b < a && a < 0.0);
        // Huge sets at the very top: far below f64's range, still finite in log space.
        let extreme = ln_p_smirnov_greater(1.0, 2000, 18000);
        assert!(extreme.is_finite() && extreme < -3000.0);
    }
}
