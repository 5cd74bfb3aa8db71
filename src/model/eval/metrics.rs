//! Ranking metrics for one case: `scores[i]` for candidate gene i, `positive[i]` whether it is a
//! held-out gene. Ties in ROC AUC count one half (Mann-Whitney); average precision treats tied
//! scores as one threshold (like scikit-learn); ES walks genes by descending score, ties in
//! input order.

/// Area under the ROC curve; `None` without both positives and negatives.
pub fn roc_auc(scores: &[f32], positive: &[bool]) -> Option<f64> {
    let mut pos: Vec<f32> = scores.iter().zip(positive).filter(|(_, &p)| p).map(|(&s, _)| s).collect();
    let n_neg = positive.len() - pos.len();
    if pos.is_empty() || n_neg == 0 {
        return None;
    }
    pos.sort_by(f32::total_cmp);
    let negatives = scores.iter().zip(positive).filter(|(_, &p)| !p).map(|(&s, _)| s);
    Some(auc_against(&pos, negatives, n_neg))
}

/// ROC AUC from sorted positive scores and an iterator over the negatives' scores:
/// O(n_neg log n_pos), which is what makes scoring thousands of sets against a 20k-gene
/// background affordable. Most negatives score below every positive (a set's held-out genes
/// rank high), so those skip the two binary searches: `genekg model predict` runs this for five
/// splits of every set against ~20k negatives, and the searches were 5% of its cycles.
pub fn auc_against(sorted_pos: &[f32], negatives: impl Iterator<Item = f32>, n_neg: usize) -> f64 {
    let mut wins = 0.0f64;
    let lowest = sorted_pos.first().copied();
    for s in negatives {
        // Below the lowest positive (not NaN, which compares false): every positive wins, as
        // the searches would find. The sum is of whole and half counts, exact in any order.
        if lowest.is_some_and(|l| s < l) {
            wins += sorted_pos.len() as f64;
            continue;
        }
        // Positives strictly above s win; equal ones count one half.
        let below_or_equal = sorted_pos.partition_point(|&p| p <= s);
        let below = sorted_pos.partition_point(|&p| p < s);
        wins += (sorted_pos.len() - below_or_equal) as f64 + 0.5 * (below_or_equal - below) as f64;
    }
    wins / (sorted_pos.len() as f64 * n_neg as f64)
}

fn descending_order(scores: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    order
}

/// Average precision: the sum over thresholds of precision times the recall gained.
pub fn average_precision(scores: &[f32], positive: &[bool]) -> Option<f64> {
    let n_pos = positive.iter().filter(|&&p| p).count();
    if n_pos == 0 {
        return None;
    }
    let order = descending_order(scores);
    let (mut tp, mut seen, mut ap) = (0usize, 0usize, 0.0);
    let mut i = 0;
    while i < order.len() {
        // One threshold per distinct score.
        let s = scores[order[i]];
        let mut new_tp = 0;
        while i < order.len() && scores[order[i]] == s {
            new_tp += positive[order[i]] as usize;
            seen += 1;
            i += 1;
        }
        tp += new_tp;
        if new_tp > 0 {
            ap += (tp as f64 / seen as f64) * (new_tp as f64 / n_pos as f64);
        }
    }
    Some(ap)
}

/// Enrichment score as the reference work computes it: walking genes by descending score, add
/// 1/n_pos at a positive and subtract 1/n_neg at a negative; ES is the walk's peak (1 = every
/// positive ranked first, near 0 = positives at the bottom).
pub fn enrichment_score(scores: &[f32], positive: &[bool]) -> Option<f64> {
    let n_pos = positive.iter().filter(|&&p| p).count();
    let n_neg = positive.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let (mut walk, mut peak) = (0.0f64, f64::MIN);
    for i in descending_order(scores) {
        walk += if positive[i] { 1.0 / n_pos as f64 } else { -1.0 / n_neg as f64 };
        peak = peak.max(walk);
    }
    Some(peak)
}

pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn roc_auc_hand_computed() {
        // Positives at scores 0.9 and 0.4; negatives 0.8, 0.3, 0.1.
        // Pairs won: 0.9 beats all 3, 0.4 beats 2 -> 5 of 6.
        let s = [0.9, 0.8, 0.4, 0.3, 0.1];
        let p = [true, false, true, false, false];
        assert!(close(roc_auc(&s, &p).unwrap(), 5.0 / 6.0));
        // Perfect and inverted rankings, and a tie counting one half.
        assert!(close(roc_auc(&[3.0, 2.0, 1.0], &[true, false, false]).unwrap(), 1.0));
        assert!(close(roc_auc(&[1.0, 2.0, 3.0], &[true, false, false]).unwrap(), 0.0));
        assert!(close(roc_auc(&[1.0, 1.0], &[true, false]).unwrap(), 0.5));
        assert!(roc_auc(&[1.0, 2.0], &[false, false]).is_none());
        assert!(roc_auc(&[1.0, 2.0], &[true, true]).is_none());
    }

    #[test]
    fn roc_auc_is_the_pairwise_count_with_ties() {
        // Scores on a coarse grid (many ties), negatives below, among and above the positives.
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for _ in 0..200 {
            let n = rng.gen_range(2..60);
            let s: Vec<f32> = (0..n).map(|_| rng.gen_range(-8..8) as f32 / 2.0).collect();
            let p: Vec<bool> = (0..n).map(|_| rng.gen_bool(0.3)).collect();
            let (pos, neg): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| p[i]);
            if pos.is_empty() || neg.is_empty() {
                continue;
            }
            let mut wins = 0.0;
            for &i in &pos {
                for &j in &neg {
                    wins += if s[i] > s[j] { 1.0 } else if s[i] == s[j] { 0.5 } else { 0.0 };
                }
            }
            let want = wins / (pos.len() * neg.len()) as f64;
            assert_eq!(roc_auc(&s, &p).unwrap(), want, "{s:?} {p:?}");
        }
    }

    #[test]
    fn average_precision_hand_computed() {
        // Ranking: P N P N N -> precision at hits 1/1 and 2/3; AP = (1 + 2/3) / 2.
        let s = [0.9, 0.8, 0.4, 0.3, 0.1];
        let p = [true, false, true, false, false];
        assert!(close(average_precision(&s, &p).unwrap(), (1.0 + 2.0 / 3.0) / 2.0));
        // A tie of one positive and one negative at the top: precision 1/2 at recall 1.
        assert!(close(average_precision(&[1.0, 1.0, 0.0], &[true, false, false]).unwrap(), 0.5));
        assert!(average_precision(&[1.0], &[false]).is_none());
    }

    #[test]
    fn enrichment_score_hand_computed() {
        // P N P N N with n_pos 2, n_neg 3: walk .5, .1667, .6667, .3333, 0 -> peak 2/3.
        let s = [0.9, 0.8, 0.4, 0.3, 0.1];
        let p = [true, false, true, false, false];
        assert!(close(enrichment_score(&s, &p).unwrap(), 2.0 / 3.0));
        // All positives first: the walk reaches 1.
        assert!(close(enrichment_score(&[2.0, 1.0, 0.0], &[true, false, false]).unwrap(), 1.0));
        // Positive last: the walk only falls until the last step; peak is 0 at the end.
        assert!(close(enrichment_score(&[0.0, 1.0, 2.0], &[true, false, false]).unwrap(), 0.0));
    }

    #[test]
    fn median_odd_even_empty() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }
}
