//! Explanations of genes and predictions: evidence first ([`evidence`]), written out by a
//! deterministic template ([`template`]); an LLM may rewrite the template, and the guard
//! ([`guard`]) rejects any rewrite that states something the evidence does not.
//!
//! Entry points: [`gene_template`] / [`prediction_template`] (synchronous, template only) and
//! [`gene`] / [`prediction`] (with the chosen LLM backend, guarded and cached). The SSE route
//! streams the same thing token by token ([`rewrite_stream`] and [`finish`]).
//!
//! # Cache (`explanations` tree)
//! Key: `subject \0 model fingerprint \0 data version \0 backend \0 LLM id` (utf-8), where
//! `subject` is `gene:ENTREZ` or `why:ENTREZ:SET`; value: the [`Explanation`] as JSON. The LLM id
//! holds the model file's sha256, so a new model, new data or a new LLM never meets an old
//! entry; when the server starts with a model or data other than the cache's, the tree is
//! cleared.

pub mod evidence;
pub mod guard;
pub mod template;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use serde::{Deserialize, Serialize};

pub use evidence::{EvidenceError, GeneEvidence, PredictionEvidence};
pub use guard::GuardReport;

use crate::graphql::AppState;
use crate::llm::{BackendKind, Limits, Llm, LlmError, Prompt, TokenStream};

const CACHE_TREE: &str = "explanations";
const CACHE_META: &str = "explanations_cache";

/// A gene with at most this many linked papers counts as understudied: the one definition the
/// web page's badge (through `Gene.understudied`) and `ask`'s understudied questions share, so
/// a gene the page marks is one `ask` may list and the other way round.
pub const UNDERSTUDIED_MAX_PAPERS: u32 = 10;

pub fn is_understudied(publication_count: u32) -> bool {
    publication_count <= UNDERSTUDIED_MAX_PAPERS
}

/// A reference an explanation rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, async_graphql::SimpleObject)]
pub struct Citation {
    /// `pubmed`, `go` or `set`.
    pub kind: String,
    /// `PMID:25691462`, `GO:0006914` or a set key.
    pub id: String,
    pub label: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    pub text: String,
    /// `template`, `local` or `openai`: who wrote `text`.
    pub source: String,
    /// The LLM (name and file hash) that wrote `text`; `None` for the template.
    pub model: Option<String>,
    pub citations: Vec<Citation>,
    pub evidence: serde_json::Value,
    pub guard: GuardReport,
    /// Why an LLM was asked but the template answered (busy, timed out, rejected, failed).
    pub note: Option<String>,
}

/// Counters on /metrics.
#[derive(Default, Clone)]
pub struct ExplainMetrics {
    /// LLM rewrites checked by the guard, by `backend` and `result` (`passed` | `rejected`).
    pub guard: Family<Vec<(String, String)>, Counter>,
    /// Requests answered with the template because the local LLM's queue was full.
    pub llm_busy: Counter,
    /// LLM generations that failed or timed out.
    pub llm_errors: Counter,
    /// Cache lookups by `result` (`hit` | `miss`).
    pub cache: Family<Vec<(String, String)>, Counter>,
}

fn label(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The server's LLM backends and what explanations share.
pub struct Explainer {
    /// The backend used when a request names none.
    pub default: BackendKind,
    llms: HashMap<BackendKind, Arc<dyn Llm>>,
    pub limits: Limits,
    pub metrics: ExplainMetrics,
    terms: OnceLock<guard::TermNames>,
}

impl Default for Explainer {
    fn default() -> Self {
        Self { default: BackendKind::None, llms: HashMap::new(), limits: REWRITE_LIMITS, metrics: ExplainMetrics::default(), terms: OnceLock::new() }
    }
}

impl Explainer {
    /// With `llm` as the default backend (none when `None`).
    pub fn with_llm(llm: Option<Arc<dyn Llm>>) -> Self {
        let mut e = Self::default();
        if let Some(l) = llm {
            l.warm(&prompt(""));
            e.default = l.kind();
            e.llms.insert(l.kind(), l);
        }
        e
    }

    /// The LLM for a requested backend (`None` = the default); `Ok(None)` means the template.
    pub fn llm(&self, requested: Option<&str>) -> Result<Option<Arc<dyn Llm>>, EvidenceError> {
        let kind = match requested {
            None => self.default,
            Some(s) => BackendKind::parse(s).map_err(EvidenceError::BadInput)?,
        };
        if kind == BackendKind::None {
            return Ok(None);
        }
        self.llms.get(&kind).cloned().map(Some).ok_or_else(|| {
            EvidenceError::BadInput(format!(
                "this server has no `{}` LLM backend (it runs with `{}`); start it with `genekg serve --llm {}`",
                kind.as_str(),
                self.default.as_str(),
                kind.as_str()
            ))
        })
    }

    fn terms(&self, state: &AppState) -> &guard::TermNames {
        self.terms.get_or_init(|| {
            let names = ["GO_BP", "GO_MF", "GO_CC"]
                .iter()
                .flat_map(|l| state.sets.get(*l).into_iter().flatten())
                .map(|s| s.name_upper.to_string());
            guard::TermNames::new(names)
        })
    }
}

impl guard::GeneNames for crate::graphql::search::GeneIndex {
    fn genes_named(&self, token: &str) -> Vec<u32> {
        if let Some(e) = self.by_symbol(token) {
            return vec![e];
        }
        match self.resolve(token) {
            crate::store::Resolution::Found(e) => vec![e],
            crate::store::Resolution::Ambiguous(ids) => ids,
            crate::store::Resolution::NotFound => vec![],
        }
    }
}

fn go_citation(term: &str, name: &str) -> Citation {
    Citation {
        kind: "go".into(),
        id: term.to_string(),
        label: Some(name.to_string()),
        url: Some(format!("https://amigo.geneontology.org/amigo/term/{term}")),
    }
}

fn pubmed_citation(pmid: u32, genes: &[String]) -> Citation {
    Citation {
        kind: "pubmed".into(),
        id: format!("PMID:{pmid}"),
        label: Some(format!("co-reported with {}", genes.join(", "))),
        url: Some(format!("https://pubmed.ncbi.nlm.nih.gov/{pmid}/")),
    }
}

fn set_citation(s: &evidence::SetRef) -> Citation {
    if s.library.starts_with("GO_") {
        go_citation(&s.term, &s.name)
    } else {
        Citation { kind: "set".into(), id: s.key.clone(), label: Some(s.name.clone()), url: None }
    }
}

fn dedup(mut c: Vec<Citation>) -> Vec<Citation> {
    let mut seen = std::collections::HashSet::new();
    c.retain(|x| seen.insert(x.id.clone()));
    c
}

fn template_answer(text: String, citations: Vec<Citation>, evidence: serde_json::Value) -> Explanation {
    Explanation { text, source: "template".into(), model: None, citations: dedup(citations), evidence, guard: GuardReport::unchecked(), note: None }
}

/// The template explanation of a gene.
pub fn gene_template(state: &AppState, entrez: u32) -> Result<Explanation, EvidenceError> {
    let e = evidence::gene(state, entrez)?;
    let mut citations: Vec<Citation> = e.predicted_functions.iter().map(|p| set_citation(&p.set)).collect();
    citations.extend(e.known_sets.iter().flat_map(|k| k.examples.iter().map(set_citation)));
    citations.extend(e.co_reported.iter().map(|c| pubmed_citation(c.pmid, &c.genes)));
    let text = template::gene(&e);
    Ok(template_answer(text, citations, serde_json::to_value(&e).expect("evidence serialises")))
}

/// The template explanation of why `entrez` is predicted for `set_key`.
pub fn prediction_template(state: &AppState, entrez: u32, set_key: &str) -> Result<Explanation, EvidenceError> {
    let e = evidence::prediction(state, entrez, set_key)?;
    let mut citations = vec![set_citation(&e.set)];
    citations.extend(e.shared_literature.iter().map(|c| pubmed_citation(c.pmid, &c.genes)));
    let text = template::prediction(&e);
    Ok(template_answer(text, citations, serde_json::to_value(&e).expect("evidence serialises")))
}

/// The instructions every backend gets: rewrite, add nothing. Fixed text, so the local backend
/// reads it once and keeps it in its KV cache; each request then costs only its facts. The
/// rules name what the guard rejects most from small models: numbers not in the facts, and
/// genes and GO terms from the model's own memory.
pub const SYSTEM_PROMPT: &str = "You rewrite facts about a human gene as one plain-English paragraph of at most three \
sentences (60 words) for a biologist. Use only the facts given, and call predicted what the facts list as predicted. \
Copy gene symbols, GO term names and numbers exactly as written; write no other number. Do not name any gene, GO \
term, process, disease or paper that is not in the facts, and do not explain what the terms mean.";

/// At most ~60 words (about 90 tokens with symbols and numbers) and a margin; a rewrite cut
/// at the limit loses its unfinished sentence in [`finish`].
pub const REWRITE_LIMITS: Limits = Limits { max_tokens: 128, timeout: std::time::Duration::from_secs(60) };

/// The prompt for rewriting `facts` (a brief from [`template::gene_brief`] or
/// [`template::prediction_brief`]).
pub fn prompt(facts: &str) -> Prompt {
    Prompt { system: SYSTEM_PROMPT.into(), user: format!("Facts:\n{facts}") }
}

/// The brief of an explanation's evidence (the template text for evidence of neither kind).
fn brief(template: &Explanation) -> String {
    if let Ok(e) = serde_json::from_value::<GeneEvidence>(template.evidence.clone()) {
        return template::gene_brief(&e);
    }
    if let Ok(e) = serde_json::from_value::<PredictionEvidence>(template.evidence.clone()) {
        return template::prediction_brief(&e);
    }
    template.text.clone()
}

/// `text` without an unfinished last sentence (a rewrite cut at the token limit), when it has
/// a finished one.
fn whole_sentences(text: &str) -> &str {
    let text = text.trim();
    if text.ends_with(['.', '!', '?', ')']) {
        return text;
    }
    // A sentence ends at a full stop followed by white space (0.24 is no sentence end).
    match text.char_indices().rev().find(|&(i, c)| matches!(c, '.' | '!' | '?') && text[i + 1..].starts_with(char::is_whitespace)) {
        Some((i, _)) => &text[..=i],
        None => text,
    }
}

/// What the guard makes of an LLM's text: the LLM's explanation when it passes, else the
/// template's with the guard's report (counted either way).
pub fn finish(state: &AppState, template: &Explanation, llm: &dyn Llm, text: &str) -> Explanation {
    let text = whole_sentences(text);
    let facts = guard::Facts::new(&template.evidence, &[&template.text]);
    let report = guard::check(text, &facts, &state.genes, Some(state.explainer.terms(state)));
    let result = if report.passed { "passed" } else { "rejected" };
    state.explainer.metrics.guard.get_or_create(&label(&[("backend", llm.kind().as_str()), ("result", result)])).inc();
    if report.passed {
        Explanation {
            text: text.to_string(),
            source: llm.kind().as_str().into(),
            model: Some(llm.model_id().to_string()),
            guard: report,
            note: None,
            ..template.clone()
        }
    } else {
        tracing::info!(backend = llm.kind().as_str(), rejected = ?report.rejected, "guard rejected an LLM explanation");
        Explanation {
            guard: report,
            note: Some(format!("the {} LLM's text was rejected by the guard; this is the template", llm.kind().as_str())),
            ..template.clone()
        }
    }
}

/// The template with a note saying why the LLM did not answer.
pub fn fallback(state: &AppState, template: &Explanation, llm: &dyn Llm, err: &LlmError) -> Explanation {
    match err {
        LlmError::Busy(_) => state.explainer.metrics.llm_busy.inc(),
        _ => state.explainer.metrics.llm_errors.inc(),
    };
    tracing::warn!(backend = llm.kind().as_str(), "LLM did not answer: {err}");
    Explanation { note: Some(format!("{err}; this is the template")), ..template.clone() }
}

/// Starts the LLM rewrite of a template explanation.
pub fn rewrite_stream(state: &AppState, template: &Explanation, llm: &dyn Llm) -> Result<TokenStream, LlmError> {
    llm.stream(&prompt(&brief(template)), state.explainer.limits)
}

fn cache_key(state: &AppState, subject: &str, llm: Option<&dyn Llm>) -> String {
    let fp = state.model.as_ref().map(|m| m.fingerprint()).unwrap_or("-");
    let (backend, id) = llm.map_or(("none", ""), |l| (l.kind().as_str(), l.model_id()));
    format!("{subject}\0{fp}\0{}\0{backend}\0{id}", state.data_version)
}

fn cache_tree(state: &AppState) -> Option<sled::Tree> {
    state.store.tree(CACHE_TREE).ok()
}

/// Clears the cache when it was filled under another model, other data or other stored
/// predictions (an explanation made while they were stale says so, and must not outlive them).
pub fn prepare_cache(state: &AppState) -> crate::store::Result<()> {
    let current = serde_json::json!({
        "model": state.model.as_ref().map(|m| m.fingerprint()),
        "data": state.data_version,
        "predictions": state.store.meta_json(crate::store::predictions::META_KEY)?,
    });
    if state.store.meta_json(CACHE_META)?.as_ref() != Some(&current) {
        state.store.tree(CACHE_TREE)?.clear()?;
        state.store.set_meta_json(CACHE_META, &current)?;
    }
    Ok(())
}

/// A cached explanation, if there is one.
pub fn cached(state: &AppState, subject: &str, llm: Option<&dyn Llm>) -> Option<Explanation> {
    let hit = cache_tree(state)?.get(cache_key(state, subject, llm)).ok().flatten().and_then(|v| serde_json::from_slice(&v).ok());
    let result = if hit.is_some() { "hit" } else { "miss" };
    state.explainer.metrics.cache.get_or_create(&label(&[("result", result)])).inc();
    hit
}

/// Stores an explanation; answers that only stand in for a busy or failed LLM are not kept.
pub fn remember(state: &AppState, subject: &str, llm: Option<&dyn Llm>, e: &Explanation) {
    let stand_in = e.source == "template" && llm.is_some() && !e.guard.checked;
    if stand_in {
        return;
    }
    if let Some(tree) = cache_tree(state) {
        let _ = tree.insert(cache_key(state, subject, llm), serde_json::to_vec(e).expect("explanations serialise"));
    }
}

pub fn gene_subject(entrez: u32) -> String {
    format!("gene:{entrez}")
}

pub fn prediction_subject(entrez: u32, set_key: &str) -> String {
    format!("why:{entrez}:{set_key}")
}

/// `template` builds the template answer; it is only awaited when the cache has no answer.
async fn explain<E>(
    state: &AppState,
    subject: String,
    llm: Option<Arc<dyn Llm>>,
    template: impl std::future::Future<Output = Result<Explanation, E>>,
) -> Result<Explanation, E> {
    if let Some(hit) = cached(state, &subject, llm.as_deref()) {
        return Ok(hit);
    }
    let template = template.await?;
    let answer = match &llm {
        None => template,
        Some(l) => match crate::llm::collect_stream(rewrite_stream(state, &template, l.as_ref()), Instant::now()).await {
            Ok(text) => finish(state, &template, l.as_ref(), &text),
            Err(e) => fallback(state, &template, l.as_ref(), &e),
        },
    };
    remember(state, &subject, llm.as_deref(), &answer);
    Ok(answer)
}

/// The explanation of a gene with the requested backend (`None`: the server's default).
pub async fn gene(state: &AppState, entrez: u32, backend: Option<&str>) -> Result<Explanation, EvidenceError> {
    gene_with(state, entrez, backend, async { gene_template(state, entrez) }).await
}

/// [`gene`] with the template built by `template` ([`gene_template`] run where the caller
/// wants it: the server runs it on its heavy pool, as it gathers index and model work).
pub async fn gene_with<E: From<EvidenceError>>(
    state: &AppState,
    entrez: u32,
    backend: Option<&str>,
    template: impl std::future::Future<Output = Result<Explanation, E>>,
) -> Result<Explanation, E> {
    let llm = state.explainer.llm(backend)?;
    explain(state, gene_subject(entrez), llm, template).await
}

/// Why `entrez` is predicted for `set_key`, with the requested backend.
pub async fn prediction(state: &AppState, entrez: u32, set_key: &str, backend: Option<&str>) -> Result<Explanation, EvidenceError> {
    prediction_with(state, entrez, set_key, backend, |key| async move { prediction_template(state, entrez, &key) }).await
}

/// [`prediction`] with the template built by `template` from the set id, checked and written
/// as `LIBRARY:term` (see [`gene_with`]).
pub async fn prediction_with<E: From<EvidenceError>, F: std::future::Future<Output = Result<Explanation, E>>>(
    state: &AppState,
    entrez: u32,
    set_key: &str,
    backend: Option<&str>,
    template: impl FnOnce(String) -> F,
) -> Result<Explanation, E> {
    let llm = state.explainer.llm(backend)?;
    let key = crate::domain::SetId::parse(set_key).map_err(EvidenceError::BadInput)?.to_string();
    explain(state, prediction_subject(entrez, &key), llm, template(key.clone())).await
}

#[cfg(test)]
mod tests {
    use super::whole_sentences;

    #[test]
    fn a_rewrite_cut_at_the_token_limit_loses_its_unfinished_sentence() {
        assert_eq!(whole_sentences("MCM2 has 315 papers. It is predicted for DNA strand elongation (0.24). Its partn"), "MCM2 has 315 papers. It is predicted for DNA strand elongation (0.24).");
        assert_eq!(whole_sentences("Probability 0.24 and 0.52 are"), "Probability 0.24 and 0.52 are", "no finished sentence: kept");
        assert_eq!(whole_sentences(" Done. \n"), "Done.");
    }
}
