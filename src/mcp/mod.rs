//! genekg for LLM agents: the Model Context Protocol (official SDK, `rmcp`) over stdio. Every
//! tool runs a GraphQL query through the API's own schema and returns its data together with
//! the query, so an agent gets exactly what a GraphQL client gets, set ids and links included.

use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_handler, tool_router, ErrorData, ServerHandler, ServiceExt};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::graphql::AppState;
use crate::nl::answer::{build_query, run_query, DEFAULT_COUNT, MAX_COUNT};
use crate::nl::Intent;

#[derive(Deserialize, JsonSchema)]
pub struct GeneArgs {
    /// A gene symbol (any case), alias, Entrez, Ensembl or UniProt id, e.g. "TP53".
    pub gene: String,
    /// How many rows (default 10, at most 500).
    pub first: Option<usize>,
}

#[derive(Deserialize, JsonSchema)]
pub struct LookupArgs {
    /// A gene symbol (any case), alias, Entrez, Ensembl or UniProt id, e.g. "TP53".
    pub gene: String,
}

#[derive(Deserialize, JsonSchema)]
pub struct GeneListArgs {
    /// Gene symbols or ids.
    pub genes: Vec<String>,
    /// How many rows (default 10, at most 500).
    pub first: Option<usize>,
}

#[derive(Deserialize, JsonSchema)]
pub struct ExplainArgs {
    /// A gene symbol (any case), alias, Entrez, Ensembl or UniProt id, e.g. "TP53".
    pub gene: String,
    /// Explain why the gene is predicted for this set instead (`LIBRARY:term`, e.g.
    /// "GO_BP:GO:0006914").
    pub set: Option<String>,
}

/// The fields of an explanation, as GraphQL's `Explanation` type has them.
const EXPLANATION: &str = "text source model citations { kind id label url } evidence guard { checked passed rejected } note";

#[derive(Deserialize, JsonSchema)]
pub struct AskArgs {
    /// A question in English, e.g. "Which understudied genes are predicted for autophagy?"
    pub question: String,
}

#[derive(Clone)]
pub struct GenekgMcp {
    state: Arc<AppState>,
    tool_router: ToolRouter<Self>,
}

fn count(first: Option<usize>) -> usize {
    first.unwrap_or(DEFAULT_COUNT).clamp(1, MAX_COUNT)
}

impl GenekgMcp {
    /// Runs `query`; GraphQL errors (unknown gene, no model) become a tool error the agent reads.
    async fn graphql(&self, query: String) -> Result<CallToolResult, ErrorData> {
        Ok(match run_query(&self.state, &query).await {
            Ok(data) => CallToolResult::structured(json!({"data": data, "graphql": query})),
            Err(message) => CallToolResult::structured_error(json!({"error": message, "graphql": query})),
        })
    }

    async fn intent(&self, intent: Intent, genes: Vec<String>, first: Option<usize>) -> Result<CallToolResult, ErrorData> {
        let query = build_query(&self.state, intent, &genes, None, count(first))
            .ok_or_else(|| ErrorData::invalid_params("at least one gene is needed", None))?;
        self.graphql(query).await
    }
}

#[tool_router]
impl GenekgMcp {
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state, tool_router: Self::tool_router() }
    }

    #[tool(description = "Look up a human gene: symbol, name, type, location, aliases, Ensembl/UniProt ids, target family, publication count and links (NCBI, Open Targets, Pharos, DGIdb, UniProt).")]
    async fn gene_lookup(&self, Parameters(a): Parameters<LookupArgs>) -> Result<CallToolResult, ErrorData> {
        let query = format!(
            "{{ gene(id: {}) {{ entrez symbol name type chromosome cytoband aliases ensembl uniprot targetFamily publicationCount links {{ ncbiGene openTargets pharos dgidb uniprot ensembl geneCards harmonizome }} }} }}",
            serde_json::to_string(&a.gene).expect("strings serialise")
        );
        self.graphql(query).await
    }

    #[tool(description = "Gene sets (GO terms and others) the gene set foundation model predicts for a gene, by z-score, with probability, rank, whether already known, and the set's AUROC.")]
    async fn predicted_functions(&self, Parameters(a): Parameters<GeneArgs>) -> Result<CallToolResult, ErrorData> {
        self.intent(Intent::GeneFunctions, vec![a.gene], a.first).await
    }

    #[tool(description = "Genes the model predicts from this gene alone (predicted functional partners), best first.")]
    async fn partners(&self, Parameters(a): Parameters<GeneArgs>) -> Result<CallToolResult, ErrorData> {
        self.intent(Intent::Partners, vec![a.gene], a.first).await
    }

    #[tool(description = "Genes with the nearest model embeddings to this gene (cosine).")]
    async fn similar_genes(&self, Parameters(a): Parameters<GeneArgs>) -> Result<CallToolResult, ErrorData> {
        self.intent(Intent::SimilarGenes, vec![a.gene], a.first).await
    }

    #[tool(description = "Complete a gene list: every gene scored by how well the model says it fits the list, best first.")]
    async fn augment(&self, Parameters(a): Parameters<GeneListArgs>) -> Result<CallToolResult, ErrorData> {
        self.intent(Intent::Augment, a.genes, a.first).await
    }

    #[tool(description = "Over-representation analysis (Fisher exact test, BH FDR) of a gene list in the stored libraries (GO, PubMed literature sets).")]
    async fn enrich(&self, Parameters(a): Parameters<GeneListArgs>) -> Result<CallToolResult, ErrorData> {
        self.intent(Intent::Enrich, a.genes, a.first).await
    }

    #[tool(description = "Explain a gene in words (what is known and predicted, partners, similar genes, papers that report it with its partners), or with `set` why the model predicts the gene for that set (the members driving the score, shared papers, nearest members). Returns the text, who wrote it (template or the server's LLM, checked by a guard against the evidence), citations (PMIDs, GO ids) and the structured evidence.")]
    async fn explain(&self, Parameters(a): Parameters<ExplainArgs>) -> Result<CallToolResult, ErrorData> {
        let gene = serde_json::to_string(&a.gene).expect("strings serialise");
        let query = match &a.set {
            None => format!("{{ gene(id: {gene}) {{ symbol explanation {{ {EXPLANATION} }} }} }}"),
            Some(set) => format!(
                "{{ explainPrediction(gene: {gene}, set: {}) {{ {EXPLANATION} }} }}",
                serde_json::to_string(set).expect("strings serialise")
            ),
        };
        self.graphql(query).await
    }

    #[tool(description = "Ask a question in English (what a gene does, similar genes, partners, how two genes are related, genes for a term, understudied genes for a term, list completion, enrichment, drug targets, why a gene is predicted for a term). Returns the intent, the answer text, rows and the equivalent GraphQL query.")]
    async fn ask(&self, Parameters(a): Parameters<AskArgs>) -> Result<CallToolResult, ErrorData> {
        let answer = crate::nl::ask(&self.state, &a.question).await.map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        let value = serde_json::to_value(&answer).map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        Ok(CallToolResult::structured(value))
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for GenekgMcp {}

/// Serves MCP on stdin/stdout until the client closes the stream.
pub async fn serve_stdio(state: Arc<AppState>) -> anyhow::Result<()> {
    let service = GenekgMcp::new(state).serve(rmcp::transport::stdio()).await?;
    service.waiting().await?;
    Ok(())
}
