//! The LLM's one job in `ask`: where the rules find no cue for an intent, the configured LLM
//! picks one from the fixed list (or `none`), its output held to that list by a grammar (local)
//! or a strict JSON schema (openai). It sees only the question and the list; the genes and
//! terms still come from the dictionary, and every fact from the data.

use std::time::Duration;

use super::Intent;
use crate::llm::{Limits, Llm, Prompt};

/// What the LLM may answer besides an intent: the question asks none of them.
pub const NONE: &str = "none";

/// A one-word answer needs few tokens; the time limit keeps `ask` answering when the local
/// model is slow or busy (the rules' reading is used then).
pub const LIMITS: Limits = Limits { max_tokens: 16, timeout: Duration::from_secs(30) };

/// What each intent means, as the LLM is told.
fn describe(intent: Intent) -> &'static str {
    match intent {
        Intent::GeneFunctions => "what one gene does, its functions or roles",
        Intent::SimilarGenes => "genes similar to one gene",
        Intent::Partners => "genes that work with, bind or interact with one gene",
        Intent::Relation => "how two genes are related or connected",
        Intent::TermGenes => "genes in or predicted for a biological process, pathway or term",
        Intent::UnderstudiedForTerm => "little-studied genes predicted for a term",
        Intent::Augment => "more genes that belong with a list of genes",
        Intent::Enrich => "processes or terms over-represented in a list of genes",
        Intent::DrugTargets => "whether a gene or its partners can be targeted by drugs",
        Intent::WhyPredicted => "why a gene is predicted for a term, the evidence",
        Intent::Unknown => "",
    }
}

/// The choices: every intent but `unknown`, then `none`.
pub fn choices() -> Vec<String> {
    Intent::ALL.iter().filter(|i| **i != Intent::Unknown).map(|i| i.as_str().to_string()).chain([NONE.to_string()]).collect()
}

pub fn prompt(question: &str) -> Prompt {
    let list: Vec<String> = Intent::ALL
        .iter()
        .filter(|i| **i != Intent::Unknown)
        .map(|i| format!("- {}: {}", i.as_str(), describe(*i)))
        .chain([format!("- {NONE}: none of these")])
        .collect();
    Prompt {
        system: "You sort questions about human genes into one category. Answer with the category name only.".into(),
        user: format!("Categories:\n{}\n\nQuestion: {question}\n\nCategory:", list.join("\n")),
    }
}

/// The intent the LLM reads in `question`: `Ok(None)` when it says `none`.
pub async fn classify(llm: &dyn Llm, question: &str) -> Result<Option<Intent>, crate::llm::LlmError> {
    let picked = crate::llm::choose(llm, &prompt(question), &choices(), LIMITS).await?;
    Ok(picked.and_then(|c| Intent::from_name(&c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choices_are_the_intents_and_none() {
        let c = choices();
        assert_eq!(c.len(), Intent::ALL.len());
        assert_eq!(c.last().map(String::as_str), Some(NONE));
        assert!(!c.iter().any(|x| x == "unknown"));
        for x in &c[..c.len() - 1] {
            assert!(Intent::from_name(x).is_some(), "{x}");
            assert!(prompt("q").user.contains(&format!("- {x}: ")), "{x} is described");
        }
    }

    #[test]
    fn an_answer_off_the_list_is_no_answer() {
        let c = choices();
        assert_eq!(crate::llm::parse_choice("{\"choice\": \"partners\"}", &c).as_deref(), Some("partners"));
        assert_eq!(crate::llm::parse_choice(" relation\n", &c).as_deref(), Some("relation"));
        assert_eq!(crate::llm::parse_choice("{\"choice\": \"delete_everything\"}", &c), None);
        assert_eq!(crate::llm::parse_choice("partners of TP53 are MDM2", &c), None);
        assert_eq!(crate::llm::parse_choice("{\"intent\": \"partners\"}", &c), None);
    }
}
