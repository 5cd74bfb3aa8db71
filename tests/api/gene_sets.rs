//! `geneSet`, `geneSets` and the `GeneSet` type.

use crate::helpers::{error_codes, spawn_app, walk_pages};

#[tokio::test]
async fn gene_set_by_id_has_its_fields_and_genes() {
    let app = spawn_app().await;
    // GO:0006260 DNA replication, one of the fixture's modules.
    let body = app
        .query(r#"{ geneSet(id: "GO_BP:GO:0006260") { id term name description size url pmid library { name }
                   genes(first: 500) { totalCount nodes { entrez } } } }"#)
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let s = &body["data"]["geneSet"];
    let stored = app.state.store.gene_set(&genekg::domain::SetId::parse("GO_BP:GO:0006260").unwrap()).unwrap().unwrap();
    assert_eq!(s["id"], "GO_BP:GO:0006260");
    assert_eq!(s["term"], "GO:0006260");
    assert_eq!(s["name"], "DNA replication");
    assert_eq!(s["library"]["name"], "GO_BP");
    assert_eq!(s["url"], "https://amigo.geneontology.org/amigo/term/GO:0006260");
    assert!(s["pmid"].is_null());
    assert_eq!(s["size"], stored.genes.len());
    let entrez: Vec<u32> = s["genes"]["nodes"].as_array().unwrap().iter().map(|g| g["entrez"].as_u64().unwrap() as u32).collect();
    assert_eq!(entrez, stored.genes, "genes come in Entrez order");
}

#[tokio::test]
async fn literature_sets_carry_their_pmid() {
    let app = spawn_app().await;
    let body = app.query(r#"{ geneSets(library: "PubMed", first: 1) { nodes { id term pmid url } } }"#).await;
    let s = &body["data"]["geneSets"]["nodes"][0];
    let pmid = s["pmid"].as_u64().expect("PubMed sets have a pmid");
    assert_eq!(s["term"], pmid.to_string());
    assert_eq!(s["url"], format!("https://pubmed.ncbi.nlm.nih.gov/{pmid}/"));
}

#[tokio::test]
async fn gene_set_errors_have_codes() {
    let app = spawn_app().await;
    let body = app
        .query(r#"{ a: geneSet(id: "GO_BP:GO:9999999") { id } b: geneSet(id: "no-colon") { id } c: geneSet(id: "KEGG:hsa00010") { id } }"#)
        .await;
    let mut codes = error_codes(&body);
    codes.sort();
    assert_eq!(codes, ["BAD_INPUT", "NOT_FOUND", "NOT_FOUND"]);
    let body = app.query(r#"{ geneSets(library: "KEGG") { totalCount } }"#).await;
    assert_eq!(error_codes(&body), ["NOT_FOUND"]);
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("GO_BP"), "names the libraries there are");
}

#[tokio::test]
async fn gene_sets_pages_cover_a_library_in_term_order_without_skips_or_repeats() {
    let app = spawn_app().await;
    let query = r#"query($after: String) { geneSets(library: "GO_BP", first: 100, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { term } } } }"#;
    let (nodes, total) = walk_pages(&app, query, &["geneSets"]).await;
    let terms: Vec<String> = nodes.iter().map(|n| n["term"].as_str().unwrap().to_string()).collect();
    let stored: Vec<String> = app.state.store.library_sets("GO_BP").unwrap().into_iter().map(|s| s.term).collect();
    assert!(stored.len() > 1000, "the fixture's GO_BP spans many pages");
    assert_eq!(total as usize, stored.len());
    assert_eq!(terms, stored, "every set once, in the store's term order");
}

#[tokio::test]
async fn gene_sets_filter_by_name_across_libraries() {
    let app = spawn_app().await;
    let body = app.query(r#"{ geneSets(nameContains: "REPLICATION", first: 500) { totalCount nodes { name library { name } } } }"#).await;
    let nodes = body["data"]["geneSets"]["nodes"].as_array().unwrap();
    assert_eq!(body["data"]["geneSets"]["totalCount"].as_u64().unwrap() as usize, nodes.len());
    assert!(!nodes.is_empty());
    assert!(nodes.iter().all(|n| n["name"].as_str().unwrap().to_lowercase().contains("replication")));
    let libs: std::collections::BTreeSet<&str> = nodes.iter().map(|n| n["library"]["name"].as_str().unwrap()).collect();
    assert!(libs.len() > 1, "searches every library when none is given: {libs:?}");
}

#[tokio::test]
async fn set_genes_page_without_skips_or_repeats() {
    let app = spawn_app().await;
    let query = r#"query($after: String) { geneSet(id: "GO_BP:GO:0006260") { genes(first: 9, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { entrez } } } } }"#;
    let (nodes, _) = walk_pages(&app, query, &["geneSet", "genes"]).await;
    let entrez: Vec<u32> = nodes.iter().map(|n| n["entrez"].as_u64().unwrap() as u32).collect();
    let stored = app.state.store.gene_set(&genekg::domain::SetId::parse("GO_BP:GO:0006260").unwrap()).unwrap().unwrap();
    assert_eq!(entrez, stored.genes);
}

#[tokio::test]
async fn page_arguments_are_validated() {
    let app = spawn_app().await;
    let body = app.query(r#"{ geneSets(first: 501) { totalCount } }"#).await;
    assert_eq!(error_codes(&body), ["BAD_INPUT"]);
    let body = app.query(r#"{ geneSets(first: 5, after: "garbage") { totalCount } }"#).await;
    assert_eq!(error_codes(&body), ["BAD_INPUT"]);
    // A cursor past the end is an empty page, not an error.
    let body = app.query(r#"{ geneSets(library: "GO_CC", first: 5, after: "OTk5OTk5") { totalCount edges { cursor } pageInfo { hasNextPage } } }"#).await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(body["data"]["geneSets"]["edges"].as_array().unwrap().len(), 0);
}
