//! From a parsed question to an answer: one GraphQL query per intent, run in-process through
//! the API's schema (same resolvers, limits and errors as HTTP clients get), its result
//! flattened into rows and written as short sentences. The query is returned as `graphql`.

use std::sync::{Arc, OnceLock};

use serde::Serialize;
use serde_json::{json, Value};

use super::parse::Parsed;
use super::{examples, lexicon, parse, Intent};
use crate::domain::SetId;
use crate::graphql::{AppState, GenekgSchema, Loaders};

/// Rows when a question gives no count.
pub const DEFAULT_COUNT: usize = 10;
/// Largest count honoured ("top 1000" gets this many): the API's page limit.
pub const MAX_COUNT: usize = crate::graphql::limits::MAX_PAGE;
/// Predicted members read to pick the understudied ones from.
const UNDERSTUDIED_POOL: usize = 200;

#[derive(Debug, Clone, Serialize)]
pub struct AskAnswer {
    pub question: String,
    pub intent: Intent,
    /// Who chose `intent`: `rules` (a cue word), `default` (the rules, from the entities alone)
    /// or `llm` (the configured LLM, where the rules found no cue).
    pub intent_source: IntentSource,
    /// The LLM that chose the intent (name and file hash or URL), when one did.
    pub intent_model: Option<String>,
    pub understood: bool,
    /// Entrez ids of the genes the question names.
    pub genes: Vec<u32>,
    pub terms: Vec<SetId>,
    pub answer: String,
    /// Row objects.
    pub data: Value,
    pub graphql: Option<String>,
    pub examples: Vec<String>,
    pub parsed: Parsed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentSource {
    Rules,
    Default,
    Llm,
}

impl IntentSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rules => "rules",
            Self::Default => "default",
            Self::Llm => "llm",
        }
    }
}

/// Can `intent` be answered with the entities the question names?
fn fits(intent: Intent, genes: usize, has_term: bool) -> bool {
    match intent {
        Intent::GeneFunctions | Intent::SimilarGenes | Intent::Partners | Intent::DrugTargets | Intent::Augment | Intent::Enrich => genes >= 1,
        Intent::Relation => genes >= 2,
        Intent::TermGenes | Intent::UnderstudiedForTerm => has_term,
        Intent::WhyPredicted => genes >= 1 && has_term,
        Intent::Unknown => false,
    }
}

/// Where the rules found no cue, the server's LLM (if any) picks the intent among those the
/// named entities allow; otherwise the rules' reading stands.
async fn llm_intent(state: &AppState, parsed: &Parsed, question: &str) -> Option<(Intent, String)> {
    let named = !parsed.genes.is_empty() || !parsed.terms.is_empty();
    let clean = parsed.unknown_genes.is_empty() && parsed.ambiguous_genes.is_empty();
    if parsed.cued || !named || !clean {
        return None;
    }
    let llm = state.explainer.llm(None).ok().flatten()?;
    match super::classify::classify(llm.as_ref(), question).await {
        Ok(Some(intent)) if fits(intent, parsed.genes.len(), !parsed.terms.is_empty()) => Some((intent, llm.model_id().to_string())),
        Ok(picked) => {
            tracing::debug!(?picked, "the LLM's intent does not fit the question's entities; the rules' reading stands");
            None
        }
        Err(e) => {
            tracing::warn!(backend = llm.kind().as_str(), "LLM intent classification failed: {e}; the rules' reading stands");
            None
        }
    }
}

/// The schema without state: the state travels with each request, so nothing holds a server's
/// state beyond its lifetime.
fn schema() -> &'static GenekgSchema {
    static SCHEMA: OnceLock<GenekgSchema> = OnceLock::new();
    SCHEMA.get_or_init(crate::graphql::stateless_schema)
}

/// Runs a query against `state` as an HTTP client would; errors become one message.
pub async fn run_query(state: &Arc<AppState>, query: &str) -> Result<Value, String> {
    let request = async_graphql::Request::new(query).data(state.clone()).data(Loaders::new(state.clone()));
    let response = schema().execute(request).await;
    if !response.errors.is_empty() {
        return Err(response.errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("; "));
    }
    response.data.into_json().map_err(|e| e.to_string())
}

fn lit(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

fn symbol(state: &AppState, entrez: u32) -> String {
    state.genes.symbol(entrez).map(str::to_string).unwrap_or_else(|| entrez.to_string())
}

fn set_name(state: &AppState, id: &SetId) -> String {
    state
        .store
        .gene_set(id)
        .ok()
        .flatten()
        .map(|s| s.name)
        .unwrap_or_else(|| id.to_string())
}

fn f3(x: &Value) -> String {
    x.as_f64().map(|v| format!("{v:.3}")).unwrap_or_else(|| "?".into())
}

fn f2(x: &Value) -> String {
    x.as_f64().map(|v| format!("{v:.2}")).unwrap_or_else(|| "?".into())
}

fn s(x: &Value) -> &str {
    x.as_str().unwrap_or("")
}

/// Answers `question` over the server's data.
pub async fn ask(state: &Arc<AppState>, question: &str) -> anyhow::Result<AskAnswer> {
    let lex = lexicon(state)?;
    let mut parsed = parse(&lex, state, question);
    let mut intent_source = if parsed.cued { IntentSource::Rules } else { IntentSource::Default };
    let mut intent_model = None;
    if let Some((intent, model)) = llm_intent(state, &parsed, question).await {
        parsed.intent = intent;
        intent_source = IntentSource::Llm;
        intent_model = Some(model);
    }
    let mut out = AskAnswer {
        question: question.to_string(),
        intent: parsed.intent,
        intent_source,
        intent_model: intent_model.clone(),
        understood: false,
        genes: parsed.genes.clone(),
        terms: parsed.terms.clone(),
        answer: String::new(),
        data: json!([]),
        graphql: None,
        examples: vec![],
        parsed: parsed.clone(),
    };
    if let Some(reply) = unresolved_reply(state, &parsed) {
        out.answer = reply;
        if parsed.intent == Intent::Unknown {
            out.examples = examples(state);
        }
        return Ok(out);
    }
    let n = parsed.count.unwrap_or(DEFAULT_COUNT).min(MAX_COUNT);
    let genes: Vec<String> = parsed.genes.iter().map(|&e| symbol(state, e)).collect();
    let term = parsed.terms.first().map(|t| t.to_string());
    let Some(query) = build_query(state, parsed.intent, &genes, term.as_deref(), n) else {
        out.answer = missing_entity_reply(parsed.intent, &genes, term.is_some());
        out.examples = examples(state);
        return Ok(out);
    };
    match run_query(state, &query).await {
        Ok(result) => {
            let (rows, mut text) = present(state, parsed.intent, &genes, n, &result);
            for u in &parsed.unknown_genes {
                text.push_str(&format!(" Left out `{}`: no such gene.", u.text));
            }
            for a in &parsed.ambiguous_genes {
                text.push_str(&format!(" Left out `{}`: an alias of several genes.", a.text));
            }
            if let Some(model) = &intent_model {
                text.push_str(&format!(
                    " (The LLM {model} read this as a question of kind `{}`; the genes, terms and facts come from the data.)",
                    parsed.intent.as_str()
                ));
            }
            out.understood = true;
            out.data = Value::Array(rows);
            out.answer = text;
        }
        Err(message) => out.answer = format!("Could not answer: {message}"),
    }
    out.graphql = Some(query);
    Ok(out)
}

/// The reply when a named gene does not resolve, or no intent was found.
fn unresolved_reply(state: &AppState, p: &Parsed) -> Option<String> {
    let mut parts = Vec::new();
    for u in &p.unknown_genes {
        let closest = if u.closest.is_empty() { String::new() } else { format!("; closest symbols: {}", u.closest.join(", ")) };
        parts.push(format!("No such gene `{}`{closest}.", u.text));
    }
    for a in &p.ambiguous_genes {
        let names: Vec<String> = a.candidates.iter().map(|&e| format!("{} ({e})", symbol(state, e))).collect();
        parts.push(format!("`{}` is an alias of several genes: {}; name one by its symbol.", a.text, names.join(", ")));
    }
    // A list question goes on without the genes it cannot read, and says so.
    let list = matches!(p.intent, Intent::Augment | Intent::Enrich) && !p.genes.is_empty();
    if !parts.is_empty() && !list {
        return Some(parts.join(" "));
    }
    if p.intent == Intent::Unknown {
        return Some(format!(
            "I did not understand that question. I can answer: {}. Name genes by symbol, alias or id and terms by GO name or id; add \"top N\" for more rows.",
            CAPABILITIES.join("; ")
        ));
    }
    None
}

const CAPABILITIES: &[&str] = &[
    "what a gene does (its predicted functions)",
    "genes similar to a gene",
    "a gene's predicted partners",
    "how two genes are related (shared sets, partner scores, co-reporting papers)",
    "genes in or predicted for a term",
    "understudied genes predicted for a term",
    "completing a gene list",
    "enrichment of a gene list",
    "the drug-target angle of a gene",
    "why a gene is predicted for a term",
];

fn missing_entity_reply(intent: Intent, genes: &[String], has_term: bool) -> String {
    match intent {
        Intent::WhyPredicted if !has_term => format!(
            "Which term do you mean? Ask e.g. \"Why is {} predicted for DNA repair?\"",
            genes.first().map(String::as_str).unwrap_or("TP53")
        ),
        _ => format!("That question needs {} it does not name.", if genes.is_empty() { "a gene" } else { "a term" }),
    }
}

const GENE_FIELDS: &str = "symbol name";
const LINKS: &str = "links { openTargets pharos dgidb }";

/// The GraphQL query of an intent, or `None` when the question lacks an entity it needs.
/// Partner counts are capped at what is stored for the gene, as the API requires.
pub fn build_query(state: &AppState, intent: Intent, genes: &[String], term: Option<&str>, n: usize) -> Option<String> {
    let g = |i: usize| genes.get(i).map(|s| lit(s));
    let partners = |i: usize, want: usize| genes.get(i).and_then(|s| partners_stored(state, s)).map_or(want, |k| want.min(k));
    let list = || format!("[{}]", genes.iter().map(|s| lit(s)).collect::<Vec<_>>().join(", "));
    Some(match intent {
        Intent::GeneFunctions => format!(
            "{{ gene(id: {}) {{ {GENE_FIELDS} predictedFunctions(first: {n}) {{ totalCount edges {{ node {{ geneSet {{ id name library {{ name }} }} probability zScore rank known setAuroc }} }} }} }} }}",
            g(0)?
        ),
        Intent::SimilarGenes => format!(
            "{{ gene(id: {}) {{ {GENE_FIELDS} similarGenes(first: {n}) {{ gene {{ {GENE_FIELDS} }} cosine }} }} }}",
            g(0)?
        ),
        Intent::Partners => format!(
            "{{ gene(id: {}) {{ {GENE_FIELDS} predictedPartners(first: {}) {{ gene {{ {GENE_FIELDS} }} probability zScore rank }} }} }}",
            g(0)?,
            partners(0, n)
        ),
        Intent::Relation => format!(
            "{{ a: gene(id: {a}) {{ symbol predictedPartners(first: {pa}) {{ gene {{ symbol }} probability zScore rank }} }} b: gene(id: {b}) {{ symbol predictedPartners(first: {pb}) {{ gene {{ symbol }} probability zScore rank }} }} sharedGeneSets(genes: [{a}, {b}], first: {n}) {{ id name size pmid library {{ name }} }} }}",
            a = g(0)?,
            b = g(1)?,
            pa = partners(0, MAX_COUNT),
            pb = partners(1, MAX_COUNT)
        ),
        Intent::TermGenes => format!(
            "{{ geneSet(id: {}) {{ id name size modelAuroc predictedMembers(first: {n}) {{ gene {{ {GENE_FIELDS} }} probability zScore rank known }} }} }}",
            lit(term?)
        ),
        Intent::UnderstudiedForTerm => format!(
            "{{ geneSet(id: {}) {{ id name size modelAuroc predictedMembers(first: {UNDERSTUDIED_POOL}, newOnly: true) {{ gene {{ {GENE_FIELDS} publicationCount }} probability zScore rank known }} }} }}",
            lit(term?)
        ),
        Intent::Augment => {
            g(0)?;
            format!("{{ augment(genes: {}, first: {n}) {{ genes {{ gene {{ {GENE_FIELDS} }} probability logit input }} unknownGenes }} }}", list())
        }
        Intent::Enrich => {
            g(0)?;
            format!(
                "{{ enrich(genes: {}, first: {n}) {{ genesUsed unknownGenes results {{ totalCount edges {{ node {{ geneSet {{ id name library {{ name }} }} overlapSize setSize pValue fdr oddsRatio rank overlap {{ symbol }} }} }} }} }} }}",
                list()
            )
        }
        Intent::DrugTargets => format!(
            "{{ gene(id: {}) {{ {GENE_FIELDS} targetFamily {LINKS} predictedPartners(first: {}) {{ gene {{ {GENE_FIELDS} targetFamily {LINKS} }} probability zScore rank }} }} }}",
            g(0)?,
            partners(0, n * 5)
        ),
        // The evidence `explainPrediction` gives, written by the template (facts never come
        // from an LLM here).
        Intent::WhyPredicted => format!(
            "{{ explainPrediction(gene: {}, set: {}, llm: \"none\") {{ text citations {{ kind id label url }} evidence }} }}",
            g(0)?,
            lit(term?)
        ),
        Intent::Unknown => return None,
    })
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

fn edges(conn: &Value) -> Vec<&Value> {
    arr(&conn["edges"]).iter().map(|e| &e["node"]).collect()
}

fn join_limited(items: &[String], n: usize) -> String {
    let shown: Vec<&str> = items.iter().take(n).map(String::as_str).collect();
    let more = items.len().saturating_sub(n);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Rows and text from a query result.
fn present(state: &AppState, intent: Intent, genes: &[String], n: usize, r: &Value) -> (Vec<Value>, String) {
    match intent {
        Intent::GeneFunctions => {
            let gene = &r["gene"];
            let rows: Vec<Value> = edges(&gene["predictedFunctions"])
                .into_iter()
                .map(|f| {
                    json!({"set": f["geneSet"]["id"], "name": f["geneSet"]["name"], "library": f["geneSet"]["library"]["name"],
                           "probability": f["probability"], "zScore": f["zScore"], "rank": f["rank"], "known": f["known"], "setAuroc": f["setAuroc"]})
                })
                .collect();
            let items: Vec<String> = rows
                .iter()
                .map(|r| format!("{} ({}; p={}, z={}{})", s(&r["name"]), s(&r["set"]), f3(&r["probability"]), f2(&r["zScore"]), if r["known"] == true { ", known" } else { ", new" }))
                .collect();
            let text = if items.is_empty() {
                format!("The model lists no functions for {} ({}).", s(&gene["symbol"]), s(&gene["name"]))
            } else {
                format!("Predicted functions of {} ({}), by z-score: {}.", s(&gene["symbol"]), s(&gene["name"]), join_limited(&items, n))
            };
            (rows, text)
        }
        Intent::SimilarGenes => {
            let gene = &r["gene"];
            let rows: Vec<Value> = arr(&gene["similarGenes"])
                .iter()
                .map(|x| json!({"symbol": x["gene"]["symbol"], "name": x["gene"]["name"], "cosine": x["cosine"]}))
                .collect();
            let items: Vec<String> = rows.iter().map(|r| format!("{} ({})", s(&r["symbol"]), f3(&r["cosine"]))).collect();
            (rows, format!("Genes most similar to {} by model embedding (cosine): {}.", s(&gene["symbol"]), join_limited(&items, n)))
        }
        Intent::Partners => {
            let gene = &r["gene"];
            let rows: Vec<Value> = arr(&gene["predictedPartners"])
                .iter()
                .map(|x| json!({"symbol": x["gene"]["symbol"], "name": x["gene"]["name"], "probability": x["probability"], "zScore": x["zScore"], "rank": x["rank"]}))
                .collect();
            let items: Vec<String> = rows.iter().map(|r| format!("{} (p={}, z={})", s(&r["symbol"]), f3(&r["probability"]), f2(&r["zScore"]))).collect();
            (rows, format!("Predicted partners of {}: {}.", s(&gene["symbol"]), join_limited(&items, n)))
        }
        Intent::Relation => relation(state, r, n),
        Intent::TermGenes => {
            let set = &r["geneSet"];
            let rows: Vec<Value> = arr(&set["predictedMembers"])
                .iter()
                .map(|x| json!({"symbol": x["gene"]["symbol"], "name": x["gene"]["name"], "probability": x["probability"], "zScore": x["zScore"], "rank": x["rank"], "known": x["known"]}))
                .collect();
            let known: Vec<String> = rows.iter().filter(|r| r["known"] == true).map(|r| s(&r["symbol"]).to_string()).collect();
            let new: Vec<String> = rows.iter().filter(|r| r["known"] != true).map(|r| format!("{} (z={})", s(&r["symbol"]), f2(&r["zScore"]))).collect();
            let text = format!(
                "{} ({}) has {} genes. Top {} genes the model lists for it: known members {}; newly predicted {}.",
                s(&set["name"]),
                s(&set["id"]),
                set["size"],
                rows.len(),
                if known.is_empty() { "none".into() } else { join_limited(&known, n) },
                if new.is_empty() { "none".into() } else { join_limited(&new, n) }
            );
            (rows, text)
        }
        Intent::UnderstudiedForTerm => {
            let set = &r["geneSet"];
            let mut rows: Vec<Value> = arr(&set["predictedMembers"])
                .iter()
                .map(|x| json!({"symbol": x["gene"]["symbol"], "name": x["gene"]["name"], "publicationCount": x["gene"]["publicationCount"], "probability": x["probability"], "zScore": x["zScore"], "rank": x["rank"]}))
                .collect();
            let papers = |r: &Value| r["publicationCount"].as_u64().unwrap_or(u64::MAX);
            let z = |r: &Value| r["zScore"].as_f64().unwrap_or(0.0);
            let max = crate::explain::UNDERSTUDIED_MAX_PAPERS;
            let understudied = rows.iter().any(|r| papers(r) <= max as u64);
            if understudied {
                // The understudied genes (the server's one definition), strongest prediction first.
                rows.retain(|r| papers(r) <= max as u64);
                rows.sort_by(|a, b| z(b).total_cmp(&z(a)));
            } else {
                // None qualifies: the least-studied ones, fewest papers first, and say so.
                rows.sort_by(|a, b| papers(a).cmp(&papers(b)).then(z(b).total_cmp(&z(a))));
            }
            rows.truncate(n);
            let items: Vec<String> = rows
                .iter()
                .map(|r| format!("{} ({} papers, z={})", s(&r["symbol"]), r["publicationCount"], f2(&r["zScore"])))
                .collect();
            let label = format!("{} ({})", s(&set["name"]), s(&set["id"]));
            let text = if items.is_empty() {
                format!("The model predicts no new genes for {label}.")
            } else if understudied {
                format!("Understudied genes (at most {max} papers) newly predicted for {label}, strongest prediction first: {}.", items.join(", "))
            } else {
                format!(
                    "No gene newly predicted for {label} has at most {max} papers; the least-studied ones, fewest papers first: {}.",
                    items.join(", ")
                )
            };
            (rows, text)
        }
        Intent::Augment => {
            let rows: Vec<Value> = arr(&r["augment"]["genes"])
                .iter()
                .map(|x| json!({"symbol": x["gene"]["symbol"], "name": x["gene"]["name"], "probability": x["probability"], "logit": x["logit"], "input": x["input"]}))
                .collect();
            let items: Vec<String> = rows.iter().map(|r| format!("{} ({})", s(&r["symbol"]), f3(&r["probability"]))).collect();
            (rows, format!("Genes the model adds to {}: {}.", genes.join(", "), join_limited(&items, n)))
        }
        Intent::Enrich => {
            let e = &r["enrich"];
            let rows: Vec<Value> = edges(&e["results"])
                .into_iter()
                .map(|x| {
                    let overlap: Vec<&str> = arr(&x["overlap"]).iter().map(|g| s(&g["symbol"])).collect();
                    json!({"set": x["geneSet"]["id"], "name": x["geneSet"]["name"], "library": x["geneSet"]["library"]["name"], "overlapSize": x["overlapSize"],
                           "setSize": x["setSize"], "pValue": x["pValue"], "fdr": x["fdr"], "oddsRatio": x["oddsRatio"], "rank": x["rank"], "overlap": overlap.join(",")})
                })
                .collect();
            let items: Vec<String> = rows
                .iter()
                .map(|r| format!("{} ({}; {}/{} genes, FDR {:.2e})", s(&r["name"]), s(&r["set"]), r["overlapSize"], r["setSize"], r["fdr"].as_f64().unwrap_or(1.0)))
                .collect();
            (rows, format!("Sets most enriched in {} ({} genes used): {}.", genes.join(", "), e["genesUsed"], join_limited(&items, n)))
        }
        Intent::DrugTargets => drug_targets(r, n),
        Intent::WhyPredicted => why_predicted(r),
        Intent::Unknown => (vec![], String::new()),
    }
}

fn relation(state: &AppState, r: &Value, n: usize) -> (Vec<Value>, String) {
    let (a, b) = (s(&r["a"]["symbol"]).to_string(), s(&r["b"]["symbol"]).to_string());
    let mut rows = Vec::new();
    let mut sentences = Vec::new();
    for (from, to) in [(&r["a"], &b), (&r["b"], &a)] {
        if let Some(p) = arr(&from["predictedPartners"]).iter().find(|p| s(&p["gene"]["symbol"]) == to) {
            rows.push(json!({"kind": "partner", "from": from["symbol"], "to": to, "probability": p["probability"], "zScore": p["zScore"], "rank": p["rank"]}));
            sentences.push(format!("{to} is predicted partner #{} of {} (p={}, z={})", p["rank"], s(&from["symbol"]), f3(&p["probability"]), f2(&p["zScore"])));
        }
    }
    if sentences.is_empty() {
        let stored = partners_stored(state, &a).unwrap_or(0).max(partners_stored(state, &b).unwrap_or(0));
        sentences.push(format!("neither is among the other's top {stored} predicted partners"));
    }
    let mut papers = Vec::new();
    let mut sets = Vec::new();
    for set in arr(&r["sharedGeneSets"]) {
        let library = s(&set["library"]["name"]);
        rows.push(json!({"kind": "shared_set", "set": set["id"], "name": set["name"], "library": library, "size": set["size"], "pmid": set["pmid"]}));
        if library == "PubMed" {
            papers.push(format!("PMID:{}", set["pmid"].as_u64().map(|p| p.to_string()).unwrap_or_else(|| s(&set["id"]).trim_start_matches("PubMed:").to_string())));
        } else {
            sets.push(format!("{} ({})", s(&set["name"]), s(&set["id"])));
        }
    }
    let text = format!(
        "{a} and {b}: {}. Shared curated sets: {}. Co-reported in: {}.",
        sentences.join("; "),
        if sets.is_empty() { "none".into() } else { join_limited(&sets, n) },
        if papers.is_empty() { "no paper of the literature library".into() } else { join_limited(&papers, n) }
    );
    (rows, text)
}

fn drug_targets(r: &Value, n: usize) -> (Vec<Value>, String) {
    let gene = &r["gene"];
    let links = &gene["links"];
    let mut rows = vec![json!({"role": "query", "symbol": gene["symbol"], "name": gene["name"], "targetFamily": gene["targetFamily"],
        "openTargets": links["openTargets"], "pharos": links["pharos"], "dgidb": links["dgidb"]})];
    let druggable: Vec<&Value> = arr(&gene["predictedPartners"]).iter().filter(|p| s(&p["gene"]["targetFamily"]) != "NONE").take(n).collect();
    for p in &druggable {
        let l = &p["gene"]["links"];
        rows.push(json!({"role": "partner", "symbol": p["gene"]["symbol"], "name": p["gene"]["name"], "targetFamily": p["gene"]["targetFamily"],
            "probability": p["probability"], "zScore": p["zScore"], "rank": p["rank"], "openTargets": l["openTargets"], "pharos": l["pharos"], "dgidb": l["dgidb"]}));
    }
    let family = s(&gene["targetFamily"]);
    let fam_text = if family == "NONE" { "is in no druggable target family (GO molecular function)".to_string() } else { format!("is in the {} target family", family.to_lowercase().replace('_', " ")) };
    let partners: Vec<String> = druggable.iter().map(|p| format!("{} ({})", s(&p["gene"]["symbol"]), s(&p["gene"]["targetFamily"]).to_lowercase().replace('_', " "))).collect();
    let link_text: Vec<String> = [("Open Targets", &links["openTargets"]), ("Pharos", &links["pharos"]), ("DGIdb", &links["dgidb"])]
        .into_iter()
        .filter_map(|(name, url)| url.as_str().map(|u| format!("{name} {u}")))
        .collect();
    let text = format!(
        "{} {fam_text}. Druggable predicted partners: {}. Links: {}.",
        s(&gene["symbol"]),
        if partners.is_empty() { "none among its top predicted partners".into() } else { partners.join(", ") },
        if link_text.is_empty() { "none".into() } else { link_text.join("; ") }
    );
    (rows, text)
}

/// Rows of `explainPrediction`'s evidence: the prediction, the driving members, the papers and
/// the nearest members; the text is its template.
fn why_predicted(r: &Value) -> (Vec<Value>, String) {
    let x = &r["explainPrediction"];
    let e = &x["evidence"];
    let mut rows = Vec::new();
    let p = &e["prediction"];
    if !p.is_null() {
        rows.push(json!({"kind": "prediction", "symbol": e["identity"]["symbol"], "set": e["set"]["key"], "probability": p["probability"],
            "zScore": p["z"], "rank": p["rank"], "known": p["known"], "setAuroc": p["setAuroc"]}));
    }
    for d in arr(&e["drivers"]) {
        rows.push(json!({"kind": "driver", "symbol": d["symbol"], "weight": d["weight"]}));
    }
    for c in arr(&e["sharedLiterature"]) {
        let with: Vec<&str> = arr(&c["genes"]).iter().map(s).collect();
        rows.push(json!({"kind": "paper", "pmid": c["pmid"], "genes": with.join(",")}));
    }
    for m in arr(&e["nearestMembers"]) {
        rows.push(json!({"kind": "nearest_member", "symbol": m["symbol"], "cosine": m["cosine"]}));
    }
    (rows, s(&x["text"]).split("\n\n").collect::<Vec<_>>().join(" "))
}

/// The name of a term for messages.
pub fn term_label(state: &AppState, id: &SetId) -> String {
    format!("{} ({id})", set_name(state, id))
}

/// How many predicted partners are stored for `gene` (what `predictedPartnerCount` says and the
/// API pages up to); `None` for an unknown gene or one without stored partners, where the API
/// takes any `first`.
fn partners_stored(state: &AppState, gene: &str) -> Option<usize> {
    let entrez = crate::graphql::gene::resolve_gene(state, gene).ok()?;
    let stored = crate::model::predictions::partners_of_gene(&state.store, crate::domain::Entrez(entrez)).ok()?.len();
    (stored > 0).then_some(stored)
}
