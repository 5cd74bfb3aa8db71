//! Batched HTTP requests and DataLoader batching of store reads.

use serde_json::json;

use crate::helpers::{error_codes, spawn_app};

#[tokio::test]
async fn batched_requests_get_one_answer_each_in_order() {
    let app = spawn_app().await;
    let res = app
        .post(&json!([
            {"query": r#"{ gene(id: "CDK1") { symbol } }"#},
            {"query": r#"query($id: String!) { gene(id: $id) { symbol } }"#, "variables": {"id": "MCM2"}},
            {"query": r#"{ gene(id: "NOTAGENE1") { symbol } }"#},
        ]))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    let answers = body.as_array().expect("a batch gets an array");
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0]["data"]["gene"]["symbol"], "CDK1");
    assert_eq!(answers[1]["data"]["gene"]["symbol"], "MCM2");
    assert_eq!(error_codes(&answers[2]), ["NOT_FOUND"], "one failing operation does not fail the others");
}

#[tokio::test]
async fn oversized_batches_are_refused() {
    let app = spawn_app().await;
    let ops: Vec<_> = (0..21).map(|_| json!({"query": "{ meta { dataVersion } }"})).collect();
    let res = app.post(&json!(ops)).await;
    assert_eq!(res.status().as_u16(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(error_codes(&body), ["BAD_INPUT"]);
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("at most 20 operations, got 21"), "{body}");
}

#[tokio::test]
async fn empty_batches_are_refused_as_empty() {
    let app = spawn_app().await;
    for raw in ["[]", " \n[ ]"] {
        let res = app.client.post(format!("{}/graphql", app.address)).header("content-type", "application/json").body(raw).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 400, "{raw:?}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(error_codes(&body), ["BAD_INPUT"], "{raw:?}");
        assert_eq!(body["errors"][0]["message"], "empty batch: send 1 to 20 operations", "{raw:?}");
    }
    // A batch of one is still a batch, answered with a list.
    let body: serde_json::Value = app.post(&json!([{"query": "{ meta { dataVersion } }"}])).await.json().await.unwrap();
    assert_eq!(body.as_array().map(Vec::len), Some(1), "{body}");
}

#[tokio::test]
async fn many_gene_fields_share_one_store_read() {
    let app = spawn_app().await;
    // As many independent root fields as the alias limit allows, each resolving its own gene
    // (from memory) and reading its sets from the store.
    let n = genekg::graphql::limits::MAX_ALIASES;
    let ids = app.entrez_ids(n);
    let fields: String =
        ids.iter().map(|id| format!(r#"g{id}: gene(id: "{id}") {{ symbol knownSets(first: 1) {{ nodes {{ id }} }} }} "#)).collect();
    let (batches0, keys0) = app.loads("membership");
    let body = app.query(&format!("{{ {fields} }}")).await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(body["data"].as_object().unwrap().len(), n);
    let (batches, keys) = app.loads("membership");
    assert_eq!(keys - keys0, n as u64, "each gene's sets looked up once");
    assert!(batches - batches0 <= 2, "{n} genes' sets took {} store reads", batches - batches0);
    eprintln!("{n} aliased genes: {} batches", batches - batches0);
}

#[tokio::test]
async fn nested_lists_are_loaded_in_batches() {
    let app = spawn_app().await;
    let ids: Vec<String> = app.entrez_ids(100).iter().map(u32::to_string).collect();
    let (sb0, _) = app.loads("gene_set");
    let (mb0, mk0) = app.loads("membership");
    // 100 genes (from memory), and for each its first 3 known sets: the sets of all 100 genes
    // together.
    let body = app
        .query_with(
            "query($ids: [String!]!) { genes(ids: $ids) { gene { symbol knownSets(first: 3) { nodes { id size } } } } }",
            json!({"ids": ids}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let (sb, _) = app.loads("gene_set");
    let (mb, mk) = app.loads("membership");
    eprintln!("nested: memberships {} sets {} batches", mb - mb0, sb - sb0);
    assert_eq!(mk - mk0, 100, "each gene's memberships looked up once");
    assert!(mb - mb0 <= 2, "memberships of 100 genes took {} reads", mb - mb0);
    assert!(sb - sb0 <= 2, "sets of 100 genes took {} reads", sb - sb0);
    let returned: usize = body["data"]["genes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["gene"]["knownSets"]["nodes"].as_array().unwrap().len())
        .sum();
    assert_eq!(returned, 300, "every fixture gene here has at least 3 known sets");
}
