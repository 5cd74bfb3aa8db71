//! `addGeneSet` and `userGeneSet`.

use serde_json::json;

use crate::helpers::{error_codes, spawn_app};

#[tokio::test]
async fn add_gene_set_stores_known_genes_and_reports_the_rest() {
    let app = spawn_app().await;
    let body = app
        .query_with(
            "mutation($g: [String!]!, $d: String) { addGeneSet(genes: $g, description: $d) { id size unknownGenes ambiguousGenes { query candidates { symbol } } } }",
            json!({"g": ["CDK1", "mcm2", "983", "CTF", "NOTAGENE1"], "d": "replication check"}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let r = &body["data"]["addGeneSet"];
    assert_eq!(r["size"], 2, "CDK1 given twice (symbol and Entrez) counts once");
    assert_eq!(r["unknownGenes"], json!(["CTF", "NOTAGENE1"]));
    assert_eq!(r["ambiguousGenes"][0]["query"], "CTF");
    assert_eq!(r["ambiguousGenes"][0]["candidates"].as_array().unwrap().len(), 4);

    let id = r["id"].as_str().unwrap();
    let body = app
        .query_with(
            "query($id: ID!) { userGeneSet(id: $id) { id description size unknownGenes createdAt genes { totalCount nodes { symbol } } } }",
            json!({"id": id}),
        )
        .await;
    let s = &body["data"]["userGeneSet"];
    assert_eq!(s["id"], id);
    assert_eq!(s["description"], "replication check");
    assert_eq!(s["genes"]["nodes"], json!([{"symbol": "CDK1"}, {"symbol": "MCM2"}]));
    assert_eq!(s["unknownGenes"], json!(["CTF", "NOTAGENE1"]));
    let meta = app.query("{ meta { counts { userGeneSets } } }").await;
    assert_eq!(meta["data"]["meta"]["counts"]["userGeneSets"], 1);
}

#[tokio::test]
async fn add_gene_set_rejects_bad_lists_and_keeps_nothing() {
    let app = spawn_app().await;
    let add = "mutation($g: [String!]!, $d: String) { addGeneSet(genes: $g, description: $d) { id } }";
    let body = app.query_with(add, json!({"g": ["NOTAGENE1", "NOTAGENE2"]})).await;
    assert_eq!(error_codes(&body), ["BAD_INPUT"]);
    let too_many: Vec<String> = (0..5001).map(|i| format!("G{i}")).collect();
    let body = app.query_with(add, json!({"g": too_many})).await;
    assert_eq!(error_codes(&body), ["BAD_INPUT"]);
    let body = app.query_with(add, json!({"g": ["CDK1"], "d": "x".repeat(1001)})).await;
    assert_eq!(error_codes(&body), ["BAD_INPUT"]);
    assert_eq!(app.state.store.user_set_count(), 0, "nothing stored by refused mutations");
}

#[tokio::test]
async fn mutations_are_refused_over_get() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", r#"mutation { addGeneSet(genes: ["CDK1"]) { id } }"#)])
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(error_codes(&body), ["BAD_INPUT"]);
    assert_eq!(app.state.store.user_set_count(), 0);
}

#[tokio::test]
async fn user_gene_set_errors_have_codes() {
    let app = spawn_app().await;
    let body = app.query(r#"{ a: userGeneSet(id: "123456") { id } b: userGeneSet(id: "abc") { id } }"#).await;
    let mut codes = error_codes(&body);
    codes.sort();
    assert_eq!(codes, ["BAD_INPUT", "NOT_FOUND"]);
}

/// POSTs `addGeneSet` with `token` (if any) as a bearer token; returns the error codes.
async fn add_with_token(app: &crate::helpers::TestApp, token: Option<&str>) -> Vec<String> {
    let mut req = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({"query": r#"mutation { addGeneSet(genes: ["CDK1", "MCM2"]) { size } }"#}));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let body: serde_json::Value = req.send().await.unwrap().json().await.unwrap();
    let codes = error_codes(&body);
    if codes.is_empty() {
        assert_eq!(body["data"]["addGeneSet"]["size"], 2, "{body}");
    }
    codes
}

#[tokio::test]
async fn mutations_need_the_api_token_when_one_is_set_and_none_run_on_a_read_only_server() {
    let app = crate::helpers::spawn_app_with_settings(|s| s.mutations.api_token = Some("s3cret-token".into())).await;
    assert_eq!(add_with_token(&app, None).await, ["FORBIDDEN"]);
    assert_eq!(add_with_token(&app, Some("s3cret-toke")).await, ["FORBIDDEN"]);
    assert_eq!(add_with_token(&app, Some("s3cret-token-")).await, ["FORBIDDEN"]);
    assert!(add_with_token(&app, Some("s3cret-token")).await.is_empty());
    assert_eq!(app.state.store.user_set_count(), 1, "only the authorised mutation stored a set");
    // Queries need no token.
    assert_eq!(app.query(r#"{ gene(id: "CDK1") { symbol } }"#).await["data"]["gene"]["symbol"], "CDK1");

    let app = crate::helpers::spawn_app_with_settings(|s| {
        s.mutations.read_only = true;
        s.mutations.api_token = Some("t".into());
    })
    .await;
    assert_eq!(add_with_token(&app, Some("t")).await, ["FORBIDDEN"]);
    let open = spawn_app().await;
    assert!(add_with_token(&open, None).await.is_empty(), "without a token or --read-only mutations are open");
}
