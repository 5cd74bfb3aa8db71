//! The `enrich` root field: over-representation analysis of a gene list (Enrichr's core use),
//! and `augmentedEnrichment` when a model is loaded.

use async_graphql::{Context, Enum, Object, SimpleObject};

use super::connection::{list_cost, Page, PageRequest};
use super::errors::ApiError;
use super::gene::{gene_nodes, GeneNode};
use super::gene_set::{load_sets, GeneSetNode};
use super::state;
use crate::domain::SetId;
use crate::enrich::{AugmentedRequest, Background, EnrichRequest};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum EnrichBackground {
    /// Genes annotated anywhere in the library tested (Enrichr's default).
    #[default]
    Library,
    /// Every gene in the store.
    All,
    /// The genes given in `backgroundGenes` (e.g. those measured in an experiment).
    Custom,
}

#[derive(SimpleObject)]
pub struct EnrichmentRow {
    pub gene_set: GeneSetNode,
    /// Input genes in the set.
    pub overlap: Vec<GeneNode>,
    pub overlap_size: usize,
    /// The set's genes within the background.
    pub set_size: usize,
    /// One-sided Fisher exact test (hypergeometric upper tail); may underflow to 0, see log10P.
    pub p_value: f64,
    #[graphql(name = "log10P")]
    pub log10_p: f64,
    pub odds_ratio: f64,
    /// Benjamini-Hochberg within the set's library.
    pub fdr: f64,
    pub rank: usize,
}

#[derive(SimpleObject)]
pub struct LibraryBackgroundNode {
    pub library: String,
    pub background_genes: usize,
    pub input_genes: usize,
    pub sets_tested: usize,
}

#[derive(SimpleObject)]
pub struct AmbiguousInput {
    pub input: String,
    pub candidates: Vec<GeneNode>,
}

#[derive(SimpleObject)]
pub struct EnrichmentResult {
    /// Sets with at least one input gene, by p-value then set id (pages never skip or repeat).
    pub results: Page<EnrichmentRow>,
    pub genes_used: usize,
    pub unknown_genes: Vec<String>,
    pub ambiguous_genes: Vec<AmbiguousInput>,
    pub libraries: Vec<LibraryBackgroundNode>,
}

/// One set's result of the rank test on the model's ranking.
#[derive(SimpleObject)]
pub struct AugmentedEnrichmentRow {
    pub gene_set: GeneSetNode,
    /// Peak of the weighted (GSEA) running sum over the model's ranking, in [0, 1].
    pub enrichment_score: f64,
    /// Normalised enrichment score: ES over the mean ES of random sets of the same size
    /// (1 = chance).
    pub nes: f64,
    /// The set's genes ranked at or above the peak, in ranking order: what drives the result.
    pub leading_edge: Vec<GeneNode>,
    /// The set's genes in the ranking.
    pub set_size: usize,
    /// Upper tail of the gamma fitted to random sets' ES at this size (see docs); may
    /// underflow to 0, see log10P.
    pub p_value: f64,
    #[graphql(name = "log10P")]
    pub log10_p: f64,
    /// Benjamini-Hochberg within the set's library.
    pub fdr: f64,
    pub rank: usize,
}

#[derive(SimpleObject)]
pub struct AugmentedEnrichmentResult {
    /// Every tested set: those with FDR <= 0.05 first, each group by enrichment score, then
    /// p-value, then set id.
    pub results: Page<AugmentedEnrichmentRow>,
    pub genes_used: usize,
    pub unknown_genes: Vec<String>,
    pub ambiguous_genes: Vec<AmbiguousInput>,
    /// Known input genes outside the model's vocabulary (the model cannot read them).
    pub genes_outside_model: Vec<GeneNode>,
    /// Genes in the ranking the sets were tested against.
    pub ranked_genes: usize,
}

pub(super) async fn ambiguous_nodes(ctx: &Context<'_>, ambiguous: &[crate::enrich::AmbiguousGene]) -> async_graphql::Result<Vec<AmbiguousInput>> {
    let mut out = Vec::with_capacity(ambiguous.len());
    for a in ambiguous {
        out.push(AmbiguousInput { input: a.input.clone(), candidates: gene_nodes(ctx, &a.candidates)? });
    }
    Ok(out)
}

#[derive(Default)]
pub struct EnrichQueries;

#[Object]
impl EnrichQueries {
    /// Over-representation of a gene list in the stored libraries.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn enrich(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The gene list; or give `userGeneSet` instead.")] genes: Option<Vec<String>>,
        #[graphql(desc = "The id of a list registered with `addGeneSet`, in place of `genes`.")] user_gene_set: Option<async_graphql::ID>,
        #[graphql(desc = "Library names; all when absent.")] libraries: Option<Vec<String>>,
        #[graphql(default)] background: EnrichBackground,
        background_genes: Option<Vec<String>>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> async_graphql::Result<EnrichmentResult> {
        let page = PageRequest::parse(first, after.as_deref())?;
        let genes = super::user_gene_set::genes_or_user_set(ctx, genes, user_gene_set)?;
        super::limits::check_list_len("genes", genes.len(), crate::enrich::MAX_INPUT_GENES)?;
        if let Some(g) = &background_genes {
            super::limits::check_list_len("backgroundGenes", g.len(), crate::enrich::MAX_BACKGROUND_GENES)?;
        }
        let st = state(ctx)?;
        if let Some(libs) = &libraries {
            for l in libs {
                super::library::known_library(st, l)?;
            }
        }
        let background = match (background, background_genes) {
            (EnrichBackground::Library, None) => Background::LibraryGenes,
            (EnrichBackground::All, None) => Background::AllGenes,
            (EnrichBackground::Custom, Some(g)) => Background::Custom(g),
            (EnrichBackground::Custom, None) => return Err(ApiError::BadInput("background CUSTOM needs `backgroundGenes`".into()).into()),
            (_, Some(_)) => return Err(ApiError::BadInput("`backgroundGenes` is only used with background CUSTOM".into()).into()),
        };
        let req = EnrichRequest { genes, libraries, background, ..Default::default() };
        let result = super::blocking::run_heavy(st, move |st| Ok(st.enrich.enrich(&req)?)).await?;
        let range = page.range(result.rows.len());
        let rows = &result.rows[range];
        let ids: Vec<SetId> = rows.iter().map(|r| r.set_id.clone()).collect();
        let sets = load_sets(ctx, &ids).await?;
        let mut nodes = Vec::with_capacity(rows.len());
        for (r, gene_set) in rows.iter().zip(sets) {
            nodes.push(EnrichmentRow {
                gene_set,
                overlap: gene_nodes(ctx, &r.overlap)?,
                overlap_size: r.overlap_size,
                set_size: r.set_size,
                p_value: r.p_value,
                log10_p: r.log10_p,
                odds_ratio: r.odds_ratio,
                fdr: r.fdr,
                rank: r.rank,
            });
        }
        let ambiguous_genes = ambiguous_nodes(ctx, &result.input.ambiguous).await?;
        Ok(EnrichmentResult {
            results: page.connection(result.rows.len(), nodes),
            genes_used: result.input.genes.len(),
            unknown_genes: result.input.unknown.clone(),
            ambiguous_genes,
            libraries: result
                .libraries
                .iter()
                .map(|l| LibraryBackgroundNode {
                    library: l.library.to_string(),
                    background_genes: l.background_genes,
                    input_genes: l.input_genes,
                    sets_tested: l.sets_tested,
                })
                .collect(),
        })
    }

    /// Model-augmented enrichment: the model ranks every gene of its vocabulary for the list,
    /// and each set is tested for sitting near the top of that ranking (GSEA's weighted running
    /// sum, a null fitted per set size as blitzGSEA; docs/enrichment.md). Finds function even
    /// where the list overlaps no set.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn augmented_enrichment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The gene list; or give `userGeneSet` instead.")] genes: Option<Vec<String>>,
        #[graphql(desc = "The id of a list registered with `addGeneSet`, in place of `genes`.")] user_gene_set: Option<async_graphql::ID>,
        #[graphql(desc = "Library names; all when absent.")] libraries: Option<Vec<String>>,
        #[graphql(desc = "Keep the input genes in the ranking (they top it, so the test then repeats the overlap).", default = false)]
        include_input: bool,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> async_graphql::Result<AugmentedEnrichmentResult> {
        let page = PageRequest::parse(first, after.as_deref())?;
        let genes = super::user_gene_set::genes_or_user_set(ctx, genes, user_gene_set)?;
        super::limits::check_list_len("genes", genes.len(), crate::model::MAX_INPUT_GENES)?;
        let model = super::model::model(ctx)?;
        let st = state(ctx)?;
        if let Some(libs) = &libraries {
            for l in libs {
                super::library::known_library(st, l)?;
            }
        }
        let req = AugmentedRequest { genes, libraries, include_input, ..Default::default() };
        let result = super::blocking::run_heavy(st, move |st| Ok(st.enrich.augmented_enrich(&model, &req)?)).await?;
        let range = page.range(result.rows.len());
        let rows = &result.rows[range];
        let ids: Vec<SetId> = rows.iter().map(|r| r.set_id.clone()).collect();
        let sets = load_sets(ctx, &ids).await?;
        let mut nodes = Vec::with_capacity(rows.len());
        for (r, gene_set) in rows.iter().zip(sets) {
            nodes.push(AugmentedEnrichmentRow {
                gene_set,
                enrichment_score: r.es,
                nes: r.nes,
                leading_edge: gene_nodes(ctx, &r.leading_edge)?,
                set_size: r.set_size,
                p_value: r.p_value,
                log10_p: r.log10_p,
                fdr: r.fdr,
                rank: r.rank,
            });
        }
        Ok(AugmentedEnrichmentResult {
            results: page.connection(result.rows.len(), nodes),
            genes_used: result.input.genes.len(),
            unknown_genes: result.input.unknown.clone(),
            ambiguous_genes: ambiguous_nodes(ctx, &result.input.ambiguous).await?,
            genes_outside_model: gene_nodes(ctx, &result.outside_model)?,
            ranked_genes: result.ranked_genes,
        })
    }
}
