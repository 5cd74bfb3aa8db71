//! Baselines the model must beat, scored over the same candidates and training sets.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Scores candidate genes for an input list.
pub trait Scorer: Sync {
    fn name(&self) -> &'static str;
    /// One score per candidate (Entrez ids), higher = more likely a held-out member.
    fn score(&self, case_index: usize, input: &[u32], candidates: &[u32]) -> Vec<f32>;
}

/// Co-occurrence: score(g) = sum over training sets S of |S ∩ input| * [g in S] / |S|, i.e. how
/// often g shares a set with the input, each set weighted by its overlap and divided by its size
/// so huge sets do not dominate.
pub struct Cooccurrence {
    sets: Vec<Vec<u32>>,
    sets_of_gene: HashMap<u32, Vec<u32>>,
}

impl Cooccurrence {
    pub fn new(sets: Vec<Vec<u32>>) -> Self {
        let mut sets_of_gene: HashMap<u32, Vec<u32>> = HashMap::new();
        for (i, s) in sets.iter().enumerate() {
            for &g in s {
                sets_of_gene.entry(g).or_default().push(i as u32);
            }
        }
        Self { sets, sets_of_gene }
    }
}

impl Scorer for Cooccurrence {
    fn name(&self) -> &'static str {
        "cooccurrence"
    }

    fn score(&self, _: usize, input: &[u32], candidates: &[u32]) -> Vec<f32> {
        let mut overlap: HashMap<u32, u32> = HashMap::new();
        for g in input {
            for &s in self.sets_of_gene.get(g).map(Vec::as_slice).unwrap_or(&[]) {
                *overlap.entry(s).or_default() += 1;
            }
        }
        let mut score: HashMap<u32, f64> = HashMap::new();
        for (s, k) in overlap {
            let set = &self.sets[s as usize];
            let w = k as f64 / set.len() as f64;
            for &g in set {
                *score.entry(g).or_default() += w;
            }
        }
        candidates.iter().map(|g| score.get(g).copied().unwrap_or(0.0) as f32).collect()
    }
}

/// Gene frequency: the number of training sets that contain g, whatever the input.
pub struct Frequency {
    counts: HashMap<u32, u32>,
}

impl Frequency {
    pub fn new(sets: &[Vec<u32>]) -> Self {
        let mut counts = HashMap::new();
        for s in sets {
            for &g in s {
                *counts.entry(g).or_default() += 1;
            }
        }
        Self { counts }
    }
}

impl Scorer for Frequency {
    fn name(&self) -> &'static str {
        "frequency"
    }

    fn score(&self, _: usize, _: &[u32], candidates: &[u32]) -> Vec<f32> {
        candidates.iter().map(|g| self.counts.get(g).copied().unwrap_or(0) as f32).collect()
    }
}

/// Uniform random scores, seeded per case so reruns agree.
pub struct Random {
    pub seed: u64,
}

impl Scorer for Random {
    fn name(&self) -> &'static str {
        "random"
    }

    fn score(&self, case_index: usize, _: &[u32], candidates: &[u32]) -> Vec<f32> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ (case_index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        candidates.iter().map(|_| rng.gen::<f32>()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooccurrence_weights_overlap_by_set_size() {
        // Sets {1,2,3} and {1,4}; input {1,2}: set 0 overlaps 2/3, set 1 overlaps 1/2.
        let c = Cooccurrence::new(vec![vec![1, 2, 3], vec![1, 4]]);
        let s = c.score(0, &[1, 2], &[3, 4, 5]);
        assert!((s[0] - 2.0 / 3.0).abs() < 1e-6);
        assert!((s[1] - 0.5).abs() < 1e-6);
        assert_eq!(s[2], 0.0);
    }

    #[test]
    fn frequency_counts_sets_and_random_is_seeded() {
        let f = Frequency::new(&[vec![1, 2], vec![2]]);
        assert_eq!(f.score(0, &[], &[1, 2, 3]), vec![1.0, 2.0, 0.0]);
        let r = Random { seed: 7 };
        assert_eq!(r.score(3, &[], &[1, 2, 3]), r.score(3, &[], &[1, 2, 3]));
        assert_ne!(r.score(3, &[], &[1, 2, 3]), r.score(4, &[], &[1, 2, 3]));
    }
}
