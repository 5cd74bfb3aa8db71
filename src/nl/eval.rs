//! Accuracy of the question parser on a corpus of questions with their expected intent and
//! entities (`genekg eval questions`). A question counts as right only when the intent, the
//! genes, the terms and the unresolved gene words all match.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{lexicon, parse, Intent};
use crate::graphql::AppState;
use crate::store::Resolution;

/// The corpus in tests/nl/questions.jsonl, built from the test fixture's genes and terms.
pub const BUNDLED_CORPUS: &str = include_str!("../../tests/nl/questions.jsonl");

/// One line of a corpus (JSON lines).
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    pub q: String,
    pub intent: String,
    /// Symbols, any order.
    #[serde(default)]
    pub genes: Vec<String>,
    /// Set ids (`GO_BP:GO:0006281`), any order.
    #[serde(default)]
    pub terms: Vec<String>,
    /// Words that must be reported as "no such gene".
    #[serde(default)]
    pub unknown: Vec<String>,
    /// Words that must be reported as ambiguous aliases.
    #[serde(default)]
    pub ambiguous: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub q: String,
    pub expected: String,
    pub got: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub questions: usize,
    pub correct: usize,
    pub intent_correct: usize,
    pub accuracy: f64,
    pub intent_accuracy: f64,
    pub misses: Vec<Miss>,
}

pub fn read_corpus(text: &str) -> anyhow::Result<Vec<Case>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with("//"))
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| anyhow::anyhow!("corpus line {}: {e}", i + 1)))
        .collect()
}

pub fn evaluate(state: &AppState, cases: &[Case]) -> anyhow::Result<Report> {
    let lex = lexicon(state)?;
    let mut correct = 0;
    let mut intent_correct = 0;
    let mut misses = Vec::new();
    for c in cases {
        if Intent::from_name(&c.intent).is_none() {
            anyhow::bail!("question `{}` expects intent `{}`, which is not an intent", c.q, c.intent);
        }
        let mut genes = BTreeSet::new();
        for g in &c.genes {
            match state.genes.resolve(g) {
                Resolution::Found(e) => genes.insert(e),
                _ => anyhow::bail!("question `{}` expects gene `{g}`, which the store does not resolve", c.q),
            };
        }
        let expected = (c.intent.clone(), genes, set_of(&c.terms), set_of(&c.unknown), set_of(&c.ambiguous));
        let p = parse(&lex, state, &c.q);
        let got = (
            p.intent.as_str().to_string(),
            p.genes.iter().copied().collect::<BTreeSet<u32>>(),
            p.terms.iter().map(|t| t.to_string()).collect::<BTreeSet<String>>(),
            p.unknown_genes.iter().map(|u| u.text.to_uppercase()).collect::<BTreeSet<String>>(),
            p.ambiguous_genes.iter().map(|a| a.text.to_uppercase()).collect::<BTreeSet<String>>(),
        );
        intent_correct += (got.0 == expected.0) as usize;
        if got == expected {
            correct += 1;
        } else {
            let show = |t: &(String, BTreeSet<u32>, BTreeSet<String>, BTreeSet<String>, BTreeSet<String>)| {
                let g: Vec<&str> = t.1.iter().map(|e| state.genes.symbol(*e).unwrap_or("?")).collect();
                format!("{} genes={g:?} terms={:?} unknown={:?} ambiguous={:?}", t.0, t.2, t.3, t.4)
            };
            misses.push(Miss { q: c.q.clone(), expected: show(&expected), got: show(&got) });
        }
    }
    let n = cases.len().max(1) as f64;
    Ok(Report {
        questions: cases.len(),
        correct,
        intent_correct,
        accuracy: correct as f64 / n,
        intent_accuracy: intent_correct as f64 / n,
        misses,
    })
}

fn set_of(items: &[String]) -> BTreeSet<String> {
    items.iter().map(|s| if s.contains(':') { s.clone() } else { s.to_uppercase() }).collect()
}
