//! `genekg enrich` and `genekg export gmt` end to end on the fixture store.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn genekg(db: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_genekg"))
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn enrich_and_export_on_the_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let org = fixtures.join("org.Hs.eg.sqlite");
    let go = fixtures.join("GO.sqlite");
    let out = genekg(&db, &["ingest", "orgdb", "--org", org.to_str().unwrap(), "--go", go.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // Genes from stdin, separated by newlines, commas and spaces; one unknown.
    let out = genekg(&db, &["enrich", "--genes", "-", "--libraries", "GO_BP", "--json", "--first", "3"], "MCM2,MCM4 MCM5\nMCM6\nMCM7\nPOLA1\nNOTAGENE\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["input"]["unknown"], serde_json::json!(["NOTAGENE"]));
    assert_eq!(v["input"]["genes"].as_array().unwrap().len(), 6);
    assert_eq!(v["rows"].as_array().unwrap().len(), 3);
    assert!(v["total_sets"].as_u64().unwrap() > 3);
    let top = &v["rows"][0];
    assert!(top["set_id"].as_str().unwrap().starts_with("GO_BP:GO:"));
    assert!(top["overlap_symbols"].as_array().unwrap().iter().any(|s| s == "MCM2"));

    // The table form, a custom background file, and errors naming what was wrong.
    let bg = dir.path().join("bg.txt");
    std::fs::write(&bg, "MCM2\nMCM4\nMCM5\nPOLA1\nPOLD1\nPOLD2\n").unwrap();
    let out = genekg(&db, &["enrich", "--genes", "-", "--background", bg.to_str().unwrap()], "MCM2 MCM4");
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("2 of the input genes in a background of 6"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("rank"));
    let out = genekg(&db, &["enrich", "--genes", "-", "--libraries", "GO_BP,KEGG"], "MCM2");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown library `KEGG`"));
    let out = genekg(&db, &["enrich", "--genes", "-"], "\n\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("the gene list is empty"));

    // Export: one line per set, genes as symbols or Entrez ids.
    let gmt = dir.path().join("cc.gmt");
    let out = genekg(&db, &["export", "gmt", "--library", "GO_CC", "--out", gmt.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&gmt).unwrap();
    assert_eq!(text.lines().count(), 176);
    assert!(text.lines().all(|l| l.split('\t').count() >= 3 && l.starts_with("GO:")));
    let out = genekg(&db, &["export", "gmt", "--library", "GO_CC", "--ids", "entrez"], "");
    let first = String::from_utf8_lossy(&out.stdout).lines().next().unwrap().to_string();
    assert!(first.split('\t').skip(2).all(|g| g.parse::<u32>().is_ok()), "{first}");
    let out = genekg(&db, &["export", "gmt", "--library", "NOPE"], "");
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("available: GO_BP"));
}
