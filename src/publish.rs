//! Replacing a directory of files (a model, the indexes, an imported snapshot) in one step.
//!
//! Writing files in place one by one leaves a mix of old and new files when the writer is
//! killed midway, and readers starting then see it too. Instead the writer fills a staging
//! directory beside the target ([`staging`]) and [`publish`] swaps the two with one
//! `renameat2(RENAME_EXCHANGE)`: at every instant the target is the whole old directory or the
//! whole new one. A staging directory left by a killed writer is removed by the next [`staging`].

use std::io;
use std::path::{Path, PathBuf};

fn sibling(target: &Path, what: &str) -> PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    target.with_file_name(format!(".{name}.{what}"))
}

/// An empty staging directory for `target` (whatever an earlier, interrupted writer left there is
/// removed first).
pub fn staging(target: &Path) -> io::Result<PathBuf> {
    let dir = sibling(target, "staging");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(parent_of(&dir))?;
    std::fs::create_dir(&dir)?;
    Ok(dir)
}

/// Makes `staging` the new `target`. Entries of the old target that `staging` lacks and `keep`
/// accepts are copied over first (files the writer does not own, such as a model's saved
/// evaluation). Files are synced before the swap, so the new directory is complete on disk
/// before it is visible.
pub fn publish(staging: &Path, target: &Path, keep: impl Fn(&str) -> bool) -> io::Result<()> {
    if target.is_dir() {
        for entry in std::fs::read_dir(target)? {
            let entry = entry?;
            let name = entry.file_name();
            let text = name.to_string_lossy();
            if !staging.join(&name).exists() && keep(&text) {
                copy_tree(&entry.path(), &staging.join(&name))?;
            }
        }
    }
    sync_tree(staging)?;
    if target.exists() {
        exchange(staging, target)?;
        // `staging` now holds the old directory.
        std::fs::remove_dir_all(staging)?;
    } else {
        std::fs::rename(staging, target)?;
    }
    std::fs::File::open(parent_of(target))?.sync_all()?;
    Ok(())
}

/// The directory holding `path` (`.` for a bare relative name, whose `parent()` is empty).
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: two valid NUL-terminated paths, relative to the working directory.
    let rc = unsafe { libc::renameat2(libc::AT_FDCWD, ca.as_ptr(), libc::AT_FDCWD, cb.as_ptr(), libc::RENAME_EXCHANGE) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "cannot swap {} into place: {}",
            b.display(),
            io::Error::last_os_error()
        )))
    }
}

fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    if from.is_dir() {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::copy(from, to).map(|_| ())
    }
}

fn sync_tree(dir: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            sync_tree(&path)?;
        } else {
            std::fs::File::open(&path)?.sync_all()?;
        }
    }
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_replaces_the_whole_directory_and_keeps_what_it_is_told() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("model");
        std::fs::create_dir(&target).unwrap();
        for f in ["weights", "old-only", "evaluation.json"] {
            std::fs::write(target.join(f), "old").unwrap();
        }
        let stage = staging(&target).unwrap();
        std::fs::write(stage.join("weights"), "new").unwrap();
        publish(&stage, &target, |n| n == "evaluation.json").unwrap();
        assert_eq!(std::fs::read_to_string(target.join("weights")).unwrap(), "new");
        assert_eq!(std::fs::read_to_string(target.join("evaluation.json")).unwrap(), "old");
        assert!(!target.join("old-only").exists());
        assert!(!stage.exists());
        // A first publish (no target yet) is a rename; a staging left behind is cleared.
        let other = root.path().join("index");
        let stage = staging(&other).unwrap();
        std::fs::write(stage.join("leftover"), "x").unwrap();
        let stage = staging(&other).unwrap();
        assert_eq!(std::fs::read_dir(&stage).unwrap().count(), 0);
        std::fs::write(stage.join("genes"), "g").unwrap();
        publish(&stage, &other, |_| true).unwrap();
        assert_eq!(std::fs::read_to_string(other.join("genes")).unwrap(), "g");
    }
}
