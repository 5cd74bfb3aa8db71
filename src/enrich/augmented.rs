//! Model-augmented enrichment: the model scores every gene of its vocabulary for the input
//! list (its logits, as the reference site feeds blitzGSEA), and the rank test of [`rank`]
//! asks which sets sit near the top of that ranking. A list of eight genes overlaps few sets,
//! so ORA says little; the model's ranking spreads the list's function over every gene, and a
//! set whose genes the model pushes up is enriched even if it shares no gene with the list.
//!
//! # Why the input genes leave the ranking by default
//! The model reconstructs its input, so the input genes carry the largest logits; left in, any
//! set holding a few of them peaks at the very top and the test repeats ORA. Without them a set
//! is enriched only through the genes the model adds. `include_input` keeps them (the reference
//! site's behaviour) for comparisons.
//!
//! Only the model's vocabulary is ranked: other genes have no score, and a set's genes outside
//! the vocabulary are simply not in the ranking (its size in the test counts ranked genes).
//!
//! [`rank`]: super::rank

use serde::Serialize;

use super::query::resolve_input;
use super::rank::{RankOptions, RankRow};
use super::{EnrichError, EnrichIndex, InputReport, Result};
use crate::domain::Entrez;
use crate::model::Gsfm;

/// One model-augmented enrichment query.
#[derive(Debug, Clone, Default)]
pub struct AugmentedRequest {
    /// Gene strings as the user typed them (symbols, aliases, Entrez, Ensembl, UniProt).
    pub genes: Vec<String>,
    /// Library names; `None` tests every library of the index.
    pub libraries: Option<Vec<String>>,
    /// Sets with fewer ranked genes are not tested (default [`super::rank::DEFAULT_MIN_SIZE`]).
    pub min_size: Option<usize>,
    pub max_size: Option<usize>,
    /// Keep the input genes in the ranking; see the module docs.
    pub include_input: bool,
}

/// The answer to an [`AugmentedRequest`].
#[derive(Debug, Clone, Serialize)]
pub struct AugmentedResult {
    pub input: InputReport,
    /// Known input genes the model cannot read (outside its vocabulary).
    pub outside_model: Vec<Entrez>,
    /// Genes in the ranking the sets were tested against.
    pub ranked_genes: usize,
    /// Every tested set, in the order of [`super::rank::result_order`].
    pub rows: Vec<RankRow>,
}

impl EnrichIndex {
    /// Ranks the model's vocabulary by its logits for the input list and runs the weighted
    /// running-sum test on every set of the chosen libraries.
    pub fn augmented_enrich(&self, model: &Gsfm, req: &AugmentedRequest) -> Result<AugmentedResult> {
        let resolved = resolve_input(&req.genes, self.resolver(), self.dense_index())?;
        let input = resolved.report;
        let genes: Vec<u32> = input.genes.iter().map(|g| g.0).collect();
        let augmented = model.augment(&genes).map_err(|e| EnrichError::Model(e.to_string()))?;
        let scores: Vec<(Entrez, f32)> = augmented
            .genes
            .iter()
            .filter(|g| req.include_input || !g.input)
            .map(|g| (Entrez(g.entrez), g.logit))
            .collect();
        let options = RankOptions { libraries: req.libraries.clone(), min_size: req.min_size, max_size: req.max_size };
        let rows = self.rank_enrich(&scores, &options)?;
        Ok(AugmentedResult { input, outside_model: augmented.unknown.into_iter().map(Entrez).collect(), ranked_genes: scores.len(), rows })
    }
}
