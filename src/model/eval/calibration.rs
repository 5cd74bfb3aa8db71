//! Reliability of the model's probabilities on held-out genes: for every case, every vocabulary
//! gene outside the input is one prediction (its probability) and one outcome (whether it is a
//! held-out member). Predictions are binned by probability; a calibrated model's observed rate
//! in each bin matches its mean probability there.

use serde::Serialize;

use super::cases::Case;
use crate::model::Gsfm;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReliabilityBin {
    /// Probabilities in `[lower, upper)` (the last bin includes 1).
    pub lower: f64,
    pub upper: f64,
    pub predictions: u64,
    /// Held-out members among them.
    pub members: u64,
    pub mean_probability: f64,
    pub observed_rate: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reliability {
    pub cases: usize,
    /// Cases with no input or no held-out gene in the vocabulary.
    pub skipped: usize,
    pub predictions: u64,
    pub members: u64,
    /// Sum of probabilities over all predictions: the members the model expects.
    pub expected_members: f64,
    pub bins: Vec<ReliabilityBin>,
    /// Expected calibration error: the predictions-weighted mean |observed - predicted| over bins.
    pub ece: f64,
    /// Mean squared error of the probabilities.
    pub brier: f64,
}

/// Counts per equal-width probability bin over [0, 1], filled one prediction at a time.
pub struct Bins {
    n: Vec<u64>,
    m: Vec<u64>,
    sum_p: Vec<f64>,
    sq: f64,
}

impl Bins {
    pub fn new(bins: usize) -> Self {
        let bins = bins.max(1);
        Self { n: vec![0; bins], m: vec![0; bins], sum_p: vec![0.0; bins], sq: 0.0 }
    }

    pub fn add(&mut self, p: f64, member: bool) {
        let k = self.n.len();
        let i = ((p * k as f64) as usize).min(k - 1);
        self.n[i] += 1;
        self.m[i] += member as u64;
        self.sum_p[i] += p;
        self.sq += (p - member as u8 as f64).powi(2);
    }

    pub fn table(&self) -> Vec<ReliabilityBin> {
        let k = self.n.len();
        (0..k)
            .map(|i| ReliabilityBin {
                lower: i as f64 / k as f64,
                upper: (i + 1) as f64 / k as f64,
                predictions: self.n[i],
                members: self.m[i],
                mean_probability: if self.n[i] > 0 { self.sum_p[i] / self.n[i] as f64 } else { 0.0 },
                observed_rate: if self.n[i] > 0 { self.m[i] as f64 / self.n[i] as f64 } else { 0.0 },
            })
            .collect()
    }

    fn summary(&self, cases: usize, skipped: usize) -> Reliability {
        let bins = self.table();
        let predictions: u64 = self.n.iter().sum();
        let ece = bins.iter().map(|b| b.predictions as f64 * (b.observed_rate - b.mean_probability).abs()).sum::<f64>()
            / predictions.max(1) as f64;
        Reliability {
            cases,
            skipped,
            predictions,
            members: self.m.iter().sum(),
            expected_members: self.sum_p.iter().sum(),
            bins,
            ece,
            brier: self.sq / predictions.max(1) as f64,
        }
    }
}

/// Every prediction of `model` on `cases`: for each case, each vocabulary gene outside its
/// input is one (logit, held-out member or not) pair. Input genes outside the vocabulary are
/// left out (as in `augment`); held-out genes outside it cannot be predicted and are not counted.
pub struct Pairs {
    pub logits: Vec<f32>,
    pub members: Vec<bool>,
    pub cases: usize,
    /// Cases with no input or no held-out gene in the vocabulary.
    pub skipped: usize,
}

pub fn pairs(model: &Gsfm, cases: &[Case]) -> Pairs {
    let vocab = model.vocab();
    let mut usable: Vec<(Vec<u32>, std::collections::HashSet<u32>)> = Vec::new();
    let mut skipped = 0;
    for c in cases {
        let (input, _) = model.split_vocabulary(&c.input);
        let (held, _) = model.split_vocabulary(&c.held_out);
        if input.is_empty() || held.is_empty() {
            skipped += 1;
            continue;
        }
        usable.push((input, held.into_iter().collect()));
    }
    let (mut logits, mut members) = (Vec::new(), Vec::new());
    for chunk in usable.chunks(crate::model::predict::INFERENCE_BATCH) {
        let refs: Vec<&[u32]> = chunk.iter().map(|(i, _)| i.as_slice()).collect();
        for (row, (input, held)) in model.logits(&refs).into_iter().zip(chunk) {
            for (&g, &logit) in vocab.iter().zip(&row) {
                if g != 0 && !input.contains(&g) {
                    logits.push(logit);
                    members.push(held.contains(&g));
                }
            }
        }
    }
    Pairs { logits, members, cases: usable.len(), skipped }
}

/// The reliability table of `pairs` with probabilities from `probability` (a logit -> probability map).
pub fn table(pairs: &Pairs, probability: impl Fn(f32) -> f32, bins: usize) -> Reliability {
    let mut acc = Bins::new(bins);
    for (&logit, &member) in pairs.logits.iter().zip(&pairs.members) {
        acc.add(probability(logit) as f64, member);
    }
    acc.summary(pairs.cases, pairs.skipped)
}

/// The reliability table of `model`'s own probabilities on `cases`.
pub fn reliability(model: &Gsfm, cases: &[Case], bins: usize) -> Reliability {
    table(&pairs(model, cases), |l| model.probability(l), bins)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_count_and_average() {
        let mut acc = Bins::new(10);
        for (p, m) in [(0.05, false), (0.05, true), (0.95, true), (1.0, true)] {
            acc.add(p, m);
        }
        let (bins, sq) = (acc.table(), acc.sq);
        assert_eq!(bins[0].predictions, 2);
        assert_eq!(bins[0].observed_rate, 0.5);
        assert_eq!(bins[9].predictions, 2, "1.0 falls in the last bin");
        assert!((bins[9].mean_probability - 0.975).abs() < 1e-12);
        assert!((sq - (0.0025 + 0.9025 + 0.0025)).abs() < 1e-12);
    }
}
