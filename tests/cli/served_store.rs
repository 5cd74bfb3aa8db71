//! Commands beside a running `genekg serve` on the same store: the read-only ones answer from a
//! copy and point to the server; the others, and a second server, say who holds the store.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{fixture, TestDir};

struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(t: &TestDir) -> Self {
        let mut child = t
            .command(&["serve", "--addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn genekg serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line
            .split_whitespace()
            .find_map(|w| w.strip_suffix("/graphql"))
            .unwrap_or_else(|| panic!("no URL in `{line}`"))
            .to_string();
        Self { child, url }
    }

    fn stop(mut self) {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        let started = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            assert!(started.elapsed() < Duration::from_secs(20), "server did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn read_only_commands_work_beside_a_server_and_writers_are_told_who_holds_the_store() {
    let t = TestDir::new();
    t.ingest_fixture_orgdb();
    let before = t.stats();
    let server = Server::start(&t);
    let pid = server.child.id();
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(t.db().join("serving.json")).expect("serving record")).unwrap();
    assert_eq!((record["pid"].as_u64(), record["url"].as_str()), (Some(pid as u64), Some(server.url.as_str())));

    // Read-only commands answer from a copy, say where the server is, and leave no copy behind.
    let tmp = t.dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let run = |args: &[&str]| {
        let out = t.command(args).env("TMPDIR", &tmp).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        out
    };
    let out = run(&["stats", "--json"]);
    let beside: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(beside, before);
    let note = stderr(&out);
    assert!(note.contains(&format!("pid {pid}")) && note.contains(&format!("{}/graphql", server.url)), "{note}");
    assert!(String::from_utf8_lossy(&run(&["gene", "MCM2"]).stdout).starts_with("MCM2 "));
    let list = t.dir.path().join("list.txt");
    std::fs::write(&list, "MCM2\nMCM3\nMCM4\nMCM5\nMCM6\nMCM7\nCDC6\nORC1\n").unwrap();
    let enriched = String::from_utf8_lossy(&run(&["enrich", "--genes", list.to_str().unwrap(), "--first", "3"]).stdout).into_owned();
    assert!(enriched.contains("GO:"), "{enriched}");
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0, "a copy of the store was left behind");

    // A writer and a second server are refused with the holder's pid and URL.
    let (org, go) = (fixture("org.Hs.eg.sqlite"), fixture("GO.sqlite"));
    let ingest = ["ingest", "orgdb", "--org", org.to_str().unwrap(), "--go", go.to_str().unwrap()];
    for args in [&["serve", "--addr", "127.0.0.1:0"][..], &ingest] {
        let out = t.run(args);
        assert!(!out.status.success(), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!("held by `genekg serve` (pid {pid}, serving {}/graphql", server.url))
                && !err.contains("WouldBlock"),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }

    server.stop();
    assert!(!t.db().join("serving.json").exists(), "the serving record outlived the server");
    assert_eq!(t.stats(), before);
}
