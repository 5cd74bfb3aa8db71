//! Measuring an index: recall@k against exact search, query latency, speed-up over brute force.
//! Used by `genekg bench index`; these are measurements, never pass/fail timings.

use std::time::Instant;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Serialize;

use super::vectors::{exact_top_k, normalize};
use super::VectorIndex;

#[derive(Debug, Serialize)]
pub struct QueryReport {
    pub ef: usize,
    pub queries: usize,
    pub recall_at_10: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub brute_force_p50_ms: f64,
    pub speedup: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn sample(n: usize, queries: usize) -> Vec<usize> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let mut ids: Vec<usize> = (0..n).collect();
    ids.shuffle(&mut rng);
    ids.truncate(queries);
    ids
}

/// Unit-length copies, as the index stores them, so exact search compares like with like.
fn unit_vectors(vectors: &[Vec<f32>]) -> Vec<Vec<f32>> {
    vectors
        .iter()
        .map(|v| {
            let mut v = v.clone();
            normalize(&mut v);
            v
        })
        .collect()
}

/// Found items that belong in the exact top k: those at least as similar as the exact k-th.
/// Counting by similarity rather than identity matters because many genes share an embedding
/// (rare genes the model places alike); any of a tied group is a correct answer.
fn tie_aware_hits(truth: &[(usize, f32)], found: &[(usize, f32)]) -> usize {
    let Some(&(_, kth)) = truth.last() else { return 0 };
    let mut hits = found.iter().filter(|(_, s)| *s >= kth - 1e-5).count();
    hits = hits.min(truth.len());
    hits
}

/// Mean recall@k of `index` over `queries` vectors drawn from `vectors` (in index order).
pub fn recall_at_k(index: &VectorIndex, vectors: &[Vec<f32>], queries: usize, k: usize, ef: Option<usize>) -> f64 {
    let unit = unit_vectors(vectors);
    let ids = sample(unit.len(), queries);
    let mut hits = 0usize;
    for &q in &ids {
        let truth = exact_top_k(&unit, &unit[q], k, None);
        hits += tie_aware_hits(&truth, &index.graph.search(&unit[q], k, ef, None));
    }
    hits as f64 / (ids.len() * k) as f64
}

/// Recall@10 and latencies at `ef`, each query timed alone (single-threaded HNSW walk; the
/// brute-force reference uses every core through rayon, as a real scan would).
pub fn measure(index: &VectorIndex, vectors: &[Vec<f32>], queries: usize, ef: usize) -> QueryReport {
    let unit = unit_vectors(vectors);
    let ids = sample(unit.len(), queries);
    let (mut ann_ms, mut exact_ms, mut hits) = (Vec::new(), Vec::new(), 0usize);
    for &q in &ids {
        let t = Instant::now();
        let truth = exact_top_k(&unit, &unit[q], 10, None);
        exact_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let found = index.graph.search(&unit[q], 10, Some(ef), None);
        ann_ms.push(t.elapsed().as_secs_f64() * 1e3);
        hits += tie_aware_hits(&truth, &found);
    }
    ann_ms.sort_by(f64::total_cmp);
    exact_ms.sort_by(f64::total_cmp);
    let (p50, bf50) = (percentile(&ann_ms, 0.5), percentile(&exact_ms, 0.5));
    QueryReport {
        ef,
        queries: ids.len(),
        recall_at_10: hits as f64 / (ids.len() * 10) as f64,
        p50_ms: p50,
        p99_ms: percentile(&ann_ms, 0.99),
        brute_force_p50_ms: bf50,
        speedup: bf50 / p50,
    }
}
