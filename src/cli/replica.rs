//! `genekg serve --snapshot FILE`: a server answering from an imported snapshot, swapped for a
//! newer one on SIGHUP. This is how new data reaches a served store: ingest (and train, predict,
//! index) on a writer's store, `genekg snapshot export`, move the file over FILE (`mv` is
//! atomic), `kill -HUP` the server. The server imports it beside the current one, loads it, and
//! replaces the state requests start from (`crate::http::live`); a request answers wholly from
//! the old snapshot or wholly from the new one. Such a server is read-only: user lists
//! registered on it would be lost at the next swap, so they belong on the writer's server.
//!
//! Imports live in `DATA_DIR/replicas/ID`, ID being the snapshot's checksum: a restart finds its
//! snapshot imported already, and directories of replaced snapshots are removed once their last
//! request has ended.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;

use crate::graphql::AppState;
use crate::http::LiveState;
use crate::snapshot::{self, Layout};

pub struct Replica {
    file: PathBuf,
    root: PathBuf,
    llm: Option<Arc<dyn crate::llm::Llm>>,
    current: std::sync::Mutex<String>,
}

fn layout(dir: &Path) -> Layout {
    Layout { db: dir.join("genekg.db"), model: dir.join("model"), index: dir.join("index") }
}

impl Replica {
    /// Imports `file` (unless imported already) and loads the state to serve.
    pub fn open(data_dir: &Path, file: &Path, llm: Option<Arc<dyn crate::llm::Llm>>) -> anyhow::Result<(Self, AppState)> {
        let root = data_dir.join("replicas");
        std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
        let replica = Self { file: file.to_path_buf(), root, llm, current: Default::default() };
        let (id, state) = replica.load()?;
        // Imports of other snapshots are left from an earlier run.
        for entry in std::fs::read_dir(&replica.root)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy() != id {
                std::fs::remove_dir_all(entry.path()).ok();
            }
        }
        *replica.current.lock().unwrap_or_else(|e| e.into_inner()) = id;
        Ok((replica, state))
    }

    fn load(&self) -> anyhow::Result<(String, AppState)> {
        let id = snapshot::id(&self.file)?;
        let dir = self.root.join(&id);
        if !dir.is_dir() {
            let started = std::time::Instant::now();
            let staging = crate::publish::staging(&dir)?;
            snapshot::import(&self.file, &layout(&staging))?;
            crate::publish::publish(&staging, &dir, |_| false)?;
            tracing::info!(snapshot = %self.file.display(), id, secs = format!("{:.1}", started.elapsed().as_secs_f64()), "snapshot imported");
        }
        let l = layout(&dir);
        let store = crate::store::Store::open(&l.db)?;
        let state = AppState::load(store)?.with_model(&l.model, &l.index)?.with_llm(self.llm.clone())?;
        Ok((id, state))
    }

    /// Swaps in the snapshot now at FILE when it differs from the one served; `Ok(false)` when
    /// it is the same.
    pub fn reload(&self, live: &LiveState) -> anyhow::Result<bool> {
        let id = snapshot::id(&self.file)?;
        if *self.current.lock().unwrap_or_else(|e| e.into_inner()) == id {
            return Ok(false);
        }
        let (id, mut state) = self.load()?;
        let old = live.current();
        // Counters on /metrics continue across swaps.
        state.metrics = old.metrics.clone();
        state.explainer.metrics = old.explainer.metrics.clone();
        drop(old);
        let old = live.replace(Arc::new(state));
        let old_id = std::mem::replace(&mut *self.current.lock().unwrap_or_else(|e| e.into_inner()), id.clone());
        tracing::info!(snapshot = %self.file.display(), id, "serving the new snapshot");
        let old_dir = self.root.join(old_id);
        std::thread::spawn(move || {
            // Requests that started on the old state finish on it; then its files go.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
            while Arc::strong_count(&old) > 1 && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            drop(old);
            std::thread::sleep(std::time::Duration::from_millis(200));
            if let Err(e) = std::fs::remove_dir_all(&old_dir) {
                tracing::warn!(dir = %old_dir.display(), "cannot remove the replaced snapshot: {e}");
            }
        });
        Ok(true)
    }
}
