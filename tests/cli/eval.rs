//! `eval make-cases go-annotations` and `train --hold-out`: the simulated GO time split.

use std::collections::{BTreeMap, BTreeSet};

use crate::helpers::{fixture, TestDir};

/// Term -> genes (Entrez ids), from a cases column or an exported GMT.
fn gmt_sets(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[2..].iter().map(|g| g.to_string()).collect())
        })
        .collect()
}

fn genes(field: &str) -> BTreeSet<String> {
    field.split(',').filter(|g| !g.is_empty()).map(String::from).collect()
}

#[test]
fn go_annotation_cases_split_stored_sets_and_training_never_sees_the_hidden_genes() {
    let t = TestDir::new();
    t.ingest_fixture_orgdb();
    let source = fixture("GO.sqlite").parent().unwrap().to_str().unwrap().to_string();
    let cases_path = t.dir.path().join("cases.tsv");
    let make = |seed: &str, out: &std::path::Path| {
        t.ok(&["eval", "make-cases", "go-annotations", "--source-dir", &source, "--share", "0.2", "--seed", seed, "--out", out.to_str().unwrap()]);
        std::fs::read_to_string(out).unwrap()
    };
    let text = make("42", &cases_path);
    assert_eq!(text, make("42", &t.dir.path().join("again.tsv")), "same seed, same cases");
    assert_ne!(text, make("7", &t.dir.path().join("other.tsv")), "another seed hides other annotations");

    let stored = gmt_sets(&t.ok(&["export", "gmt", "--library", "GO_BP"]));
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("id\tinput\theld_out"));
    let mut cases = 0;
    let mut hidden_total = 0;
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        let term = f[0].strip_prefix("GO_BP:").expect("ids are GO_BP:term");
        let (input, held) = (genes(f[1]), genes(f[2]));
        assert!(!held.is_empty(), "{term}: a case hides at least one gene");
        assert!(input.is_disjoint(&held), "{term}: input and held-out overlap");
        let whole: BTreeSet<String> = input.union(&held).cloned().collect();
        assert_eq!(Some(&whole), stored.get(term), "{term}: input + held-out is the stored set");
        cases += 1;
        hidden_total += held.len();
    }
    assert!(cases > 10, "a 20% share hides genes from many terms, got {cases}");

    // Training with the cases removes exactly those genes and records the file.
    let model = t.dir.path().join("model");
    t.ok(&["train", "--hold-out", cases_path.to_str().unwrap(), "--epochs", "1", "--batch-size", "64", "--min-gene-sets", "2", "--out", model.to_str().unwrap()]);
    let config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(model.join("config.json")).unwrap()).unwrap();
    let recorded = config["training"]["hold_out"].as_str().expect("hold_out recorded");
    assert_eq!(std::path::Path::new(recorded), cases_path.canonicalize().unwrap());
    let eval = t.run(&["eval", "holdout", "--cases", cases_path.to_str().unwrap(), "--model", model.to_str().unwrap(), "--method", "gsfm,cooccurrence", "--json", "--save"]);
    let stderr = String::from_utf8_lossy(&eval.stderr);
    assert!(eval.status.success(), "{stderr}");
    // --save keeps the summaries with the model, for the API's `meta.model`.
    let printed: Vec<serde_json::Value> = serde_json::from_slice(&eval.stdout).expect("JSON summaries");
    let saved = genekg::model::eval::read_evaluation(&model).unwrap();
    let name = cases_path.file_name().unwrap().to_str().unwrap();
    for (method, summary) in ["gsfm", "cooccurrence"].iter().zip(&printed) {
        let entry = &saved[&format!("{name}:{method}")];
        assert_eq!(entry["median_auroc"], summary["median_auroc"], "{entry}");
        assert_eq!(entry["cases"], summary["cases"]);
        let fingerprint = std::fs::read_to_string(model.join("fingerprint")).unwrap();
        assert_eq!(entry["model_fingerprint"].as_str(), Some(fingerprint.trim()), "{entry}");
    }
    // --features-out writes every held-out gene of each kept case and a sample of the rest.
    let per_case: serde_json::Value = serde_json::from_slice(&t.run(&["eval", "holdout", "--cases", cases_path.to_str().unwrap(), "--model", model.to_str().unwrap(), "--json", "--per-case"]).stdout).unwrap();
    let features = t.dir.path().join("features.tsv");
    t.ok(&["eval", "holdout", "--cases", cases_path.to_str().unwrap(), "--model", model.to_str().unwrap(), "--features-out", features.to_str().unwrap()]);
    let text = std::fs::read_to_string(&features).unwrap();
    let mut rows = text.lines();
    use genekg::model::eval::features::{COMENTION_HEADER, HEADER};
    let header = format!("{HEADER}{COMENTION_HEADER}");
    assert_eq!(rows.next(), Some(header.as_str()), "the served recipe has the co-mention path");
    let mut comentioned = 0;
    let mut counts: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for row in rows {
        let f: Vec<&str> = row.split('\t').collect();
        let c = counts.entry(f[0].to_string()).or_default();
        if f[2] == "1" { c.0 += 1 } else { c.1 += 1 }
        assert!(f[3].parse::<f32>().unwrap().is_finite() && f[7].parse::<f32>().unwrap() >= 0.0, "{row}");
        // Co-mention with the input and the term it added to `gsfm`: both zero or both positive.
        let (c, term) = (f[11].parse::<f32>().unwrap(), f[12].parse::<f32>().unwrap());
        assert!(f.len() == 13 && c >= 0.0 && term >= 0.0 && (c == 0.0) == (term == 0.0), "{row}");
        comentioned += (c > 0.0) as usize;
    }
    assert!(comentioned > 0, "some candidates share a small paper with their case's input");
    let kept = per_case["per_case"].as_array().unwrap();
    assert_eq!(counts.len(), kept.len(), "one block per kept case");
    for case in kept {
        let (held, sampled) = counts[case["id"].as_str().unwrap()];
        assert_eq!(held, case["held_out_known"].as_u64().unwrap(), "{case}");
        assert!(sampled <= 400, "{case}: {sampled} negatives");
    }
    assert!(counts.values().any(|&(_, sampled)| sampled > 0), "negatives are sampled");
    assert!(stderr.contains("without the held-out genes of"), "{stderr}");
    assert!(!stderr.contains("were seen in training"), "{stderr}");
    assert!(hidden_total > 0);

    // A cases file that names no training set is refused, not silently ignored.
    let foreign = t.dir.path().join("foreign.tsv");
    std::fs::write(&foreign, "id\tinput\theld_out\nKEGG:x\tTP53\tMDM2\n").unwrap();
    let out = t.run(&["train", "--hold-out", foreign.to_str().unwrap(), "--epochs", "1", "--out", t.dir.path().join("m2").to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("names a training set"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Symbol (or Entrez id) -> Entrez id, read from an org.Hs.eg.db file without genekg.
fn entrez_by_symbol(org: &std::path::Path) -> BTreeMap<String, String> {
    let conn = rusqlite::Connection::open(org).unwrap();
    let mut stmt = conn.prepare("SELECT i.symbol, g.gene_id FROM genes g JOIN gene_info i ON i._id = g._id").unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).unwrap();
    let mut map = BTreeMap::new();
    for (symbol, entrez) in rows.map(Result::unwrap) {
        map.insert(entrez.clone(), entrez.clone());
        map.insert(symbol, entrez);
    }
    map
}

#[test]
fn time_split_cases_are_the_old_sets_and_what_the_newer_release_added() {
    // The old release (3.12, no genetype table) ingests as the default data does.
    let old = TestDir::new();
    let dev_source = fixture("dev/GO.sqlite").parent().unwrap().to_str().unwrap().to_string();
    let new_source = fixture("GO.sqlite").parent().unwrap().to_str().unwrap().to_string();
    old.ok(&["ingest", "default", "--source", &dev_source]);
    let stats = old.stats();
    assert_eq!(stats["provenance"]["genes"]["ncbi_gene_date"], "2020-Sep23");
    assert_eq!(stats["provenance"]["GO_BP"]["go.GOSOURCEDATE"], "2020-09-10");
    let new = TestDir::new();
    new.ingest_fixture_orgdb();

    let symbols = entrez_by_symbol(&fixture("dev/org.Hs.eg.sqlite"));
    let to_entrez = |field: &str| -> BTreeSet<String> { genes(field).iter().map(|g| symbols.get(g).cloned().unwrap_or_else(|| panic!("{g} is not an old-catalogue gene"))).collect() };
    for ontology in ["BP", "MF", "CC"] {
        let library = format!("GO_{ontology}");
        let out = old.dir.path().join(format!("{ontology}.tsv"));
        old.ok(&["eval", "make-cases", "time-split", "--ontology", ontology, "--old", &dev_source, "--new", &new_source, "--out", out.to_str().unwrap()]);
        let text = std::fs::read_to_string(&out).unwrap();
        let old_sets = gmt_sets(&old.ok(&["export", "gmt", "--library", &library, "--ids", "entrez"]));
        let new_sets = gmt_sets(&new.ok(&["export", "gmt", "--library", &library, "--ids", "entrez"]));
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("id\tinput\theld_out"));
        let (mut cases, mut compared) = (0, 0);
        for line in lines {
            let f: Vec<&str> = line.split('\t').collect();
            let term = f[0].strip_prefix(&format!("{library}:")).expect("ids are LIBRARY:term");
            let (input, held) = (to_entrez(f[1]), to_entrez(f[2]));
            assert_eq!(Some(&input), old_sets.get(term), "{term}: the input is the old release's stored set");
            assert!(!held.is_empty() && input.is_disjoint(&held), "{term}");
            if let Some(later) = new_sets.get(term) {
                let added: BTreeSet<String> = later.difference(&input).filter(|g| symbols.contains_key(*g)).cloned().collect();
                assert_eq!(held, added, "{term}: held out = the genes the newer release added");
                compared += 1;
            }
            cases += 1;
        }
        // Every old term the newer release grew is a case (none missed).
        let grown = old_sets
            .iter()
            .filter(|(term, genes)| new_sets.get(*term).is_some_and(|later| later.iter().any(|g| !genes.contains(g) && symbols.contains_key(g))))
            .count();
        assert_eq!(compared, grown, "{ontology}");
        assert!(cases >= compared && compared > 0, "{ontology}: {cases} cases, {compared} compared");
    }

    // Two equal releases are no time split.
    let out = old.run(&["eval", "make-cases", "time-split", "--old", &new_source, "--new", &new_source]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("same release"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = old.run(&["eval", "make-cases", "time-split", "--old", "/nonexistent", "--new", &new_source]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--old"), "{}", String::from_utf8_lossy(&out.stderr));
}
