//! A gene list's sub-sets in one library, and rules that score the list's candidates from
//! them as well as from the list itself (issue 15's hierarchy lever).
//!
//! Why: GO libraries are propagated, so a child term's genes are a subset of its parent's,
//! and a gene a large term gains usually arrives through one of its descendants. The model's
//! answer for a large term is a blend of all its functions, so a gene that belongs with one
//! child is spread thin; the child's own answer may rank it higher. The store's sets show the
//! hierarchy without GO edges: the sets of the same library whose genes are a proper subset of
//! the list. Only the maximal ones are kept (a grandchild's genes are in its parent's answer).

use std::collections::HashMap;

use super::eval::coverage::z_row as z_scores;

/// A library's sets, indexed by gene, for finding the sets inside a gene list.
pub struct SubSets {
    /// Sorted, distinct genes of each set (sets of fewer than `min_size` genes left out,
    /// duplicates kept once).
    sets: Vec<Vec<u32>>,
    by_gene: HashMap<u32, Vec<u32>>,
}

impl SubSets {
    /// Indexes `sets`, each restricted to the genes `keep` accepts (the model's vocabulary), and
    /// keeping those with at least `min_size` such genes.
    pub fn new<'a>(sets: impl IntoIterator<Item = &'a [u32]>, keep: impl Fn(u32) -> bool, min_size: usize) -> Self {
        let mut distinct: Vec<Vec<u32>> = sets
            .into_iter()
            .map(|s| {
                let mut g: Vec<u32> = s.iter().copied().filter(|&g| keep(g)).collect();
                g.sort_unstable();
                g.dedup();
                g
            })
            .filter(|g| g.len() >= min_size)
            .collect();
        distinct.sort();
        distinct.dedup();
        let mut by_gene: HashMap<u32, Vec<u32>> = HashMap::new();
        for (i, s) in distinct.iter().enumerate() {
            for &g in s {
                by_gene.entry(g).or_default().push(i as u32);
            }
        }
        Self { sets: distinct, by_gene }
    }

    pub fn len(&self) -> usize {
        self.sets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }

    /// The maximal sets strictly inside `input` (no other set strictly inside `input` holds
    /// them), largest first, ties in index order.
    pub fn maximal_within(&self, input: &[u32]) -> Vec<&[u32]> {
        self.within(input, true)
    }

    /// Every set strictly inside `input` (`maximal`: only those no other such set holds),
    /// largest first, ties in index order.
    pub fn within(&self, input: &[u32], maximal: bool) -> Vec<&[u32]> {
        let mut distinct: Vec<u32> = input.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        let mut hits: HashMap<u32, usize> = HashMap::new();
        for g in &distinct {
            for &s in self.by_gene.get(g).map(Vec::as_slice).unwrap_or(&[]) {
                *hits.entry(s).or_default() += 1;
            }
        }
        let mut inside: Vec<u32> =
            hits.into_iter().filter(|&(s, n)| n == self.sets[s as usize].len() && n < distinct.len()).map(|(s, _)| s).collect();
        inside.sort_by_key(|&s| (std::cmp::Reverse(self.sets[s as usize].len()), s));
        let mut kept: Vec<&[u32]> = Vec::new();
        for s in inside {
            let set = self.sets[s as usize].as_slice();
            if !maximal || !kept.iter().any(|k| is_subset(set, k)) {
                kept.push(set);
            }
        }
        kept
    }
}

/// `a ⊆ b`, both sorted and distinct.
fn is_subset(a: &[u32], b: &[u32]) -> bool {
    if a.len() > b.len() {
        return false;
    }
    let mut j = 0;
    for &x in a {
        while j < b.len() && b[j] < x {
            j += 1;
        }
        if j == b.len() || b[j] != x {
            return false;
        }
        j += 1;
    }
    true
}

/// How a list's own scores and its sub-sets' scores make one score per candidate. The rules
/// read either z-scores, each row standardised over the same candidates (the genes outside the
/// list), so rows of inputs of different sizes are on one scale, or the calibrated logits
/// themselves, whose scale already says how sure each row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// The list's own score, as served (no sub-sets).
    Own,
    /// The largest z-score of the list and its sub-sets: a gene counts if it belongs with any.
    Max,
    /// `ln Σ exp(z)` over the list and its sub-sets: a soft maximum.
    SoftMax,
    /// Half the list's own z-score, half the mean of its sub-sets'.
    HalfMean,
    /// Half the list's own z-score, half the largest of its sub-sets'.
    HalfMax,
    /// The mean over the list and its sub-sets, each counted once.
    Mean,
    /// The largest calibrated logit of the list and its sub-sets.
    LogitMax,
    /// `ln Σ exp(logit)` over the list and its sub-sets: the log of the summed odds, about the
    /// chance that the gene joins any of them when each chance is small (a gene added to a
    /// child is added to the parent).
    LogitSoftMax,
}

impl Rule {
    pub const ALL: [Rule; 8] =
        [Rule::Own, Rule::Max, Rule::SoftMax, Rule::HalfMean, Rule::HalfMax, Rule::Mean, Rule::LogitMax, Rule::LogitSoftMax];

    /// One score per candidate from the list's logits `own` and its sub-sets' logits `subs`
    /// (over the same candidates). Without sub-sets every rule ranks as the list's own row.
    pub fn combine(self, own: &[f32], subs: &[Vec<f32>]) -> Vec<f32> {
        if subs.is_empty() || self == Rule::Own {
            return own.to_vec();
        }
        if let Rule::LogitMax | Rule::LogitSoftMax = self {
            return Self::on_logits(self, own, subs);
        }
        let (own, subs) = (&z_scores(own)[..], &subs.iter().map(|r| z_scores(r)).collect::<Vec<_>>()[..]);
        let k = subs.len() as f32;
        (0..own.len())
            .map(|j| {
                let mut max_sub = f32::NEG_INFINITY;
                let mut sum_sub = 0f32;
                for r in subs {
                    max_sub = max_sub.max(r[j]);
                    sum_sub += r[j];
                }
                let z = own[j];
                match self {
                    Rule::Own => z,
                    Rule::Max => z.max(max_sub),
                    Rule::SoftMax => {
                        let m = z.max(max_sub);
                        m + ((z - m).exp() + subs.iter().map(|r| (r[j] - m).exp()).sum::<f32>()).ln()
                    }
                    Rule::HalfMean => 0.5 * z + 0.5 * sum_sub / k,
                    Rule::HalfMax => 0.5 * z + 0.5 * max_sub,
                    Rule::Mean => (z + sum_sub) / (k + 1.0),
                    Rule::LogitMax | Rule::LogitSoftMax => unreachable!("answered on logits"),
                }
            })
            .collect()
    }

    fn on_logits(self, own: &[f32], subs: &[Vec<f32>]) -> Vec<f32> {
        (0..own.len())
            .map(|j| {
                let m = subs.iter().fold(own[j], |m, r| m.max(r[j]));
                match self {
                    Rule::LogitMax => m,
                    _ => m + ((own[j] - m).exp() + subs.iter().map(|r| (r[j] - m).exp()).sum::<f32>()).ln(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maximal_sub_sets_only() {
        let sets: Vec<Vec<u32>> = vec![
            (1..=10).collect(),          // the parent itself: not a proper subset
            (1..=6).collect(),           // child
            (1..=5).collect(),           // grandchild, inside the child: left out
            (5..=9).collect(),           // second child
            vec![1, 2, 3, 4, 11],        // not inside the parent
            vec![1, 2, 3],               // too small
            (5..=9).collect(),           // duplicate of the second child
        ];
        let index = SubSets::new(sets.iter().map(Vec::as_slice), |_| true, 5);
        assert_eq!(index.len(), 5);
        let parent: Vec<u32> = (1..=10).collect();
        let within = index.maximal_within(&parent);
        assert_eq!(within, vec![&[1, 2, 3, 4, 5, 6][..], &[5, 6, 7, 8, 9][..]]);
        // The child's own sub-sets: the grandchild only.
        assert_eq!(index.maximal_within(&(1..=6).collect::<Vec<_>>()), vec![&[1, 2, 3, 4, 5][..]]);
        // Genes the filter drops shrink sets below the minimum (the input is filtered the same
        // way, as the evaluator's inputs are vocabulary genes).
        let no_six = SubSets::new(sets.iter().map(Vec::as_slice), |g| g != 6, 5);
        let parent: Vec<u32> = parent.into_iter().filter(|&g| g != 6).collect();
        assert_eq!(no_six.maximal_within(&parent), vec![&[1, 2, 3, 4, 5][..]]);
    }

    #[test]
    fn rules_hand_computed() {
        // Rows of two candidates are their own z-scores when they read (1, -1) or (-1, 1).
        let own = vec![1.0, -1.0];
        let subs = vec![vec![1.0, -1.0], vec![-1.0, 1.0]];
        assert_eq!(Rule::Max.combine(&own, &subs), vec![1.0, 1.0]);
        assert_eq!(Rule::HalfMean.combine(&own, &subs), vec![0.5, -0.5]);
        assert_eq!(Rule::HalfMax.combine(&own, &subs), vec![1.0, 0.0]);
        assert_eq!(Rule::Mean.combine(&own, &subs), vec![1.0 / 3.0, -1.0 / 3.0]);
        let soft = Rule::SoftMax.combine(&own, &subs);
        assert!((soft[0] - (2.0 * 1f32.exp() + (-1f32).exp()).ln()).abs() < 1e-5);
        // Scale does not matter to the z rules; it does to the logit rules.
        let big: Vec<Vec<f32>> = subs.iter().map(|r| r.iter().map(|x| 10.0 * x).collect()).collect();
        assert_eq!(Rule::Max.combine(&own, &big), vec![1.0, 1.0]);
        assert_eq!(Rule::LogitMax.combine(&own, &big), vec![10.0, 10.0]);
        let own = vec![1.0, 0.0];
        let subs = vec![vec![3.0, -1.0], vec![-1.0, 1.0]];
        assert_eq!(Rule::LogitMax.combine(&own, &subs), vec![3.0, 1.0]);
        assert_eq!(Rule::Own.combine(&own, &subs), own);
        let soft = Rule::LogitSoftMax.combine(&own, &subs);
        assert!((soft[0] - (1f32.exp() + 3f32.exp() + (-1f32).exp()).ln()).abs() < 1e-5);
        assert!((soft[1] - (1f32 + (-1f32).exp() + 1f32.exp()).ln()).abs() < 1e-5);
        // No sub-sets: every rule answers the own row.
        for r in Rule::ALL {
            assert_eq!(r.combine(&own, &[]), own);
        }
    }
}
