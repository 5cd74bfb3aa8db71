//! The GraphQL spec's response rules ("Response", "Errors") that dashboards' clients rely on:
//! every requested key is present, a failing field is null with an error at its path, a failing
//! non-null field nulls its nearest nullable parent, and keys come in the query's order. Order is
//! checked on the raw response text: a parsed JSON map would hide it.

use serde_json::{json, Value};

use crate::helpers::{error_codes, spawn_app, TestApp};

/// The raw text of one operation's (or a batch's) answer.
async fn raw(app: &TestApp, body: &Value) -> String {
    let res = app.post(body).await;
    assert_eq!(res.status().as_u16(), 200);
    res.text().await.unwrap()
}

/// Positions of `needles` in `text`, asserting each occurs.
fn positions(text: &str, needles: &[&str]) -> Vec<usize> {
    needles.iter().map(|n| text.find(n).unwrap_or_else(|| panic!("{n} missing from {text}"))).collect()
}

fn assert_in_order(text: &str, needles: &[&str]) {
    let p = positions(text, needles);
    assert!(p.windows(2).all(|w| w[0] < w[1]), "expected {needles:?} in this order: {text}");
}

const FAILING_ALIAS: &str = r#"{ a: gene(id: "NOTAGENE") { symbol } b: gene(id: "MCM2") { symbol } }"#;
const REORDERED: &str = r#"{ b: gene(id: "MCM2") { name symbol } a: meta { dataVersion } }"#;

fn check_failing_alias(body: &Value) {
    let data = body["data"].as_object().expect("data");
    assert!(data.contains_key("a"), "the failing key is present: {body}");
    assert_eq!(data["a"], Value::Null);
    assert_eq!(data["b"]["symbol"], "MCM2");
    assert_eq!(error_codes(body), ["NOT_FOUND"]);
    assert_eq!(body["errors"][0]["path"], json!(["a"]));
}

#[tokio::test]
async fn a_failing_nullable_field_is_null_with_an_error_at_its_path() {
    let app = spawn_app().await;
    let text = raw(&app, &json!({"query": FAILING_ALIAS})).await;
    check_failing_alias(&serde_json::from_str(&text).unwrap());
    assert_in_order(&text, &[r#""a":null"#, r#""b":{"#]);
}

#[tokio::test]
async fn a_failing_non_null_field_nulls_its_nearest_nullable_parent() {
    let app = spawn_app().await;
    // Without a model, `similarGenes` ([SimilarGene!]!) fails; `gene` is the nullable parent.
    let q = r#"{ gene(id: "MCM2") { symbol similarGenes(first: 2) { cosine } name } other: gene(id: "MCM4") { symbol } }"#;
    let body = app.query(q).await;
    assert_eq!(body["data"]["gene"], Value::Null, "{body}");
    assert_eq!(body["data"]["other"]["symbol"], "MCM4");
    assert_eq!(error_codes(&body), ["NOT_FOUND"], "one error, not one per level: {body}");
    assert_eq!(body["errors"][0]["path"], json!(["gene", "similarGenes"]));

    // A failing non-null root field (`augment: AugmentResult!`) nulls `data` itself.
    let body = app.query(r#"{ meta { dataVersion } augment(genes: ["MCM2"]) { unknownGenes } }"#).await;
    assert_eq!(body["data"], Value::Null, "{body}");
    assert_eq!(error_codes(&body), ["NOT_FOUND"]);
    assert_eq!(body["errors"][0]["path"], json!(["augment"]));
}

#[tokio::test]
async fn keys_follow_the_query_order_through_aliases_and_fragments() {
    let app = spawn_app().await;
    let text = raw(&app, &json!({"query": REORDERED})).await;
    assert_in_order(&text, &[r#""b":"#, r#""name":"#, r#""symbol":"#, r#""a":"#, r#""dataVersion":"#]);

    let q = r#"query { ...F a: meta { dataVersion } ... on QueryRoot { z: gene(id: "MCM4") { symbol entrez } } }
               fragment F on QueryRoot { b: gene(id: "MCM2") { symbol name } }"#;
    let text = raw(&app, &json!({"query": q})).await;
    assert_in_order(&text, &[r#""b":"#, r#""symbol":"#, r#""name":"#, r#""a":"#, r#""z":"#, r#""entrez":"#]);

    // Items of a list keep their fields' order too.
    let text = raw(&app, &json!({"query": r#"{ genes(ids: ["MCM2", "MCM4"]) { query gene { name entrez symbol } } }"#})).await;
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["data"]["genes"].as_array().unwrap().len(), 2, "{text}");
    let second = &text[text.rfind(r#""query":"#).unwrap()..];
    assert_in_order(second, &[r#""query":"#, r#""name":"#, r#""entrez":"#, r#""symbol":"#]);
}

#[tokio::test]
async fn batched_operations_follow_the_same_rules() {
    let app = spawn_app().await;
    let text = raw(&app, &json!([{"query": REORDERED}, {"query": FAILING_ALIAS}])).await;
    let body: Value = serde_json::from_str(&text).unwrap();
    let answers = body.as_array().expect("a batch gets an array");
    check_failing_alias(&answers[1]);
    assert!(answers[0]["errors"].is_null(), "{text}");
    let second_start = text.match_indices(r#""data""#).nth(1).expect("two answers").0;
    let (first, second) = text.split_at(second_start);
    assert_in_order(first, &[r#""b":"#, r#""a":"#]);
    assert_in_order(second, &[r#""a":null"#, r#""b":"#]);
}
