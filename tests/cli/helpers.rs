use std::path::PathBuf;
use std::process::{Command, Output};

pub use crate::support::fixture;

/// A scratch data directory with its own store, removed at drop.
pub struct TestDir {
    pub dir: tempfile::TempDir,
}

impl TestDir {
    pub fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("tempdir") }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("genekg.db")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_genekg"));
        cmd.arg("--db").arg(self.db()).args(args).env("RUST_LOG", "warn");
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run genekg")
    }

    /// Runs and asserts success, returning stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "genekg {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    pub fn stats(&self) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["stats", "--json"])).expect("stats JSON")
    }

    pub fn ingest_fixture_orgdb(&self) {
        let paths = crate::support::orgdb_paths();
        self.ok(&["ingest", "orgdb", "--org", paths.org.to_str().unwrap(), "--go", paths.go.to_str().unwrap()]);
    }
}
