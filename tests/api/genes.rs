//! `gene`, `genes`, `searchGenes` and the `Gene` type. Expected values are the fixture's rows,
//! cut unchanged from org.Hs.eg.db 3.16 (CDK1 = Entrez 983, ENSG00000170312, UniProt P06493).

use serde_json::json;

use crate::helpers::{error_codes, spawn_app, walk_pages};

#[tokio::test]
async fn gene_resolves_every_kind_of_id_to_the_same_gene() {
    let app = spawn_app().await;
    for id in ["CDK1", "cdk1", "983", "ENSG00000170312", "ENSG00000170312.17", "P06493", "CDC28A", "p34cdc2"] {
        let body = app.query_with("query($id: String!) { gene(id: $id) { entrez symbol } }", json!({"id": id})).await;
        assert!(body["errors"].is_null(), "{id}: {body}");
        assert_eq!(body["data"]["gene"]["entrez"], 983, "{id}");
        assert_eq!(body["data"]["gene"]["symbol"], "CDK1", "{id}");
    }
}

#[tokio::test]
async fn gene_fields_come_from_the_catalogue() {
    let app = spawn_app().await;
    let body = app
        .query(r#"{ gene(id: "CDK1") { entrez symbol name type chromosome cytoband aliases ensembl uniprot omim targetFamily } }"#)
        .await;
    let g = &body["data"]["gene"];
    assert_eq!(g["name"], "cyclin dependent kinase 1");
    assert_eq!(g["type"], "protein-coding");
    assert_eq!(g["chromosome"], "10");
    assert_eq!(g["cytoband"], "10q21.2");
    assert_eq!(g["ensembl"], json!(["ENSG00000170312"]));
    assert!(g["aliases"].as_array().unwrap().contains(&json!("CDC2")));
    assert!(g["uniprot"].as_array().unwrap().contains(&json!("P06493")));
    // CDK1 is annotated to protein kinase activity (GO:0004672) in the fixture's GO_MF.
    assert_eq!(g["targetFamily"], "KINASE");
}

#[tokio::test]
async fn target_families_follow_go_mf_precedence() {
    let app = spawn_app().await;
    // MMP1 is a metallopeptidase (peptidase activity GO:0008233, an enzyme class); NFIA is a
    // transcription factor with none of the family terms.
    let body = app.query(r#"{ mmp1: gene(id: "MMP1") { targetFamily } nfia: gene(id: "NFIA") { targetFamily } }"#).await;
    assert_eq!(body["data"]["mmp1"]["targetFamily"], "ENZYME", "{body}");
    assert_eq!(body["data"]["nfia"]["targetFamily"], "NONE", "{body}");
}

#[tokio::test]
async fn links_are_built_from_the_genes_ids_and_absent_without_them() {
    let app = spawn_app().await;
    let body = app
        .query(
            r#"{
              cdk1: gene(id: "CDK1") { links { openTargets pharos dgidb ncbiGene geneCards uniprot ensembl harmonizome } }
              rbmy1c: gene(id: "5942") { links { openTargets ensembl ncbiGene } }
              hoxb: gene(id: "404266") { links { pharos uniprot ncbiGene } }
            }"#,
        )
        .await;
    assert_eq!(
        body["data"]["cdk1"]["links"],
        json!({
            "openTargets": "https://platform.opentargets.org/target/ENSG00000170312",
            "pharos": "https://pharos.nih.gov/targets/P06493",
            "dgidb": "https://dgidb.org/genes/CDK1",
            "ncbiGene": "https://www.ncbi.nlm.nih.gov/gene/983",
            "geneCards": "https://www.genecards.org/cgi-bin/carddisp.pl?gene=CDK1",
            "uniprot": "https://www.uniprot.org/uniprotkb/P06493",
            "ensembl": "https://www.ensembl.org/Homo_sapiens/Gene/Summary?g=ENSG00000170312",
            "harmonizome": "https://maayanlab.cloud/Harmonizome/gene/CDK1",
        })
    );
    // RBMY1C has no Ensembl id in org.Hs.eg.db; HOXB-AS3 (a non-coding RNA) has no UniProt entry.
    let r = &body["data"]["rbmy1c"]["links"];
    assert!(r["openTargets"].is_null() && r["ensembl"].is_null(), "{r}");
    assert_eq!(r["ncbiGene"], "https://www.ncbi.nlm.nih.gov/gene/5942");
    let h = &body["data"]["hoxb"]["links"];
    assert!(h["pharos"].is_null() && h["uniprot"].is_null(), "{h}");
}

#[tokio::test]
async fn shared_alias_is_ambiguous_and_lists_candidates() {
    let app = spawn_app().await;
    let body = app.query(r#"{ gene(id: "CTF") { symbol } }"#).await;
    assert!(body["data"]["gene"].is_null());
    assert_eq!(error_codes(&body), ["AMBIGUOUS_GENE"]);
    let ext = &body["errors"][0]["extensions"];
    let symbols: Vec<&str> = ext["candidates"].as_array().unwrap().iter().map(|c| c["symbol"].as_str().unwrap()).collect();
    assert_eq!(symbols, ["NFIA", "NFIB", "NFIC", "NFIX"]);
    assert_eq!(ext["candidates"][0]["entrez"], 4774);
}

#[tokio::test]
async fn unknown_and_malformed_ids_get_their_codes() {
    let app = spawn_app().await;
    let body = app.query(r#"{ a: gene(id: "NOTAGENE1") { symbol } b: gene(id: "TP 53") { symbol } }"#).await;
    let mut codes = error_codes(&body);
    codes.sort();
    assert_eq!(codes, ["BAD_INPUT", "NOT_FOUND"]);
}

#[tokio::test]
async fn genes_answers_each_id_on_its_own() {
    let app = spawn_app().await;
    let body = app
        .query(r#"{ genes(ids: ["983", "CTF", "NOTAGENE1", "mcm2", ""]) { query gene { symbol } error { code candidates { symbol } } } }"#)
        .await;
    assert!(body["errors"].is_null(), "per-id failures are data, not errors: {body}");
    let r = body["data"]["genes"].as_array().unwrap();
    assert_eq!(r.len(), 5);
    assert_eq!(r[0]["gene"]["symbol"], "CDK1");
    assert_eq!(r[1]["error"]["code"], "AMBIGUOUS_GENE");
    assert_eq!(r[1]["error"]["candidates"].as_array().unwrap().len(), 4);
    assert_eq!(r[2]["error"]["code"], "NOT_FOUND");
    assert_eq!(r[3]["gene"]["symbol"], "MCM2");
    assert_eq!(r[3]["query"], "mcm2");
    assert_eq!(r[4]["error"]["code"], "BAD_INPUT");
}

#[tokio::test]
async fn genes_refuses_more_than_1000_ids() {
    let app = spawn_app().await;
    let ids: Vec<String> = (0..1001).map(|i| i.to_string()).collect();
    let body = app.query_with("query($ids: [String!]!) { genes(ids: $ids) { query } }", json!({"ids": ids})).await;
    assert_eq!(error_codes(&body), ["BAD_INPUT"]);
}

#[tokio::test]
async fn search_ranks_exact_then_prefix_then_alias_then_name() {
    let app = spawn_app().await;
    let body = app.query(r#"{ searchGenes(text: "mmp1", first: 4) { matchedOn matchedText gene { symbol } } }"#).await;
    let hits = body["data"]["searchGenes"].as_array().unwrap();
    let symbols: Vec<&str> = hits.iter().map(|h| h["gene"]["symbol"].as_str().unwrap()).collect();
    assert_eq!(symbols, ["MMP1", "MMP10", "MMP11", "MMP12"]);
    assert_eq!(hits[0]["matchedOn"], "EXACT");
    assert_eq!(hits[1]["matchedOn"], "SYMBOL_PREFIX");

    let body = app.query(r#"{ searchGenes(text: "cdc28", first: 5) { matchedOn matchedText gene { symbol } } }"#).await;
    assert_eq!(body["data"]["searchGenes"][0]["gene"]["symbol"], "CDK1");
    assert_eq!(body["data"]["searchGenes"][0]["matchedOn"], "ALIAS_PREFIX");

    let body = app.query(r#"{ searchGenes(text: "cyclin dependent kin", first: 20) { matchedOn gene { symbol } } }"#).await;
    let hits = body["data"]["searchGenes"].as_array().unwrap();
    assert!(hits.iter().all(|h| h["matchedOn"] == "NAME"), "{body}");
    let symbols: Vec<&str> = hits.iter().map(|h| h["gene"]["symbol"].as_str().unwrap()).collect();
    assert!(symbols.contains(&"CDK1") && symbols.contains(&"CDK2"), "{symbols:?}");
}

#[tokio::test]
async fn known_sets_page_through_every_set_of_a_gene_once() {
    let app = spawn_app().await;
    let query = r#"query($after: String) { gene(id: "CDK1") { knownSets(first: 7, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { id library { name } } } } } }"#;
    let (nodes, total) = walk_pages(&app, query, &["gene", "knownSets"]).await;
    let ids: Vec<String> = nodes.iter().map(|n| n["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len() as u64, total);
    let expected: usize = app.state.store.sets_of_gene(983).unwrap().values().map(Vec::len).sum();
    assert_eq!(ids.len(), expected, "every set of CDK1, no more");
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "no set repeats across pages");
    assert!(total > 7, "the fixture gives CDK1 several pages of sets");

    let only_mf = app.query(r#"{ gene(id: "CDK1") { knownSets(library: "GO_MF", first: 500) { totalCount nodes { library { name } } } } }"#).await;
    let nodes = only_mf["data"]["gene"]["knownSets"]["nodes"].as_array().unwrap();
    assert!(!nodes.is_empty() && nodes.iter().all(|n| n["library"]["name"] == "GO_MF"));
}
