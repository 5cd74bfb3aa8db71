//! Explanations: the template over the fixture model, `explainPrediction`, the SSE stream, the
//! openai backend against a fake OpenAI-compatible server, and the local backend with the
//! SmolLM2 test model.

use std::sync::Arc;

use genekg::llm::{openai::OpenAiLlm, Limits, Llm, Prompt};
use serde_json::{json, Value};

use crate::helpers::{fixture, spawn_app_with_llm, spawn_app_with_model, sse_events, TestApp};

#[path = "../support/fake_openai.rs"]
mod fake_openai;
use fake_openai::FakeOpenAi;

const EXPLANATION: &str = "explanation { text source model citations { kind id label url } evidence guard { checked passed rejected } note }";

/// Papers linked to a gene, straight from the fixture's SQLite (the oracle for publicationCount).
fn papers_in_fixture(entrez: u32) -> u32 {
    let conn = rusqlite::Connection::open(fixture("org.Hs.eg.sqlite")).unwrap();
    conn.query_row(
        "SELECT COUNT(DISTINCT p.pubmed_id) FROM pubmed p JOIN genes g ON g._id = p._id WHERE g.gene_id = ?1",
        [entrez.to_string()],
        |r| r.get(0),
    )
    .unwrap()
}

async fn explanation(app: &TestApp, gene: &str, llm: Option<&str>) -> Value {
    let r = app
        .query_with(&format!("query($g: String!, $l: String) {{ gene(id: $g) {{ publicationCount {} }} }}", EXPLANATION.replace("explanation", "explanation(llm: $l)")), json!({"g": gene, "l": llm}))
        .await;
    assert!(r["errors"].is_null(), "{r}");
    r["data"]["gene"].clone()
}

/// A faithful rewrite of a gene's evidence: other words, same facts.
fn faithful(e: &Value) -> String {
    let f = &e["predictedFunctions"][0];
    format!(
        "{} is a {} gene cited in {} papers. The model would add it to {} ({}) with probability {:.2}.",
        e["identity"]["symbol"].as_str().unwrap(),
        e["identity"]["geneType"].as_str().unwrap(),
        e["publicationCount"],
        f["set"]["name"].as_str().unwrap(),
        f["set"]["term"].as_str().unwrap(),
        f["probability"].as_f64().unwrap(),
    )
}

/// Reads an SSE body into (event, data) pairs.
#[tokio::test]
async fn template_explanation_prediction_and_stream_without_llm() {
    let app = spawn_app_with_model().await;
    let gene = explanation(&app, "MCM2", None).await;
    assert_eq!(gene["publicationCount"].as_u64().unwrap() as u32, papers_in_fixture(4171));
    let x = &gene["explanation"];
    assert_eq!((x["source"].as_str(), &x["model"]), (Some("template"), &Value::Null), "{x}");
    assert_eq!(x["guard"], json!({"checked": false, "passed": true, "rejected": []}));
    let e = &x["evidence"];
    assert_eq!(e["identity"]["symbol"], "MCM2");
    assert_eq!(e["publicationCount"], gene["publicationCount"]);
    let text = x["text"].as_str().unwrap();
    let functions = e["predictedFunctions"].as_array().unwrap();
    assert!(!functions.is_empty() && !e["partners"].as_array().unwrap().is_empty(), "{e}");
    for f in functions {
        let term = f["set"]["term"].as_str().unwrap();
        assert!(text.contains(term) && text.contains(f["set"]["name"].as_str().unwrap()), "{term} missing from {text}");
        assert!(x["citations"].as_array().unwrap().iter().any(|c| c["kind"] == "go" && c["id"] == term), "no citation for {term}");
        // Predictions are of sets the gene is not in, best first.
        assert!(f["z"].as_f64().unwrap() <= functions[0]["z"].as_f64().unwrap());
    }
    for p in e["partners"].as_array().unwrap() {
        assert!(text.contains(p["symbol"].as_str().unwrap()));
    }
    // Co-reports, against every paper of the literature library read in full.
    let partners: Vec<u32> = e["partners"].as_array().unwrap().iter().map(|p| p["entrez"].as_u64().unwrap() as u32).collect();
    let mut oracle: Vec<(usize, u32)> = app
        .state
        .store
        .library_sets("PubMed")
        .unwrap()
        .into_iter()
        .filter(|s| s.genes.contains(&4171))
        .map(|s| (partners.iter().filter(|p| s.genes.contains(p)).count(), s.pmid.unwrap()))
        .filter(|(n, _)| *n > 0)
        .collect();
    oracle.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    oracle.truncate(genekg::explain::evidence::CO_REPORTS);
    let got: Vec<(usize, u32)> = e["coReported"].as_array().unwrap().iter().map(|c| (c["genes"].as_array().unwrap().len(), c["pmid"].as_u64().unwrap() as u32)).collect();
    assert!(!got.is_empty());
    assert_eq!(got, oracle);
    for c in e["coReported"].as_array().unwrap() {
        let pmid = c["pmid"].as_u64().unwrap();
        assert!(text.contains(&format!("PMID {pmid}")));
        assert!(x["citations"].as_array().unwrap().iter().any(|k| k["id"] == format!("PMID:{pmid}") && k["kind"] == "pubmed"));
    }
    // The template passes the guard it is the reference of.
    let facts = genekg::explain::guard::Facts::new(e, &[text]);
    let report = genekg::explain::guard::check(text, &facts, &app.state.genes, None);
    assert!(report.passed, "{report:?}");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(fixture("explain/MCM2.evidence.json"), serde_json::to_string_pretty(e).unwrap() + "\n").unwrap();
    }

    // Why is MCM2 predicted for its top function?
    let key = functions[0]["set"]["key"].as_str().unwrap();
    let r = app
        .query_with("query($s: String!) { explainPrediction(gene: \"mcm2\", set: $s) { text source citations { id } evidence } }", json!({"s": key}))
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let why = &r["data"]["explainPrediction"];
    let ev = &why["evidence"];
    assert_eq!(ev["prediction"]["rank"], functions[0]["rank"], "{ev}");
    assert_eq!(ev["prediction"]["known"], false);
    let set = app.state.store.gene_set(&genekg::domain::SetId::parse(key).unwrap()).unwrap().unwrap();
    let weights: Vec<f64> = ev["drivers"].as_array().unwrap().iter().map(|d| d["weight"].as_f64().unwrap()).collect();
    // The fixture model has no gene-to-gene path unless trained with one: drivers may be empty.
    assert!(weights.iter().all(|&w| w > 0.0) && weights.windows(2).all(|w| w[0] >= w[1]), "{ev}");
    assert!(!ev["nearestMembers"].as_array().unwrap().is_empty() && !ev["sharedLiterature"].as_array().unwrap().is_empty(), "{ev}");
    for d in ev["drivers"].as_array().unwrap() {
        assert!(set.genes.contains(&(d["entrez"].as_u64().unwrap() as u32)), "driver {d} is not a member of {key}");
        assert!(why["text"].as_str().unwrap().contains(d["symbol"].as_str().unwrap()));
    }
    for n in ev["nearestMembers"].as_array().unwrap() {
        assert!(set.genes.contains(&(n["entrez"].as_u64().unwrap() as u32)));
    }

    // Bad input names what was wrong.
    let r = app.query("{ explainPrediction(gene: \"MCM2\", set: \"GO_BP\") { text } }").await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "BAD_INPUT", "{r}");
    let r = app.query("{ gene(id: \"MCM2\") { explanation(llm: \"gpt\") { text } } }").await;
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("unknown LLM backend `gpt`"), "{r}");
    let r = app.query("{ gene(id: \"MCM2\") { explanation(llm: \"openai\") { text } } }").await;
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("genekg serve --llm openai"), "{r}");

    // The stream without an LLM: the template, then done with the same explanation.
    let res = app.get("/explain/stream?gene=MCM2").await;
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let events = sse_events(&res.text().await.unwrap());
    assert_eq!(events.iter().map(|(e, _)| e.as_str()).collect::<Vec<_>>(), ["template", "done"]);
    assert_eq!(events[0].1["text"], x["text"]);
    assert_eq!(events[1].1, events[0].1);
    assert_eq!(app.get("/explain/stream?gene=NOT_A_GENE_XYZ").await.status().as_u16(), 400);
}

#[tokio::test]
async fn openai_backend_streams_from_an_openai_compatible_server() {
    let fake = FakeOpenAi::start("one two three four five ").await;
    let llm = OpenAiLlm::new(&fake.base_url, "fake-model", "sk-test");
    let prompt = Prompt { system: "be brief".into(), user: "count".into() };
    let mut stream = llm.stream(&prompt, Limits::default()).unwrap();
    let mut pieces = vec![];
    while let Some(p) = stream.next().await {
        pieces.push(p.unwrap());
    }
    assert_eq!(pieces, ["one ", "two ", "three ", "four ", "five "]);
    let body = fake.requests.lock().unwrap()[0].clone();
    assert_eq!((body["model"].as_str(), body["stream"].as_bool(), body["max_completion_tokens"].as_u64()), (Some("fake-model"), Some(true), Some(320)));
    assert_eq!(body["messages"][0], json!({"role": "system", "content": "be brief"}));
    // The token limit holds even when the server sends more.
    let short = genekg::llm::complete(&llm, &prompt, Limits { max_tokens: 2, ..Limits::default() }).await.unwrap();
    assert_eq!(short.text, "one two ");
    // A server that is not there is an error, not a hang.
    let gone = OpenAiLlm::new("http://127.0.0.1:9/v1", "m", "");
    let limits = Limits { timeout: std::time::Duration::from_secs(10), ..Limits::default() };
    assert!(genekg::llm::complete(&gone, &prompt, limits).await.is_err());
}

#[tokio::test]
async fn openai_explanations_are_guarded_cached_and_streamed() {
    let fake = FakeOpenAi::start("").await;
    let llm: Arc<dyn Llm> = Arc::new(OpenAiLlm::new(&fake.base_url, "fake-model", ""));
    let app = spawn_app_with_llm(Some(llm)).await;

    // A faithful rewrite passes and is returned as the LLM's.
    let template = explanation(&app, "MCM2", Some("none")).await["explanation"].clone();
    fake.set_reply(&faithful(&template["evidence"]));
    let x = explanation(&app, "MCM2", None).await["explanation"].clone();
    assert_eq!((x["source"].as_str(), x["guard"]["checked"].as_bool(), x["guard"]["passed"].as_bool()), (Some("openai"), Some(true), Some(true)), "{x}");
    assert_eq!(x["text"].as_str().unwrap(), faithful(&template["evidence"]));
    assert!(x["model"].as_str().unwrap().contains("fake-model"));
    assert_eq!(x["evidence"], template["evidence"]);
    let asked = fake.requests.lock().unwrap().last().unwrap().clone();
    // The prompt carries the brief (a few facts of the evidence), not the whole template.
    let user = asked["messages"][1]["content"].as_str().unwrap();
    let brief = genekg::explain::template::gene_brief(&serde_json::from_value(template["evidence"].clone()).unwrap());
    assert_eq!(user, format!("Facts:\n{brief}"));
    assert!(user.len() < template["text"].as_str().unwrap().len() / 2, "{user}");
    assert_eq!(asked["messages"][0]["content"], genekg::explain::SYSTEM_PROMPT);
    assert_eq!(asked["max_completion_tokens"], genekg::explain::REWRITE_LIMITS.max_tokens);

    // Cached: asking again does not call the LLM.
    let calls = fake.requests.lock().unwrap().len();
    assert_eq!(explanation(&app, "MCM2", None).await["explanation"], x);
    assert_eq!(fake.requests.lock().unwrap().len(), calls);

    // Planted hallucinations are rejected: the template comes back with the guard's report.
    fake.set_reply("MCM4 binds BRCA1 and is cited in PMID 99999999 with probability 0.4242.");
    let x = explanation(&app, "MCM4", None).await["explanation"].clone();
    let rejected: Vec<&str> = x["guard"]["rejected"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!((x["source"].as_str(), x["guard"]["passed"].as_bool()), (Some("template"), Some(false)), "{x}");
    assert!(rejected.contains(&"BRCA1") && rejected.contains(&"PMID 99999999") && rejected.contains(&"0.4242"), "{rejected:?}");
    assert_eq!(x["text"], explanation(&app, "MCM4", Some("none")).await["explanation"]["text"]);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("genekg_explain_guard_total{backend=\"openai\",result=\"rejected\"} 1"), "{metrics}");
    assert!(metrics.contains("genekg_explain_guard_total{backend=\"openai\",result=\"passed\"} 1"), "{metrics}");

    // The stream: the template at once, the tokens as they come, then the guarded answer.
    fake.set_reply(&faithful(&explanation(&app, "POLA1", Some("none")).await["explanation"]["evidence"]));
    let body = app.get("/explain/stream?gene=POLA1").await.text().await.unwrap();
    let events = sse_events(&body);
    assert_eq!(events.first().unwrap().0, "template");
    assert_eq!(events.first().unwrap().1["source"], "template");
    let tokens: String = events.iter().filter(|(e, _)| e == "token").map(|(_, d)| d["text"].as_str().unwrap().to_string()).collect();
    assert!(events.iter().filter(|(e, _)| e == "token").count() > 3, "{body}");
    let (last, done) = events.last().unwrap();
    assert_eq!((last.as_str(), done["source"].as_str()), ("done", Some("openai")), "{body}");
    assert_eq!(done["text"].as_str().unwrap(), tokens.trim());
}

#[cfg(feature = "llm-local")]
mod local {
    use super::*;
    use genekg::llm::local::{LocalLlm, LocalOptions};
    use genekg::llm::LlmError;

    fn load(queue: usize) -> Arc<LocalLlm> {
        Arc::new(LocalLlm::load(&crate::helpers::test_llm_path(), LocalOptions { queue, context: 2048, ..Default::default() }).unwrap())
    }

    #[tokio::test]
    async fn local_model_loads_answers_and_reports_a_full_queue() {
        let llm = load(1);
        assert!(llm.model_id().starts_with("SmolLM2-135M-Instruct.Q4_1.gguf sha256:b179c9523d0e6a0f"), "{}", llm.model_id());
        let prompt = Prompt { system: "You are a helpful assistant.".into(), user: "Name three colours.".into() };
        let done = genekg::llm::complete(llm.as_ref(), &prompt, Limits { max_tokens: 24, ..Limits::default() }).await.unwrap();
        assert!(!done.text.trim().is_empty() && done.first_token.is_some(), "{done:?}");

        // One generation running (its reader not reading, so it blocks once 4 pieces wait), one
        // queued: the third is refused at once.
        let prompt = Prompt { system: "You are a helpful assistant.".into(), user: "Count from 1 to 100, separated by commas.".into() };
        let mut running = llm.stream(&prompt, Limits { max_tokens: 200, ..Limits::default() }).unwrap();
        assert!(running.next().await.unwrap().is_ok());
        let _queued = llm.stream(&prompt, Limits::default()).unwrap();
        assert_eq!(llm.stream(&prompt, Limits::default()).err(), Some(LlmError::Busy(1)));
    }

    /// The second prompt with the same system prompt reads only what differs, and answers as
    /// a fresh context does. (Its first token only: llama.cpp's sums differ in the last bits
    /// when a prompt is read in two batches, so a long greedy answer may drift.)
    #[tokio::test]
    async fn local_model_reuses_the_shared_start_of_prompts() {
        let limits = Limits { max_tokens: 1, ..Limits::default() };
        let a = genekg::explain::prompt("Gene: MCM2 (minichromosome maintenance complex component 2)\nPapers: 315");
        let b = genekg::explain::prompt("Gene: TP53 (tumor protein p53)\nPapers: 11035");
        let fresh = load(2);
        let alone = genekg::llm::complete(fresh.as_ref(), &b, limits).await.unwrap().text;
        assert_eq!(fresh.prompt_tokens_reused(), 0);
        drop(fresh);
        let llm = load(2);
        genekg::llm::complete(llm.as_ref(), &a, limits).await.unwrap();
        assert_eq!(llm.prompt_tokens_reused(), 0);
        let after_a = genekg::llm::complete(llm.as_ref(), &b, limits).await.unwrap().text;
        let system_tokens = genekg::explain::SYSTEM_PROMPT.split_whitespace().count() as u64;
        assert!(llm.prompt_tokens_reused() >= system_tokens, "reused {} tokens", llm.prompt_tokens_reused());
        assert_eq!(after_a, alone);
    }

    #[tokio::test]
    async fn local_explanations_are_guarded_and_fall_back_when_busy() {
        let llm = load(1);
        let app = spawn_app_with_llm(Some(llm.clone() as Arc<dyn Llm>)).await;
        let template = explanation(&app, "MCM2", Some("none")).await["explanation"].clone();
        let x = explanation(&app, "MCM2", None).await["explanation"].clone();
        assert_eq!(x["guard"]["checked"], true, "{x}");
        match x["source"].as_str().unwrap() {
            "local" => assert!(x["guard"]["passed"] == true && x["model"].as_str().unwrap().contains("SmolLM2")),
            "template" => {
                assert!(x["guard"]["passed"] == false && !x["guard"]["rejected"].as_array().unwrap().is_empty());
                assert_eq!(x["text"], template["text"]);
            }
            other => panic!("unexpected source {other}"),
        }

        // Queue full: the template at once, saying why.
        let prompt = Prompt { system: "You are a helpful assistant.".into(), user: "Count from 1 to 100, separated by commas.".into() };
        let mut running = llm.stream(&prompt, Limits { max_tokens: 200, ..Limits::default() }).unwrap();
        assert!(running.next().await.unwrap().is_ok());
        let _queued = llm.stream(&prompt, Limits::default()).unwrap();
        let busy = explanation(&app, "MCM4", None).await["explanation"].clone();
        assert_eq!(busy["source"], "template");
        assert!(busy["note"].as_str().unwrap().contains("busy"), "{busy}");
        let metrics = app.get("/metrics").await.text().await.unwrap();
        assert!(metrics.contains("genekg_explain_llm_busy_total 1"), "{metrics}");
    }
}
