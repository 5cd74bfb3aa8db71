//! Fuzzing on the stable toolchain: proptest generators for every parser of outside input (GMT
//! lines, gene_info files, gene ids, library names and set ids, questions, the GraphQL query
//! text scanner) and for whole GraphQL requests against the real server. Each property is "no
//! panic, no hang, and a clear answer", plus a round trip where the input is well formed.
//!
//! Bounded here (proptest's 256 cases, or `PROPTEST_CASES`); `scripts/fuzz.sh` runs long.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use genekg::domain::{GeneQuery, LibraryName, SetId};
use genekg::graphql::AppState;
use genekg::ingest::parse_gmt_line;
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::helpers::fixture_store;

/// Strings that reach the corners parsers trip on: separators, whitespace, control and
/// multi-byte characters, digits and the prefixes ids start with.
fn nasty_text(max: usize) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(vec!["\t", ",", "\r\n", " ", "\u{0}", "é", "😀", "ENSG", ":", "-", "#", "http://"]).prop_map(str::to_string),
        "[0-9]{1,12}",
        "[A-Za-z0-9_]{1,8}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..max).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn gmt_lines_never_panic_and_what_they_yield_is_clean(line in nasty_text(40)) {
        if let Ok(Some(l)) = parse_gmt_line(&line) {
            prop_assert!(!l.term.is_empty() && l.term.trim() == l.term);
            prop_assert!(!l.genes.is_empty());
            for g in &l.genes {
                prop_assert!(!g.is_empty() && g.trim() == g && !g.contains('\t') && !g.contains(','), "{g:?}");
            }
        }
    }

    #[test]
    fn well_formed_gmt_lines_round_trip(
        term in "[A-Za-z0-9_:]{1,20}",
        description in "[A-Za-z0-9 ]{0,30}",
        genes in prop::collection::vec("[A-Z0-9-]{1,10}", 1..30),
        weights in any::<bool>(),
    ) {
        let cells: Vec<String> = genes.iter().map(|g| if weights { format!("{g},1.0") } else { g.clone() }).collect();
        let line = format!("{term}\t{description}\t{}\n", cells.join("\t"));
        let parsed = parse_gmt_line(&line).unwrap().unwrap();
        prop_assert_eq!(&parsed.term, &term);
        prop_assert_eq!(parsed.genes, genes);
        let description = description.trim();
        prop_assert_eq!(parsed.description.as_deref(), (!description.is_empty() && description != "NA").then_some(description));
    }

    #[test]
    fn gene_ids_never_panic_and_round_trip(s in nasty_text(12)) {
        if let Ok(q) = GeneQuery::parse(&s) {
            prop_assert_eq!(GeneQuery::parse(&q.to_string()), Ok(q));
        }
    }

    #[test]
    fn long_gene_strings_are_refused_whatever_their_characters(s in "[a-zé😀]{101,140}") {
        prop_assert!(GeneQuery::parse(&s).is_err());
    }

    #[test]
    fn entrez_ids_parse_exactly(n in any::<u32>()) {
        prop_assert_eq!(GeneQuery::parse(&format!(" {n} ")), Ok(GeneQuery::Entrez(n)));
        let too_large = (u64::from(n) + u64::from(u32::MAX) + 1).to_string();
        prop_assert!(GeneQuery::parse(&too_large).is_err());
    }

    #[test]
    fn library_names_and_set_ids_never_panic_and_round_trip(s in nasty_text(12)) {
        if let Ok(l) = LibraryName::parse(&s) {
            prop_assert_eq!(LibraryName::parse(l.as_str()), Ok(l));
        }
        if let Ok(id) = SetId::parse(&s) {
            prop_assert_eq!(SetId::parse(&id.to_string()), Ok(id));
        }
    }

    #[test]
    fn the_query_nesting_scanner_never_panics_and_counts_real_brackets(s in nasty_text(30), n in 0usize..100) {
        let _ = genekg::graphql::limits::nesting_depth(&s);
        let nested = format!("{}{}", "{ a ".repeat(n), "} ".repeat(n));
        prop_assert_eq!(genekg::graphql::limits::nesting_depth(&nested), n.min(genekg::graphql::limits::MAX_NESTING + 1));
        let quoted = format!("{{ gene(id: \"{}\") {{ symbol }} }} # {}", "{[(".repeat(n), "{".repeat(n));
        prop_assert_eq!(genekg::graphql::limits::nesting_depth(&quoted), 2);
    }
}

/// One store for every gene_info case: each case reads back what it just wrote.
fn gene_info_store() -> &'static (genekg::store::Store, tempfile::TempDir) {
    static STORE: OnceLock<(genekg::store::Store, tempfile::TempDir)> = OnceLock::new();
    STORE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        (genekg::store::Store::open(dir.path().join("genekg.db")).unwrap(), dir)
    })
}

const GENE_INFO_HEADER: &str = "#tax_id\tGeneID\tSymbol\tLocusTag\tSynonyms\tdbXrefs\tchromosome\tmap_location\tdescription\ttype_of_gene";

fn gene_info_row() -> impl Strategy<Value = (u32, String, String)> {
    (1u32..4_000_000, "[A-Z][A-Z0-9-]{0,9}", "[a-z ]{0,20}")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: (ProptestConfig::default().cases / 2).max(1), ..ProptestConfig::default() })]

    #[test]
    fn gene_info_files_never_panic(header in prop_oneof![Just(GENE_INFO_HEADER.to_string()), nasty_text(10)], rows in prop::collection::vec(nasty_text(16), 0..8)) {
        let (store, dir) = gene_info_store();
        let path = dir.path().join("fuzz.gene_info");
        std::fs::write(&path, format!("{header}\n{}", rows.join("\n"))).unwrap();
        let _ = genekg::ingest::ingest_gene_info(store, &path, Some(9606));
    }

    #[test]
    fn well_formed_gene_info_rows_are_stored_as_written(rows in prop::collection::btree_map(1u32..4_000_000, gene_info_row(), 1..10)) {
        let (store, dir) = gene_info_store();
        let path = dir.path().join("fuzz-good.gene_info");
        let lines: Vec<String> = rows
            .iter()
            .map(|(id, (_, symbol, name))| format!("9606\t{id}\t{symbol}\t-\t-\t-\t1\t1p36\t{}\tprotein-coding", if name.trim().is_empty() { "-" } else { name }))
            .collect();
        std::fs::write(&path, format!("{GENE_INFO_HEADER}\n{}\n", lines.join("\n"))).unwrap();
        let report = genekg::ingest::ingest_gene_info(store, &path, Some(9606)).unwrap();
        prop_assert_eq!(report.genes, rows.len());
        for (id, (_, symbol, _)) in &rows {
            prop_assert_eq!(&store.gene(*id).unwrap().unwrap().symbol, symbol);
        }
    }
}

/// The API state over the fixture store, built once for the question parser.
fn fixture_state() -> &'static (Arc<AppState>, Arc<genekg::nl::Lexicon>, tempfile::TempDir) {
    static STATE: OnceLock<(Arc<AppState>, Arc<genekg::nl::Lexicon>, tempfile::TempDir)> = OnceLock::new();
    STATE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let state = Arc::new(AppState::load(fixture_store(dir.path())).unwrap());
        let lexicon = genekg::nl::lexicon(&state).unwrap();
        (state, lexicon, dir)
    })
}

/// Questions made of words the parser acts on (cue words, real symbols, counts, ids), mixed
/// with noise.
fn question() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        prop::sample::select(vec![
            "what", "does", "do", "genes", "like", "similar", "to", "partners", "of", "and", "how", "are", "related",
            "in", "pathway", "DNA", "repair", "top", "10", "500", "0", "-3", "1e9", "why", "is", "predicted", "for",
            "CDK1", "MCM2", "FEN1", "cdk1", "GO:0006281", "GO_BP:GO:0006281", "understudied", "drug", "targets",
            "enrich", "augment", "?", ",", "\"", "'", "(", ")",
        ])
        .prop_map(str::to_string),
        nasty_text(3),
    ];
    prop::collection::vec(word, 0..25).prop_map(|w| w.join(" "))
}

proptest! {
    #[test]
    fn questions_never_panic(q in question()) {
        let (state, lexicon, _) = fixture_state();
        let parsed = genekg::nl::parse(lexicon, state, &q);
        // What it read names real genes and sets, and counts within a page.
        for g in &parsed.genes {
            prop_assert!(state.store.gene(*g).unwrap().is_some(), "gene {g} from {q:?}");
        }
        prop_assert!(parsed.count.is_none_or(|n| (1..=500).contains(&n)), "{q:?}: {:?}", parsed.count);
    }
}

/// Fields, arguments and values the schema has, and some it has not, for random documents.
fn selection(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop::sample::select(vec!["symbol", "name", "id", "__typename", "entrez", "size", "nope", "query"]).prop_map(str::to_string);
    if depth == 0 {
        return leaf.boxed();
    }
    let value = prop_oneof![
        "\"[A-Za-z0-9:_ ]{0,8}\"".prop_map(|s| s),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        Just("[\"CDK1\", \"MCM2\"]".to_string()),
        Just("$v".to_string()),
    ];
    let arg = (prop::sample::select(vec!["id", "ids", "first", "after", "genes", "library", "question", "x"]), value)
        .prop_map(|(k, v)| format!("{k}: {v}"));
    let field = (
        prop::option::of("[a-z][a-z0-9]{0,3}"),
        prop::sample::select(vec!["gene", "genes", "geneSets", "geneSet", "libraries", "search", "enrich", "ask", "knownSets", "nodes", "meta", "symbol"]),
        prop::collection::vec(arg, 0..3),
        selection(depth - 1),
    )
        .prop_map(|(alias, name, args, sub)| {
            let alias = alias.map(|a| format!("{a}: ")).unwrap_or_default();
            let args = if args.is_empty() { String::new() } else { format!("({})", args.join(", ")) };
            format!("{alias}{name}{args} {{ {sub} }}")
        });
    prop::collection::vec(prop_oneof![leaf, field], 1..4).prop_map(|v| v.join(" ")).boxed()
}

/// A request body: a generated document (sometimes garbled byte-wise), raw bytes, or JSON of
/// the wrong shape, with a content type.
fn request_body() -> impl Strategy<Value = (String, Vec<u8>)> {
    let document = (prop::option::of(prop::sample::select(vec!["query", "mutation", "subscription", "query Q($v: String)"])), selection(3))
        .prop_map(|(op, sel)| format!("{} {{ {sel} }}", op.unwrap_or_default()));
    let garbled = (document.clone(), prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6)).prop_map(|(doc, edits)| {
        let mut bytes = doc.into_bytes();
        for (at, byte, kind) in edits {
            let i = at.index(bytes.len() + 1);
            match kind {
                0 => bytes.insert(i, byte),
                1 if i < bytes.len() => bytes[i] = byte,
                _ if i < bytes.len() => {
                    bytes.remove(i);
                }
                _ => {}
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    });
    let variables = prop_oneof![Just(json!({})), Just(json!({"v": "CDK1"})), Just(json!({"v": 5})), Just(json!([1, 2])), Just(Value::Null)];
    prop_oneof![
        (document, variables.clone()).prop_map(|(q, v)| ("application/json".to_string(), serde_json::to_vec(&json!({"query": q, "variables": v})).unwrap())),
        (garbled.clone(), variables).prop_map(|(q, v)| ("application/json".to_string(), serde_json::to_vec(&json!({"query": q, "variables": v})).unwrap())),
        garbled.prop_map(|q| ("application/graphql".to_string(), q.into_bytes())),
        (prop::sample::select(vec!["application/json", "application/graphql", "text/plain"]), prop::collection::vec(any::<u8>(), 0..200))
            .prop_map(|(ct, b)| (ct.to_string(), b)),
        prop::sample::select(vec!["[]", "{}", "null", "[null]", "{\"query\": null}", "{\"query\": []}", "[{\"query\": \"{ __typename }\"}, 7]"])
            .prop_map(|b| ("application/json".to_string(), b.as_bytes().to_vec())),
    ]
}

const CODES: [&str; 6] = ["BAD_INPUT", "NOT_FOUND", "AMBIGUOUS_GENE", "TOO_COMPLEX", "FORBIDDEN", "PAYLOAD_TOO_LARGE"];

/// Checks one answer: a known status, JSON, and every error coded with a client-side code
/// (never INTERNAL: nothing a client sends may break the server).
fn check_answer(status: u16, text: &str) -> Result<(), TestCaseError> {
    prop_assert!(matches!(status, 200 | 400 | 413), "status {status}: {text:.300}");
    let body: Value = serde_json::from_str(text).map_err(|_| TestCaseError::fail(format!("not JSON: {text:.300}")))?;
    let answers = match &body {
        Value::Array(items) => items.clone(),
        one => vec![one.clone()],
    };
    for a in answers {
        prop_assert!(a.get("data").is_some() || a.get("errors").is_some(), "{a}");
        for e in a["errors"].as_array().into_iter().flatten() {
            let code = e["extensions"]["code"].as_str().unwrap_or("<none>");
            prop_assert!(CODES.contains(&code), "code {code}: {e}");
        }
    }
    Ok(())
}

#[test]
fn random_and_garbled_graphql_requests_get_clear_answers() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let app = runtime.block_on(crate::helpers::spawn_app());
    let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let url = format!("{}/graphql", app.address);
    proptest!(|((content_type, body) in request_body())| {
        let res = client.post(&url).header("content-type", content_type).body(body).send().unwrap();
        let status = res.status().as_u16();
        check_answer(status, &res.text().unwrap())?;
    });
    let res = client.post(&url).json(&json!({"query": r#"{ gene(id: "CDK1") { symbol } }"#})).send().unwrap();
    assert_eq!(res.json::<Value>().unwrap()["data"]["gene"]["symbol"], "CDK1");
    drop(app);
    runtime.shutdown_timeout(Duration::from_secs(5));
}
