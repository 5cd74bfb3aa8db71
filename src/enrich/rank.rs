//! The rank-based test behind model-augmented enrichment, as blitzGSEA (the reference site's
//! engine) runs it: genes ranked by a score (the model's logits for an input list), each set
//! tested for sitting near the top with GSEA's weighted running sum, its null fitted per set
//! size from random sets of the same ranking.
//!
//! # Statistic
//! Scores are centred on their mean and each gene weighs `|score - mean|` (GSEA's weight
//! exponent 1). Walking down the ranking, the sum rises by `w / W` at each of the set's genes
//! (`W` the set's total weight) and falls by `1/(N - m)` at each other gene; the enrichment
//! score (ES) is the sum's highest point, in [0, 1]. Only the upper peak counts: the question is
//! which sets the model pushes up.
//!
//! # Why a fitted null, and not the analytic Smirnov p
//! The unweighted sum's peak has a closed-form null (the one-sided Smirnov D+), and its p fell
//! so fast with set size that a slight shift of a huge set beat a tight cluster of a small one:
//! for MCM2, MCM4, POLA1 "cell cycle" (1,818 genes) came first and "DNA replication initiation"
//! (ES 0.95) 369th. The weighted statistic has no closed form, and permuting every set is far
//! too slow (telling the top of ~37,000 sets apart needs millions of permutations each). So, as
//! blitzGSEA: for a ladder of set sizes ([`null_sizes`]), [`NULL_PERMUTATIONS`] random sets of
//! that size are drawn from the same ranking and weights and scored by their signed peak (the
//! sum's value furthest from 0); a gamma (maximum likelihood, origin fixed at 0) is fitted to
//! the positive ones, and its shape, scale and the share of positive peaks are interpolated in
//! log size between the rungs. The p-value of an ES is P(random signed peak >= ES) = share x the
//! gamma's upper tail: blitzGSEA's upper tail without its doubling into a two-sided p, computed
//! in log space so it never underflows ([`ln_gamma_upper`]). The normalised enrichment score is
//! NES = ES / the mean of the positive null at the set's size, so NES 1 is what chance gives at
//! any size. Random sets come from a generator seeded by the set size: equal inputs give equal
//! answers. `scripts/rank_oracle.py` runs blitzGSEA itself as the test oracle.
//!
//! # Order
//! Sets significant at [`SIGNIFICANT_FDR`] come first, by ES (highest first), then p, then set
//! id; the others follow in the same order. On the model's rankings both p and NES favour huge
//! sets: GO propagates every gene to its ancestors, so a term like "cell cycle" (1,818 genes)
//! holds the few genes the model scores highest, and against its narrow null even a modest ES
//! is extreme (p below 1e-200) and its NES high, while a small set's ES can never exceed 1 and
//! its null sits higher. The ES is the effect size the user means by "strongly enriched" (how
//! much of the set's weight lies above nearly every other gene), and the fitted null's FDR
//! keeps small sets that peak by chance out of the front. Measured on the default data
//! (docs/enrichment.md): for MCM2, MCM4, POLA1 and for MCM2, MCM3, MCM4, ORC1, CDC6 the first
//! GO terms are the DNA replication preinitiation, CMG, MCM and origin recognition complexes,
//! where ordering by p put "cell cycle" and "cellular response to stress" first and ordering
//! by NES "DNA metabolic process" (and blitzGSEA itself, by p, "mitotic cell cycle").
//! Sets with fewer than 5 ranked genes are not tested (their null is too coarse).

use std::f64::consts::LN_10;
use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use serde::Serialize;

use crate::domain::{Entrez, SetId};

use super::fdr::benjamini_hochberg_ln;
use super::index::{DenseIds, LibraryIndex};
use super::{EnrichError, Result};

/// Default smallest set (genes within the ranking) tested; see the module docs.
pub const DEFAULT_MIN_SIZE: usize = 5;

/// FDR at or below which a set counts as enriched for the result order; see the module docs.
pub const SIGNIFICANT_FDR: f64 = 0.05;

/// Random sets drawn per rung of the null's size ladder. blitzGSEA's default is 1,000; fewer
/// make the fitted tail (and so small p-values) unstable from one ladder to the next.
pub const NULL_PERMUTATIONS: usize = 1000;

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
    pub set_id: SetId,
    pub library: Arc<str>,
    pub term: Arc<str>,
    pub name: Arc<str>,
    /// The set's genes present in the ranking.
    pub set_size: usize,
    /// Peak of the weighted running sum, in [0, 1].
    pub es: f64,
    /// ES over the mean ES of random sets of the same size in the same ranking.
    pub nes: f64,
    /// The set's genes ranked at or above the peak (in ranking order): the genes that drive
    /// the enrichment.
    pub leading_edge: Vec<Entrez>,
    /// Upper tail of the fitted null; may underflow to 0, `log10_p` stays finite.
    pub p_value: f64,
    pub log10_p: f64,
    /// Benjamini-Hochberg within the set's library.
    pub fdr: f64,
    pub log10_fdr: f64,
    /// 1-based position in the result order: sets with FDR <= [`SIGNIFICANT_FDR`] first, each
    /// group by ES (highest first), then p, then set id.
    pub rank: usize,
    #[serde(skip)]
    pub(crate) id_order: u32,
}

/// The ranking a set is tested against: genes by score, highest first, with GSEA's weights.
pub struct Ranking {
    /// `|score - mean score|`, in ranking order.
    weights: Vec<f64>,
}

impl Ranking {
    /// `scores` in ranking order (highest first).
    pub fn new(sorted_scores: &[f32]) -> Self {
        let mean = sorted_scores.iter().map(|&s| s as f64).sum::<f64>() / sorted_scores.len().max(1) as f64;
        Self { weights: sorted_scores.iter().map(|&s| (s as f64 - mean).abs()).collect() }
    }

    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// SHA-256 of the weights in ranking order: the null depends on the ranking only through
    /// them, so two requests with equal weights share null rungs ([`NullCache`]).
    fn signature(&self) -> [u8; 32] {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for w in &self.weights {
            h.update(w.to_bits().to_le_bytes());
        }
        h.finalize().into()
    }

    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// Peak of the weighted running sum for a set whose genes sit at `positions` (0-based,
    /// sorted, distinct), and how many of the set's genes lie up to the peak. The peak is
    /// always reached at a hit, so only the hits are visited.
    pub fn peak(&self, positions: &[u32]) -> (f64, usize) {
        let (best, at, _) = self.extremes(positions);
        (best, at)
    }

    /// The sum's value of largest magnitude, signed, as blitzGSEA scores its random sets: the
    /// upper peak, or the trough when that lies further from 0.
    pub fn signed_peak(&self, positions: &[u32]) -> f64 {
        let (best, _, trough) = self.extremes(positions);
        if best >= -trough { best } else { trough }
    }

    /// (upper peak, genes up to it, trough). The trough is reached just before a hit (or is
    /// 0 at the ends).
    fn extremes(&self, positions: &[u32]) -> (f64, usize, f64) {
        let (m, total) = (positions.len(), self.weights.len());
        if m == 0 || m >= total {
            return (0.0, 0, 0.0);
        }
        let set_weight: f64 = positions.iter().map(|&r| self.weights[r as usize]).sum();
        let miss_step = 1.0 / (total - m) as f64;
        // A set whose genes all weigh 0 (all scored exactly the mean) rises evenly.
        let hit_step = |r: u32| if set_weight > 0.0 { self.weights[r as usize] / set_weight } else { 1.0 / m as f64 };
        let (mut best, mut at, mut up, mut trough) = (0.0f64, 0usize, 0.0f64, 0.0f64);
        for (i, &r) in positions.iter().enumerate() {
            let down = (r as usize - i) as f64 * miss_step;
            trough = trough.min(up - down);
            up += hit_step(r);
            if up - down > best {
                best = up - down;
                at = i + 1;
            }
        }
        (best.min(1.0), at, trough.max(-1.0))
    }
}

/// The null of the ES at each set size, fitted on one ranking.
pub struct NullModel {
    /// (ln size, gamma shape, gamma scale, ln of the share of random sets peaking upwards),
    /// by size.
    rungs: Vec<[f64; 4]>,
}

/// Fitted null rungs of recent rankings, keyed by (the ranking's weights, set size), shared
/// across requests.
///
/// Why keyed by the ranking and not by (model, size) alone: the weighted running sum's null
/// depends on the whole weight profile, and for model-augmented enrichment that profile is the
/// model's logits for the request's own list, so a null fitted for one list gives wrong
/// p-values for another. Fitting it is most of a request's cost (~19 rungs x 1,000 random
/// sets); a repeated ranking (the next page, other libraries or size limits, the web page and
/// the language front asking about the same list) reuses every rung. Random sets are seeded
/// by their size, so a cached rung equals a refitted one exactly.
pub struct NullCache {
    entries: std::sync::Mutex<(rustc_hash::FxHashMap<([u8; 32], usize), [f64; 4]>, std::collections::VecDeque<([u8; 32], usize)>)>,
    max_entries: usize,
}

impl NullCache {
    /// Keeps at most `max_entries` rungs (each 80 bytes), dropping the oldest first.
    pub fn new(max_entries: usize) -> Self {
        Self { entries: Default::default(), max_entries }
    }

    fn get(&self, signature: [u8; 32], m: usize) -> Option<[f64; 4]> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).0.get(&(signature, m)).copied()
    }

    fn put(&self, signature: [u8; 32], m: usize, rung: [f64; 4]) {
        if self.max_entries == 0 {
            return;
        }
        let mut guard = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (map, order) = &mut *guard;
        if map.insert((signature, m), rung).is_none() {
            order.push_back((signature, m));
        }
        while order.len() > self.max_entries {
            if let Some(old) = order.pop_front() {
                map.remove(&old);
            }
        }
    }

    /// Rungs held.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Set sizes the null is fitted at for sets of `min..=max` ranked genes: a geometric ladder
/// (ratio ~1.4) with both ends, so interpolating in log size never spans much.
pub fn null_sizes(min: usize, max: usize) -> Vec<usize> {
    let mut sizes = vec![min];
    let mut s = min as f64;
    while (s * 1.4).round() < max as f64 {
        s *= 1.4;
        let r = s.round() as usize;
        if r > *sizes.last().expect("non-empty") {
            sizes.push(r);
        }
    }
    if max > min {
        sizes.push(max);
    }
    sizes
}

impl NullModel {
    /// Draws [`NULL_PERMUTATIONS`] random sets of each size of `sizes` from `ranking`, scores
    /// each by its signed peak (as blitzGSEA) and fits a gamma to the positive ones; the p of
    /// an ES is then P(a random set's signed peak >= ES) = share positive x gamma tail. Rungs
    /// already in `cache` for this ranking are reused; the others are fitted and kept there.
    pub fn fit(ranking: &Ranking, sizes: &[usize], cache: &NullCache) -> Result<Self> {
        let total = ranking.len();
        let signature = ranking.signature();
        let known: Vec<Option<[f64; 4]>> = sizes.iter().map(|&m| cache.get(signature, m)).collect();
        let fitted: Vec<[f64; 4]> = sizes
            .par_iter()
            .zip(known.par_iter())
            .map(|(&m, known)| {
                if let Some(rung) = known {
                    return Ok(*rung);
                }
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(m as u64);
                let mut taken = vec![0u64; total.div_ceil(64)];
                let mut positions = Vec::with_capacity(m);
                let signed: Vec<f64> = (0..NULL_PERMUTATIONS)
                    .map(|_| {
                        random_positions(&mut rng, &mut taken, m, total, &mut positions);
                        ranking.signed_peak(&positions)
                    })
                    .collect();
                let es: Vec<f64> = signed.iter().copied().filter(|&e| e > 0.0).collect();
                let nonzero = signed.iter().filter(|&&e| e != 0.0).count();
                let (shape, scale) = fit_gamma(&es).ok_or_else(|| {
                    EnrichError::Scores(format!("random sets of {m} genes never peak upwards: the ranking has no spread"))
                })?;
                Ok([(m as f64).ln(), shape, scale, (es.len() as f64 / nonzero as f64).ln()])
            })
            .collect::<Result<_>>()?;
        for ((&m, known), rung) in sizes.iter().zip(&known).zip(&fitted) {
            if known.is_none() {
                cache.put(signature, m, *rung);
            }
        }
        Ok(Self { rungs: fitted })
    }

    /// Gamma shape, scale and ln share positive at `m` genes: linear in ln m between rungs,
    /// the end rungs beyond.
    pub fn at(&self, m: usize) -> [f64; 3] {
        let x = (m as f64).ln();
        let r = &self.rungs;
        let i = r.partition_point(|rung| rung[0] < x);
        let (a, b) = match i {
            0 => (r[0], r[0]),
            i if i == r.len() => (r[i - 1], r[i - 1]),
            i => (r[i - 1], r[i]),
        };
        let t = if b[0] > a[0] { (x - a[0]) / (b[0] - a[0]) } else { 0.0 };
        [1, 2, 3].map(|k| a[k] + t * (b[k] - a[k]))
    }

    /// (NES, ln p) of an upper peak `es` at `m` genes.
    pub fn score(&self, es: f64, m: usize) -> (f64, f64) {
        let [shape, scale, ln_share] = self.at(m);
        (es / (shape * scale), ln_share + ln_gamma_upper(shape, es / scale))
    }
}

/// Fills `out` with `m` distinct positions below `total`, sorted: rejection sampling into a
/// bitmap (the ranking is ~20,000 genes, 2.5 KB of bits), then the set bits in order, which
/// costs far less than sorting the draws. `m` is at most half of `total` in practice; above
/// that the complement would be cheaper but rejection still ends.
fn random_positions(rng: &mut impl Rng, taken: &mut [u64], m: usize, total: usize, out: &mut Vec<u32>) {
    taken.iter_mut().for_each(|w| *w = 0);
    let mut drawn = 0;
    while drawn < m {
        let p = rng.gen_range(0..total);
        let (w, b) = (p / 64, 1u64 << (p % 64));
        if taken[w] & b == 0 {
            taken[w] |= b;
            drawn += 1;
        }
    }
    out.clear();
    for (w, &bits) in taken.iter().enumerate() {
        let mut bits = bits;
        while bits != 0 {
            out.push((w * 64) as u32 + bits.trailing_zeros());
            bits &= bits - 1;
        }
    }
}

/// Maximum-likelihood gamma (origin 0) of positive samples, as scipy's `gamma.fit(x, floc=0)`:
/// the shape solves `ln a - digamma(a) = ln mean - mean ln x` (Newton from Minka's start), the
/// scale is mean / shape. `None` without two distinct samples.
pub fn fit_gamma(x: &[f64]) -> Option<(f64, f64)> {
    if x.len() < 2 {
        return None;
    }
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let s = mean.ln() - x.iter().map(|v| v.ln()).sum::<f64>() / n;
    if !(s > 0.0 && s.is_finite()) {
        return None;
    }
    let mut a = (3.0 - s + ((s - 3.0).powi(2) + 24.0 * s).sqrt()) / (12.0 * s);
    for _ in 0..50 {
        let f = a.ln() - statrs::function::gamma::digamma(a) - s;
        let step = f / (1.0 / a - trigamma(a));
        a = (a - step).max(a / 10.0);
        if step.abs() < 1e-12 * a {
            break;
        }
    }
    Some((a, mean / a))
}

/// psi'(x) for x > 0: recurrence up to x >= 6, then the asymptotic series.
fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 6.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let x2 = 1.0 / (x * x);
    acc + 1.0 / x + x2 / 2.0 + (1.0 / 6.0 - x2 * (1.0 / 30.0 - x2 * (1.0 / 42.0 - x2 / 30.0))) * x2 / x
}

/// `ln Q(a, x)`, the regularised upper incomplete gamma (the gamma(a, 1) upper tail at x), in
/// log space so tails far below f64's range stay finite and ordered: the series for P below
/// x = a + 1, Lentz's continued fraction for Q above (Numerical Recipes' `gammq`).
pub fn ln_gamma_upper(a: f64, x: f64) -> f64 {
    use statrs::function::gamma::ln_gamma;
    if x <= 0.0 {
        return 0.0;
    }
    let ln_prefix = -x + a * x.ln() - ln_gamma(a);
    if x < a + 1.0 {
        let (mut term, mut sum, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..10_000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        let p = (ln_prefix + sum.ln()).exp();
        return (-p).ln_1p();
    }
    let tiny = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / tiny;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..10_000 {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < tiny {
            d = tiny;
        }
        c = b + an / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    ln_prefix + h.ln()
}

/// The ranking: genes sorted by score, highest first, ties by Entrez id so equal inputs give
/// equal answers. Returns each stored gene's position (u32::MAX when unranked) and the scores
/// in ranking order.
fn rank_positions(scores: &[(Entrez, f32)], dense_of: &DenseIds, genes: usize) -> Result<(Vec<u32>, Vec<f32>)> {
    if scores.is_empty() {
        return Err(EnrichError::Scores("no scores given".into()));
    }
    if let Some((g, s)) = scores.iter().find(|(_, s)| !s.is_finite()) {
        return Err(EnrichError::Scores(format!("the score of gene {g} is {s}, not a finite number")));
    }
    let mut order: Vec<(Entrez, f32)> = scores.to_vec();
    order.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    if let Some(w) = order.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(EnrichError::Scores(format!("gene {} is scored more than once", w[0].0)));
    }
    let mut pos = vec![u32::MAX; genes];
    for (rank, (g, _)) in order.iter().enumerate() {
        // Genes outside the store stay in the ranking (as genes no set contains).
        if let Some(&d) = dense_of.get(&g.0) {
            pos[d as usize] = rank as u32;
        }
    }
    Ok((pos, order.iter().map(|o| o.1).collect()))
}

/// The sort key of the result order (see the module docs): a total order, so pages never
/// skip or repeat a set.
pub fn result_order(r: &RankRow) -> (bool, f64, f64, u32) {
    RankOrder::DEFAULT.key(r)
}

/// Orders a result can be sorted in; `genekg eval enrichment-recovery` measures how each finds
/// the set a list was drawn from (docs/enrichment.md), which is how [`RankOrder::DEFAULT`] was
/// chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankOrder {
    /// FDR <= [`SIGNIFICANT_FDR`] first, then ES, then p.
    FdrThenEs,
    /// FDR <= [`SIGNIFICANT_FDR`] first, then NES, then p.
    FdrThenNes,
    /// p alone (blitzGSEA's order), then ES.
    P,
    /// NES alone, then p.
    Nes,
    /// ES alone, then p.
    Es,
}

impl RankOrder {
    pub const DEFAULT: RankOrder = RankOrder::FdrThenEs;
    pub const ALL: [RankOrder; 5] = [RankOrder::FdrThenEs, RankOrder::FdrThenNes, RankOrder::P, RankOrder::Nes, RankOrder::Es];

    pub fn name(self) -> &'static str {
        match self {
            RankOrder::FdrThenEs => "FDR<=0.05, then ES",
            RankOrder::FdrThenNes => "FDR<=0.05, then NES",
            RankOrder::P => "p",
            RankOrder::Nes => "NES",
            RankOrder::Es => "ES",
        }
    }

    /// Ascending sort key, ending in the set id's position so the order is total.
    pub fn key(self, r: &RankRow) -> (bool, f64, f64, u32) {
        let gate = r.fdr > SIGNIFICANT_FDR;
        match self {
            RankOrder::FdrThenEs => (gate, -r.es, r.log10_p, r.id_order),
            RankOrder::FdrThenNes => (gate, -r.nes, r.log10_p, r.id_order),
            RankOrder::P => (false, r.log10_p, -r.es, r.id_order),
            RankOrder::Nes => (false, -r.nes, r.log10_p, r.id_order),
            RankOrder::Es => (false, -r.es, r.log10_p, r.id_order),
        }
    }
}

/// One tested set before the null is known.
struct Tested {
    lib: usize,
    set: usize,
    /// (position, gene) of the set's ranked genes, in ranking order.
    hits: Vec<(u32, Entrez)>,
    es: f64,
    peak: usize,
}

pub(crate) fn run(
    scores: &[(Entrez, f32)],
    libraries: &[&LibraryIndex],
    dense_of: &DenseIds,
    entrez: &[u32],
    options: &RankOptions,
    cache: &NullCache,
) -> Result<Vec<RankRow>> {
    let min_size = options.min_size.unwrap_or(DEFAULT_MIN_SIZE).max(1);
    let max_size = options.max_size.unwrap_or(usize::MAX);
    if min_size > max_size {
        return Err(EnrichError::SizeRange { min: min_size, max: max_size });
    }
    let (pos, sorted_scores) = rank_positions(scores, dense_of, entrez.len())?;
    let ranking = Ranking::new(&sorted_scores);
    let total = ranking.len();
    let tested: Vec<Tested> = libraries
        .iter()
        .enumerate()
        .flat_map(|(l, lib)| (0..lib.set_count()).map(move |i| (l, i)))
        .collect::<Vec<_>>()
        .into_par_iter()
        .with_min_len(256)
        .filter_map(|(l, i)| {
            let mut hits: Vec<(u32, Entrez)> = libraries[l]
                .members(i)
                .iter()
                .filter(|&&d| pos[d as usize] != u32::MAX)
                .map(|&d| (pos[d as usize], Entrez(entrez[d as usize])))
                .collect();
            let m = hits.len();
            if m < min_size || m > max_size || m >= total {
                return None;
            }
            hits.sort_unstable();
            let positions: Vec<u32> = hits.iter().map(|h| h.0).collect();
            let (es, peak) = ranking.peak(&positions);
            Some(Tested { lib: l, set: i, hits, es, peak })
        })
        .collect();
    if tested.is_empty() {
        return Ok(Vec::new());
    }
    let (lo, hi) = tested.iter().fold((usize::MAX, 0), |(lo, hi), t| (lo.min(t.hits.len()), hi.max(t.hits.len())));
    let null = NullModel::fit(&ranking, &null_sizes(lo, hi), cache)?;
    let mut rows: Vec<(RankRow, f64)> = tested
        .into_par_iter()
        .map(|t| {
            let lib = libraries[t.lib];
            let m = t.hits.len();
            let (nes, ln_p) = null.score(t.es, m);
            let row = RankRow {
                set_id: lib.set_ids[t.set].clone(),
                library: lib.name.clone(),
                term: lib.terms[t.set].clone(),
                name: lib.names[t.set].clone(),
                set_size: m,
                es: t.es,
                nes,
                leading_edge: t.hits[..t.peak].iter().map(|h| h.1).collect(),
                p_value: ln_p.exp(),
                log10_p: ln_p / LN_10,
                fdr: 1.0,
                log10_fdr: 0.0,
                rank: 0,
                id_order: lib.id_order[t.set],
            };
            (row, ln_p)
        })
        .collect();
    // BH within each library (rows are grouped by library, in library order).
    let mut start = 0;
    while start < rows.len() {
        let lib = rows[start].0.library.clone();
        let end = start + rows[start..].iter().take_while(|r| r.0.library == lib).count();
        let ln_p: Vec<f64> = rows[start..end].iter().map(|r| r.1).collect();
        for (row, ln_q) in rows[start..end].iter_mut().zip(benjamini_hochberg_ln(&ln_p, end - start)) {
            row.0.fdr = ln_q.exp();
            row.0.log10_fdr = ln_q / LN_10;
        }
        start = end;
    }
    let mut rows: Vec<RankRow> = rows.into_iter().map(|r| r.0).collect();
    rows.par_sort_unstable_by(|a, b| result_order(a).partial_cmp(&result_order(b)).expect("finite keys"));
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
        // Equal weights reduce to the classic sum: 2 hits at the top of 6 -> peak 1 after both.
        let flat = Ranking { weights: vec![1.0; 6] };
        assert_eq!(flat.peak(&[0, 1]), (1.0, 2));
        // Hits at positions 1 and 5 of 6: -1/4, +1/2 -> 0.25, then misses, then the last hit
        // brings the sum back to 0.
        let (es, at) = flat.peak(&[1, 5]);
        assert!((es - 0.25).abs() < 1e-15 && at == 1);
        assert_eq!(flat.peak(&[4, 5]), (0.0, 0));
        // ... and their trough, -4/4 just before the first of them, is the signed peak.
        assert_eq!(flat.signed_peak(&[4, 5]), -1.0);
        assert_eq!(flat.signed_peak(&[0, 1]), 1.0);
        // Weights: scores 3, 2, 1, 0, -1, -2 (mean 0.5) weigh 2.5, 1.5, .5, .5, 1.5, 2.5. A set
        // at positions 1 and 4 (weights 1.5 + 1.5): -1/4 + 1/2 = 0.25 at its first gene.
        let r = Ranking::new(&[3.0, 2.0, 1.0, 0.0, -1.0, -2.0]);
        let (es, at) = r.peak(&[1, 4]);
        assert!((es - 0.25).abs() < 1e-15 && at == 1, "{es}");
        // Positions 0 and 5 (2.5 + 2.5): 0.5 at the top.
        assert_eq!(r.peak(&[0, 5]), (0.5, 1));
    }

    #[test]
    fn gamma_upper_tail_matches_known_values_and_stays_finite() {
        // Q(1, x) = e^-x; Q(2, x) = (1 + x) e^-x; Q(0.5, x) = erfc(sqrt x).
        for x in [0.1, 1.0, 3.0, 30.0] {
            assert!((ln_gamma_upper(1.0, x) + x).abs() < 1e-12, "{x}");
            assert!((ln_gamma_upper(2.0, x) - ((1.0 + x).ln() - x)).abs() < 1e-12, "{x}");
        }
        let q = ln_gamma_upper(0.5, 2.0).exp();
        // erfc(sqrt 2), from scipy.special.erfc (statrs's erfc is off in the 10th digit here).
        let want = 0.045_500_263_896_358_42;
        assert!((q - want).abs() < 1e-12 * want, "{q} vs {want}");
        let far = ln_gamma_upper(20.0, 5000.0);
        assert!(far.is_finite() && far < -4000.0);
        assert!(ln_gamma_upper(20.0, 6000.0) < far);
    }

    #[test]
    fn gamma_fit_recovers_the_shape() {
        // Quantiles of gamma(shape 4, scale 0.05): the fit must land near both.
        use statrs::distribution::{ContinuousCDF, Gamma};
        let g = Gamma::new(4.0, 20.0).unwrap(); // statrs takes the rate
        let x: Vec<f64> = (1..2000).map(|i| g.inverse_cdf(i as f64 / 2000.0)).collect();
        let (shape, scale) = fit_gamma(&x).unwrap();
        assert!((shape - 4.0).abs() < 0.05 && (scale - 0.05).abs() < 0.001, "{shape} {scale}");
    }

    #[test]
    fn random_positions_are_distinct_sorted_and_cover_the_ranking() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut taken = vec![0u64; 2];
        let mut out = Vec::new();
        let mut seen = [0usize; 100];
        for _ in 0..2000 {
            random_positions(&mut rng, &mut taken, 10, 100, &mut out);
            assert_eq!(out.len(), 10);
            assert!(out.windows(2).all(|w| w[0] < w[1]) && out[9] < 100);
            out.iter().for_each(|&p| seen[p as usize] += 1);
        }
        // Each position is drawn with probability 1/10: ~200 times in 2,000 draws.
        assert!(seen.iter().all(|&c| (120..280).contains(&c)), "{seen:?}");
    }

    #[test]
    fn null_rungs_are_cached_per_ranking_and_equal_a_refit() {
        let scores: Vec<f32> = (0..500).map(|i| ((500 - i) as f32).powf(1.5) / 100.0).collect();
        let ranking = Ranking::new(&scores);
        let sizes = null_sizes(5, 60);
        let cache = NullCache::new(100);
        let first = NullModel::fit(&ranking, &sizes, &cache).unwrap();
        assert_eq!(cache.len(), sizes.len());
        let again = NullModel::fit(&ranking, &sizes, &cache).unwrap();
        assert_eq!(cache.len(), sizes.len(), "the same ranking fits no new rung");
        let fresh = NullModel::fit(&ranking, &sizes, &NullCache::new(0)).unwrap();
        assert_eq!(first.rungs, fresh.rungs, "a cached rung equals a refitted one");
        assert_eq!(again.rungs, fresh.rungs);
        // Another weight profile is another null.
        let flatter: Vec<f32> = scores.iter().map(|s| s.sqrt()).collect();
        let other = NullModel::fit(&Ranking::new(&flatter), &sizes, &cache).unwrap();
        assert_eq!(cache.len(), 2 * sizes.len());
        assert_ne!(other.rungs, first.rungs);
        let small = NullCache::new(3);
        NullModel::fit(&ranking, &sizes, &small).unwrap();
        assert_eq!(small.len(), 3, "the cache is bounded");
    }

    #[test]
    fn null_ladder_spans_the_sizes() {
        let s = null_sizes(5, 2000);
        assert_eq!((s[0], *s.last().unwrap()), (5, 2000));
        assert!(s.windows(2).all(|w| w[1] > w[0] && (w[1] as f64) < w[0] as f64 * 1.5 + 1.0));
        assert_eq!(null_sizes(7, 7), vec![7]);
    }
}
