//! `genekg enrich` and `genekg export gmt` end to end on the fixture store.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

mod support;
use support::fixture;

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
    feed(&mut child, stdin);
    child.wait_with_output().unwrap()
}

/// Writes a child's standard input. A command that refuses its arguments exits without reading
/// it (some cases here test exactly that), so a broken pipe is not an error.
fn feed(child: &mut std::process::Child, stdin: &str) {
    match child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.unwrap(),
    }
}

#[test]
fn enrich_and_export_on_the_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let genekg::ingest::OrgDbPaths { org, go } = support::orgdb_paths();
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

#[test]
fn augmented_enrichment_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let model = dir.path().join("model");
    let genekg::ingest::OrgDbPaths { org, go } = support::orgdb_paths();
    let out = genekg(&db, &["ingest", "orgdb", "--org", org.to_str().unwrap(), "--go", go.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let m = model.to_str().unwrap();
    let args = ["train", "--epochs", "6", "--batch-size", "64", "--lr", "5e-3", "--out", m];
    let out = genekg(&db, &args, "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // Extracellular matrix genes: in the model's ranking of the other genes, ECM organization
    // (GO:0030198) is enriched while the fixture's other two modules (DNA replication,
    // mRNA processing) are not; leading edges hold only genes the model added.
    let input = ["COL1A1", "COL1A2", "COL3A1", "COL5A1", "COL5A2", "NOTAGENE"];
    let enrich = |extra: &[&str]| {
        let mut a = vec!["enrich", "--augmented", "--model", m, "--genes", "-", "--libraries", "GO_BP", "--json", "--first", "0"];
        a.extend_from_slice(extra);
        genekg(&db, &a, &input.join("\n"))
    };
    let out = enrich(&[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["input"]["unknown"], serde_json::json!(["NOTAGENE"]));
    let rows = v["rows"].as_array().unwrap();
    let p_of = |id: &str| rows.iter().find(|r| r["set_id"] == id).map(|r| r["p_value"].as_f64().unwrap()).unwrap_or(1.0);
    let ecm = p_of("GO_BP:GO:0030198");
    assert!(ecm < 1e-6, "ECM organization p = {ecm}");
    for other in ["GO_BP:GO:0006260", "GO_BP:GO:0006397"] {
        assert!(p_of(other) > 0.01, "{other} p = {} for ECM genes", p_of(other));
    }
    for r in &rows[..10] {
        let lead = r["leading_edge_symbols"].as_array().unwrap();
        assert!(!lead.is_empty() && lead.iter().all(|s| !input.contains(&s.as_str().unwrap())), "{r}");
    }
    // Significant sets first, each group by ES (docs/enrichment.md).
    let keys: Vec<(bool, f64)> =
        rows.iter().map(|r| (r["fdr"].as_f64().unwrap() > 0.05, -r["es"].as_f64().unwrap())).collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "rows are ordered by significance, then ES");
    let ranked = v["ranked_genes"].as_u64().unwrap();
    let with_input: serde_json::Value = serde_json::from_slice(&enrich(&["--include-input"]).stdout).unwrap();
    assert_eq!(with_input["ranked_genes"].as_u64().unwrap(), ranked + 5);

    // The table form, and errors that name the problem.
    let out = genekg(&db, &["enrich", "--augmented", "--model", m, "--genes", "-"], "COL1A1 COL1A2 COL3A1");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("leading edge"));
    let out = genekg(&db, &["enrich", "--augmented", "--model", m, "--genes", "-", "--background", "all"], "COL1A1");
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--background"));
    let missing = dir.path().join("no-model");
    let out = genekg(&db, &["enrich", "--augmented", "--model", missing.to_str().unwrap(), "--genes", "-"], "COL1A1");
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("genekg train"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn enrich_reads_gmt_files_without_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("never-created");
    let gmt = fixture("go_bp.gmt");
    let spec = format!("BP={}", gmt.display());
    let out = genekg(&db, &["enrich", "--gmt", &spec, "--genes", "-", "--json", "--first", "3"], "mcm2 MCM4 MCM5 POLA1 NOTAGENE");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["input"]["genes"], serde_json::json!(["MCM2", "MCM4", "MCM5", "POLA1"]));
    assert_eq!(v["input"]["unknown"], serde_json::json!(["NOTAGENE"]));
    let top = &v["rows"][0];
    assert!(top["set_id"].as_str().unwrap().starts_with("BP:"), "{top}");
    assert!(top.get("overlap").is_none() && top["overlap_symbols"].as_array().unwrap().contains(&"MCM2".into()));
    assert!(!db.exists(), "--gmt must not create a store");
    let bad = dir.path().join("bad.gmt");
    std::fs::write(&bad, "T1\tMCM2\n").unwrap();
    let out = genekg(&db, &["enrich", "--gmt", bad.to_str().unwrap(), "--genes", "-"], "MCM2");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("bad.gmt line 1"), "{err}");
}

/// `genekg-lite` (built by scripts/test.sh with `cargo build --release -p genekg-lite`, next to
/// `genekg`): the same enrichment from the same files, without libtorch in the process.
#[test]
fn lite_binary_enriches_like_genekg_without_loading_libtorch() {
    let genekg_bin = Path::new(env!("CARGO_BIN_EXE_genekg"));
    let lite_bin = genekg_bin.with_file_name("genekg-lite");
    assert!(lite_bin.is_file(), "{} is missing: build it with `cargo build --release -p genekg-lite`", lite_bin.display());
    let run = |bin: &Path, args: &[&str], stdin: &str, env: Option<(&str, &str)>| {
        let mut cmd = Command::new(bin);
        cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        if let Some((k, v)) = env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        feed(&mut child, stdin);
        child.wait_with_output().unwrap()
    };
    // The dynamic loader lists what it loads; libtorch must be there for genekg (so this check
    // can see it) and absent for genekg-lite.
    let loaded = |bin: &Path| -> Vec<String> {
        let out = run(bin, &["--version"], "", Some(("LD_DEBUG", "libs")));
        let log = String::from_utf8_lossy(&out.stderr).to_string();
        log.lines().filter_map(|l| l.split_once("calling init: ")).map(|(_, lib)| lib.trim().to_string()).collect()
    };
    let full_libs = loaded(genekg_bin);
    assert!(full_libs.iter().any(|l| l.contains("libtorch_cpu")), "LD_DEBUG shows no libtorch for genekg: {full_libs:?}");
    let lite_libs = loaded(&lite_bin);
    assert!(lite_libs.iter().any(|l| l.contains("libc.so")) && !lite_libs.iter().any(|l| l.contains("torch")), "{lite_libs:?}");

    let gmt = fixture("go_bp.gmt");
    let spec = format!("BP={}", gmt.display());
    let args = ["enrich", "--gmt", &spec, "--genes", "-", "--json", "--first", "0"];
    let genes = "MCM2 MCM4 MCM5 MCM6 POLA1 COL1A1 NOTAGENE";
    let full = run(genekg_bin, &args, genes, None);
    let lite = run(&lite_bin, &args, genes, None);
    assert!(full.status.success() && lite.status.success(), "{}", String::from_utf8_lossy(&lite.stderr));
    let v: serde_json::Value = serde_json::from_slice(&lite.stdout).unwrap();
    assert!(v["rows"].as_array().unwrap().len() > 5, "{v}");
    assert_eq!(full.stdout, lite.stdout, "genekg and genekg-lite differ");

    // What needs the model is refused with a pointer to genekg.
    let out = run(&lite_bin, &["enrich", "--augmented", "--genes", "-"], "MCM2", None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("genekg enrich --augmented"), "{err}");
    let out = run(&lite_bin, &["serve"], "", None);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("serve"));
}

/// stdout of a successful run.
fn ok(db: &Path, args: &[&str], stdin: &str) -> (String, String) {
    let out = genekg(db, args, stdin);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "genekg {args:?}: {err}");
    (String::from_utf8(out.stdout).unwrap(), err)
}

#[test]
fn enrich_reads_the_index_file_written_at_ingest_without_the_store_lock() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("genekg.db");
    let genekg::ingest::OrgDbPaths { org, go } = support::orgdb_paths();
    ok(&db, &["ingest", "orgdb", "--org", org.to_str().unwrap(), "--go", go.to_str().unwrap()], "");
    let (check, _) = ok(&db, &["enrich-index", "--check"], "");
    assert!(check.contains("is current") && check.contains("GO_BP"), "{check}");
    let list = "MCM2 MCM4 MCM5 MCM6 MCM7 POLA1 CAF1 NOTAGENE 4171";
    let args = ["enrich", "--genes", "-", "--json", "--first", "0"];
    let (from_file, err) = ok(&db, &args, list);
    assert!(!err.contains("note:"), "{err}");
    let (from_trees, _) = ok(&db, &[&args[..], &["--from-store"]].concat(), list);
    assert_eq!(from_file, from_trees, "the index file and the store's trees answer differently");
    let table_args = ["enrich", "--genes", "-", "--library", "GO_BP,GO_MF", "--background", "all", "--first", "0"];
    assert_eq!(ok(&db, &table_args, list).0, ok(&db, &[&table_args[..], &["--from-store"]].concat(), list).0);

    // While another process holds the store (as `genekg serve` does), the file still answers;
    // the store's trees cannot be read.
    {
        let _held = genekg::store::Store::open(&db).unwrap();
        let (held, err) = ok(&db, &args, list);
        assert_eq!(held, from_file);
        assert!(!err.contains("copy"), "{err}");
        let out = genekg(&db, &[&args[..], &["--from-store"]].concat(), list);
        assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("in use by"));
    }

    // A re-ingest rewrites it; a stale one is named with the command to run, and enrich falls
    // back on the store with the same answers.
    let gmt = fixture("go_bp.gmt");
    ok(&db, &["ingest", "gmt", gmt.to_str().unwrap(), "--library", "FIXTURE_BP"], "");
    assert!(ok(&db, &["enrich-index", "--check"], "").0.contains("FIXTURE_BP"));
    std::fs::write(db.join("enrich-index/STALE"), "library FIXTURE_BP was re-ingested").unwrap();
    let out = genekg(&db, &["enrich-index", "--check"], "");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("stale (library FIXTURE_BP was re-ingested)") && err.contains("`genekg enrich-index`"), "{err}");
    let (fallback, err) = ok(&db, &args, list);
    assert!(err.contains("stale") && err.contains("`genekg enrich-index`") && err.contains("reading the store instead"), "{err}");
    let (again, _) = ok(&db, &[&args[..], &["--from-store"]].concat(), list);
    assert_eq!(fallback, again);
    let (built, _) = ok(&db, &["enrich-index"], "");
    assert!(built.contains("enrichment index written") && built.contains("libraries"), "{built}");
    let (fresh, err) = ok(&db, &args, list);
    assert!(!err.contains("note:"), "{err}");
    assert_eq!(fresh, again);
    // Missing (a store from before the index existed): the same fallback and message.
    std::fs::remove_dir_all(db.join("enrich-index")).unwrap();
    let (_, err) = ok(&db, &args, list);
    assert!(err.contains("no enrichment index") && err.contains("`genekg enrich-index`"), "{err}");
}
