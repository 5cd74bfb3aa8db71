//! Enrichment against the scipy oracle (scripts/enrich_oracle.py) and on bad input.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use genekg::domain::{Entrez, LibraryName, SetId};
use genekg::enrich::fisher::{ln_upper_tail, Counts, LogFactorial};
use genekg::enrich::{Background, EnrichError, EnrichIndex, EnrichRequest, FdrScope, RankOptions, MAX_INPUT_GENES};
use genekg::ingest::{ingest_gmt, GmtOptions};
use genekg::store::Store;

mod support;
use support::fixture;

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    index: EnrichIndex,
    inputs: serde_json::Value,
}

/// The fixture store with the oracle's two libraries (see scripts/enrich_oracle.py), built once.
fn fx() -> &'static Fixture {
    static FX: OnceLock<Fixture> = OnceLock::new();
    FX.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let store = support::fixture_store(dir.path());
        let inputs: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(fixture("enrich_oracle_inputs.json")).unwrap()).unwrap();
        let small = &inputs["small_sizes"];
        for (name, min_size, max_size) in [
            ("ORACLE", 1, 5000),
            ("ORACLE_SMALL", small[0].as_u64().unwrap() as usize, small[1].as_u64().unwrap() as usize),
        ] {
            let opts = GmtOptions { library: LibraryName::parse(name).unwrap(), version: None, min_size, max_size };
            ingest_gmt(&store, &fixture("go_bp.gmt"), &opts).unwrap();
        }
        let index = EnrichIndex::build(&store, None).unwrap();
        Fixture { _dir: dir, store, index, inputs }
    })
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

struct OracleRow {
    kind: String,
    library: String,
    background: String,
    term: String,
    counts: [usize; 4],
    p: f64,
    ln_p: f64,
    last: f64,
}

fn oracle() -> Vec<OracleRow> {
    let text = std::fs::read_to_string(fixture("enrich_oracle.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("kind\t"))
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let f = |i: usize| c[i].parse::<f64>().unwrap();
            let u = |i: usize| c[i].parse::<usize>().unwrap();
            OracleRow {
                kind: c[0].into(),
                library: c[1].into(),
                background: c[2].into(),
                term: c[3].into(),
                counts: [u(4), u(5), u(6), u(7)],
                p: f(8),
                ln_p: f(9),
                last: f(10),
            }
        })
        .collect()
}

/// |a - b| <= 1e-9 |b|, with an absolute floor for values that are (almost) zero.
fn assert_close(what: &str, a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-9 * b.abs() + 1e-13, "{what}: genekg {a:e} vs scipy {b:e}");
}

#[test]
fn ora_matches_scipy_on_every_oracle_row() {
    let fx = fx();
    let mut cases: HashMap<(String, String, String), Vec<OracleRow>> = HashMap::new();
    for r in oracle().into_iter().filter(|r| r.kind != "counts" && r.kind != "rank") {
        cases.entry((r.kind.clone(), r.library.clone(), r.background.clone())).or_default().push(r);
    }
    assert!(cases.len() >= 25, "oracle file lost its cases: {}", cases.len());
    let mut compared = 0;
    let mut smallest = 0.0f64;
    for ((list, library, background), expected) in &cases {
        let result = fx
            .index
            .enrich(&EnrichRequest {
                genes: strings(&fx.inputs["lists"][list]),
                libraries: Some(vec![library.clone()]),
                background: match background.as_str() {
                    "library" => Background::LibraryGenes,
                    "all" => Background::AllGenes,
                    _ => Background::Custom(strings(&fx.inputs["custom_background"])),
                },
                ..Default::default()
            })
            .unwrap();
        let lib = &result.libraries[0];
        let by_term: HashMap<&str, _> = result.rows.iter().map(|r| (&*r.term, r)).collect();
        for e in expected {
            let what = format!("{list}/{library}/{background}/{}", e.term);
            let got = by_term.get(e.term.as_str()).unwrap_or_else(|| panic!("{what}: missing from genekg's result"));
            let [big_n, big_k, n, k] = e.counts;
            assert_eq!((lib.background_genes, got.set_size, lib.input_genes, got.overlap_size), (big_n, big_k, n, k), "{what}: N, K, n, k");
            assert_close(&format!("{what} ln p"), got.log10_p * std::f64::consts::LN_10, e.ln_p);
            assert_close(&format!("{what} p"), got.p_value, e.p);
            assert_close(&format!("{what} fdr"), got.fdr, e.last);
            smallest = smallest.min(e.ln_p);
            compared += 1;
        }
    }
    assert!(compared > 3000, "{compared}");
    assert!(smallest < -290.0, "the oracle's deepest fixture tail is only ln p = {smallest}");
}

#[test]
fn extreme_tails_match_scipy_in_log_space() {
    let table = LogFactorial::new(77_614);
    let rows: Vec<OracleRow> = oracle().into_iter().filter(|r| r.kind == "counts").collect();
    assert!(rows.len() >= 5);
    let mut below_f64 = 0;
    for r in &rows {
        let [big_n, big_k, n, k] = r.counts;
        let ln_p = ln_upper_tail(&table, Counts { big_n, big_k, n, k });
        assert!(ln_p.is_finite());
        assert_close(&r.term, ln_p, r.ln_p);
        if r.p > 0.0 {
            assert_close(&r.term, ln_p.exp(), r.p);
        } else {
            below_f64 += 1;
        }
    }
    assert!(below_f64 >= 3, "the oracle must hold tails below f64's range");
}

/// blitzGSEA's results on the fixture ranking (scripts/rank_oracle.py): the ranking, then per
/// set (term, size, ES, NES, p).
fn rank_oracle() -> (Vec<(Entrez, f32)>, Vec<(String, usize, f64, f64)>) {
    let text = std::fs::read_to_string(fixture("rank_oracle.tsv")).unwrap();
    let mut scores = Vec::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        if let Some(list) = line.strip_prefix("# scores ") {
            for pair in list.split(' ') {
                let (g, v) = pair.split_once(':').unwrap();
                scores.push((g.parse().unwrap(), v.parse::<f64>().unwrap() as f32));
            }
        } else if !line.starts_with('#') && !line.starts_with("term\t") {
            let c: Vec<&str> = line.split('\t').collect();
            rows.push((c[0].to_string(), c[1].parse().unwrap(), c[2].parse().unwrap(), c[4].parse().unwrap()));
        }
    }
    (scores, rows)
}

#[test]
fn rank_test_agrees_with_blitzgsea() {
    let fx = fx();
    let (scores, expected) = rank_oracle();
    assert!(scores.len() > 400 && expected.len() > 1000);
    let rows = fx
        .index
        .rank_enrich(&scores, &RankOptions { libraries: Some(vec!["ORACLE_SMALL".into()]), min_size: Some(5), max_size: None })
        .unwrap();
    let by_term: HashMap<&str, _> = rows.iter().map(|r| (&*r.term, r)).collect();
    let (mut compared, mut pairs) = (0, Vec::new());
    for (term, size, es, p) in &expected {
        let got = by_term.get(term.as_str()).unwrap_or_else(|| panic!("{term}: missing"));
        assert_eq!(got.set_size, *size, "{term}");
        // The same statistic: exact where blitzGSEA's peak is the upper one.
        if *es > 0.0 {
            assert!((got.es - es).abs() < 1e-9, "{term}: ES {} vs blitzGSEA {es}", got.es);
            compared += 1;
            // blitzGSEA doubles its upper tail (a two-sided p); genekg's is one-sided.
            pairs.push((got.log10_p + 2f64.log10(), p.log10()));
        }
    }
    assert!(compared > 500, "{compared}");
    // Two fits of two nulls from different random sets: the significant sets must agree in
    // order of magnitude, and the whole ordering closely.
    for &(mine, theirs) in &pairs {
        if theirs < -3.0 {
            assert!((mine - theirs).abs() < 1.0 + 0.1 * theirs.abs(), "log10 p {mine:.2} vs blitzGSEA {theirs:.2}");
        }
    }
    let rank = |v: Vec<f64>| {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
        let mut r = vec![0.0; v.len()];
        idx.iter().enumerate().for_each(|(i, &j)| r[j] = i as f64);
        r
    };
    let (a, b) = (rank(pairs.iter().map(|p| p.0).collect()), rank(pairs.iter().map(|p| p.1).collect()));
    let n = a.len() as f64;
    let d2: f64 = a.iter().zip(&b).map(|(x, y)| (x - y).powi(2)).sum();
    let spearman = 1.0 - 6.0 * d2 / (n * (n * n - 1.0));
    assert!(spearman > 0.95, "Spearman correlation of p with blitzGSEA: {spearman:.3}");
    // Significant sets (FDR <= 0.05) first, each group by ES, then p, then set id; ranks 1..
    let key = |r: &genekg::enrich::RankRow| (r.fdr > 0.05, -r.es, r.log10_p, r.set_id.to_string());
    for (i, w) in rows.windows(2).enumerate() {
        assert!(key(&w[0]) < key(&w[1]), "{} before {}", w[0].set_id, w[1].set_id);
        assert_eq!(w[0].rank, i + 1);
    }
    assert!(rows[0].fdr <= 0.05 && rows.last().unwrap().fdr > 0.05);
}

#[test]
fn rank_test_rejects_bad_scores() {
    let ix = &fx().index;
    let opts = RankOptions::default();
    assert!(matches!(ix.rank_enrich(&[], &opts), Err(EnrichError::Scores(_))));
    let nan = ix.rank_enrich(&[(Entrez(1), 1.0), (Entrez(2), f32::NAN)], &opts).unwrap_err().to_string();
    assert!(nan.contains("gene 2") && nan.contains("NaN"), "{nan}");
    let dup = ix.rank_enrich(&[(Entrez(7), 1.0), (Entrez(7), 2.0)], &opts).unwrap_err().to_string();
    assert!(dup.contains("gene 7"), "{dup}");
    let lib = ix
        .rank_enrich(&[(Entrez(1), 1.0)], &RankOptions { libraries: Some(vec!["KEGG".into()]), ..Default::default() })
        .unwrap_err()
        .to_string();
    assert!(lib.contains("`KEGG`") && lib.contains("ORACLE"), "{lib}");
}

fn request(genes: &[&str]) -> EnrichRequest {
    EnrichRequest {
        genes: genes.iter().map(|s| s.to_string()).collect(),
        libraries: Some(vec!["ORACLE".into()]),
        ..Default::default()
    }
}

#[test]
fn bad_input_gets_clear_errors() {
    let ix = &fx().index;
    assert!(matches!(ix.enrich(&request(&[])), Err(EnrichError::EmptyInput)));
    assert!(matches!(ix.enrich(&request(&["  ", ""])), Err(EnrichError::EmptyInput)));
    let unknown = ix.enrich(&request(&["NOTAGENE1", "ZZZ9"])).unwrap_err().to_string();
    assert!(unknown.contains("none of the 2") && unknown.contains("NOTAGENE1"), "{unknown}");
    let huge: Vec<String> = (0..=MAX_INPUT_GENES).map(|i| format!("G{i}")).collect();
    let huge = ix.enrich(&EnrichRequest { genes: huge, ..Default::default() }).unwrap_err().to_string();
    assert!(huge.contains(&(MAX_INPUT_GENES + 1).to_string()) && huge.contains("limit"), "{huge}");
    let mut bad_lib = request(&["MCM2"]);
    bad_lib.libraries = Some(vec!["ORACLE".into(), "GO_XX".into(), "Nope".into()]);
    let msg = ix.enrich(&bad_lib).unwrap_err().to_string();
    assert!(msg.contains("`GO_XX`, `Nope`") && msg.contains("available: GO_BP"), "{msg}");
    let mut sizes = request(&["MCM2"]);
    sizes.min_size = Some(10);
    sizes.max_size = Some(5);
    assert!(matches!(ix.enrich(&sizes), Err(EnrichError::SizeRange { min: 10, max: 5 })));
    let mut empty_bg = request(&["MCM2"]);
    empty_bg.background = Background::Custom(vec!["NOTAGENE".into()]);
    assert!(ix.enrich(&empty_bg).unwrap_err().to_string().contains("background"));
}

#[test]
fn unknown_ambiguous_and_duplicate_genes_are_reported() {
    let ix = &fx().index;
    // CAF1 is an alias of both CHAF1A (10036) and CHAF1B (8208) in org.Hs.eg.db.
    let r = ix.enrich(&request(&["MCM2", "mcm2", "4171", "CAF1", "NOTAGENE", "MCM4"])).unwrap();
    assert_eq!(r.input.given, 6);
    assert_eq!(r.input.genes, vec![Entrez(4171), Entrez(4173)]);
    assert_eq!(r.input.duplicates, vec!["mcm2", "4171"]);
    assert_eq!(r.input.unknown, vec!["NOTAGENE"]);
    assert_eq!(r.input.ambiguous.len(), 1);
    assert_eq!(r.input.ambiguous[0].input, "CAF1");
    assert_eq!(r.input.ambiguous[0].candidates, vec![8208, 10036]);
    assert_eq!(r.libraries[0].input_genes, 2);
}

#[test]
fn background_variants_change_the_universe() {
    let ix = &fx().index;
    let genes = strings(&fx().inputs["lists"]["replication_30"]);
    let run = |background: Background| {
        ix.enrich(&EnrichRequest {
            genes: genes.clone(),
            libraries: Some(vec!["ORACLE_SMALL".into()]),
            background,
            ..Default::default()
        })
        .unwrap()
    };
    let library = run(Background::LibraryGenes);
    let all = run(Background::AllGenes);
    assert_eq!(all.libraries[0].background_genes, ix.gene_count());
    assert!(library.libraries[0].background_genes < ix.gene_count());
    // A wider universe makes the same overlap less likely by chance.
    let p = |r: &genekg::enrich::EnrichResult| r.rows.iter().find(|x| &*x.term == "DNA replication (GO:0006260)").map(|x| x.log10_p);
    assert!(p(&all).unwrap() < p(&library).unwrap());
    // A custom background: only its genes count, unrecognised entries are reported.
    let mut bg: Vec<String> = genes[..10].to_vec();
    bg.push("NOTAGENE".into());
    let custom = run(Background::Custom(bg));
    assert_eq!(custom.libraries[0].background_genes, 10);
    assert_eq!(custom.libraries[0].input_genes, 10);
    assert_eq!(custom.input.background_unrecognised, vec!["NOTAGENE"]);
    assert!(custom.rows.iter().all(|r| r.set_size <= 10 && r.overlap_size == r.set_size));
}

#[test]
fn order_is_total_and_equal_queries_share_the_cache() {
    let ix = &fx().index;
    let genes = strings(&fx().inputs["lists"]["mixed_60"]);
    let a = ix.enrich(&EnrichRequest { genes: genes.clone(), ..Default::default() }).unwrap();
    assert!(a.rows.len() > 500);
    for (i, w) in a.rows.windows(2).enumerate() {
        assert!((w[0].log10_p, w[0].set_id.as_str()) < (w[1].log10_p, w[1].set_id.as_str()), "{} then {}", w[0].set_id, w[1].set_id);
        assert_eq!(w[0].rank, i + 1);
    }
    // The same genes, reordered and in other id types, hit the cached rows.
    let mut other: Vec<String> = genes.iter().rev().map(|g| g.to_lowercase()).collect();
    other.push(" ".into());
    let b = ix.enrich(&EnrichRequest { genes: other, ..Default::default() }).unwrap();
    assert!(Arc::ptr_eq(&a.rows, &b.rows));
    // Overlap genes are Entrez ids of input genes with symbols.
    let top = &a.rows[0];
    assert_eq!(top.overlap.len(), top.overlap_size);
    assert!(top.overlap.iter().all(|g| a.input.genes.contains(g) && ix.symbol(*g).is_some()));
    assert_eq!(top.set_id.to_string(), format!("{}:{}", top.library, top.term));
    let members = ix.set_genes(&top.set_id).unwrap();
    assert!(top.overlap.iter().all(|g| members.contains(g)) && members.len() == top.set_size);
}

#[test]
fn size_limits_filter_sets_and_the_fdr_denominator() {
    let ix = &fx().index;
    let mut req = request(&strings(&fx().inputs["lists"]["ecm_10"]).iter().map(String::as_str).collect::<Vec<_>>());
    let all = ix.enrich(&req).unwrap();
    req.min_size = Some(10);
    req.max_size = Some(50);
    let some = ix.enrich(&req).unwrap();
    assert!(some.libraries[0].sets_tested < all.libraries[0].sets_tested);
    assert!(some.rows.iter().all(|r| (10..=50).contains(&r.set_size)));
    assert!(some.rows.len() < all.rows.len());
}

#[test]
fn fdr_scope_sets_the_number_of_hypotheses() {
    let ix = &fx().index;
    let mut req = request(&strings(&fx().inputs["lists"]["ecm_10"]).iter().map(String::as_str).collect::<Vec<_>>());
    let tested = ix.enrich(&req).unwrap();
    req.fdr_scope = FdrScope::SetsWithOverlap;
    let overlapping = ix.enrich(&req).unwrap();
    let m = overlapping.rows.len();
    assert!(m < tested.libraries[0].sets_tested);
    // Benjamini-Hochberg by hand over the listed rows only (they are sorted by p already).
    let mut running = 1.0f64;
    for (j, row) in overlapping.rows.iter().enumerate().rev() {
        running = running.min(row.p_value * m as f64 / (j + 1) as f64);
        assert!((row.fdr - running).abs() <= 1e-12 * running, "{}: {} vs {}", row.set_id, row.fdr, running);
    }
    for (a, b) in tested.rows.iter().zip(overlapping.rows.iter()) {
        assert_eq!((&a.set_id, a.p_value), (&b.set_id, b.p_value));
        assert!(b.fdr <= a.fdr);
    }
}

#[test]
fn the_index_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<EnrichIndex>();
    let ix = &fx().index;
    let genes = strings(&fx().inputs["lists"]["replication_30"]);
    let answers: Vec<usize> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| ix.enrich(&EnrichRequest { genes: genes.clone(), ..Default::default() }).unwrap().rows.len()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(answers.iter().all(|&n| n == answers[0] && n > 0));
}

/// The same GMT read straight from the file (no store, genes matched by name) gives the
/// oracle's counts and p-values for every ORACLE row with the library background.
#[test]
fn gmt_index_matches_scipy_without_a_store() {
    let fx = fx();
    // The oracle counts the genes the store knows; three fixture symbols are outside its cut
    // of the catalogue, so the GMT is written without them, as `genekg export gmt` would.
    let resolver = fx.store.resolver().unwrap();
    let known: String = std::fs::read_to_string(fixture("go_bp.gmt"))
        .unwrap()
        .lines()
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            let genes: Vec<&str> = cells[2..].iter().copied().filter(|g| matches!(resolver.resolve_str(g), genekg::store::Resolution::Found(_))).collect();
            format!("{}\t{}\t{}\n", cells[0], cells[1], genes.join("\t"))
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("oracle.gmt"), known).unwrap();
    let index = EnrichIndex::from_gmt(&[("ORACLE".to_string(), dir.path().join("oracle.gmt"))]).unwrap();
    let mut compared = 0;
    // (The oracle's custom background is written as Entrez ids, which a GMT of symbols cannot
    // know; custom backgrounds over GMT names are checked by hand below.)
    for r in oracle().into_iter().filter(|r| r.library == "ORACLE" && r.kind != "counts" && r.kind != "rank" && r.background == "library") {
        let background = Background::LibraryGenes;
        // Lower-cased input: GMT names match ignoring case.
        let genes = strings(&fx.inputs["lists"][&r.kind]).iter().map(|g| g.to_lowercase()).collect();
        let result = index.enrich(&EnrichRequest { genes, background, ..Default::default() }).unwrap();
        let what = format!("{}/{}/{}", r.kind, r.background, r.term);
        let got = result.rows.iter().find(|row| *row.term == r.term).unwrap_or_else(|| panic!("{what}: missing"));
        let lib = &result.libraries[0];
        assert_eq!([lib.background_genes, got.set_size, lib.input_genes, got.overlap_size], r.counts, "{what}: N, K, n, k");
        assert_close(&format!("{what} ln p"), got.log10_p * std::f64::consts::LN_10, r.ln_p);
        assert_close(&format!("{what} fdr"), got.fdr, r.last);
        assert_eq!(got.set_id.as_str(), format!("ORACLE:{}", r.term));
        compared += 1;
    }
    assert!(compared > 500, "{compared}");
}

#[test]
fn malformed_gmt_files_are_named_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let err = |files: Vec<(&str, PathBuf)>| {
        let files: Vec<(String, PathBuf)> = files.into_iter().map(|(n, p)| (n.to_string(), p)).collect();
        match EnrichIndex::from_gmt(&files) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted {files:?}"),
        }
    };
    let good = write("good.gmt", "T1\tdesc\tMCM2\tMCM4\n");
    let e = err(vec![("A", write("a.gmt", "T1\tdesc\tMCM2\n\nT2 no tabs here\n"))]);
    assert!(e.contains("a.gmt line 3") && e.contains("T2 no tabs here"), "{e}");
    let e = err(vec![("A", write("b.gmt", "T1\td\tMCM2\nT1\td\tMCM4\n"))]);
    assert!(e.contains("b.gmt line 2") && e.contains("already defined on line 1"), "{e}");
    let e = err(vec![("A", write("c.gmt", "# only a comment\n"))]);
    assert!(e.contains("holds no gene sets"), "{e}");
    let e = err(vec![("A", good.clone()), ("A", good.clone())]);
    assert!(e.contains("two files are named library `A`"), "{e}");
    let e = err(vec![("A", dir.path().join("missing.gmt"))]);
    assert!(e.contains("missing.gmt"), "{e}");
    // A gene written twice in one set counts once; unknown input genes are reported.
    let index = EnrichIndex::from_gmt(&[("A".to_string(), write("d.gmt", "T1\td\tMCM2\tmcm2\tMCM4\nT2\td\tPOLA1\tMCM2\n"))]).unwrap();
    let r = index.enrich(&EnrichRequest { genes: vec!["MCM2".into(), "NOPE".into()], ..Default::default() }).unwrap();
    assert_eq!(r.input.unknown, vec!["NOPE".to_string()]);
    let t1 = r.rows.iter().find(|row| &*row.term == "T1").unwrap();
    assert_eq!((t1.set_size, t1.overlap_size, r.libraries[0].background_genes), (2, 1, 3));
    let custom = Background::Custom(vec!["mcm2".into(), "POLA1".into(), "NOT_IN_GMT".into()]);
    let r = index.enrich(&EnrichRequest { genes: vec!["MCM2".into()], background: custom, ..Default::default() }).unwrap();
    assert_eq!(r.input.background_unrecognised, vec!["NOT_IN_GMT".to_string()]);
    let t1 = r.rows.iter().find(|row| &*row.term == "T1").unwrap();
    assert_eq!((t1.set_size, r.libraries[0].background_genes), (1, 2));
}

/// Files larger than the reader's 1 MB chunks: line numbers in errors count across chunks, a
/// term repeated in a later chunk is caught, and the index is the same as from a small file.
#[test]
fn large_gmt_files_read_in_chunks_keep_line_numbers_and_results() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = std::fs::read_to_string(fixture("go_bp.gmt")).unwrap();
    let lines: Vec<&str> = fixture.lines().filter(|l| !l.trim().is_empty()).collect();
    // Copies of the fixture's sets under new terms until the file is ~3 MB.
    let mut big = String::new();
    let mut copies = 0;
    while big.len() < 3 << 20 {
        for l in &lines {
            let (term, rest) = l.split_once('\t').unwrap();
            big.push_str(&format!("{term}_copy{copies}\t{rest}\n"));
        }
        copies += 1;
    }
    let line_count = big.lines().count();
    assert!(copies > 2, "{copies}");
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let load = |p: PathBuf| EnrichIndex::from_gmt(&[("BIG".to_string(), p)]);

    let bad = write("bad.gmt", &format!("{big}broken line without tabs\n"));
    let e = load(bad).err().unwrap().to_string();
    assert!(e.contains(&format!("bad.gmt line {}", line_count + 1)), "{e}");
    let first_term = lines[0].split('\t').next().unwrap();
    let dup = write("dup.gmt", &format!("{big}{first_term}_copy0\tagain\tMCM2\n"));
    let e = load(dup).err().unwrap().to_string();
    assert!(e.contains(&format!("dup.gmt line {}", line_count + 1)) && e.contains("already defined on line 1"), "{e}");

    // The last copy alone in a small file gives the same rows for its terms.
    let big_index = load(write("big.gmt", &big)).unwrap();
    let last: String = big.lines().skip(line_count - lines.len()).map(|l| format!("{l}\n")).collect();
    let small_index = load(write("small.gmt", &last)).unwrap();
    assert_eq!(big_index.set_count(), line_count);
    let genes: Vec<String> = lines[0].split('\t').skip(2).take(8).map(str::to_string).collect();
    let request = EnrichRequest { genes, background: Background::AllGenes, ..Default::default() };
    let from_big = big_index.enrich(&request).unwrap();
    let from_small = small_index.enrich(&request).unwrap();
    let suffix = format!("_copy{}", copies - 1);
    let rows_big: Vec<_> =
        from_big.rows.iter().filter(|r| r.term.ends_with(&suffix)).map(|r| (r.term.to_string(), r.set_size, r.overlap_size)).collect();
    let rows_small: Vec<_> = from_small.rows.iter().map(|r| (r.term.to_string(), r.set_size, r.overlap_size)).collect();
    assert!(!rows_small.is_empty());
    assert_eq!(rows_big, rows_small);
}

/// Every kind of question the CLI asks, for comparing two indexes of the same store.
fn questions() -> Vec<EnrichRequest> {
    let replication = strings(&fx().inputs["lists"]["replication_30"]);
    let mut out = vec![
        // Symbols, an alias of several genes, duplicates, Entrez, an unknown entry; every library.
        EnrichRequest { genes: ["MCM2", "mcm2", "4171", "CAF1", "NOTAGENE", "MCM4", "POLA1"].map(String::from).to_vec(), ..Default::default() },
        EnrichRequest { genes: replication.clone(), libraries: Some(vec!["ORACLE_SMALL".into(), "GO_BP".into()]), ..Default::default() },
        EnrichRequest { genes: replication.clone(), background: Background::AllGenes, fdr_scope: FdrScope::SetsWithOverlap, ..Default::default() },
        EnrichRequest { genes: replication.clone(), min_size: Some(5), max_size: Some(200), libraries: Some(vec!["ORACLE".into()]), ..Default::default() },
    ];
    out.push(EnrichRequest { background: Background::Custom(replication[..20].to_vec()), ..out[1].clone() });
    out
}

fn answer(ix: &EnrichIndex, req: &EnrichRequest) -> serde_json::Value {
    match ix.enrich_uncached(req) {
        Ok(r) => serde_json::to_value(&r).unwrap(),
        Err(e) => serde_json::Value::String(e.to_string()),
    }
}

#[test]
fn the_index_file_reads_back_the_store_index_and_answers_the_same() {
    use genekg::enrich::compact;
    let fx = fx();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("enrich-index");
    let manifest = compact::write(&fx.index, &fx.store.data_versions().unwrap(), &target).unwrap();
    assert_eq!(manifest.genes, fx.index.gene_count());
    assert_eq!(compact::manifest(&target).unwrap(), manifest);
    let all = compact::load(&target, None).unwrap();
    assert_eq!(all.library_names(), fx.index.library_names());
    assert_eq!(all.set_count(), fx.index.set_count());
    for req in questions() {
        assert_eq!(answer(&all, &req), answer(&fx.index, &req), "{:?}", req.genes);
        // Loading only the libraries asked for answers as the store index built with them.
        if let Some(libs) = &req.libraries {
            let from_file = compact::load(&target, Some(libs)).unwrap();
            let from_store = EnrichIndex::build(&fx.store, Some(libs)).unwrap();
            assert_eq!(answer(&from_file, &req), answer(&from_store, &req));
        }
    }
    for id in ["ORACLE:DNA replication (GO:0006260)", "GO_BP:GO:0006260"] {
        let id = SetId::parse(id).unwrap();
        assert_eq!(all.set_genes(&id), fx.index.set_genes(&id), "{id}");
    }
    assert_eq!(all.symbol(Entrez(4171)), Some("MCM2"));
    let unknown = compact::load(&target, Some(&["GO_BP".into(), "Nope".into()])).err().unwrap().to_string();
    assert!(unknown.contains("unknown library `Nope`") && unknown.contains("available: GO_BP"), "{unknown}");
}

#[test]
fn a_missing_stale_or_damaged_index_file_names_the_command_to_run() {
    use genekg::enrich::compact::{self, IndexFileError};
    let dir = tempfile::tempdir().unwrap();
    let store = support::fixture_store(dir.path());
    let db = store.path().to_path_buf();
    let target = compact::index_dir(&db);
    let missing = compact::load(&target, None).err().unwrap();
    assert!(matches!(missing, IndexFileError::Missing(_)));
    assert!(missing.to_string().contains("`genekg enrich-index`"), "{missing}");

    compact::rebuild(&store, &db).unwrap();
    let before = answer(&compact::load(&target, None).unwrap(), &questions()[0]);
    assert_eq!(before, answer(&EnrichIndex::build(&store, None).unwrap(), &questions()[0]));
    // A library written without the index rebuilt after it (an ingest killed between the two):
    // the store marked the index stale before the library became visible.
    let opts = GmtOptions { library: LibraryName::parse("EXTRA").unwrap(), version: None, min_size: 1, max_size: 5000 };
    ingest_gmt(&store, &fixture("go_bp.gmt"), &opts).unwrap();
    let stale = compact::load(&target, None).err().unwrap();
    assert!(matches!(stale, IndexFileError::Stale { .. }), "{stale}");
    let text = stale.to_string();
    assert!(text.contains("library EXTRA was re-ingested") && text.contains("`genekg enrich-index`"), "{text}");
    // Rebuilt, it is current again and knows the new library.
    compact::rebuild(&store, &db).unwrap();
    assert!(compact::load(&target, None).unwrap().library_names().contains(&"EXTRA"));
    // A gene catalogue change and a removed library mark it too.
    store.remove_library("EXTRA").unwrap();
    assert!(compact::load(&target, None).err().unwrap().to_string().contains("library EXTRA was removed"));
    compact::rebuild(&store, &db).unwrap();
    genekg::ingest::ingest_gene_info(&store, &fixture("Homo_sapiens.gene_info"), Some(9606)).unwrap();
    assert!(compact::load(&target, None).err().unwrap().to_string().contains("gene catalogue changed"));
    compact::rebuild(&store, &db).unwrap();

    // Damage: a truncated library file, a file swapped for another.
    let manifest = compact::manifest(&target).unwrap();
    let lib = target.join(&manifest.libraries[0].file);
    let bytes = std::fs::read(&lib).unwrap();
    std::fs::write(&lib, &bytes[..bytes.len() - 3]).unwrap();
    let damaged = compact::load(&target, Some(&[manifest.libraries[0].name.clone()])).err().unwrap();
    assert!(matches!(damaged, IndexFileError::Damaged { .. }) && damaged.to_string().contains("`genekg enrich-index`"), "{damaged}");
    std::fs::write(&lib, std::fs::read(target.join("genes.bin")).unwrap()).unwrap();
    assert!(compact::load(&target, Some(&[manifest.libraries[0].name.clone()])).is_err());
}
