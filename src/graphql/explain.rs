//! Explanations in GraphQL: `Gene.explanation`, `Gene.publicationCount` and
//! `explainPrediction` (see `crate::explain`).

use async_graphql::{Context, Json, Object};

use super::errors::ApiError;
use super::gene::resolve_gene;
use super::state;
use crate::explain::{Citation, EvidenceError, Explanation, GuardReport};

impl From<EvidenceError> for ApiError {
    fn from(e: EvidenceError) -> Self {
        match e {
            EvidenceError::NotFound(m) => ApiError::NotFound(m),
            EvidenceError::BadInput(m) => ApiError::BadInput(m),
            other => ApiError::internal(other),
        }
    }
}

pub struct ExplanationNode(pub Explanation);

/// A gene or prediction explained in words, with the evidence and citations behind it.
#[Object(name = "Explanation")]
impl ExplanationNode {
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// `template`, `local` or `openai`: who wrote `text`.
    async fn source(&self) -> &str {
        &self.0.source
    }
    /// The LLM (file name and sha256, or model at URL) that wrote `text`; null for the template.
    async fn model(&self) -> Option<&str> {
        self.0.model.as_deref()
    }
    async fn citations(&self) -> &[Citation] {
        &self.0.citations
    }
    /// The facts `text` is written from (identity, knownSets, predictedFunctions, partners,
    /// similarGenes, coReported; or drivers, sharedLiterature, nearestMembers).
    async fn evidence(&self) -> Json<&serde_json::Value> {
        Json(&self.0.evidence)
    }
    async fn guard(&self) -> &GuardReport {
        &self.0.guard
    }
    /// Why the template answered although an LLM was asked (busy, rejected, failed).
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}

pub async fn gene_explanation(ctx: &Context<'_>, entrez: u32, llm: Option<String>) -> async_graphql::Result<ExplanationNode> {
    let st = state(ctx)?;
    // The template gathers the gene's evidence (predictions, partners, similar genes): index
    // and model work, kept off the HTTP worker.
    let template = super::blocking::run_heavy(st, move |st| Ok(crate::explain::gene_template(st, entrez)?));
    Ok(ExplanationNode(crate::explain::gene_with(st, entrez, llm.as_deref(), template).await?))
}

pub fn publication_count(ctx: &Context<'_>, entrez: u32) -> async_graphql::Result<u32> {
    Ok(state(ctx)?.store.publication_count(entrez).map_err(|e| ApiError::NotFound(e.to_string()))?)
}

pub fn understudied(ctx: &Context<'_>, entrez: u32) -> async_graphql::Result<bool> {
    Ok(crate::explain::is_understudied(publication_count(ctx, entrez)?))
}

#[derive(Default)]
pub struct ExplainQueries;

#[Object]
impl ExplainQueries {
    /// Why the model predicts `gene` for the set `set` (`LIBRARY:term`, e.g.
    /// `GO_BP:GO:0006914`): the members driving the score, shared papers, nearest members.
    async fn explain_prediction(
        &self,
        ctx: &Context<'_>,
        gene: String,
        set: String,
        #[graphql(desc = "none, local or openai (default: the server's backend).")] llm: Option<String>,
    ) -> async_graphql::Result<ExplanationNode> {
        let st = state(ctx)?;
        let entrez = resolve_gene(st, &gene)?;
        let template = |key: String| super::blocking::run_heavy(st, move |st| Ok(crate::explain::prediction_template(st, entrez, &key)?));
        Ok(ExplanationNode(crate::explain::prediction_with(st, entrez, &set, llm.as_deref(), template).await?))
    }
}
