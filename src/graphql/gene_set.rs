//! The `GeneSet` type (a set of a curated library) and the root fields that find sets.

use std::sync::Arc;

use async_graphql::{Context, Object, ID};

use super::connection::{list_cost, Page, PageRequest};
use super::errors::{ApiError, ApiResult};
use super::gene::{gene_nodes, GeneNode};
use super::library::{known_library, LibraryNode};
use super::{loaders, state};
use crate::domain::{LibraryName, SetId};
use crate::store::GeneSet;

/// Loads sets through the request's loader, keeping the order of `ids`.
pub async fn load_sets(ctx: &Context<'_>, ids: &[SetId]) -> ApiResult<Vec<GeneSetNode>> {
    let found = loaders(ctx)?.sets().load_many(ids.iter().cloned()).await?;
    ids.iter()
        .map(|id| {
            found
                .get(id)
                .map(|set| GeneSetNode { id: id.clone(), set: set.clone() })
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("set {id} is listed but not stored")))
        })
        .collect()
}

/// Pages through a sorted list of Entrez ids as genes.
pub async fn gene_page(ctx: &Context<'_>, genes: &[u32], first: i32, after: Option<String>) -> async_graphql::Result<Page<GeneNode>> {
    let page = PageRequest::parse(first, after.as_deref())?;
    let nodes = gene_nodes(ctx, &genes[page.range(genes.len())])?;
    Ok(page.connection(genes.len(), nodes))
}

#[derive(Clone)]
pub struct GeneSetNode {
    pub id: SetId,
    pub set: Arc<GeneSet>,
}

/// A gene set of a curated library: a GO term's genes, or the genes a paper is about.
#[Object(name = "GeneSet")]
impl GeneSetNode {
    /// `LIBRARY:term`, e.g. `GO_BP:GO:0006915` or `PubMed:10521396`.
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }
    async fn library(&self, ctx: &Context<'_>) -> async_graphql::Result<LibraryNode> {
        Ok(LibraryNode(known_library(state(ctx)?, self.id.library())?))
    }
    /// The set's id within its library (a GO id, a PMID, a GMT term).
    async fn term(&self) -> &str {
        &self.set.term
    }
    async fn name(&self) -> &str {
        &self.set.name
    }
    async fn description(&self) -> Option<&str> {
        self.set.description.as_deref()
    }
    /// Number of genes.
    async fn size(&self) -> usize {
        self.set.genes.len()
    }
    async fn pmid(&self) -> Option<u32> {
        self.set.pmid
    }
    async fn url(&self) -> Option<&str> {
        self.set.url.as_deref()
    }
    /// Genes the model lists for this set, known members included (flagged), by rank.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn predicted_members(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: i32,
        #[graphql(desc = "Only genes not yet in the set.", default = false)] new_only: bool,
    ) -> async_graphql::Result<Vec<super::model::PredictedGene>> {
        super::model::predicted_members(ctx, &self.id, first, new_only).await
    }

    /// How well the model recovers this set: median ROC AUC over 5 random halves (null without
    /// a model).
    async fn model_auroc(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<f32>> {
        super::model::model_auroc(ctx, &self.id)
    }

    /// Stored sets with the nearest model embeddings, by cosine.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn similar_sets(
        &self,
        ctx: &Context<'_>,
        library: Option<String>,
        #[graphql(default = 10)] first: i32,
    ) -> async_graphql::Result<Vec<super::model::SimilarSet>> {
        super::model::similar_sets_of_set(ctx, &self.id, library, first).await
    }

    /// The set's genes in Entrez order.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn genes(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 100)] first: i32,
        after: Option<String>,
    ) -> async_graphql::Result<Page<GeneNode>> {
        gene_page(ctx, &self.set.genes, first, after).await
    }
}

#[derive(Default)]
pub struct GeneSetQueries;

#[Object]
impl GeneSetQueries {
    /// One set by id (`LIBRARY:term`). Users' registered lists are read with `userGeneSet`.
    async fn gene_set(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<GeneSetNode>> {
        if let Some(n) = id.strip_prefix("user:") {
            return Err(ApiError::NotFound(format!(
                "`{}` is not a library set; a registered gene list is read with `userGeneSet(id: \"{n}\")`",
                *id
            ))
            .into());
        }
        let set_id = SetId::parse(&id).map_err(ApiError::BadInput)?;
        known_library(state(ctx)?, set_id.library())?;
        let found = loaders(ctx)?.sets().load_one(set_id.clone()).await.map_err(ApiError::from)?;
        match found {
            Some(set) => Ok(Some(GeneSetNode { id: set_id, set })),
            None => Err(ApiError::NotFound(format!("library {} has no set `{}`", set_id.library(), set_id.term())).into()),
        }
    }

    /// Sets of one library (or of all, by library name then term), optionally only those whose
    /// name contains `nameContains` (any case).
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn gene_sets(
        &self,
        ctx: &Context<'_>,
        library: Option<String>,
        name_contains: Option<String>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> async_graphql::Result<Page<GeneSetNode>> {
        let page = PageRequest::parse(first, after.as_deref())?;
        let state = state(ctx)?;
        let libraries: Vec<String> = match &library {
            Some(l) => vec![known_library(state, l)?.name.clone()],
            None => state.sets.keys().cloned().collect(),
        };
        let needle = name_contains.as_deref().map(|n| n.trim().to_uppercase()).filter(|n| !n.is_empty());
        let range = page.offset..page.offset.saturating_add(page.limit);
        let mut total = 0;
        let mut ids = Vec::new();
        for lib in libraries {
            let name = LibraryName::parse(&lib).map_err(ApiError::BadInput)?;
            for entry in state.sets.get(&lib).into_iter().flatten() {
                if needle.as_ref().is_some_and(|n| !entry.name_upper.contains(n.as_str())) {
                    continue;
                }
                if range.contains(&total) {
                    ids.push(SetId::new(name.clone(), &*entry.term));
                }
                total += 1;
            }
        }
        let nodes = load_sets(ctx, &ids).await?;
        Ok(page.connection(total, nodes))
    }
}
