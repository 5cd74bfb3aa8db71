//! The hostile request corpus (tests/fixtures/hostile/corpus.json, described in its README)
//! against one real server: every request gets its clear error, and the server still answers.

use serde_json::{json, Value};

use crate::helpers::{fixture, spawn_app};

/// A case's segments, concatenated.
fn expand(segments: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    for s in segments.as_array().expect("segments are a list") {
        match s {
            Value::String(text) => out.extend_from_slice(text.as_bytes()),
            Value::Object(o) if o.contains_key("repeat") => {
                let unit = o["repeat"].as_str().unwrap().as_bytes();
                for _ in 0..o["times"].as_u64().unwrap() {
                    out.extend_from_slice(unit);
                }
            }
            Value::Object(o) if o.contains_key("hex") => {
                let hex = o["hex"].as_str().unwrap();
                out.extend((0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()));
            }
            other => panic!("unknown segment {other}"),
        }
    }
    out
}

#[tokio::test]
async fn every_hostile_request_gets_a_clear_error_and_the_server_stays_healthy() {
    let app = spawn_app().await;
    let corpus: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(fixture("hostile/corpus.json")).unwrap()).unwrap();
    assert!(corpus.len() >= 30);
    let url = format!("{}/graphql", app.address);
    let mut failures = Vec::new();
    for case in &corpus {
        let name = case["name"].as_str().unwrap();
        let request = if let Some(q) = case.get("get") {
            app.client.get(&url).query(&[("query", q.as_str().unwrap())])
        } else {
            let body = match case.get("query") {
                Some(q) => {
                    let query = String::from_utf8(expand(q)).unwrap();
                    serde_json::to_vec(&json!({"query": query, "variables": case.get("variables").cloned().unwrap_or(json!({}))})).unwrap()
                }
                None => expand(&case["raw"]),
            };
            let content_type = case.get("content_type").and_then(Value::as_str).unwrap_or("application/json");
            let request = app.client.post(&url).header("content-type", content_type);
            if case.get("chunked").is_some_and(|c| c == true) {
                let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body.chunks(256 * 1024).map(|c| Ok(c.to_vec())).collect();
                request.body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
            } else {
                request.body(body)
            }
        };
        let res = request.send().await.unwrap_or_else(|e| panic!("{name}: no answer: {e}"));
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        let body: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{name}: not JSON: {text:.300}"));
        let short = &text[..text.len().min(400)];
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        let want_status = case.get("status").and_then(Value::as_u64).unwrap_or(200);
        if status as u64 != want_status || body["errors"][0]["extensions"]["code"] != case["code"] || !message.contains(case["message"].as_str().unwrap()) {
            failures.push(format!("{name}: HTTP {status}, {short}"));
        }
    }
    assert!(failures.is_empty(), "answers not as the corpus says:\n{}", failures.join("\n"));
    let body = app.query(r#"{ gene(id: "CDK1") { symbol } }"#).await;
    assert_eq!(body["data"]["gene"]["symbol"], "CDK1", "{body}");
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
}
