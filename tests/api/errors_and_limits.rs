//! Error codes for malformed queries and the depth/complexity limits.

use crate::helpers::{error_codes, spawn_app};

#[tokio::test]
async fn too_complex_queries_are_refused_before_any_resolver_runs() {
    let app = spawn_app().await;
    let before = (app.loads("membership"), app.loads("gene_set"));
    // 500 sets × 500 genes × 1 field = 250,000 > 50,000. The `gene` field would read CDK1's
    // sets through the membership loader if anything ran.
    let body = app
        .query(r#"{ gene(id: "CDK1") { knownSets(first: 1) { nodes { id } } } geneSets(first: 500) { nodes { genes(first: 500) { nodes { symbol } } } } }"#)
        .await;
    assert_eq!(error_codes(&body), ["TOO_COMPLEX"]);
    assert!(body["data"].is_null(), "nothing was resolved: {body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("50000"), "says what the limit is");
    assert_eq!((app.loads("membership"), app.loads("gene_set")), before, "no loader was called");
}

#[tokio::test]
async fn too_deep_queries_are_refused() {
    let app = spawn_app().await;
    // 18 levels: gene → (knownSets → nodes → genes → nodes) × 4 → symbol, each page of one.
    let hop = "knownSets(first: 1) { nodes { genes(first: 1) { nodes { ";
    let query = format!(r#"{{ gene(id: "CDK1") {{ {} symbol {} }} }}"#, hop.repeat(4), "} } } } ".repeat(4));
    let body = app.query(&query).await;
    assert_eq!(error_codes(&body), ["TOO_COMPLEX"], "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("15"));
}

#[tokio::test]
async fn cost_is_first_times_selection_and_is_reported() {
    let app = spawn_app().await;
    let res = app.post(&serde_json::json!({"query": r#"{ geneSets(first: 10) { nodes { id name } } }"#})).await;
    // 10 × (nodes 1 + id 1 + name 1) = 30.
    assert_eq!(res.headers()["x-query-cost"], "30");
    let res = app.post(&serde_json::json!({"query": r#"{ genes(ids: ["CDK1", "MCM2", "FEN1"]) { query gene { symbol } } }"#})).await;
    // 3 × (query 1 + gene 1 + symbol 1) = 9.
    assert_eq!(res.headers()["x-query-cost"], "9");
}

#[tokio::test]
async fn a_large_but_allowed_query_runs() {
    let app = spawn_app().await;
    let ids: Vec<String> = app.entrez_ids(430).iter().map(u32::to_string).collect();
    let body = app
        .query_with(
            "query($ids: [String!]!) { genes(ids: $ids) { gene { symbol name type chromosome links { ncbiGene openTargets } } } }",
            serde_json::json!({"ids": ids}),
        )
        .await;
    assert!(body["errors"].is_null(), "{}", body["errors"]);
    assert_eq!(body["data"]["genes"].as_array().unwrap().len(), 430);
}

#[tokio::test]
async fn malformed_queries_are_bad_input() {
    let app = spawn_app().await;
    for q in ["{ gene(id: ", "{ noSuchField }", r#"{ gene(id: 5) { symbol } }"#, r#"{ gene(id: "CDK1") }"#] {
        let body = app.query(q).await;
        let codes = error_codes(&body);
        assert!(!codes.is_empty() && codes.iter().all(|c| c == "BAD_INPUT"), "{q}: {body}");
    }
}

#[tokio::test]
async fn non_graphql_bodies_get_a_graphql_shaped_error() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(error_codes(&body), ["BAD_INPUT"]);
}

#[tokio::test]
async fn a_panic_reaches_the_client_as_internal_with_the_request_id_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    app.state.faults.panic_next_request();
    let res = app.post(&serde_json::json!({"query": r#"{ gene(id: "CDK1") { symbol } }"#})).await;
    assert_eq!(res.status().as_u16(), 500);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(error_codes(&body), ["INTERNAL"]);
    assert_eq!(body["errors"][0]["extensions"]["requestId"], request_id.as_str());
    assert!(!body.to_string().contains("injected"), "the panic's text leaked: {body}");
    // Both workers go on answering.
    for _ in 0..4 {
        let body = app.query(r#"{ gene(id: "CDK1") { symbol } }"#).await;
        assert_eq!(body["data"]["gene"]["symbol"], "CDK1", "{body}");
    }
}
