//! `libraries`, `library` and `meta`.

use crate::helpers::{error_codes, spawn_app};

#[tokio::test]
async fn libraries_list_counts_and_provenance_without_server_paths() {
    let app = spawn_app().await;
    let body = app
        .query("{ libraries { name source setCount geneCount membershipCount unknownGeneCount ambiguousGeneCount ingestedAt provenance { key value } } }")
        .await;
    let libs = body["data"]["libraries"].as_array().unwrap();
    let names: Vec<&str> = libs.iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["GO_BP", "GO_CC", "GO_MF", "PubMed"]);
    for l in libs {
        let stored = app.state.store.library(l["name"].as_str().unwrap()).unwrap().unwrap();
        assert_eq!(l["setCount"], stored.sets);
        assert_eq!(l["geneCount"], stored.genes);
        assert_eq!(l["membershipCount"], stored.members);
        let prov = l["provenance"].as_array().unwrap();
        assert!(prov.iter().any(|p| p["key"] == "org.EGSOURCEDATE" && p["value"] == "2022-Sep12"));
        assert!(prov.iter().all(|p| !p["key"].as_str().unwrap().ends_with(".file")), "no server file paths");
        assert!(prov.iter().all(|p| !p["value"].as_str().unwrap().contains('/')), "{prov:?}");
    }
    let body = app.query(r#"{ library(name: "GO_MF") { name } missing: library(name: "KEGG") { name } }"#).await;
    assert_eq!(body["data"]["library"]["name"], "GO_MF");
    assert_eq!(error_codes(&body), ["NOT_FOUND"]);
}

#[tokio::test]
async fn meta_reports_data_version_sources_and_counts() {
    let app = spawn_app().await;
    let res = app.post(&serde_json::json!({"query": "{ meta { dataVersion genekgVersion storeSchemaVersion startedAt sources { name date key } counts { genes proteinCodingGenes libraries geneSets userGeneSets } } }"})).await;
    let header = res.headers().get("x-data-version").expect("data version header").to_str().unwrap().to_string();
    let body: serde_json::Value = res.json().await.unwrap();
    let m = &body["data"]["meta"];
    assert_eq!(m["dataVersion"], header, "the header and meta agree");
    assert_eq!(m["dataVersion"], app.state.data_version.as_str());
    assert_eq!(m["genekgVersion"], env!("CARGO_PKG_VERSION"));
    let sources = m["sources"].as_array().unwrap();
    let find = |k: &str| sources.iter().find(|s| s["key"] == k).map(|s| s["date"].as_str().unwrap().to_string());
    // Dates recorded in the fixture's (= org.Hs.eg.db 3.16's) metadata table.
    assert_eq!(find("org.EGSOURCEDATE").as_deref(), Some("2022-Sep12"));
    assert_eq!(find("go.GOSOURCEDATE").as_deref(), Some("2022-07-01"));
    assert!(find("org.KEGGSOURCEDATE").is_none(), "KEGG is not used, so not listed");
    let c = &m["counts"];
    assert_eq!(c["genes"], 430);
    assert_eq!(c["proteinCodingGenes"], 428);
    assert_eq!(c["libraries"], 4);
    let sets: u64 = app.state.store.libraries().unwrap().iter().map(|l| l.sets).sum();
    assert_eq!(c["geneSets"], sets);
    assert_eq!(c["userGeneSets"], 0);
}
