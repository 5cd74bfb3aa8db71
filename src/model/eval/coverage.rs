//! Gene-centric evaluation on a time split: for each gene, rank the case terms by how well the
//! gene fits each (its input, the term's older genes), and ask how well the terms that later
//! gained the gene rank (ROC AUC per gene, median over genes). This is the question a gene page
//! answers ("what else does this gene do?"), and unlike [`super::holdout`] it also covers genes
//! outside the model's vocabulary, which no term-centric ranking of vocabulary genes can.
//!
//! Two groups of genes are reported: those outside the vocabulary with at least one stored set
//! (answered from their profile, [`crate::model::coverage`]) and vocabulary genes with few
//! publications. Methods:
//!
//! - `gsfm` (vocabulary genes only): the gene's z-score in the model's answer for the term;
//! - `partners`: the vote of the gene's top partners (the model's completion of `{g}`, or of the
//!   profile outside the vocabulary), as served;
//! - `embedding`: the vote of the genes nearest its embedding (encoding of `{g}` or the profile);
//! - `cooccurrence`: the vote of its profile itself, the genes sharing its stored sets: the same
//!   evidence without the model; `(served)` orders equal votes by the set's size
//!   ([`crate::model::coverage::function_score`]), `votes` leaves them tied; three rules that
//!   weigh the votes against the term's size were measured beside it: the binomial z, the votes
//!   above chance (`votes - n K / N`) and the hypergeometric (Fisher) log p of the overlap;
//! - `frequency`: the term's size.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;
use serde::Serialize;

use super::cases::Case;
use super::metrics;
use crate::model::coverage::{function_score, vote_z, Memberships, PROFILE_GENES, VOTE_NEIGHBOURS};
use crate::model::Gsfm;

#[derive(Debug, Clone, Serialize)]
pub struct GroupSummary {
    pub group: &'static str,
    pub method: &'static str,
    /// Genes with at least one term gained and one not.
    pub genes: usize,
    pub median_auroc: Option<f64>,
    /// Beside the median: how the sets a gene's profile never votes for are ordered moves the
    /// genes with many such gains, which the median hides (docs/model.md).
    pub mean_auroc: Option<f64>,
    pub mean_ap: Option<f64>,
}

/// Which genes to evaluate.
pub struct Groups {
    /// Outside the vocabulary, in at least one stored set.
    pub outside: Vec<u32>,
    /// In the vocabulary, with at most `understudied` publications.
    pub few_publications: Vec<u32>,
}

/// Genes gained by some case, split into the two groups (others are left out).
pub fn groups(
    model: &Gsfm,
    m: &Memberships,
    cases: &[Case],
    publications: impl Fn(u32) -> u32,
    understudied: u32,
) -> Groups {
    let vocab: HashSet<u32> = model.vocab().iter().copied().filter(|&g| g != 0).collect();
    let mut gained: Vec<u32> = cases
        .iter()
        .flat_map(|c| c.held_out.iter().copied())
        .collect();
    gained.sort_unstable();
    gained.dedup();
    let outside = gained
        .iter()
        .copied()
        .filter(|g| !vocab.contains(g) && !m.sets_of(*g).is_empty())
        .collect();
    let few_publications = gained
        .iter()
        .copied()
        .filter(|g| vocab.contains(g) && publications(*g) <= understudied)
        .collect();
    Groups {
        outside,
        few_publications,
    }
}

/// Scores of every case for one gene, by method name.
type Scores = Vec<(&'static str, Vec<f32>)>;

/// Runs every method on both groups.
pub fn evaluate(
    model: &Gsfm,
    m: &Memberships,
    cases: &[Case],
    groups: &Groups,
) -> Vec<GroupSummary> {
    let genes = model.vocab();
    let vocab_len = genes.iter().filter(|&&g| g != 0).count();
    let column: HashMap<u32, usize> = genes
        .iter()
        .enumerate()
        .filter(|(_, &g)| g != 0)
        .map(|(i, &g)| (g, i))
        .collect();
    let in_vocab = |g: u32| column.contains_key(&g);
    // The cases as sets to vote for: their inputs.
    let inputs: Vec<HashSet<u32>> = cases
        .iter()
        .map(|c| c.input.iter().copied().collect())
        .collect();
    let case_vocab: Vec<u32> = cases
        .iter()
        .map(|c| c.input.iter().filter(|&&g| in_vocab(g)).count() as u32)
        .collect();
    let case_m = Memberships::new(
        cases
            .iter()
            .map(|c| crate::model::coverage::MemberSet {
                library: String::new(),
                term: c.id.clone(),
                untitled: false,
                genes: c.input.clone(),
            })
            .collect(),
    );
    let vote_scores = |neighbours: &[u32]| -> Vec<f32> {
        let mut hits = vec![0u32; cases.len()];
        for &n in neighbours {
            for &c in case_m.sets_of(n) {
                hits[c as usize] += 1;
            }
        }
        hits.iter()
            .zip(&case_vocab)
            .map(|(&h, &s)| vote_z(h, neighbours.len(), s, vocab_len))
            .collect()
    };
    let vote_hits = |neighbours: &[u32]| -> Vec<f32> {
        let mut hits = vec![0f32; cases.len()];
        for &n in neighbours {
            for &c in case_m.sets_of(n) {
                hits[c as usize] += 1.0;
            }
        }
        hits
    };
    let frequency: Vec<f32> = cases.iter().map(|c| c.input.len() as f32).collect();
    // The served order: a case's share is its input over the genes in any stored set, as a
    // stored set's is.
    let served = |neighbours: &[u32]| -> Vec<f32> {
        let background = m.background().max(1) as f64;
        vote_hits(neighbours)
            .iter()
            .zip(&frequency)
            .map(|(&h, &size)| function_score(h as u32, size as f64 / background) as f32)
            .collect()
    };
    let above_chance = |neighbours: &[u32]| -> Vec<f32> {
        let n = neighbours.len() as f32;
        vote_hits(neighbours)
            .iter()
            .zip(&case_vocab)
            .map(|(&h, &k)| h - n * k as f32 / vocab_len.max(1) as f32)
            .collect()
    };
    let log_factorial = crate::enrich::fisher::LogFactorial::new(vocab_len);
    let hypergeometric = |neighbours: &[u32]| -> Vec<f32> {
        vote_hits(neighbours)
            .iter()
            .zip(&case_vocab)
            .map(|(&h, &k)| {
                let c = crate::enrich::fisher::Counts { big_n: vocab_len, big_k: k as usize, n: neighbours.len(), k: h as usize };
                -crate::enrich::fisher::ln_upper_tail(&log_factorial, c) as f32
            })
            .collect()
    };

    // Embeddings of every vocabulary gene, for the nearest-neighbour method.
    let embedded: Vec<(u32, Vec<f32>)> = model.gene_embeddings();
    let unit = |mut v: Vec<f32>| {
        crate::index::vectors::normalize(&mut v);
        v
    };
    let embedded: Vec<(u32, Vec<f32>)> = embedded.into_iter().map(|(g, v)| (g, unit(v))).collect();
    let nearest = |v: Vec<f32>, own: Option<u32>| -> Vec<u32> {
        let v = unit(v);
        let mut cos: Vec<(u32, f32)> = embedded
            .iter()
            .filter(|(g, _)| Some(*g) != own)
            .map(|(g, w)| (*g, crate::index::vectors::dot(&v, w)))
            .collect();
        cos.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        cos.into_iter()
            .take(VOTE_NEIGHBOURS)
            .map(|(g, _)| g)
            .collect()
    };
    let top_partners = |row: &[f32], own: Option<u32>| -> Vec<u32> {
        let mut order: Vec<usize> = (0..row.len())
            .filter(|&c| genes[c] != 0 && Some(genes[c]) != own)
            .collect();
        order.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
        order
            .into_iter()
            .take(VOTE_NEIGHBOURS)
            .map(|c| genes[c])
            .collect()
    };

    // The model's answer for every case, z-scored per case (for `gsfm`), only if needed.
    let case_z: Vec<Vec<f32>> = {
        let refs: Vec<&[u32]> = cases.iter().map(|c| c.input.as_slice()).collect();
        model
            .logits(&refs)
            .into_iter()
            .map(|row| z_row(&row))
            .collect()
    };

    let mut out = Vec::new();
    for (group, members, outside) in [
        ("outside the vocabulary", &groups.outside, true),
        ("few publications", &groups.few_publications, false),
    ] {
        let profiles: Vec<Vec<u32>> = members
            .iter()
            .map(|&g| m.profile(g, in_vocab, PROFILE_GENES))
            .collect();
        // The model reads the profile outside the vocabulary, `{g}` inside it.
        let queries: Vec<Vec<u32>> = members
            .iter()
            .zip(&profiles)
            .map(|(&g, p)| if outside { p.clone() } else { vec![g] })
            .collect();
        let usable: Vec<usize> = (0..members.len())
            .filter(|&i| !queries[i].is_empty())
            .collect();
        let refs: Vec<&[u32]> = usable.iter().map(|&i| queries[i].as_slice()).collect();
        let logits = model.logits(&refs);
        let codes = model.embed_sets(&refs);
        let per_gene: Vec<(usize, Scores)> = usable
            .par_iter()
            .enumerate()
            .map(|(k, &i)| {
                let g = members[i];
                let partners = top_partners(&logits[k], Some(g));
                let profile_z: Vec<f32> = case_z
                    .iter()
                    .map(|row| {
                        profiles[i].iter().map(|p| row[column[p]]).sum::<f32>()
                            / profiles[i].len().max(1) as f32
                    })
                    .collect();
                let mut scores: Scores = vec![
                    ("cooccurrence (served)", served(&profiles[i])),
                    ("cooccurrence, votes", vote_hits(&profiles[i])),
                    ("cooccurrence, binomial z", vote_scores(&profiles[i])),
                    ("cooccurrence, above chance", above_chance(&profiles[i])),
                    ("cooccurrence, hypergeometric", hypergeometric(&profiles[i])),
                    ("partners", vote_hits(&partners)),
                    ("partners, binomial z", vote_scores(&partners)),
                    ("embedding", vote_hits(&nearest(codes[k].clone(), Some(g)))),
                    ("gsfm over the profile", profile_z),
                    ("frequency", frequency.clone()),
                ];
                if !outside {
                    let c = column[&g];
                    scores.insert(0, ("gsfm", case_z.iter().map(|row| row[c]).collect()));
                }
                (i, scores)
            })
            .collect();
        let methods: Vec<&'static str> = per_gene
            .first()
            .map(|(_, s)| s.iter().map(|(n, _)| *n).collect())
            .unwrap_or_default();
        for (mi, method) in methods.iter().enumerate() {
            let mut aurocs = Vec::new();
            let mut aps = Vec::new();
            for (i, scores) in &per_gene {
                let g = members[*i];
                // Candidates: terms the gene was not already in; positives: terms that gained it.
                let (mut s, mut p) = (Vec::new(), Vec::new());
                for (c, case) in cases.iter().enumerate() {
                    if inputs[c].contains(&g) {
                        continue;
                    }
                    s.push(scores[mi].1[c]);
                    p.push(case.held_out.contains(&g));
                }
                if let (Some(a), Some(ap)) =
                    (metrics::roc_auc(&s, &p), metrics::average_precision(&s, &p))
                {
                    aurocs.push(a);
                    aps.push(ap);
                }
            }
            out.push(GroupSummary {
                group,
                method,
                genes: aurocs.len(),
                mean_auroc: (!aurocs.is_empty()).then(|| aurocs.iter().sum::<f64>() / aurocs.len() as f64),
                median_auroc: metrics::median(&mut aurocs),
                mean_ap: (!aps.is_empty()).then(|| aps.iter().sum::<f64>() / aps.len() as f64),
            });
        }
    }
    out
}

/// `row` standardised: mean 0, standard deviation 1 (a constant row becomes zeros).
pub(crate) fn z_row(row: &[f32]) -> Vec<f32> {
    let n = row.len().max(1) as f64;
    let mean = row.iter().map(|&x| x as f64).sum::<f64>() / n;
    let sd = (row.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n)
        .sqrt()
        .max(1e-9);
    row.iter()
        .map(|&x| ((x as f64 - mean) / sd) as f32)
        .collect()
}
