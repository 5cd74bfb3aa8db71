//! Fields backed by the model and the neighbourhood index: predicted functions, partners and
//! members, similar genes and sets, and the `augment` and `similarSets` root fields. Each says
//! plainly when the server runs without a model or index (NOT_FOUND), rather than returning
//! empty lists that would read as "no predictions".

use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject, ID};

use super::connection::{list_cost, Page, PageRequest};
use super::errors::{ApiError, ApiResult};
use super::gene::{load_genes, resolve_gene, GeneNode};
use super::gene_set::{load_sets, GeneSetNode};
use super::limits::MAX_PAGE;
use super::state;
use crate::domain::SetId;
use crate::index::Neighbourhood;
use crate::model::{predictions, Gsfm};

pub(super) fn model(ctx: &Context<'_>) -> ApiResult<Arc<Gsfm>> {
    state(ctx)?
        .model
        .clone()
        .ok_or_else(|| ApiError::NotFound("this server runs without a model; train one with `genekg train`".into()))
}

pub(super) fn neighbourhood(ctx: &Context<'_>) -> ApiResult<Arc<std::sync::RwLock<Neighbourhood>>> {
    state(ctx)?.neighbourhood.clone().ok_or_else(|| {
        ApiError::NotFound("this server runs without a neighbourhood index; build one with `genekg index build`".into())
    })
}

/// Runs `f` on the live index under its read lock.
fn read_index<T>(hood: &std::sync::RwLock<Neighbourhood>, f: impl FnOnce(&Neighbourhood) -> anyhow::Result<T>) -> ApiResult<anyhow::Result<T>> {
    let hood = hood.read().map_err(|_| ApiError::internal(anyhow::anyhow!("index lock poisoned")))?;
    Ok(f(&hood))
}

/// Stored-set ids of index keys.
fn set_ids(keys: impl IntoIterator<Item = String>) -> Vec<SetId> {
    keys.into_iter().filter_map(|k| SetId::parse(&k).ok()).collect()
}

/// A failed set search: NOT_FOUND naming the step to run when the sets index does not match
/// the store (see `index::sets_mismatch`), INTERNAL otherwise.
fn set_search_error(e: anyhow::Error) -> ApiError {
    match e.downcast_ref::<crate::index::SetsIndexStale>() {
        Some(stale) => ApiError::NotFound(stale.0.clone()),
        None => ApiError::internal(e),
    }
}

fn check_first(first: i32) -> ApiResult<usize> {
    if first < 0 || first as usize > MAX_PAGE {
        return Err(ApiError::BadInput(format!("`first` must be between 0 and {MAX_PAGE}, got {first}")));
    }
    Ok(first as usize)
}

/// A set the model predicts a gene belongs to.
#[derive(SimpleObject)]
pub struct PredictedFunction {
    pub gene_set: GeneSetNode,
    /// sigmoid of the model's logit for this gene given the set's genes.
    pub probability: f32,
    /// The logit's z-score across all genes for this set.
    pub z_score: f32,
    /// Rank of the gene among the genes listed for the set.
    pub rank: u32,
    /// The gene is already in the set.
    pub known: bool,
    /// Median ROC AUC of the model recovering hidden halves of this set: how far to trust it.
    pub set_auroc: Option<f32>,
}

/// A gene predicted for a set, or as a partner of a gene.
#[derive(SimpleObject)]
pub struct PredictedGene {
    pub gene: GeneNode,
    pub probability: f32,
    pub z_score: f32,
    pub rank: u32,
    pub known: bool,
}

#[derive(SimpleObject)]
pub struct SimilarGene {
    pub gene: GeneNode,
    /// Cosine similarity of the model's gene embeddings.
    pub cosine: f32,
}

/// A library set near a gene list or set. Users' registered lists are private and never listed.
#[derive(SimpleObject)]
pub struct SimilarSet {
    pub gene_set: GeneSetNode,
    /// `LIBRARY:term`, the set's id.
    pub key: String,
    pub cosine: f32,
}

/// Which of a gene's predicted functions a caller wants (see `Gene.predictedFunctions`).
pub struct FunctionFilter {
    libraries: Option<Vec<String>>,
    min_z: f32,
    new_only: bool,
    include_untitled: bool,
}

impl FunctionFilter {
    pub fn new(
        libraries: Option<Vec<String>>,
        library: Option<String>,
        min_z: Option<f64>,
        new_only: bool,
        include_untitled: Option<bool>,
    ) -> ApiResult<Self> {
        let libraries = match (libraries, library) {
            (Some(_), Some(_)) => return Err(ApiError::BadInput("give either `libraries` or `library`, not both".into())),
            (l, one) => l.or(one.map(|one| vec![one])),
        };
        if libraries.as_ref().is_some_and(Vec::is_empty) {
            return Err(ApiError::BadInput("`libraries` is empty; leave it out for all libraries".into()));
        }
        // A caller who names libraries chose them, untitled sets included.
        let include_untitled = include_untitled.unwrap_or(libraries.is_some());
        Ok(Self { libraries, min_z: min_z.unwrap_or(f64::NEG_INFINITY) as f32, new_only, include_untitled })
    }
}

pub async fn predicted_functions(
    ctx: &Context<'_>,
    entrez: u32,
    filter: FunctionFilter,
    first: i32,
    after: Option<String>,
) -> async_graphql::Result<Page<PredictedFunction>> {
    model(ctx)?;
    let page = PageRequest::parse(first, after.as_deref())?;
    let st = state(ctx)?;
    for l in filter.libraries.iter().flatten() {
        super::library::known_library(st, l)?;
    }
    let prefixes: Option<Vec<String>> = filter.libraries.as_ref().map(|ls| ls.iter().map(|l| format!("{l}:")).collect());
    let rows: Vec<_> = predictions::functions_of_gene(&st.store, entrez, None, filter.min_z)
        .map_err(ApiError::internal)?
        .into_iter()
        .filter(|r| !filter.new_only || !r.known)
        .filter(|r| prefixes.as_ref().is_none_or(|ps| ps.iter().any(|p| r.set_id.starts_with(p.as_str()))))
        .filter(|r| {
            filter.include_untitled
                || SetId::parse(&r.set_id).ok().and_then(|id| st.set_entry(&id).map(|e| !e.is_untitled())).unwrap_or(true)
        })
        .collect();
    let range = page.range(rows.len());
    let ids = set_ids(rows[range.clone()].iter().map(|r| r.set_id.clone()));
    let sets = load_sets(ctx, &ids).await?;
    let nodes = rows[range]
        .iter()
        .zip(sets)
        .map(|(r, gene_set)| PredictedFunction {
            gene_set,
            probability: r.probability,
            z_score: r.z,
            rank: r.rank,
            known: r.known,
            set_auroc: r.set_auroc,
        })
        .collect();
    Ok(page.connection(rows.len(), nodes))
}

pub fn predicted_partner_count(ctx: &Context<'_>, entrez: u32) -> async_graphql::Result<usize> {
    model(ctx)?;
    Ok(predictions::partners_of_gene(&state(ctx)?.store, entrez).map_err(ApiError::internal)?.len())
}

/// For a partner, `known` means the two genes already share a stored set (a GO term both are
/// annotated to, a paper reporting both): the pairing is on record, not new.
pub async fn predicted_partners(ctx: &Context<'_>, entrez: u32, first: i32) -> async_graphql::Result<Vec<PredictedGene>> {
    model(ctx)?;
    let first = check_first(first)?;
    let st = state(ctx)?;
    let partners = predictions::partners_of_gene(&st.store, entrez).map_err(ApiError::internal)?;
    if first > partners.len() && !partners.is_empty() {
        return Err(ApiError::BadInput(format!(
            "`first` is {first}, but {} predicted partners are stored for this gene (`genekg model predict` keeps the top ones); ask for at most {}",
            partners.len(),
            partners.len()
        ))
        .into());
    }
    let partners = &partners[..partners.len().min(first)];
    let sets_of = |g: u32| -> ApiResult<std::collections::HashSet<String>> {
        Ok(st
            .store
            .sets_of_gene(g)?
            .into_iter()
            .flat_map(|(lib, terms)| terms.into_iter().map(move |t| format!("{lib}:{t}")))
            .collect())
    };
    let own = sets_of(entrez)?;
    let known: Vec<bool> = partners
        .iter()
        .map(|p| Ok(!sets_of(p.entrez)?.is_disjoint(&own)))
        .collect::<ApiResult<_>>()?;
    let genes = load_genes(ctx, &partners.iter().map(|p| p.entrez).collect::<Vec<_>>()).await?;
    Ok(partners
        .iter()
        .zip(genes)
        .zip(known)
        .enumerate()
        .map(|(i, ((p, gene), known))| PredictedGene { gene, probability: p.probability, z_score: p.z, rank: i as u32 + 1, known })
        .collect())
}

pub async fn similar_genes(ctx: &Context<'_>, symbol: &str, first: i32) -> async_graphql::Result<Vec<SimilarGene>> {
    let first = check_first(first)?;
    let hood = neighbourhood(ctx)?;
    let st = state(ctx)?;
    let found = read_index(&hood, |h| h.similar_genes(&st.store, symbol, first, None))?.map_err(|e| ApiError::NotFound(e.to_string()))?;
    let ids: Vec<u32> = found.iter().filter_map(|n| n.key.parse().ok()).collect();
    let genes = load_genes(ctx, &ids).await?;
    Ok(genes.into_iter().zip(found).map(|(gene, n)| SimilarGene { gene, cosine: n.cosine }).collect())
}

async fn similar_set_nodes(ctx: &Context<'_>, found: Vec<crate::index::Neighbour>) -> async_graphql::Result<Vec<SimilarSet>> {
    let ids = set_ids(found.iter().map(|n| n.key.clone()));
    let sets = load_sets(ctx, &ids).await?;
    Ok(found.into_iter().zip(sets).map(|(n, gene_set)| SimilarSet { gene_set, key: n.key, cosine: n.cosine }).collect())
}

pub async fn similar_sets_of_set(ctx: &Context<'_>, id: &SetId, library: Option<String>, first: i32) -> async_graphql::Result<Vec<SimilarSet>> {
    let first = check_first(first)?;
    let (hood, model) = (neighbourhood(ctx)?, model(ctx)?);
    let st = state(ctx)?;
    let found = read_index(&hood, |h| h.similar_sets_for_set(&st.store, model.as_ref(), id, first, library.as_deref(), None))?
        .map_err(set_search_error)?;
    similar_set_nodes(ctx, found).await
}

pub async fn predicted_members(ctx: &Context<'_>, id: &SetId, first: i32, new_only: bool) -> async_graphql::Result<Vec<PredictedGene>> {
    model(ctx)?;
    let first = check_first(first)?;
    let st = state(ctx)?;
    let Some(p) = predictions::members_of_set(&st.store, &id.to_string()).map_err(ApiError::internal)? else {
        return Ok(vec![]);
    };
    let rows: Vec<_> = p.genes.iter().filter(|g| !new_only || !g.known).take(first).collect();
    let genes = load_genes(ctx, &rows.iter().map(|g| g.entrez).collect::<Vec<_>>()).await?;
    Ok(rows
        .into_iter()
        .zip(genes)
        .map(|(g, gene)| PredictedGene { gene, probability: g.probability, z_score: g.z, rank: g.rank, known: g.known })
        .collect())
}

pub fn model_auroc(ctx: &Context<'_>, id: &SetId) -> async_graphql::Result<Option<f32>> {
    let st = state(ctx)?;
    if st.model.is_none() {
        return Ok(None);
    }
    Ok(predictions::set_auroc(&st.store, &id.to_string()).map_err(ApiError::internal)?)
}

/// One gene's score in an `augment` answer.
#[derive(SimpleObject)]
pub struct AugmentedGene {
    pub gene: GeneNode,
    pub logit: f32,
    pub probability: f32,
    /// The gene was in the input list.
    pub input: bool,
}

#[derive(SimpleObject)]
pub struct AugmentResult {
    /// Genes by descending score (input genes included only with `includeInput`).
    pub genes: Vec<AugmentedGene>,
    /// Input strings that name no known gene.
    pub unknown_genes: Vec<String>,
    /// Input genes the model has no place for (in too few training sets).
    pub out_of_vocabulary: Vec<GeneNode>,
    pub model_fingerprint: String,
}

#[derive(Default)]
pub struct ModelQueries;

/// Resolves a user's gene list; unknown strings are reported, an ambiguous alias is an error.
pub(super) fn resolve_list(ctx: &Context<'_>, genes: &[String], max: usize) -> ApiResult<(Vec<u32>, Vec<String>)> {
    if genes.is_empty() {
        return Err(ApiError::BadInput("the gene list is empty".into()));
    }
    if genes.len() > max {
        return Err(ApiError::BadInput(format!("the gene list has {} entries; at most {max} are accepted", genes.len())));
    }
    let st = state(ctx)?;
    let (mut found, mut unknown) = (Vec::new(), Vec::new());
    for g in genes {
        match resolve_gene(st, g) {
            Ok(e) if !found.contains(&e) => found.push(e),
            Ok(_) => {}
            Err(ApiError::NotFound(_)) | Err(ApiError::BadInput(_)) => unknown.push(g.clone()),
            Err(e) => return Err(e),
        }
    }
    if found.is_empty() {
        return Err(ApiError::BadInput(format!("none of the {} genes is known (e.g. `{}`)", genes.len(), genes[0])));
    }
    Ok((found, unknown))
}

#[Object]
impl ModelQueries {
    /// The model's completion of a gene list: every gene scored by how well it fits the list
    /// (the reference site's "augment"). Up to 2,000 input genes.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn augment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The gene list; or give `userGeneSet` instead.")] genes: Option<Vec<String>>,
        #[graphql(desc = "The id of a list registered with `addGeneSet`, in place of `genes`.")] user_gene_set: Option<ID>,
        #[graphql(default = 50)] first: i32,
        #[graphql(default = false)] include_input: bool,
    ) -> async_graphql::Result<AugmentResult> {
        let first = check_first(first)?;
        let model = model(ctx)?;
        let genes = super::user_gene_set::genes_or_user_set(ctx, genes, user_gene_set)?;
        let (ids, unknown_genes) = resolve_list(ctx, &genes, crate::model::MAX_INPUT_GENES)?;
        let aug = model.augment(&ids).map_err(|e| ApiError::BadInput(e.to_string()))?;
        let top: Vec<_> = aug.ranked(include_input).into_iter().take(first).cloned().collect();
        let nodes = load_genes(ctx, &top.iter().map(|g| g.entrez).collect::<Vec<_>>()).await?;
        let oov = load_genes(ctx, &aug.unknown).await?;
        Ok(AugmentResult {
            genes: top
                .into_iter()
                .zip(nodes)
                .map(|(g, gene)| AugmentedGene { gene, logit: g.logit, probability: g.probability, input: g.input })
                .collect(),
            unknown_genes,
            out_of_vocabulary: oov,
            model_fingerprint: model.fingerprint().to_string(),
        })
    }

    /// Library gene sets whose model embeddings are nearest to a gene list's (cosine), optionally
    /// within one library. Users' registered lists are never listed.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn similar_sets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The gene list; or give `userGeneSet` instead.")] genes: Option<Vec<String>>,
        #[graphql(desc = "The id of a list registered with `addGeneSet`, in place of `genes`.")] user_gene_set: Option<ID>,
        library: Option<String>,
        #[graphql(default = 10)] first: i32,
    ) -> async_graphql::Result<Vec<SimilarSet>> {
        let first = check_first(first)?;
        let (hood, model) = (neighbourhood(ctx)?, model(ctx)?);
        if let Some(l) = &library {
            super::library::known_library(state(ctx)?, l)?;
        }
        let genes = super::user_gene_set::genes_or_user_set(ctx, genes, user_gene_set)?;
        let (ids, _) = resolve_list(ctx, &genes, crate::model::MAX_INPUT_GENES)?;
        let found = read_index(&hood, |h| h.similar_sets_for_genes(model.as_ref(), &ids, first, library.as_deref(), None))?
            .map_err(set_search_error)?;
        similar_set_nodes(ctx, found).await
    }
}
