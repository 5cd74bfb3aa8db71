//! Who holds the store, and how the read-only commands work beside a running server.
//!
//! sled allows one process per store (an exclusive `flock` on `DIR/db`). `genekg serve` holds it
//! for as long as it runs, so without help every other command on the same store failed with
//! sled's bare `WouldBlock`. Three parts make this usable:
//! - `serve` records its pid and URL in `DIR/serving.json` while it runs (removed at a clean
//!   stop; a record left by a killed server is recognised by its dead pid);
//! - a command refused the lock says who holds it: the serving record, else the pid and command
//!   line of the lock's holder read from `/proc/locks` (Linux);
//! - the read-only commands (`stats`, `gene`, `enrich`, `export`, `ask`, `explain`) beside a
//!   running server read a point-in-time copy of the store in a temporary directory, removed
//!   when the command ends, and say so on stderr with the server's URL.
//!
//! Why a copy rather than the running server or a store with concurrent readers: the copy keeps
//! every command's output and code path unchanged (a GraphQL client per command would be a
//! second implementation of each), works for every read-only command at once, and sled has no
//! read-only or multi-process mode. Its cost is a copy of the store (460 MB for the default
//! data: 2.0 s wall, 0.8 s system, `time cp -r` on the shared 2-core machine, 2026-11-27); the
//! server answers
//! the same questions in milliseconds, which the note points to. A server writes only user gene
//! sets and cached explanations, and sled recovers a copy as it recovers from a crash (to its
//! last complete flush); a copy that does not open is taken again once.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file a running `genekg serve` keeps in the store directory.
const SERVING_FILE: &str = "serving.json";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ServingRecord {
    pub pid: u32,
    /// The base URL it answers on (`http://host:port`).
    pub url: String,
    pub started_at: String,
}

impl ServingRecord {
    /// Records this process as the store's server; the returned guard removes the record.
    pub fn write(db: &Path, url: &str) -> std::io::Result<ServingGuard> {
        let record = Self { pid: std::process::id(), url: url.to_string(), started_at: chrono::Utc::now().to_rfc3339() };
        let path = db.join(SERVING_FILE);
        let tmp = db.join(format!("{SERVING_FILE}.tmp"));
        std::fs::write(&tmp, serde_json::to_vec_pretty(&record).expect("a record serialises"))?;
        std::fs::rename(&tmp, &path)?;
        Ok(ServingGuard { path })
    }

    /// The record of the server now holding `db`, if any: a record whose process is gone (a
    /// killed server) is ignored.
    pub fn live(db: &Path) -> Option<Self> {
        let record: Self = serde_json::from_slice(&std::fs::read(db.join(SERVING_FILE)).ok()?).ok()?;
        process_alive(record.pid).then_some(record)
    }
}

/// Removes the serving record when the server stops.
pub struct ServingGuard {
    path: PathBuf,
}

impl Drop for ServingGuard {
    fn drop(&mut self) {
        // Only our own record: another server may have taken the store over since.
        let ours = std::fs::read(&self.path)
            .ok()
            .and_then(|b| serde_json::from_slice::<ServingRecord>(&b).ok())
            .is_some_and(|r| r.pid == std::process::id());
        if ours {
            std::fs::remove_file(&self.path).ok();
        }
    }
}

fn process_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// The pid and command line of the process holding the store's lock, read from `/proc/locks`
/// (Linux; `None` elsewhere or when it cannot be told).
pub fn lock_holder(db: &Path) -> Option<(u32, String)> {
    use std::os::unix::fs::MetadataExt;
    let inode = std::fs::metadata(db.join("db")).ok()?.ino();
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    let pid = locks.lines().find_map(|line| {
        // `1: FLOCK  ADVISORY  WRITE 21968 fe:00:5598223 0 EOF`
        let fields: Vec<&str> = line.split_whitespace().collect();
        let file = fields.get(5)?;
        (file.rsplit(':').next()?.parse::<u64>().ok()? == inode).then(|| fields.get(4)?.parse::<u32>().ok()).flatten()
    })?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let words: Vec<String> =
        cmdline.split(|&b| b == 0).filter(|w| !w.is_empty()).map(|w| String::from_utf8_lossy(w).into_owned()).collect();
    Some((pid, words.join(" ")))
}

/// The refusal for a command that needs the store to itself, naming who has it.
pub fn locked_message(db: &Path) -> String {
    let shown = db.display();
    if let Some(r) = ServingRecord::live(db) {
        return format!(
            "the store at {shown} is held by `genekg serve` (pid {}, serving {}/graphql since {}): \
             query the running server instead, or stop it (kill {}) first, or copy the store \
             (cp -r {shown} COPY) and pass --db COPY",
            r.pid, r.url, r.started_at, r.pid
        );
    }
    let holder = match lock_holder(db) {
        Some((pid, cmd)) if !cmd.is_empty() => format!("process {pid} (`{cmd}`)"),
        Some((pid, _)) => format!("process {pid}"),
        None => "another genekg process".to_string(),
    };
    format!("the store at {shown} is in use by {holder}; wait for it or stop it, or copy the store (cp -r {shown} COPY) and pass --db COPY")
}

/// A point-in-time copy of the store at `db`, in a temporary directory removed at drop.
pub fn snapshot(db: &Path) -> std::io::Result<(tempfile::TempDir, PathBuf)> {
    let tmp = tempfile::Builder::new().prefix("genekg-snapshot-").tempdir()?;
    let copy = tmp.path().join("genekg.db");
    copy_dir(db, &copy)?;
    Ok((tmp, copy))
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_str().is_some_and(|n| n.starts_with(SERVING_FILE)) {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_dir(&entry.path(), &to.join(&name))?;
        } else if kind.is_file() {
            match std::fs::copy(entry.path(), to.join(&name)) {
                Ok(_) => {}
                // sled removes old snapshot files as it writes new ones.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_of_a_dead_process_is_not_live_and_the_guard_removes_ours() {
        let dir = tempfile::tempdir().unwrap();
        let guard = ServingRecord::write(dir.path(), "http://127.0.0.1:1").unwrap();
        assert_eq!(ServingRecord::live(dir.path()).unwrap().pid, std::process::id());
        drop(guard);
        assert!(!dir.path().join(SERVING_FILE).exists());
        // pid_max on Linux is at most 2^22: this pid cannot be running.
        let dead = ServingRecord { pid: 4_194_305, url: "http://x".into(), started_at: "t".into() };
        std::fs::write(dir.path().join(SERVING_FILE), serde_json::to_vec(&dead).unwrap()).unwrap();
        assert!(ServingRecord::live(dir.path()).is_none());
    }
}
