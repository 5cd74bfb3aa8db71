//! `genekg serve` as users run it: prints its URL, answers, and stops cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::fixture_store;

#[tokio::test]
async fn serve_prints_its_url_answers_and_shuts_down_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    drop(fixture_store(dir.path())); // sled allows one process per store: close it first.
    let mut child = Command::new(env!("CARGO_BIN_EXE_genekg"))
        .arg("--db")
        .arg(dir.path().join("genekg.db"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let Some(base) = line.split_whitespace().find(|w| w.starts_with("http://")).and_then(|u| u.strip_suffix("/graphql"))
    else {
        child.kill().ok();
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).ok();
        panic!("no URL in the first line of stdout `{line}`; stderr:\n{stderr}");
    };
    let base = base.to_string();
    assert!(line.contains("/graphiql"), "{line}");

    let client = reqwest::Client::new();
    let body: serde_json::Value = client
        .post(format!("{base}/graphql"))
        .json(&serde_json::json!({"query": r#"{ gene(id: "CDK1") { symbol } }"#}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["data"]["gene"]["symbol"], "CDK1");

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "server did not stop within 20 s of SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(exit.success(), "exit {exit:?}; stderr:\n{stderr}");
    assert!(stderr.contains("server stopped"), "{stderr}");
}
