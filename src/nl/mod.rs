//! Questions in English: a rule-based parser ([`parse`]) over a gene dictionary and a term
//! index ([`lexicon`]), and [`answer`], which turns the parsed question into a GraphQL query,
//! runs it through the API's own schema and resolvers, and writes the rows as text. Because the
//! answer *is* the result of its `graphql` query, a dashboard that reuses the query gets the same
//! data. Facts never come from a language model: an LLM may only pick the intent when the rules
//! find none, and entities always come from the dictionary.

pub mod answer;
pub mod classify;
pub mod eval;
pub mod lexicon;
pub mod parse;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use answer::{ask, AskAnswer};
pub use lexicon::Lexicon;
pub use parse::{parse, Parsed};

use crate::graphql::AppState;

/// What a question asks for. The names are the `Answer.intent` strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    GeneFunctions,
    SimilarGenes,
    Partners,
    Relation,
    TermGenes,
    UnderstudiedForTerm,
    Augment,
    Enrich,
    DrugTargets,
    WhyPredicted,
    Unknown,
}

impl Intent {
    pub const ALL: [Intent; 11] = [
        Intent::GeneFunctions,
        Intent::SimilarGenes,
        Intent::Partners,
        Intent::Relation,
        Intent::TermGenes,
        Intent::UnderstudiedForTerm,
        Intent::Augment,
        Intent::Enrich,
        Intent::DrugTargets,
        Intent::WhyPredicted,
        Intent::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Intent::GeneFunctions => "gene_functions",
            Intent::SimilarGenes => "similar_genes",
            Intent::Partners => "partners",
            Intent::Relation => "relation",
            Intent::TermGenes => "term_genes",
            Intent::UnderstudiedForTerm => "understudied_for_term",
            Intent::Augment => "augment",
            Intent::Enrich => "enrich",
            Intent::DrugTargets => "drug_targets",
            Intent::WhyPredicted => "why_predicted",
            Intent::Unknown => "unknown",
        }
    }

    pub fn from_name(name: &str) -> Option<Intent> {
        Intent::ALL.into_iter().find(|i| i.as_str() == name)
    }
}

/// The lexicon of a server's data, built on first use and kept for its lifetime.
pub fn lexicon(state: &AppState) -> anyhow::Result<Arc<Lexicon>> {
    if let Some(l) = state.lexicon.get() {
        return Ok(l.clone());
    }
    let built = Arc::new(Lexicon::build(state)?);
    Ok(state.lexicon.get_or_init(|| built).clone())
}

/// Example questions, one per intent, shown when a question is not understood. Filled with
/// genes and terms of the loaded data, so each example works on this server.
pub fn examples(state: &AppState) -> Vec<String> {
    let pick = |symbols: &[&str]| -> Option<String> {
        symbols.iter().find(|s| matches!(state.genes.resolve(s), crate::store::Resolution::Found(_))).map(|s| s.to_string())
    };
    let g1 = pick(&["TP53", "CDK1", "MCM2", "COL1A1"]).unwrap_or_else(|| "TP53".into());
    let g2 = pick(&["MDM2", "CDK2", "MCM3", "COL1A2"]).unwrap_or_else(|| "MDM2".into());
    let g3 = pick(&["CDKN1A", "PCNA", "MCM4", "COL3A1"]).unwrap_or_else(|| "CDKN1A".into());
    let term = ["DNA repair", "autophagy", "DNA replication", "extracellular matrix organization"]
        .into_iter()
        .find(|t| state.sets.get("GO_BP").is_some_and(|e| e.iter().any(|s| s.name_upper.eq_ignore_ascii_case(t))))
        .unwrap_or("DNA repair");
    vec![
        format!("What does {g1} do?"),
        format!("Which genes are similar to {g1}?"),
        format!("What are the top 5 predicted partners of {g1}?"),
        format!("How are {g1} and {g2} related?"),
        format!("Which genes are predicted for {term}?"),
        format!("Which understudied genes are predicted for {term}?"),
        format!("Complete this gene list: {g1}, {g2}, {g3}"),
        format!("What is enriched in {g1}, {g2}, {g3}?"),
        format!("Is {g1} a drug target?"),
        format!("Why is {g1} predicted for {term}?"),
    ]
}
