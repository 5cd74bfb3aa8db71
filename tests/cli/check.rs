//! `genekg check` on a good store, on a store damaged by writing bad records through sled
//! directly, and on a store whose predictions and indexes are from another model.

use genekg::store::{GeneSet, Library};

use super::faults::{check_passes, trained};
use crate::helpers::TestDir;

fn check_fails(t: &TestDir) -> String {
    let out = t.run(&["check"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success(), "check passed a damaged store:\n{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("problems found"), "{stderr}");
    stdout
}

#[test]
fn check_names_each_damaged_record_and_where_it_is() {
    let t = TestDir::new();
    t.ingest_fixture_orgdb();
    let summary = t.ok(&["check"]);
    assert!(summary.starts_with("ok: ") && summary.contains(" genes, 4 libraries ("), "{summary}");

    let term;
    let (lost, gkey) = {
        // Trees keep the database (and its lock) open: all of them go at the end of this block.
        let db = sled::open(t.db()).unwrap();
        let libraries = db.open_tree("libraries").unwrap();
        let lib: Library = postcard::from_bytes(&libraries.get("GO_BP").unwrap().unwrap()).unwrap();
        let sets = db.open_tree("sets").unwrap();
        // A set gains a member that is not a gene of the catalogue.
        let (key, value) = sets.scan_prefix(lib.generation.to_be_bytes()).next().unwrap().unwrap();
        let mut set: GeneSet = postcard::from_bytes(&value).unwrap();
        term = set.term.clone();
        set.genes.push(999_999_999);
        sets.insert(key, postcard::to_allocvec(&set).unwrap()).unwrap();
        // The inverted index loses a gene's entry of GO_MF.
        let mf: Library = postcard::from_bytes(&libraries.get("GO_MF").unwrap().unwrap()).unwrap();
        let gene_sets = db.open_tree("gene_sets").unwrap();
        let lost = gene_sets.iter().keys().map(Result::unwrap).find(|k| k[4..] == mf.generation.to_be_bytes()).unwrap();
        gene_sets.remove(&lost).unwrap();
        // A gene record turns to garbage.
        let genes = db.open_tree("genes").unwrap();
        let (gkey, _) = genes.scan_prefix(b"g").next().unwrap().unwrap();
        genes.insert(&gkey, &[0xff, 0xff, 0xff][..]).unwrap();
        db.flush().unwrap();
        (lost, gkey)
    };
    {
        let lost_gene = u32::from_be_bytes(lost[..4].try_into().unwrap());
        let garbled = u32::from_be_bytes(gkey[1..5].try_into().unwrap());
        let report = check_fails(&t);
        assert!(report.contains(&format!("sets/GO_BP:{term}")) && report.contains("member 999999999 is not a known gene"), "{report}");
        assert!(report.contains("libraries/GO_BP: records"), "the library's counts no longer match: {report}");
        assert!(report.contains(&format!("gene_sets/{lost_gene} in GO_MF: missing")), "{report}");
        assert!(report.contains("does not decode"), "{report}");
        assert!(report.contains(&format!("points to gene {garbled}, which is not in the catalogue")), "lookup keys of the garbled gene: {report}");
    }
    // JSON for tools.
    let out = t.run(&["check", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["ok"], false);
    assert!(json["problems"].as_array().unwrap().iter().any(|p| p["place"].as_str().unwrap().starts_with(&format!("sets/GO_BP:{term}"))));
}

#[test]
fn check_fails_when_predictions_or_indexes_are_from_another_model() {
    let t = TestDir::new();
    trained(&t);
    let meta_path = t.dir.path().join("index/sets.meta.json");
    let mut meta: serde_json::Value = serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
    meta["fingerprint"] = "0123456789abcdef".into();
    std::fs::write(&meta_path, serde_json::to_vec(&meta).unwrap()).unwrap();
    {
        let db = sled::open(t.db()).unwrap();
        let m = db.open_tree("meta").unwrap();
        let mut report: serde_json::Value = serde_json::from_slice(&m.get("model_predictions").unwrap().unwrap()).unwrap();
        report["fingerprint"] = "fedcba9876543210".into();
        m.insert("model_predictions", report.to_string().as_bytes()).unwrap();
        db.flush().unwrap();
    }
    let report = check_fails(&t);
    assert!(report.contains("sets.meta.json: built from model 0123456789ab but the model is"), "{report}");
    assert!(report.contains("meta/model_predictions: made by model fedcba987654 but the model is"), "{report}");
    // Redoing both steps mends it.
    t.ok(&["model", "predict", "--top-n", "20", "--partners", "5"]);
    t.ok(&["index", "build"]);
    check_passes(&t);
}

#[test]
fn check_notes_a_stale_enrichment_index_and_fails_one_from_other_data() {
    let t = TestDir::new();
    t.ingest_fixture_orgdb();
    let dir = t.db().join(genekg::store::ENRICH_INDEX_DIR);
    assert!(dir.join("manifest.json").exists(), "ingest writes the index");
    t.ok(&["check"]);

    // Marked stale (as any ingest leaves it until rewritten): a note, since enrich reads the store.
    std::fs::write(dir.join(genekg::store::ENRICH_INDEX_STALE), "a library was re-ingested").unwrap();
    let report = t.ok(&["check"]);
    assert!(report.contains("note: the enrichment index at") && report.contains("is stale") && report.contains("genekg enrich-index"), "{report}");
    t.ok(&["enrich-index"]);
    assert!(!t.ok(&["check"]).contains("stale"));

    // A manifest that records another generation of a library (its marker lost) is caught too.
    let path = dir.join("manifest.json");
    let mut manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let first = &mut manifest["libraries"][0];
    let name = first["name"].as_str().unwrap().to_string();
    first["generation"] = (first["generation"].as_u64().unwrap() + 1000).into();
    std::fs::write(&path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    let report = check_fails(&t);
    assert!(report.contains("written for other data of") && report.contains(&name), "{report}");
}
