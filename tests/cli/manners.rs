//! How the command line talks to people: errors in words, lists as users paste them, output
//! that pipes cleanly, no store conjured out of a typo.

use std::io::Read;
use std::process::Stdio;

use crate::helpers::{fixture, TestDir};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A store with the fixture catalogue and GO, and the published-format fixture model imported.
fn with_model() -> (TestDir, std::path::PathBuf) {
    let t = TestDir::new();
    t.ingest_fixture_orgdb();
    let fx = fixture("gsfm_import");
    let model = t.dir.path().join("model");
    let p = |name: &str| fx.join(name).to_str().unwrap().to_string();
    t.ok(&["model", "import", "--out", model.to_str().unwrap(), "--weights", &p("model.safetensors"), "--vocab", &p("vocab.txt"), "--config", &p("config.json")]);
    (t, model)
}

#[test]
fn read_only_commands_refuse_a_missing_store_and_create_none() {
    let t = TestDir::new();
    for args in [&["stats"][..], &["export", "gmt", "--library", "GO_BP"], &["gene", "TP53"]] {
        let out = t.run(args);
        assert!(!out.status.success(), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains("no genekg store at") && err.contains("genekg ingest default"), "{args:?}: {err}");
        assert_eq!(err.matches("error:").count(), 1, "{err}");
    }
    assert!(!t.db().exists(), "a read-only command created a store");
}

#[test]
fn a_locked_store_is_explained_once() {
    let t = TestDir::new();
    t.ingest_fixture_orgdb();
    let _held = genekg::store::Store::open(t.db()).unwrap();
    let err = stderr(&t.run(&["stats"]));
    // The holder (this test process) is named by its pid, read from /proc/locks.
    assert!(err.contains(&format!("in use by process {} (`", std::process::id())), "{err}");
    assert!(!err.contains("WouldBlock"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn gene_shows_record_links_sets_and_says_how_to_get_predictions() {
    let t = TestDir::new();
    t.ingest_fixture_orgdb();
    let text = t.ok(&["gene", "mcm2"]);
    assert!(text.starts_with("MCM2  minichromosome maintenance complex component 2  (Entrez 4171"), "{text}");
    assert!(text.contains("https://www.ncbi.nlm.nih.gov/gene/4171"), "{text}");
    assert!(text.contains("known sets: ") && text.contains("GO_BP:GO:"), "{text}");
    assert!(text.contains("run `genekg model predict`"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&t.ok(&["gene", "4171", "--json", "--first", "500"])).expect("gene --json parses");
    assert_eq!(json["gene"]["symbol"], "MCM2");
    assert_eq!(json["predictions_stored"], false);
    let go_bp = &json["known_sets"]["libraries"]["GO_BP"];
    assert!(go_bp["count"].as_u64().unwrap() > 5);
    let initiation = serde_json::json!({"id": "GO_BP:GO:0006270", "name": "DNA replication initiation"});
    assert!(go_bp["sets"].as_array().unwrap().contains(&initiation), "{go_bp}");
    assert_eq!(json["links"]["ncbi_gene"], "https://www.ncbi.nlm.nih.gov/gene/4171");
}

#[test]
fn unknown_and_ambiguous_genes_are_errors_in_words() {
    let t = TestDir::new();
    t.ingest_fixture_orgdb();
    let err = stderr(&t.run(&["gene", "FOOBAR1"]));
    assert!(err.contains("FOOBAR1: no gene has this symbol, alias or id"), "{err}");
    // CAF1 is an alias of CHAF1A and CHAF1B (among others) in org.Hs.eg.db.
    let err = stderr(&t.run(&["gene", "CAF1"]));
    assert!(err.contains("CAF1: an alias of") && err.contains("CHAF1A (Entrez 10036)"), "{err}");
    assert!(!err.contains("Ambiguous(") && !err.contains("NotFound"), "{err}");
}

#[test]
fn augment_reads_comma_lists_names_misses_and_prints_a_header() {
    let (t, model) = with_model();
    let m = model.to_str().unwrap();
    let out = t.run(&["model", "augment", "MCM2,MCM4", "\"MCM5\",FOOBAR1", "--model", m, "--top", "3"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("entrez\tsymbol\tprobability\tlogit"));
    let first: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert!(!["MCM2", "MCM4", "MCM5"].contains(&first[1]), "inputs are not new: {text}");
    let err = stderr(&out);
    assert!(err.contains("FOOBAR1: no gene has this symbol") && !err.contains("NotFound"), "{err}");
    assert!(!err.contains("MCM2"), "MCM2,MCM4 must parse as two genes: {err}");
}

#[test]
fn model_info_json_parses() {
    let (t, model) = with_model();
    let v: serde_json::Value =
        serde_json::from_str(&t.ok(&["model", "info", "--json", "--model", model.to_str().unwrap()])).expect("one JSON document");
    assert_eq!(v["fingerprint"].as_str().unwrap().len(), 64);
    assert_eq!(v["config"]["vocab_size"], 15);
}

#[test]
fn logs_to_a_pipe_carry_no_colour_codes() {
    let t = TestDir::new();
    let out = t.command(&["ingest", "orgdb", "--org", fixture("org.Hs.eg.sqlite").to_str().unwrap(), "--go", fixture("GO.sqlite").to_str().unwrap()])
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(err.contains("INFO"), "{err}");
    assert!(!err.contains('\u{1b}'), "ANSI escape in piped stderr: {err:?}");
}

#[test]
fn export_into_a_closed_pipe_ends_quietly() {
    let t = TestDir::new();
    t.ingest_fixture_orgdb();
    let mut child = t.command(&["export", "gmt", "--library", "GO_BP"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // The reader goes away before the first write, as `| head -0` would.
    drop(child.stdout.take());
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    child.wait().unwrap();
    assert!(err.is_empty(), "{err}");
}

#[test]
fn gmt_descriptions_survive_ingest_export_and_enrich() {
    let t = TestDir::new();
    t.ingest_fixture_orgdb();
    let gmt = t.dir.path().join("mine.gmt");
    std::fs::write(&gmt, "REPL_A\tDNA replication licensing\tMCM2\tMCM4\tMCM5\tMCM6\tMCM7\nLINK\thttps://example.org/x\tCOL1A1\tCOL1A2\n").unwrap();
    t.ok(&["ingest", "gmt", gmt.to_str().unwrap(), "--library", "MINE"]);
    let exported = t.ok(&["export", "gmt", "--library", "MINE"]);
    assert!(exported.starts_with("LINK\thttps://example.org/x\t"), "{exported}");
    assert!(exported.contains("\nREPL_A\tDNA replication licensing\tMCM2\t"), "{exported}");
    let genes = t.dir.path().join("genes.txt");
    std::fs::write(&genes, "MCM2, MCM4\nmcm2\n").unwrap();
    let g = genes.to_str().unwrap();
    let out = t.run(&["enrich", "--gmt", gmt.to_str().unwrap(), "--genes", g, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rows"][0]["term"], "REPL_A");
    assert_eq!(v["rows"][0]["name"], "DNA replication licensing");
    assert_eq!(v["input"]["duplicates"], serde_json::json!(["mcm2"]));
    let err = stderr(&t.run(&["enrich", "--gmt", gmt.to_str().unwrap(), "--genes", g]));
    assert!(err.contains("duplicates ignored (1): mcm2"), "{err}");
    let out = t.run(&["enrich", "--gmt", gmt.to_str().unwrap(), "--genes", g, "--background", "all"]);
    assert!(!out.status.success() && stderr(&out).contains("--background all"), "{}", stderr(&out));
    let bg = t.dir.path().join("bg.txt");
    std::fs::write(&bg, "MCM2 MCM4 MCM5 NOTAGENE COL1A1").unwrap();
    let err = stderr(&t.run(&["enrich", "--genes", g, "--libraries", "MINE", "--background", bg.to_str().unwrap()]));
    assert!(err.contains("background entries not recognised (1): NOTAGENE"), "{err}");
}

#[test]
fn gene_shows_stored_predictions_after_model_predict() {
    let (t, model) = with_model();
    t.ok(&["model", "predict", "--model", model.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&t.ok(&["gene", "MCM2", "--json"])).unwrap();
    assert_eq!(v["predictions_stored"], true);
    let partners: Vec<&str> = v["predicted_partners"].as_array().unwrap().iter().map(|p| p["symbol"].as_str().unwrap()).collect();
    // The fixture model's vocabulary: MCM4-7, POLA1, POLD1, RFC3 and four collagens.
    assert!(!partners.is_empty() && !partners.contains(&"MCM2"), "{partners:?}");
    for f in v["predicted_functions"].as_array().unwrap() {
        assert!(f["set_id"].as_str().unwrap().contains(':') && f["z"].is_number(), "{f}");
    }
    let text = t.ok(&["gene", "MCM2"]);
    assert!(text.contains("predicted partners") && !text.contains("genekg model predict"), "{text}");
}

/// Untitled sets (papers named only "PMID n") do not crowd out named terms: named sets are
/// listed by name, papers by PMID with their count, in the known sets and the predictions.
#[test]
fn gene_lists_named_sets_first_and_papers_by_pmid() {
    let (t, model) = with_model();
    t.ok(&["model", "predict", "--model", model.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&t.ok(&["gene", "MCM2", "--json", "--first", "500"])).unwrap();
    let pubmed = &v["known_sets"]["libraries"]["PubMed"];
    let papers = pubmed["untitled"].as_array().unwrap();
    assert!(!papers.is_empty() && pubmed["named"] == 0, "{pubmed}");
    assert_eq!(papers.len() as u64, pubmed["count"].as_u64().unwrap(), "{pubmed}");
    assert!(pubmed["sets"].as_array().unwrap().is_empty(), "papers are not listed as named sets: {pubmed}");
    let go = &v["known_sets"]["libraries"]["GO_BP"];
    assert_eq!(go["named"], go["count"], "GO terms have names: {go}");
    for f in v["predicted_functions"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        assert!(!name.starts_with("PMID "), "untitled sets are counted apart, not listed: {f}");
    }
    assert!(v["predicted_untitled"]["count"].is_u64(), "{v}");
    let text = t.ok(&["gene", "MCM2"]);
    assert!(text.contains(&format!("PubMed papers ({}): PMID ", papers.len())), "{text}");
    assert!(!text.lines().any(|l| l.trim_start().starts_with("PubMed:")), "no paper is listed like a named term: {text}");
}

#[test]
fn serve_refuses_bulk_lane_settings_out_of_range_naming_the_flag() {
    let t = TestDir::new();
    for (args, says) in [(["serve", "--bulk-nice", "25"], "25 is not in 0..=19"), (["serve", "--bulk-cost", "x"], "invalid digit")] {
        let out = t.run(&args);
        assert!(!out.status.success(), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(args[1]) && err.contains(says), "{args:?}: {err}");
    }
}
