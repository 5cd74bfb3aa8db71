//! `ask`: questions in English (see `crate::nl`), and `sharedGeneSets`, the sets several genes
//! are all in, which answers "how are X and Y related" and is useful on its own.

use async_graphql::{Context, Json, Object, SimpleObject};

use super::errors::ApiError;
use super::gene::{gene_nodes, resolve_gene, GeneNode};
use super::gene_set::{load_sets, GeneSetNode};
use super::limits::MAX_PAGE;
use super::loaders::MembershipOf;
use super::{loaders, state};
use crate::domain::{LibraryName, SetId};

/// Longest question accepted.
pub const MAX_QUESTION_CHARS: usize = 2_000;

/// The answer to a question: what was understood, the rows and text, and the GraphQL query that
/// gives the same rows.
#[derive(SimpleObject)]
pub struct Answer {
    /// gene_functions, similar_genes, partners, relation, term_genes, understudied_for_term,
    /// augment, enrich, drug_targets, why_predicted or unknown.
    pub intent: String,
    /// Who chose `intent`: `rules` (a cue word in the question), `default` (the rules, from the
    /// genes and terms named alone) or `llm` (the server's LLM, where the rules found no cue;
    /// the genes, terms and facts still come from the data).
    pub intent_source: String,
    /// The LLM that chose the intent (file name and sha256, or model at URL); null otherwise.
    pub intent_model: Option<String>,
    /// The question was read and answered (false for unknown intents, unknown or ambiguous
    /// genes, and missing entities).
    pub understood: bool,
    /// Genes the question names.
    pub genes: Vec<GeneNode>,
    /// Sets the question names.
    pub terms: Vec<GeneSetNode>,
    pub answer: String,
    /// Rows: a list of flat JSON objects.
    pub data: Json<serde_json::Value>,
    /// The equivalent GraphQL query, runnable as is.
    pub graphql: Option<String>,
    /// Example questions (when not understood).
    pub examples: Vec<String>,
}

#[derive(Default)]
pub struct AskQueries;

#[Object]
impl AskQueries {
    /// Answers a question in English from the data. Facts never come from a language model;
    /// the server's LLM, if any, may only pick the intent where the rules find no cue.
    async fn ask(&self, ctx: &Context<'_>, question: String) -> async_graphql::Result<Answer> {
        if question.trim().is_empty() || question.chars().count() > MAX_QUESTION_CHARS {
            return Err(ApiError::BadInput(format!("`question` must be 1 to {MAX_QUESTION_CHARS} characters")).into());
        }
        let st = state(ctx)?;
        let a = crate::nl::ask(st, &question).await.map_err(ApiError::internal)?;
        let genes = gene_nodes(ctx, &a.genes)?;
        let terms = load_sets(ctx, &a.terms).await?;
        Ok(Answer {
            intent: a.intent.as_str().to_string(),
            intent_source: a.intent_source.as_str().to_string(),
            intent_model: a.intent_model,
            understood: a.understood,
            genes,
            terms,
            answer: a.answer,
            data: Json(a.data),
            graphql: a.graphql,
            examples: a.examples,
        })
    }

    /// Curated sets that contain every one of `genes` (2 to 10), smallest first: the most
    /// specific shared functions and the papers that report the genes together.
    async fn shared_gene_sets(
        &self,
        ctx: &Context<'_>,
        genes: Vec<String>,
        #[graphql(desc = "Only sets of this library (e.g. PubMed).")] library: Option<String>,
        #[graphql(default = 20)] first: i32,
    ) -> async_graphql::Result<Vec<GeneSetNode>> {
        if !(2..=10).contains(&genes.len()) {
            return Err(ApiError::BadInput(format!("`genes` must hold 2 to 10 genes, got {}", genes.len())).into());
        }
        if first < 0 || first as usize > MAX_PAGE {
            return Err(ApiError::BadInput(format!("`first` must be between 0 and {MAX_PAGE}, got {first}")).into());
        }
        let st = state(ctx)?;
        if let Some(l) = &library {
            super::library::known_library(st, l)?;
        }
        let ids = genes.iter().map(|g| resolve_gene(st, g)).collect::<Result<Vec<u32>, _>>()?;
        let mut shared: Option<Vec<(String, String)>> = None;
        for id in ids {
            let m = loaders(ctx)?.memberships().load_one(MembershipOf(id)).await.map_err(ApiError::from)?;
            let mut mine: Vec<(String, String)> = m
                .iter()
                .flat_map(|m| m.iter())
                .filter(|(lib, _)| library.as_ref().is_none_or(|l| l == *lib))
                .flat_map(|(lib, terms)| terms.iter().map(move |t| (lib.clone(), t.clone())))
                .collect();
            mine.sort_unstable();
            shared = Some(match shared {
                None => mine,
                Some(prev) => prev.into_iter().filter(|k| mine.binary_search(k).is_ok()).collect(),
            });
        }
        let keys: Vec<SetId> = shared
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(lib, term)| Some(SetId::new(LibraryName::parse(&lib).ok()?, term)))
            .collect();
        let mut sets = load_sets(ctx, &keys).await?;
        sets.sort_by(|a, b| (a.set.genes.len(), &a.id).cmp(&(b.set.genes.len(), &b.id)));
        sets.truncate(first as usize);
        Ok(sets)
    }
}
