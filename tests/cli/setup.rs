//! scripts/check-rust.sh, which scripts/setup.sh runs first: a machine without Rust, or with one
//! too old, is told what to install, with the version from Cargo.toml.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn check(path: &str, home: &Path) -> (bool, String) {
    let out = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/check-rust.sh"))
        .env_clear()
        .env("PATH", path)
        .env("HOME", home)
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn rust_version() -> String {
    let toml = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let line = toml.lines().find(|l| l.starts_with("rust-version = ")).expect("Cargo.toml declares rust-version");
    line.trim_start_matches("rust-version = ").trim_matches('"').to_string()
}

#[test]
fn a_machine_without_rust_or_with_an_old_one_is_told_what_to_install() {
    let need = rust_version();
    let dir = tempfile::tempdir().unwrap();
    let (ok, err) = check("/usr/bin:/bin", dir.path());
    assert!(!ok && err.contains(&format!("needs Rust (cargo and rustc) {need} or newer")) && err.contains("rustup"), "{err}");

    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    for (name, body) in [("rustc", "echo 'rustc 1.63.0 (4b91a6ea7 2022-08-08)'"), ("cargo", "true")] {
        let p = bin.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let (ok, err) = check(&format!("{}:/usr/bin:/bin", bin.display()), dir.path());
    assert!(!ok && err.contains(&format!("rustc 1.63.0 is older than the {need}")), "{err}");

    let current = std::process::Command::new("rustc").arg("--version").output();
    if let Ok(out) = current {
        // The toolchain building this test satisfies its own check.
        let (path, home) = (std::env::var("PATH").unwrap(), std::env::var("HOME").unwrap());
        let (ok, err) = check(&path, Path::new(&home));
        assert!(ok, "rustc {}: {err}", String::from_utf8_lossy(&out.stdout));
    }
}
