//! How much to trust a similar gene: cosine is not confidence.
//!
//! Why: a gene in only a handful of training sets gets an embedding shaped by those few sets, so
//! its nearest neighbours can sit at a cosine as high as (or higher than) a well-studied gene's
//! real neighbours (XIST's BRDT, FAHD2A, IGLV4-3 at 0.90, above TP53's). The confidence shrinks
//! the cosine toward the background, the mean cosine of random gene pairs, by the evidence
//! behind the pair: with `n` the smaller number of stored sets holding either gene,
//!
//! `confidence = w * cosine + (1 - w) * background`, `w = n / (n + PRIOR_SETS)`.
//!
//! A pair of well-studied genes (hundreds of sets) keeps its cosine; a pair involving a gene of
//! three sets keeps under a quarter of its distance from the background. The pair's weaker gene
//! counts because a neighbour with no evidence is as unreliable as a query with none.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::vectors;
use crate::model::coverage::Memberships;
use crate::domain::Entrez;

/// Sets of evidence at which a cosine keeps half its distance from the background: a pseudo-count
/// of the size of a small GO term, below which an embedding is shaped by a handful of sets.
pub const PRIOR_SETS: f32 = 10.0;

/// Random gene pairs averaged for the background cosine (a standard error near 0.002).
const BACKGROUND_PAIRS: usize = 4096;

pub struct Evidence {
    sets: HashMap<u32, u32>,
    /// Mean cosine of random pairs of vocabulary genes.
    pub background: f32,
}

/// The cosine shrunk toward `background` by `n` sets of evidence (see the module docs).
pub fn shrink(cosine: f32, n: u32, background: f32) -> f32 {
    let w = n as f32 / (n as f32 + PRIOR_SETS);
    w * cosine + (1.0 - w) * background
}

impl Evidence {
    /// Counts every gene's stored sets (all libraries) and the background cosine of `vectors`.
    pub fn new(memberships: &Memberships, vectors: &HashMap<u32, Vec<f32>>) -> Self {
        let sets = memberships.genes().into_iter().map(|g| (g, memberships.sets_of(g).len() as u32)).collect();
        Self { sets, background: background_cosine(vectors) }
    }

    /// Stored sets holding `gene`.
    pub fn sets(&self, gene: Entrez) -> u32 {
        self.sets.get(&gene.0).copied().unwrap_or(0)
    }

    /// The confidence of `a` and `b` being similar at `cosine`.
    pub fn confidence(&self, a: Entrez, b: Entrez, cosine: f32) -> f32 {
        shrink(cosine, self.sets(a).min(self.sets(b)), self.background)
    }
}

fn background_cosine(vectors: &HashMap<u32, Vec<f32>>) -> f32 {
    let mut keys: Vec<&u32> = vectors.keys().collect();
    keys.sort_unstable();
    if keys.len() < 2 {
        return 0.0;
    }
    let unit: Vec<Vec<f32>> = keys
        .iter()
        .map(|k| {
            let mut v = vectors[*k].clone();
            vectors::normalize(&mut v);
            v
        })
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(0xB6_C05);
    let mut sum = 0.0f64;
    for _ in 0..BACKGROUND_PAIRS {
        let i = rng.gen_range(0..unit.len());
        let mut j = rng.gen_range(0..unit.len() - 1);
        if j >= i {
            j += 1;
        }
        sum += vectors::dot(&unit[i], &unit[j]) as f64;
    }
    (sum / BACKGROUND_PAIRS as f64) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn little_evidence_gets_less_confidence_at_the_same_cosine() {
        let background = 0.2;
        let rare = shrink(0.9, 3, background);
        let studied = shrink(0.9, 800, background);
        assert!(rare < studied, "{rare} vs {studied}");
        assert!((studied - 0.9).abs() < 0.01, "a well-studied pair keeps its cosine: {studied}");
        assert!((rare - background) < 0.25 * (0.9 - background) + 1e-6, "three sets keep under a quarter: {rare}");
        assert_eq!(shrink(0.9, 0, background), background);
        // Monotone in the cosine at fixed evidence: ranking by confidence within one gene's
        // neighbours of equal evidence is ranking by cosine.
        assert!(shrink(0.5, 20, background) < shrink(0.6, 20, background));
    }
}
