//! How well model-augmented enrichment finds the set a list was drawn from: the known-answer
//! check behind the default result order ([`super::rank::RankOrder::DEFAULT`]).
//!
//! Why this check: "the right terms come first" was judged on one list (MCM2, MCM4, POLA1), and
//! an order tuned to one list says nothing about the next. Here each case is a stored set of a
//! chosen size range, the query is a few of its members drawn at random (what a user with a
//! handful of genes from one process types), and the answer is the set itself: the better an
//! order, the higher it puts the source set among the library's results. Its more specific
//! children can rightly sit above it, so the median rank is not expected to be 1; the orders
//! are compared on the same cases.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Serialize;

use super::rank::{RankOptions, RankOrder};
use super::{EnrichError, EnrichIndex, Result};
use crate::domain::Entrez;
use crate::model::Gsfm;

#[derive(Debug, Clone)]
pub struct RecoveryOptions {
    /// The library the cases come from; only its sets are tested (FDR is per library, so the
    /// source's place among them is the same as in a request over every library).
    pub library: String,
    pub cases: usize,
    /// Genes per query, drawn from the set's members in the model's vocabulary.
    pub query_size: usize,
    /// Source sets have this many genes in the model's vocabulary (inclusive).
    pub min_set: usize,
    pub max_set: usize,
    pub seed: u64,
}

/// One order's figures over the cases.
#[derive(Debug, Clone, Serialize)]
pub struct OrderRecovery {
    pub order: &'static str,
    pub median_rank: f64,
    pub mean_reciprocal_rank: f64,
    /// Share of cases with the source set in the first 1, 10 and 50 rows.
    pub top1: f64,
    pub top10: f64,
    pub top50: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recovery {
    pub library: String,
    pub cases: usize,
    pub query_size: usize,
    /// Sets tested per case (median).
    pub sets_tested: usize,
    pub orders: Vec<OrderRecovery>,
    /// Per case: source set id, query (Entrez), and its rank under each order (as `orders`).
    pub per_case: Vec<(String, Vec<u32>, Vec<usize>)>,
}

pub fn recovery(index: &EnrichIndex, model: &Gsfm, opts: &RecoveryOptions) -> Result<Recovery> {
    let sets = index.library_sets(&opts.library).ok_or_else(|| EnrichError::UnknownLibraries {
        names: opts.library.clone(),
        available: index.library_names().join(", "),
    })?;
    if opts.query_size == 0 || opts.min_set <= opts.query_size {
        return Err(EnrichError::Scores(format!(
            "sets must be larger than the query (min set {} with {} query genes)",
            opts.min_set, opts.query_size
        )));
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(opts.seed);
    let mut eligible: Vec<(crate::domain::SetId, Vec<u32>)> = sets
        .into_iter()
        .map(|(id, genes)| (id, model.split_vocabulary(&genes.iter().map(|g| g.0).collect::<Vec<_>>()).0))
        .filter(|(_, g)| (opts.min_set..=opts.max_set).contains(&g.len()))
        .collect();
    eligible.shuffle(&mut rng);
    eligible.truncate(opts.cases);
    let options = RankOptions { libraries: Some(vec![opts.library.clone()]), ..Default::default() };
    let mut per_case = Vec::with_capacity(eligible.len());
    let mut tested = Vec::with_capacity(eligible.len());
    for (id, genes) in &eligible {
        let query: Vec<u32> = genes.choose_multiple(&mut rng, opts.query_size).copied().collect();
        let augmented = model.augment(&query).map_err(|e| EnrichError::Model(e.to_string()))?;
        let scores: Vec<(Entrez, f32)> = augmented.genes.iter().filter(|g| !g.input).map(|g| (Entrez(g.entrez), g.logit)).collect();
        let rows = index.rank_enrich(&scores, &options)?;
        tested.push(rows.len());
        let Some(source) = rows.iter().find(|r| r.set_id == *id) else { continue };
        let ranks: Vec<usize> = RankOrder::ALL
            .iter()
            .map(|o| {
                let key = o.key(source);
                1 + rows.iter().filter(|r| o.key(r) < key).count()
            })
            .collect();
        per_case.push((id.to_string(), query, ranks));
    }
    let orders = RankOrder::ALL
        .iter()
        .enumerate()
        .map(|(k, o)| {
            let mut ranks: Vec<usize> = per_case.iter().map(|c| c.2[k]).collect();
            ranks.sort_unstable();
            let n = ranks.len().max(1) as f64;
            let share = |top: usize| ranks.iter().filter(|&&r| r <= top).count() as f64 / n;
            OrderRecovery {
                order: o.name(),
                median_rank: median(&ranks),
                mean_reciprocal_rank: ranks.iter().map(|&r| 1.0 / r as f64).sum::<f64>() / n,
                top1: share(1),
                top10: share(10),
                top50: share(50),
            }
        })
        .collect();
    tested.sort_unstable();
    Ok(Recovery {
        library: opts.library.clone(),
        cases: per_case.len(),
        query_size: opts.query_size,
        sets_tested: tested.get(tested.len() / 2).copied().unwrap_or(0),
        orders,
        per_case,
    })
}

fn median(sorted: &[usize]) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2] as f64,
        n => (sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0,
    }
}
