//! `genekg snapshot export FILE` / `import FILE`: a store with its model and indexes as one
//! immutable, checksummed file (see `crate::snapshot`), for read replicas and for swapping what
//! a server serves (`genekg serve --snapshot FILE`).

use std::path::PathBuf;

use clap::Subcommand;

use super::Context;
use crate::snapshot::{self, Layout};

#[derive(Subcommand)]
pub enum SnapshotCommand {
    /// Write the store, DATA_DIR/model and DATA_DIR/index to FILE (never overwritten).
    Export { file: PathBuf },
    /// Verify FILE and unpack it into an empty DATA_DIR (store, model, indexes).
    Import { file: PathBuf },
    /// Print a snapshot's manifest.
    Info { file: PathBuf },
}

pub(super) fn layout(ctx: &Context) -> Layout {
    Layout { db: ctx.paths.db.clone(), model: ctx.paths.model_dir(), index: ctx.paths.index_dir() }
}

pub fn run(ctx: &Context, cmd: SnapshotCommand) -> anyhow::Result<()> {
    let manifest = match cmd {
        SnapshotCommand::Export { file } => {
            let store = ctx.open_store()?;
            let started = std::time::Instant::now();
            let m = snapshot::export(&store, &layout(ctx), &file)?;
            eprintln!("wrote {} in {:.1} s", file.display(), started.elapsed().as_secs_f64());
            m
        }
        SnapshotCommand::Import { file } => {
            let started = std::time::Instant::now();
            let m = snapshot::import(&file, &layout(ctx))?;
            eprintln!("imported {} into {} in {:.1} s", file.display(), ctx.paths.data_dir.display(), started.elapsed().as_secs_f64());
            m
        }
        SnapshotCommand::Info { file } => snapshot::manifest(&file)?,
    };
    println!("{}", serde_json::to_string_pretty(&manifest)?);
    Ok(())
}
