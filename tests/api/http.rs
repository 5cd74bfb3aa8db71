//! Health, readiness, metrics, request ids, CORS and body limits.

use crate::helpers::{spawn_app, TEST_ORIGIN};

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.text().await.unwrap(), "ok\n");
    let res = app.get("/readyz").await;
    assert_eq!(res.status().as_u16(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["genes"], 430);
}

#[tokio::test]
async fn metrics_count_requests_and_loader_reads() {
    let app = spawn_app().await;
    app.query(r#"{ gene(id: "CDK1") { symbol knownSets(first: 1) { nodes { id } } } }"#).await;
    app.query(r#"{ gene(id: "NOTAGENE1") { symbol } }"#).await;
    let text = app.get("/metrics").await.text().await.unwrap();
    let value = |prefix: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no `{prefix}` in:\n{text}"))
    };
    assert_eq!(value(r#"genekg_http_requests_total{method="POST",route="/graphql",status="200"}"#), 2.0);
    assert_eq!(value(r#"genekg_loader_keys_total{loader="membership"}"#), 1.0);
    assert_eq!(value(r#"genekg_graphql_errors_total{code="NOT_FOUND"}"#), 1.0);
    assert_eq!(value(r#"genekg_http_request_duration_seconds_count{route="/graphql"}"#), 2.0);
    assert_eq!(value("genekg_genes"), 430.0);
}

#[tokio::test]
async fn every_response_has_a_request_id_and_keeps_the_clients() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    let id = res.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 4);
    let res = app.client.get(format!("{}/healthz", app.address)).header("x-request-id", "trace-abc_123").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-abc_123");
    // Not a plausible id (too long): replaced.
    let res = app.client.get(format!("{}/healthz", app.address)).header("x-request-id", "x".repeat(100)).send().await.unwrap();
    assert_ne!(res.headers()["x-request-id"], "x".repeat(100).as_str());
}

#[tokio::test]
async fn cors_allows_the_configured_origin_only() {
    let app = spawn_app().await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let res = preflight(TEST_ORIGIN).await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], TEST_ORIGIN);
    let res = preflight("https://elsewhere.example.com").await.unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("origin", TEST_ORIGIN)
        .json(&serde_json::json!({"query": "{ meta { dataVersion } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["access-control-allow-origin"], TEST_ORIGIN);
    let exposed = res.headers()["access-control-expose-headers"].to_str().unwrap().to_lowercase();
    assert!(exposed.contains("x-data-version") && exposed.contains("x-request-id"), "{exposed}");
}

#[tokio::test]
async fn get_queries_work_and_oversized_bodies_are_refused() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", r#"{ gene(id: "CDK1") { symbol } }"#)])
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["data"]["gene"]["symbol"], "CDK1");
    let huge = format!(r#"{{"query": "{{ meta {{ dataVersion }} }}", "pad": "{}"}}"#, "x".repeat(2 << 20));
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
}
