//! The HTTP limits (body size, time, rate), the alias and list-size limits, work kept off the
//! HTTP workers, and panics outside GraphQL, each against the real server.

use std::time::Duration;

use genekg::configuration::RateLimit;
use serde_json::{json, Value};

use crate::helpers::{error_codes, spawn_app, spawn_app_with_model, spawn_app_with_settings, sse_events, TestApp};

const GENE: &str = r#"{ gene(id: "CDK1") { symbol } }"#;

async fn still_serves(app: &TestApp) {
    let body = app.query(GENE).await;
    assert_eq!(body["data"]["gene"]["symbol"], "CDK1", "{body}");
}

fn message(body: &Value) -> &str {
    body["errors"][0]["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413_naming_the_limit_declared_or_chunked() {
    let app = spawn_app().await;
    let limit = genekg::http::limits::MAX_BODY_BYTES;
    let big = format!(r#"{{"query": "{{ __typename }}", "variables": {{"pad": "{}"}}}}"#, "x".repeat(limit + 1));
    // With Content-Length: refused before the body is read.
    let res = app.client.post(format!("{}/graphql", app.address)).header("content-type", "application/json").body(big.clone()).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_codes(&body), ["PAYLOAD_TOO_LARGE"]);
    assert!(message(&body).contains(&limit.to_string()), "{body}");
    // Chunked (no declared length): cut off once past the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = big.into_bytes().chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_codes(&body), ["PAYLOAD_TOO_LARGE"]);
    assert!(message(&body).contains(&limit.to_string()), "{body}");
    still_serves(&app).await;
}

#[tokio::test]
async fn an_alias_flood_is_refused_and_the_limit_is_named() {
    let app = spawn_app().await;
    let max = genekg::graphql::limits::MAX_ALIASES;
    let aliased = |n: usize| (0..n).map(|i| format!(r#"g{i}: gene(id: "CDK1") {{ symbol }}"#)).collect::<Vec<_>>().join(" ");
    let body = app.query(&format!("{{ {} }}", aliased(max))).await;
    assert!(body["errors"].is_null(), "{max} aliases are allowed: {}", body["errors"]);
    assert_eq!(body["data"]["g0"]["symbol"], "CDK1");
    let body = app.query(&format!("{{ {} }}", aliased(max + 1))).await;
    assert_eq!(error_codes(&body), ["TOO_COMPLEX"]);
    assert!(message(&body).contains(&format!("limit is {max}")), "{body}");
    assert!(body["data"].is_null());
    // Aliases written in a fragment count too.
    let body = app.query(&format!("{{ ...F }} fragment F on Query {{ {} }}", aliased(max + 1))).await;
    assert_eq!(error_codes(&body), ["TOO_COMPLEX"], "{body}");
}

const ENRICH: &str = r#"{ enrich(genes: ["CDK1", "MCM2", "FEN1"]) { genesUsed } }"#;

#[tokio::test]
async fn a_directive_flood_on_one_field_is_refused_and_the_limit_is_named() {
    let app = spawn_app().await;
    let max = genekg::graphql::limits::MAX_DIRECTIVES;
    let body = app.query(r#"{ gene(id: "CDK1") { symbol @include(if: true) } }"#).await;
    assert_eq!(body["data"]["gene"]["symbol"], "CDK1", "{body}");
    let flood = " @include(if: true)".repeat(max + 1);
    let body = app.query(&format!(r#"{{ gene(id: "CDK1") {{ symbol{flood} }} }}"#)).await;
    assert_eq!(error_codes(&body), ["TOO_COMPLEX"], "{body}");
    assert!(message(&body).contains(&format!("`{max}`")), "{body}");
    still_serves(&app).await;
}

#[tokio::test]
async fn a_request_over_the_time_limit_gets_timeout_with_its_request_id_and_the_server_goes_on() {
    let app = spawn_app_with_settings(|s| s.request_timeout = Duration::from_millis(500)).await;
    // The enrichment's job on the blocking pool stalls until `hold` is dropped.
    let hold = app.state.faults.hold_next_blocking_job();
    let res = app.post(&json!({ "query": ENRICH })).await;
    assert_eq!(res.status().as_u16(), 503);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_codes(&body), ["TIMEOUT"]);
    assert!(message(&body).contains("limit of 0.5 s"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["requestId"], request_id.as_str());
    drop(hold);
    still_serves(&app).await;
    let body = app.query(ENRICH).await;
    assert_eq!(body["data"]["enrich"]["genesUsed"], 3, "{body}");
}

#[tokio::test]
async fn enrichment_runs_off_the_http_worker() {
    // One HTTP worker: if the enrichment ran on it, nothing else could be answered meanwhile.
    let app = spawn_app_with_settings(|s| s.workers = Some(1)).await;
    let mut hold = app.state.faults.hold_next_blocking_job();
    let (client, url) = (app.client.clone(), format!("{}/graphql", app.address));
    let slow = tokio::spawn(async move { client.post(url).json(&json!({ "query": ENRICH })).send().await.unwrap().json::<Value>().await.unwrap() });
    tokio::time::timeout(Duration::from_secs(60), hold.entered()).await.expect("the enrichment reached the blocking pool");
    still_serves(&app).await;
    assert!(!slow.is_finished(), "the enrichment is still held");
    drop(hold);
    let body = slow.await.unwrap();
    assert_eq!(body["data"]["enrich"]["genesUsed"], 3, "{body}");
}

#[tokio::test]
async fn the_explanation_stream_builds_its_template_off_the_http_worker() {
    let app = spawn_app_with_settings(|s| s.workers = Some(1)).await;
    let mut hold = app.state.faults.hold_next_blocking_job();
    let (client, url) = (app.client.clone(), format!("{}/explain/stream?gene=MCM2", app.address));
    let slow = tokio::spawn(async move { client.get(url).send().await.unwrap().text().await.unwrap() });
    tokio::time::timeout(Duration::from_secs(60), hold.entered()).await.expect("the template reached the blocking pool");
    still_serves(&app).await;
    assert!(!slow.is_finished(), "the template is still held");
    drop(hold);
    let events = sse_events(&slow.await.unwrap());
    let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["template", "done"]);
    assert_eq!(events[0].1["evidence"]["identity"]["symbol"], "MCM2", "{:?}", events[0]);
}

#[tokio::test]
async fn rate_limiting_is_per_address_answers_429_with_retry_after_and_spares_probes() {
    let app = spawn_app_with_settings(|s| s.rate_limit = Some(RateLimit { per_second: 1, burst: 3 })).await;
    for _ in 0..3 {
        still_serves(&app).await;
    }
    let res = app.post(&json!({ "query": GENE })).await;
    assert_eq!(res.status().as_u16(), 429);
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1);
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_codes(&body), ["RATE_LIMITED"]);
    assert!(message(&body).contains("1 requests per second (bursts of 3)"), "{body}");
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200, "probes are not limited");
    // Off by default: a burst well past any small budget passes.
    let open = spawn_app().await;
    for _ in 0..50 {
        assert_eq!(open.post(&json!({ "query": GENE })).await.status().as_u16(), 200);
    }
}

fn genes(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("G{i}")).collect()
}

#[tokio::test]
async fn gene_lists_over_their_maximum_are_refused_naming_it() {
    let app = spawn_app_with_model().await;
    let cases = [
        ("mutation($g: [String!]!) { addGeneSet(genes: $g) { id } }", 5_000),
        ("query($g: [String!]!) { enrich(genes: $g) { genesUsed } }", 10_000),
        ("query($g: [String!]!) { enrich(genes: [\"CDK1\", \"MCM2\"], background: CUSTOM, backgroundGenes: $g) { genesUsed } }", 50_000),
        ("query($g: [String!]!) { augment(genes: $g) { modelFingerprint } }", 2_000),
        ("query($g: [String!]!) { similarSets(genes: $g) { sets { key } } }", 2_000),
        ("query($g: [String!]!) { augmentedEnrichment(genes: $g) { genesUsed } }", 2_000),
        ("query($g: [String!]!) { genes(ids: $g) { query } }", 1_000),
    ];
    for (query, max) in cases {
        let body = app.query_with(query, json!({ "g": genes(max + 1) })).await;
        assert_eq!(error_codes(&body), ["BAD_INPUT"], "{query}: {body}");
        assert!(message(&body).contains(&format!("holds {} entries; the most accepted is {max}", max + 1)), "{query}: {body}");
        // At the maximum the list passes the limit (and fails, if at all, for its made-up genes).
        let body = app.query_with(query, json!({ "g": genes(max) })).await;
        assert!(!message(&body).contains("the most accepted"), "{query}: {body}");
    }
}

#[tokio::test]
async fn a_panic_in_the_explanation_stream_reaches_the_client_as_internal_with_the_request_id() {
    let app = spawn_app().await;
    // Before the headers: the response is the INTERNAL error.
    app.state.faults.panic_next_request();
    let res = app.get("/explain/stream?gene=MCM2").await;
    assert_eq!(res.status().as_u16(), 500);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_codes(&body), ["INTERNAL"]);
    assert_eq!(body["errors"][0]["extensions"]["requestId"], request_id.as_str());
    assert!(!body.to_string().contains("injected"), "the panic's text leaked: {body}");
    // After the headers: the stream ends with an `error` event in place of `done`.
    app.state.faults.panic_next_stream();
    let res = app.get("/explain/stream?gene=MCM2").await;
    assert_eq!(res.status().as_u16(), 200);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let events = sse_events(&res.text().await.unwrap());
    assert_eq!(events.iter().map(|(e, _)| e.as_str()).collect::<Vec<_>>(), ["template", "error"]);
    assert_eq!(events[1].1, json!({"code": "INTERNAL", "message": "internal error", "requestId": request_id}));
    // And the server goes on serving both routes.
    let events = sse_events(&app.get("/explain/stream?gene=MCM2").await.text().await.unwrap());
    assert_eq!(events.iter().map(|(e, _)| e.as_str()).collect::<Vec<_>>(), ["template", "done"]);
    still_serves(&app).await;
}
