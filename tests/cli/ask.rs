//! `genekg ask`, `genekg eval questions` and `genekg mcp` against a fixture store and a model
//! trained on it (the same commands a user runs).

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::OnceLock;

use serde_json::{json, Value};

use crate::helpers::TestDir;

/// One fixture data directory with a trained model, predictions and indexes, shared by the
/// tests of this file (training takes seconds).
/// sled locks the store for one process: the tests of this file take turns.
fn turn() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

fn data() -> &'static TestDir {
    static DATA: OnceLock<TestDir> = OnceLock::new();
    DATA.get_or_init(|| {
        let t = TestDir::new();
        t.ingest_fixture_orgdb();
        let d = t.dir.path().to_str().unwrap().to_string();
        t.ok(&["--data-dir", &d, "train", "--epochs", "6", "--batch-size", "64", "--lr", "5e-3"]);
        t.ok(&["--data-dir", &d, "model", "predict"]);
        t.ok(&["--data-dir", &d, "index", "build"]);
        t
    })
}

fn data_dir() -> String {
    data().dir.path().to_str().unwrap().to_string()
}

#[test]
fn eval_questions_meets_the_bar_on_the_bundled_corpus() {
    let _turn = turn();
    let t = data();
    let out: Value = serde_json::from_str(&t.ok(&["--data-dir", &data_dir(), "eval", "questions", "--json"])).unwrap();
    assert!(out["questions"].as_u64().unwrap() >= 80, "{out}");
    assert!(out["accuracy"].as_f64().unwrap() >= 0.95, "misses: {}", out["misses"]);

    // A corpus that expects the wrong intent is scored as wrong, not waved through.
    let wrong = t.dir.path().join("wrong.jsonl");
    std::fs::write(&wrong, "{\"q\": \"What does CDK1 do?\", \"intent\": \"enrich\", \"genes\": [\"CDK1\"]}\n").unwrap();
    let out: Value = serde_json::from_str(&t.ok(&["--data-dir", &data_dir(), "eval", "questions", "--json", "--file", wrong.to_str().unwrap()])).unwrap();
    assert_eq!(out["correct"], 0);
}

#[test]
fn ask_prints_text_or_json() {
    let _turn = turn();
    let t = data();
    let text = t.ok(&["--data-dir", &data_dir(), "ask", "What are the top 3 predicted partners of RPA1?"]);
    assert!(text.starts_with("Predicted partners of RPA1:"), "{text}");
    let a: Value = serde_json::from_str(&t.ok(&["--data-dir", &data_dir(), "ask", "--json", "Why is MCM2 predicted for DNA replication?"])).unwrap();
    assert_eq!(a["intent"], "why_predicted");
    assert_eq!(a["terms"], json!(["GO_BP:GO:0006260"]));
    assert_eq!(a["understood"], true);
}

struct Mcp {
    child: std::process::Child,
    out: BufReader<std::process::ChildStdout>,
}

impl Mcp {
    fn send(&mut self, msg: Value) {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{msg}").unwrap();
        stdin.flush().unwrap();
    }

    fn recv(&mut self) -> Value {
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON-RPC: {line:?}: {e}"))
    }

    fn call(&mut self, id: u64, name: &str, args: Value) -> Value {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": name, "arguments": args}}));
        let r = self.recv();
        assert_eq!(r["id"], id, "{r}");
        r["result"].clone()
    }
}

#[test]
fn mcp_speaks_the_protocol_and_answers_like_graphql() {
    let _turn = turn();
    let t = data();
    let mut child = t
        .command(&["--data-dir", &data_dir(), "mcp"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let mut mcp = Mcp { child, out };
    mcp.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "genekg-test", "version": "0"}}}));
    let init = mcp.recv();
    assert_eq!(init["id"], 1, "{init}");
    assert!(init["result"]["capabilities"]["tools"].is_object(), "{init}");
    mcp.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));

    mcp.send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}));
    let list = mcp.recv();
    let mut names: Vec<&str> = list["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["ask", "augment", "enrich", "explain", "gene_lookup", "partners", "predicted_functions", "similar_genes"]);

    // Each tool answers with the data of its GraphQL query (run here through the CLI's ask on
    // the same store: the ask tool's rows equal `genekg ask --json`'s).
    let r = mcp.call(3, "gene_lookup", json!({"gene": "cdk1"}));
    let g = &r["structuredContent"]["data"]["gene"];
    assert_eq!(g["symbol"], "CDK1");
    assert_eq!(g["links"]["openTargets"], "https://platform.opentargets.org/target/ENSG00000170312");
    let r = mcp.call(4, "partners", json!({"gene": "RPA1", "first": 3}));
    assert_eq!(r["structuredContent"]["data"]["gene"]["predictedPartners"].as_array().unwrap().len(), 3);
    assert!(r["structuredContent"]["graphql"].as_str().unwrap().contains("predictedPartners(first: 3)"));
    let r = mcp.call(5, "predicted_functions", json!({"gene": "MCM2"}));
    let edges = r["structuredContent"]["data"]["gene"]["predictedFunctions"]["edges"].as_array().unwrap();
    assert!(edges.iter().all(|e| e["node"]["geneSet"]["id"].as_str().unwrap().contains(':')), "citations are set ids");
    let r = mcp.call(6, "enrich", json!({"genes": ["COL1A1", "COL1A2", "COL3A1"]}));
    assert!(r["structuredContent"]["data"]["enrich"]["results"]["totalCount"].as_u64().unwrap() > 0);
    let r = mcp.call(7, "augment", json!({"genes": ["MCM2", "MCM4"], "first": 5}));
    assert_eq!(r["structuredContent"]["data"]["augment"]["genes"].as_array().unwrap().len(), 5);
    let r = mcp.call(8, "similar_genes", json!({"gene": "MCM2", "first": 4}));
    assert_eq!(r["structuredContent"]["data"]["gene"]["similarGenes"].as_array().unwrap().len(), 4);
    let asked = mcp.call(9, "ask", json!({"question": "How are CDK1 and CDK2 related?"}));
    assert_eq!(asked["structuredContent"]["intent"], "relation");

    // Explanations: the GraphQL `Explanation` (text, citations, evidence), checked against
    // `genekg explain --json` below; and why a gene is predicted for a set.
    let explained = mcp.call(11, "explain", json!({"gene": "MCM2"}));
    let x = explained["structuredContent"]["data"]["gene"]["explanation"].clone();
    assert_eq!(x["source"], "template", "{explained}");
    assert!(x["citations"].as_array().unwrap().iter().any(|c| c["kind"] == "go"), "{x}");
    let set = x["evidence"]["predictedFunctions"][0]["set"]["key"].as_str().unwrap().to_string();
    let why = mcp.call(12, "explain", json!({"gene": "MCM2", "set": set}));
    let w = &why["structuredContent"]["data"]["explainPrediction"];
    assert_eq!(w["evidence"]["set"]["key"], set.as_str(), "{why}");
    assert!(w["text"].as_str().unwrap().contains("MCM2"));
    let r = mcp.call(13, "explain", json!({"gene": "MCM2", "set": "GO_BP"}));
    assert_eq!(r["isError"], true, "a bad set id is a tool error: {r}");

    // A gene that does not exist is a tool error the agent can read, not a crash.
    let r = mcp.call(10, "gene_lookup", json!({"gene": "NOSUCHGENE1"}));
    assert_eq!(r["isError"], true, "{r}");
    assert!(r["structuredContent"]["error"].as_str().unwrap().contains("NOSUCHGENE1"));

    drop(mcp.child.stdin.take());
    let status = mcp.child.wait().unwrap();
    assert!(status.success(), "mcp exits cleanly when the client closes stdin");
    let cli: Value = serde_json::from_str(&t.ok(&["--data-dir", &data_dir(), "ask", "--json", "How are CDK1 and CDK2 related?"])).unwrap();
    assert_eq!(asked["structuredContent"]["data"], cli["data"]);
    let cli: Value = serde_json::from_str(&t.ok(&["--data-dir", &data_dir(), "explain", "--json", "MCM2"])).unwrap();
    for field in ["text", "citations", "evidence", "source"] {
        assert_eq!(x[field], cli[field], "{field}");
    }
    let cli: Value = serde_json::from_str(&t.ok(&["--data-dir", &data_dir(), "explain", "--json", "MCM2", "--set", &set])).unwrap();
    assert_eq!((&w["text"], &w["evidence"]), (&cli["text"], &cli["evidence"]));
}
