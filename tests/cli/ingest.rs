use std::io::Write;
use std::time::Duration;

use crate::helpers::{fixture, TestDir};

/// Lines of a GMT that are gene sets (the fixture's GO BP sets, computed independently by
/// scripts/make_fixtures.py).
fn gmt_set_count(path: &std::path::Path) -> u64 {
    std::fs::read_to_string(path).unwrap().lines().filter(|l| !l.trim().is_empty()).count() as u64
}

#[test]
fn orgdb_ingest_builds_catalogue_go_and_literature_libraries() {
    let t = TestDir::new();
    t.ingest_fixture_orgdb();
    let s = t.stats();
    assert_eq!(s["genes"], 430);
    // make_fixtures.py propagates GO BP on its own; both must agree on which sets exist.
    assert_eq!(s["libraries"]["GO_BP"]["sets"], gmt_set_count(&fixture("go_bp.gmt")));
    for lib in ["GO_MF", "GO_CC", "PubMed"] {
        assert!(s["libraries"][lib]["sets"].as_u64().unwrap() > 10, "{lib}: {}", s["libraries"][lib]);
    }
    assert_eq!(s["provenance"]["genes"]["ncbi_gene_date"], "2022-Sep12");
    assert_eq!(s["provenance"]["GO_BP"]["go.GOSOURCEDATE"], "2022-07-01");
    // Re-running is idempotent.
    t.ingest_fixture_orgdb();
    let again = t.stats();
    assert_eq!(again["genes"], s["genes"]);
    assert_eq!(again["libraries"]["GO_BP"]["members"], s["libraries"]["GO_BP"]["members"]);
}

#[test]
fn gmt_ingest_reports_unknown_genes_and_replaces_library() {
    let t = TestDir::new();
    t.ingest_fixture_orgdb();
    let gmt = fixture("go_bp.gmt");
    let out = t.ok(&["ingest", "gmt", gmt.to_str().unwrap(), "--library", "FIXTURE_BP", "--version", "v1"]);
    let lib: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(lib["sets"], gmt_set_count(&gmt));
    // The fixture GMT adds 3 real genes outside the fixture catalogue to each of 3 process sets.
    assert_eq!(lib["unknown_genes"], 9);
    assert_eq!(lib["unknown_examples"].as_array().unwrap().len(), 3);
    let stats = t.stats();
    assert_eq!(stats["libraries"]["FIXTURE_BP"]["version"], "v1");
    // Same sets as the propagated GO_BP library of the same fixture.
    assert_eq!(stats["libraries"]["FIXTURE_BP"]["members"], stats["libraries"]["GO_BP"]["members"]);

    // A smaller file replaces the library wholesale.
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.gmt");
    let first_two: Vec<String> = std::fs::read_to_string(&gmt).unwrap().lines().take(2).map(String::from).collect();
    std::fs::write(&small, first_two.join("\n")).unwrap();
    t.ok(&["ingest", "gmt", small.to_str().unwrap(), "--library", "FIXTURE_BP"]);
    assert_eq!(t.stats()["libraries"]["FIXTURE_BP"]["sets"], 2);
}

#[test]
fn malformed_gmt_names_file_and_line_and_keeps_previous_contents() {
    let t = TestDir::new();
    t.ingest_fixture_orgdb();
    let gmt = fixture("go_bp.gmt");
    t.ok(&["ingest", "gmt", gmt.to_str().unwrap(), "--library", "FIXTURE_BP"]);
    let before = t.stats();

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.gmt");
    let mut lines: Vec<String> = std::fs::read_to_string(&gmt).unwrap().lines().take(10).map(String::from).collect();
    lines[4] = "TERM_WITHOUT_GENES\tdescription".into();
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let out = t.run(&["ingest", "gmt", bad.to_str().unwrap(), "--library", "FIXTURE_BP"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.gmt:5:"), "error should name file and line: {err}");
    assert!(err.contains("TERM_WITHOUT_GENES") && err.contains("no genes"), "{err}");
    assert_eq!(t.stats()["libraries"], before["libraries"]);

    // Invalid UTF-8 and a duplicated term are malformed too.
    let mut bytes = lines[..3].join("\n").into_bytes();
    bytes.extend_from_slice(b"\nBAD\xff\tx\tA1BG\n");
    std::fs::write(&bad, bytes).unwrap();
    let err = String::from_utf8_lossy(&t.run(&["ingest", "gmt", bad.to_str().unwrap(), "--library", "FIXTURE_BP"]).stderr).to_string();
    assert!(err.contains("bad.gmt:4:") && err.contains("UTF-8"), "{err}");
    std::fs::write(&bad, format!("{}\n{}\n", lines[0], lines[0])).unwrap();
    let err = String::from_utf8_lossy(&t.run(&["ingest", "gmt", bad.to_str().unwrap(), "--library", "FIXTURE_BP"]).stderr).to_string();
    assert!(err.contains("bad.gmt:2:") && err.contains("appears twice"), "{err}");
    assert_eq!(t.stats()["libraries"], before["libraries"]);

    let err = String::from_utf8_lossy(&t.run(&["ingest", "gmt", gmt.to_str().unwrap(), "--library", "GO:BP"]).stderr).to_string();
    assert!(err.contains("--library") && err.contains("`:`"), "{err}");
}

#[test]
fn gmt_before_any_genes_is_refused_clearly() {
    let t = TestDir::new();
    let out = t.run(&["ingest", "gmt", fixture("go_bp.gmt").to_str().unwrap(), "--library", "X"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no genes yet"));
}

/// Writes `copies` copies of the GMT at `from` to `to`, each term prefixed with its copy number.
fn repeat_gmt(from: &std::path::Path, copies: usize, to: &std::path::Path) {
    let lines: Vec<String> = std::fs::read_to_string(from).unwrap().lines().map(String::from).collect();
    let mut f = std::io::BufWriter::new(std::fs::File::create(to).unwrap());
    for copy in 0..copies {
        for l in &lines {
            writeln!(f, "{copy}_{l}").unwrap();
        }
    }
}

#[test]
fn killed_ingest_leaves_previous_library_intact() {
    let t = TestDir::new();
    t.ingest_fixture_orgdb();
    let gmt = fixture("go_bp.gmt");
    t.ok(&["ingest", "gmt", gmt.to_str().unwrap(), "--library", "FIXTURE_BP"]);
    let before = t.stats();

    // A GMT large enough that the ingest is still writing when it is killed.
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.gmt");
    repeat_gmt(&gmt, 300, &big);
    let size_before = dir_size(&t.db());
    let mut child = t.command(&["ingest", "gmt", big.to_str().unwrap(), "--library", "FIXTURE_BP"]).spawn().unwrap();
    // Kill once the new generation is visibly being written (the store has grown by 2 MB).
    for _ in 0..200 {
        if dir_size(&t.db()) > size_before + 2_000_000 || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let still_running = child.try_wait().unwrap().is_none();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(still_running, "the big ingest finished before it could be killed; make it bigger");

    let after = t.stats();
    assert_eq!(after["libraries"], before["libraries"]);
    // Nothing half-written is left where the store looks (the orphan generation is swept).
    t.ok(&["check"]);
    // The store did not change, so the enrichment index the last ingest wrote is still current
    // and answers as the store.
    t.ok(&["enrich-index", "--check"]);
    assert_eq!(enrich(&t, false), enrich(&t, true));
    // And a full ingest still works afterwards.
    t.ok(&["ingest", "gmt", gmt.to_str().unwrap(), "--library", "FIXTURE_BP"]);
    assert_eq!(t.stats()["libraries"]["FIXTURE_BP"]["sets"], before["libraries"]["FIXTURE_BP"]["sets"]);
}

/// `genekg enrich` of a fixed list over every library, as JSON: from the enrichment index file,
/// or from the store's trees.
fn enrich(t: &TestDir, from_store: bool) -> String {
    let list = t.dir.path().join("list.txt");
    std::fs::write(&list, "MCM2 MCM4 MCM5 MCM6 MCM7 POLA1 CAF1 NOTAGENE").unwrap();
    let mut args = vec!["enrich", "--genes", list.to_str().unwrap(), "--json", "--first", "0"];
    if from_store {
        args.push("--from-store");
    }
    t.ok(&args)
}

#[test]
fn ingest_killed_after_changing_the_store_leaves_the_enrichment_index_marked_stale() {
    let t = TestDir::new();
    t.ingest_fixture_orgdb();
    let gmt = fixture("go_bp.gmt");
    // A library big enough that rewriting the index after it takes a while.
    let big = t.dir.path().join("big.gmt");
    repeat_gmt(&gmt, 100, &big);
    let stale = t.db().join("enrich-index/STALE");
    let mut child = t.command(&["ingest", "gmt", big.to_str().unwrap(), "--library", "BIG"]).spawn().unwrap();
    // The marker appears just before the new library becomes visible; kill then.
    while !stale.exists() {
        assert!(child.try_wait().unwrap().is_none(), "the ingest ended without marking the index stale");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    t.ok(&["check"]);
    let out = t.run(&["enrich-index", "--check"]);
    let err = String::from_utf8_lossy(&out.stderr);
    // Killed before the new index was swapped in: the old one says it is stale. (Had the rewrite
    // won the race, the new index would be current; either way enrich answers as the store.)
    if !out.status.success() {
        assert!(err.contains("stale") && err.contains("`genekg enrich-index`"), "{err}");
    }
    assert_eq!(enrich(&t, false), enrich(&t, true));
    t.ok(&["enrich-index"]);
    t.ok(&["enrich-index", "--check"]);
    assert_eq!(enrich(&t, false), enrich(&t, true));
}

#[test]
fn gene_info_ingest_adds_genes_and_rejects_bad_rows() {
    let t = TestDir::new();
    let info = fixture("Homo_sapiens.gene_info");
    let out: serde_json::Value = serde_json::from_str(&t.ok(&["ingest", "gene-info", info.to_str().unwrap()])).unwrap();
    assert_eq!(out["genes"], 30);
    assert_eq!(t.stats()["genes"], 30);
    // Another species is skipped unless asked for.
    let out: serde_json::Value =
        serde_json::from_str(&t.ok(&["ingest", "gene-info", info.to_str().unwrap(), "--tax-id", "0"])).unwrap();
    assert_eq!(out["genes"], 30);
    let err = String::from_utf8_lossy(&t.run(&["ingest", "gene-info", info.to_str().unwrap(), "--tax-id", "10090"]).stderr).to_string();
    assert!(err.contains("no genes of tax_id 10090"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.gene_info");
    let text = std::fs::read_to_string(&info).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[3] = "9606\t123\tONLY_THREE";
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let err = String::from_utf8_lossy(&t.run(&["ingest", "gene-info", bad.to_str().unwrap()]).stderr).to_string();
    assert!(err.contains("bad.gene_info:4:") && err.contains("16 tab-separated columns"), "{err}");
    std::fs::write(&bad, "GeneID\tSymbol\n1\tA1BG\n").unwrap();
    let err = String::from_utf8_lossy(&t.run(&["ingest", "gene-info", bad.to_str().unwrap()]).stderr).to_string();
    assert!(err.contains("bad.gene_info:1:") && err.contains("header"), "{err}");
    assert_eq!(t.stats()["genes"], 30);
}

#[test]
fn missing_default_data_points_to_setup() {
    let t = TestDir::new();
    let out = t.run(&["ingest", "default", "--source-dir", "/nonexistent"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("scripts/setup.sh"));
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Genes (Entrez) per identifier of one org.Hs.eg.db table, read without genekg; `class` maps a
/// stored identifier to the set ids it belongs to.
fn table_sets(org: &std::path::Path, table: &str, column: &str, class: impl Fn(&str) -> Vec<String>) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let conn = rusqlite::Connection::open(org).unwrap();
    let sql = format!("SELECT g.gene_id, t.{column} FROM {table} t JOIN genes g ON g._id = t._id WHERE t.{column} IS NOT NULL");
    let mut stmt = conn.prepare(&sql).unwrap();
    let mut sets: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
    for (gene, id) in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).unwrap().map(Result::unwrap) {
        for key in class(&id) {
            sets.entry(key).or_default().insert(gene.clone());
        }
    }
    sets
}

#[test]
fn orgdb_ingest_adds_pfam_prosite_and_ec_libraries_and_leaves_kegg_out() {
    // The dev fixture (3.12) carries the annotation tables; the main one leaves them out.
    let t = TestDir::new();
    let source = fixture("dev/GO.sqlite").parent().unwrap().to_str().unwrap().to_string();
    t.ok(&["ingest", "default", "--source", &source]);
    let org = fixture("dev/org.Hs.eg.sqlite");
    let exported = |library: &str| -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
        t.ok(&["export", "gmt", "--library", library, "--ids", "entrez"])
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f[0].to_string(), f[2..].iter().map(|g| g.to_string()).collect())
            })
            .collect()
    };
    // EC classes written out by hand: a gene with 2.7.11.1 is in 2.7.11.-, 2.7.-.- and 2.-.-.-.
    let ec = |n: &str| -> Vec<String> {
        let p: Vec<&str> = n.split('.').collect();
        let mut out = vec![n.to_string()];
        for keep in (1..4).rev() {
            if p[..keep].iter().all(|x| *x != "-") && p[keep] != "-" {
                out.push(p[..keep].iter().copied().chain(std::iter::repeat("-").take(4 - keep)).collect::<Vec<_>>().join("."));
            }
        }
        out
    };
    for (library, table, column, max, term_prefix) in
        [("Pfam", "pfam", "pfam_id", 1000, ""), ("PROSITE", "prosite", "prosite_id", 1000, ""), ("EC", "ec", "ec_number", 2000, "")]
    {
        let expected: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = table_sets(&org, table, column, |id| if table == "ec" { ec(id) } else { vec![id.to_string()] })
            .into_iter()
            .filter(|(_, g)| (5..=max).contains(&g.len()))
            .map(|(id, g)| (format!("{term_prefix}{id}"), g))
            .collect();
        assert!(!expected.is_empty(), "{library}: the fixture has sets of 5 genes or more");
        assert_eq!(exported(library), expected, "{library}");
    }
    let stats = t.stats();
    // org.Hs.eg.db's kegg table (KEGG's 2011 release, restrictive terms) is not ingested.
    assert!(table_sets(&org, "kegg", "path_id", |id| vec![id.to_string()]).len() > 0, "the fixture has a kegg table");
    assert!(stats["libraries"]["KEGG"].is_null());
    assert!(stats["libraries"]["EC"]["sets"].as_u64().unwrap() > 0);
}

#[test]
fn a_store_ingested_before_the_annotation_libraries_gets_them_with_if_empty() {
    let t = TestDir::new();
    let source = fixture("dev/GO.sqlite").parent().unwrap().to_str().unwrap().to_string();
    // An older store: the same data from an org.Hs.eg.db without the annotation tables, which
    // ingests with a warning and no such libraries.
    let old = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("dev/GO.sqlite"), old.path().join("GO.sqlite")).unwrap();
    std::fs::copy(fixture("dev/org.Hs.eg.sqlite"), old.path().join("org.Hs.eg.sqlite")).unwrap();
    let conn = rusqlite::Connection::open(old.path().join("org.Hs.eg.sqlite")).unwrap();
    conn.execute_batch("DROP TABLE kegg; DROP TABLE pfam; DROP TABLE prosite; DROP TABLE ec;").unwrap();
    drop(conn);
    t.ok(&["ingest", "default", "--source", old.path().to_str().unwrap()]);
    assert!(t.stats()["libraries"]["Pfam"].is_null());
    t.ok(&["ingest", "default", "--source", &source, "--if-empty"]);
    let added = t.stats()["libraries"].clone();
    let full = TestDir::new();
    full.ok(&["ingest", "default", "--source", &source]);
    let expected = full.stats()["libraries"].clone();
    for lib in ["Pfam", "PROSITE", "EC"] {
        assert!(added[lib]["sets"].as_u64().unwrap() > 0, "{lib}");
        assert_eq!(added[lib]["members"], expected[lib]["members"], "{lib}");
    }
}
