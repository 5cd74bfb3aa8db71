//! Gene lists users register (`addGeneSet`, like Enrichr's addList) and read back by id.
//!
//! A registered list is private: it is reachable only through the id `addGeneSet` returned
//! (`userGeneSet(id)`, or `userGeneSet: id` in place of `genes` in `enrich`, `augment` and
//! `similarSets`) and is never listed in anyone's results: the neighbourhood index holds
//! library sets only, and no listing reads user sets.

use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject, ID};

use super::connection::Page;
use super::errors::ApiError;
use super::gene::{gene_nodes, GeneNode};
use super::gene_set::gene_page;
use super::state;
use crate::store::{Store, StoreError, UserSet};

/// Longest accepted description.
pub const MAX_DESCRIPTION: usize = 1_000;

/// Marks a request that arrived by GET, where mutations are refused: a GET can be triggered by
/// any page a user visits (a link, an image), so it must not change anything.
///
/// It also marks POSTs that may not run mutations (see `configuration::MutationPolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadOnlyRequest {
    Get,
    ReadOnlyServer,
    NoToken,
}

impl ReadOnlyRequest {
    fn refusal(self) -> ApiError {
        match self {
            ReadOnlyRequest::Get => ApiError::BadInput("mutations must be sent with POST".into()),
            ReadOnlyRequest::ReadOnlyServer => ApiError::Forbidden("this server is read-only (--read-only): mutations are off".into()),
            ReadOnlyRequest::NoToken => ApiError::Forbidden(
                "mutations need this server's API token: send `Authorization: Bearer TOKEN`".into(),
            ),
        }
    }
}

pub struct UserGeneSetNode(pub Arc<UserSet>);

/// A gene list a user registered.
#[Object(name = "UserGeneSet")]
impl UserGeneSetNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Number of known genes kept.
    async fn size(&self) -> usize {
        self.0.genes.len()
    }
    /// Entries of the submitted list that were not added (unknown or ambiguous), as given.
    async fn unknown_genes(&self) -> &[String] {
        &self.0.unknown
    }
    /// RFC 3339 time it was registered.
    async fn created_at(&self) -> &str {
        &self.0.created_at
    }
    /// The genes in Entrez order.
    #[graphql(complexity = "super::connection::list_cost(first, child_complexity)")]
    async fn genes(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 100)] first: i32,
        after: Option<String>,
    ) -> async_graphql::Result<Page<GeneNode>> {
        gene_page(ctx, &self.0.genes, first, after).await
    }
}

/// An entry of a submitted list that names several genes.
#[derive(SimpleObject)]
pub struct AmbiguousEntry {
    pub query: String,
    pub candidates: Vec<GeneNode>,
}

#[derive(SimpleObject)]
pub struct AddGeneSetResult {
    /// Pass this to `userGeneSet(id)`.
    pub id: ID,
    /// Known genes stored.
    pub size: usize,
    /// Entries not stored, as given: those that match no gene and those in `ambiguousGenes`.
    pub unknown_genes: Vec<String>,
    /// Entries left out because they are aliases of several genes.
    pub ambiguous_genes: Vec<AmbiguousEntry>,
    pub gene_set: UserGeneSetNode,
}

/// Reads a registered list by the id `addGeneSet` returned.
pub(super) fn user_set(ctx: &Context<'_>, id: &str) -> async_graphql::Result<UserSet> {
    let n: u64 = id.parse().map_err(|_| ApiError::BadInput(format!("user gene set id `{id}` is not a number")))?;
    match state(ctx)?.store.user_set(n).map_err(ApiError::from)? {
        Some(set) => Ok(set),
        None => Err(ApiError::NotFound(format!("no user gene set {n}")).into()),
    }
}

/// The gene list of a field that takes either `genes` or `userGeneSet` (a registered list's id).
pub(super) fn genes_or_user_set(
    ctx: &Context<'_>,
    genes: Option<Vec<String>>,
    user_gene_set: Option<ID>,
) -> async_graphql::Result<Vec<String>> {
    match (genes, user_gene_set) {
        (Some(genes), None) => Ok(genes),
        (None, Some(id)) => Ok(user_set(ctx, &id)?.genes.iter().map(u32::to_string).collect()),
        (Some(_), Some(_)) => Err(ApiError::BadInput("give either `genes` or `userGeneSet`, not both".into()).into()),
        (None, None) => Err(ApiError::BadInput(
            "give `genes` (a gene list) or `userGeneSet` (the id `addGeneSet` returned)".into(),
        )
        .into()),
    }
}

#[derive(Default)]
pub struct UserGeneSetQueries;

#[Object]
impl UserGeneSetQueries {
    /// A gene list registered with `addGeneSet`.
    async fn user_gene_set(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<UserGeneSetNode>> {
        Ok(Some(UserGeneSetNode(Arc::new(user_set(ctx, &id)?))))
    }
}

#[derive(Default)]
pub struct UserGeneSetMutations;

#[Object]
impl UserGeneSetMutations {
    /// Registers a gene list (symbols, aliases or ids; at most 5,000 entries) and returns its
    /// id. Unknown and ambiguous entries are reported, not fatal, as long as one gene is known.
    async fn add_gene_set(
        &self,
        ctx: &Context<'_>,
        genes: Vec<String>,
        description: Option<String>,
    ) -> async_graphql::Result<AddGeneSetResult> {
        if let Some(refused) = ctx.data_opt::<ReadOnlyRequest>() {
            return Err(refused.refusal().into());
        }
        super::limits::check_list_len("genes", genes.len(), Store::MAX_USER_SET_GENES)?;
        if description.as_ref().is_some_and(|d| d.chars().count() > MAX_DESCRIPTION) {
            return Err(ApiError::BadInput(format!("`description` is longer than {MAX_DESCRIPTION} characters")).into());
        }
        let state = state(ctx)?;
        let list = state.genes.resolve_list(&genes);
        if let Some(msg) = list.nothing_resolved() {
            return Err(ApiError::BadInput(msg).into());
        }
        // Entries not stored (unknown or ambiguous), once each, in the order given.
        let left_out: std::collections::HashSet<&str> =
            list.unknown.iter().map(String::as_str).chain(list.ambiguous.iter().map(|a| a.input.as_str())).collect();
        let mut seen = std::collections::HashSet::new();
        let unknown: Vec<String> = genes
            .iter()
            .map(|g| g.trim())
            .filter(|g| left_out.contains(g) && seen.insert(*g))
            .map(str::to_string)
            .collect();
        let known = list.genes;
        let stored_unknown = unknown.clone();
        // The store flushes to disk; keep that off the HTTP worker.
        let set = super::blocking::run(state, move |st| {
            st.store.add_user_set(known, stored_unknown, description).map_err(|e| match e {
                StoreError::Invalid(msg) => ApiError::BadInput(msg),
                e => ApiError::from(e),
            })
        })
        .await?;
        let mut ambiguous_genes = Vec::new();
        for a in list.ambiguous {
            ambiguous_genes.push(AmbiguousEntry { query: a.input, candidates: gene_nodes(ctx, &a.candidates)? });
        }
        Ok(AddGeneSetResult {
            id: ID(set.id.to_string()),
            size: set.genes.len(),
            unknown_genes: unknown,
            ambiguous_genes,
            gene_set: UserGeneSetNode(Arc::new(set)),
        })
    }
}
