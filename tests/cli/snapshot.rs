//! `genekg snapshot export/import`: the round trip gives the same answers, a damaged or
//! truncated file imports nothing; and a server serving a snapshot swaps in a re-ingested one on
//! SIGHUP while readers see the old data or the new, never a mix.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::faults::{check_passes, trained};
use crate::helpers::TestDir;

#[test]
fn a_snapshot_imported_into_an_empty_dir_answers_as_the_original() {
    let t = TestDir::new();
    trained(&t);
    let file = t.dir.path().join("s1.genekg");
    t.ok(&["snapshot", "export", file.to_str().unwrap()]);
    assert!(std::fs::metadata(&file).unwrap().permissions().readonly(), "a snapshot is written read-only");
    let again = t.run(&["snapshot", "export", file.to_str().unwrap()]);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("immutable"));

    let replica = TestDir::new();
    replica.ok(&["snapshot", "import", file.to_str().unwrap()]);
    check_passes(&replica);
    for args in [
        &["gene", "MCM2", "--json"][..],
        &["stats", "--json"],
        &["index", "similar-genes", "MCM2", "-k", "5"],
        &["model", "augment", "MCM2,MCM3,MCM4"],
    ] {
        assert_eq!(replica.ok(args), t.ok(args), "{args:?} differs after the round trip");
    }
    // Import writes the enrichment index from the imported store: current, and what `enrich`
    // reads (it says when it falls back to the store).
    let check = replica.ok(&["check"]);
    assert!(!check.contains("enrichment index"), "{check}");
    replica.ok(&["enrich-index", "--check"]);
    let genes = replica.dir.path().join("genes.txt");
    std::fs::write(&genes, "MCM2\nMCM4\nMCM5\nPOLA1\n").unwrap();
    let enrich = ["enrich", "--genes", genes.to_str().unwrap(), "--json", "--first", "5"];
    let original = t.ok(&enrich);
    let out = replica.run(&enrich);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && !err.contains("reading the store instead"), "{err}");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), original, "enrich differs after the round trip");
    // A later ingest into the imported store gets generations of its own.
    let gmt = replica.dir.path().join("new.gmt");
    std::fs::write(&gmt, "REPLICATION\tfixture genes\tMCM2\tMCM4\tMCM5\tPOLA1\n").unwrap();
    replica.ok(&["ingest", "gmt", "--library", "NEWLIB", gmt.to_str().unwrap()]);
    let stats = replica.stats();
    assert_eq!(stats["libraries"]["GO_BP"], t.stats()["libraries"]["GO_BP"], "{stats}");
    let out = replica.run(&["check"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("older than its data"), "predictions are stale after the ingest, nothing else");

    // Not into a data dir that has a store.
    let out = replica.run(&["snapshot", "import", file.to_str().unwrap()]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("empty data directory"));

    // A flipped byte or a cut file imports nothing.
    let bytes = std::fs::read(&file).unwrap();
    let damaged = t.dir.path().join("damaged.genekg");
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 0x40;
    std::fs::write(&damaged, &flipped).unwrap();
    let cut = t.dir.path().join("cut.genekg");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    for (bad, says) in [(&damaged, "damaged"), (&cut, "not a complete genekg snapshot")] {
        let empty = TestDir::new();
        let out = empty.run(&["snapshot", "import", bad.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(says), "{err}");
        for part in ["genekg.db", "model", "index"] {
            assert!(!empty.dir.path().join(part).exists(), "{part} was left by a failed import");
        }
    }
}

struct Replica {
    child: Child,
    url: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn serve_snapshot(data_dir: &Path, file: &Path) -> Replica {
    let mut child = Command::new(env!("CARGO_BIN_EXE_genekg"))
        .args(["--data-dir", data_dir.to_str().unwrap(), "serve", "--addr", "127.0.0.1:0", "--llm", "none", "--snapshot", file.to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.split_whitespace().find(|w| w.ends_with("/graphql")).unwrap_or_else(|| panic!("no URL in `{line}`")).to_string();
    Replica { child, url }
}

const QUERY: &str = r#"{ meta { dataVersion } geneSets(library: "LIB", first: 50) { totalCount nodes { id name size genes(first: 50) { nodes { symbol } } } } }"#;

fn ask(client: &reqwest::blocking::Client, url: &str, query: &str) -> serde_json::Value {
    client.post(url).json(&serde_json::json!({ "query": query })).timeout(Duration::from_secs(30)).send().unwrap().json().unwrap()
}

#[test]
fn a_reingest_reaches_a_served_snapshot_whole_while_readers_read() {
    let writer = TestDir::new();
    writer.ingest_fixture_orgdb();
    let v1 = writer.dir.path().join("v1.gmt");
    std::fs::write(&v1, "REPLICATION\tDNA replication\tMCM2\tMCM3\tMCM4\tMCM5\nLICENSING\tlicensing\tCDC6\tORC1\tMCM2\n").unwrap();
    let v2 = writer.dir.path().join("v2.gmt");
    std::fs::write(
        &v2,
        "REPLICATION\tDNA replication, revised\tMCM2\tMCM3\tMCM4\tMCM5\tMCM6\tMCM7\nHELICASE\thelicase\tMCM4\tMCM6\tMCM7\nORIGIN\torigin binding\tORC1\tCDC6\tMCM2\n",
    )
    .unwrap();
    let export = |gmt: &Path, name: &str| {
        writer.ok(&["ingest", "gmt", "--library", "LIB", gmt.to_str().unwrap()]);
        let file = writer.dir.path().join(name);
        writer.ok(&["snapshot", "export", file.to_str().unwrap()]);
        file
    };
    let s1 = export(&v1, "s1.genekg");
    let s2 = export(&v2, "s2.genekg");
    let serving = TestDir::new();
    let served = serving.dir.path().join("served.genekg");
    std::fs::copy(&s1, &served).unwrap();
    let replica = serve_snapshot(&serving.dir.path().join("data"), &served);
    let client = reqwest::blocking::Client::new();
    let old = ask(&client, &replica.url, QUERY);
    assert_eq!(old["data"]["geneSets"]["totalCount"], 2, "{old}");
    // Mutations are refused on a replica.
    let refused = ask(&client, &replica.url, r#"mutation { addGeneSet(genes: ["MCM2"]) { id } }"#);
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused}");

    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (url, stop) = (replica.url.clone(), stop.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::new();
                let mut answers = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    answers.push(ask(&client, &url, QUERY));
                }
                answers
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    // The new snapshot replaces the served file in one rename, then the server is told.
    let tmp = serving.dir.path().join("served.genekg.new");
    std::fs::copy(&s2, &tmp).unwrap();
    std::fs::rename(&tmp, &served).unwrap();
    let hup = Command::new("kill").args(["-HUP", &replica.child.id().to_string()]).status().unwrap();
    assert!(hup.success());
    let started = Instant::now();
    let new = loop {
        let a = ask(&client, &replica.url, QUERY);
        if a != old {
            break a;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "the new snapshot was never served");
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    assert_eq!(new["data"]["geneSets"]["totalCount"], 3, "{new}");
    assert_ne!(new["data"]["meta"]["dataVersion"], old["data"]["meta"]["dataVersion"]);
    let mut seen_old = 0;
    for r in readers {
        let answers = r.join().unwrap();
        let mut switched = false;
        for a in &answers {
            if *a == old {
                assert!(!switched, "a reader went back to the old snapshot after seeing the new one");
                seen_old += 1;
            } else {
                assert_eq!(*a, new, "an answer is neither the old snapshot's nor the new one's");
                switched = true;
            }
        }
        assert!(switched, "a reader never saw the new snapshot");
    }
    assert!(seen_old > 0, "the readers started after the swap; the test proved nothing");
    // The replaced import is removed once its requests are done; a second SIGHUP is a no-op.
    let replicas = serving.dir.path().join("data/replicas");
    let started = Instant::now();
    while std::fs::read_dir(&replicas).unwrap().count() > 1 {
        assert!(started.elapsed() < Duration::from_secs(30), "the old import was not removed");
        std::thread::sleep(Duration::from_millis(100));
    }
    Command::new("kill").args(["-HUP", &replica.child.id().to_string()]).status().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(ask(&client, &replica.url, QUERY), new);
    let ready: serde_json::Value =
        client.get(replica.url.replace("/graphql", "/readyz")).send().unwrap().json().unwrap();
    assert_eq!(ready["dataVersion"], new["data"]["meta"]["dataVersion"], "{ready}");
}
