use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;

use super::Context;
use crate::domain::LibraryName;
use crate::enrich::compact;
use crate::ingest::{self, GmtOptions, OrgDbPaths};

#[derive(Subcommand)]
pub enum IngestCommand {
    /// The default data (org.Hs.eg.db + GO.db from Debian's Bioconductor packages, fetched by
    /// scripts/setup.sh into DATA_DIR/source).
    Default {
        /// Directory holding org.Hs.eg.sqlite and GO.sqlite (e.g. data/dev-source, the 3.12
        /// release scripts/fetch-dev-data.sh fetches for the development time split).
        #[arg(long, alias = "source")]
        source_dir: Option<PathBuf>,
        /// Skip the ingest when the store already holds genes and GO_BP.
        #[arg(long)]
        if_empty: bool,
    },
    /// org.Hs.eg.db and GO.db SQLite files.
    Orgdb {
        #[arg(long)]
        org: PathBuf,
        #[arg(long)]
        go: PathBuf,
    },
    /// A GMT file as one library (replaces a library of the same name).
    Gmt {
        file: PathBuf,
        #[arg(long)]
        library: String,
        #[arg(long)]
        version: Option<String>,
        /// Sets with fewer known genes are skipped.
        #[arg(long, default_value_t = 1)]
        min_size: usize,
        /// Sets with more known genes are skipped.
        #[arg(long, default_value_t = 5000)]
        max_size: usize,
    },
    /// An NCBI gene_info file (merged into the gene catalogue).
    GeneInfo {
        file: PathBuf,
        /// Keep only this species (0 keeps every row).
        #[arg(long, default_value_t = 9606)]
        tax_id: u32,
    },
}

/// The default data's two SQLite files in `source_dir` (default DATA_DIR/source), or an error
/// that says how to fetch them.
pub(super) fn default_data(ctx: &Context, source_dir: Option<std::path::PathBuf>) -> anyhow::Result<OrgDbPaths> {
    let dir = source_dir.unwrap_or_else(|| ctx.paths.default_source_dir());
    let paths = OrgDbPaths { org: dir.join("org.Hs.eg.sqlite"), go: dir.join("GO.sqlite") };
    if !paths.org.is_file() || !paths.go.is_file() {
        anyhow::bail!(
            "default data not found in {} (expected org.Hs.eg.sqlite and GO.sqlite); run scripts/setup.sh to fetch it",
            dir.display()
        );
    }
    Ok(paths)
}

pub fn run(ctx: &Context, cmd: IngestCommand) -> anyhow::Result<()> {
    match cmd {
        IngestCommand::Default { source_dir, if_empty } => {
            let paths = default_data(ctx, source_dir)?;
            let store = ctx.create_store()?;
            if if_empty && store.gene_count() > 0 && store.library("GO_BP")?.is_some() {
                let missing: Vec<&str> =
                    ingest::ANNOTATION_TABLES.iter().map(|t| t.library).filter(|l| !matches!(store.library(l), Ok(Some(_)))).collect();
                if !missing.is_empty() {
                    let libs = ingest::ingest_annotation_libraries(&store, &paths)?;
                    tracing::info!(missing = missing.join(","), added = libs.len(), "annotation libraries added to a store ingested without them");
                }
                if !store.has_publication_counts()? || !store.has_small_papers()? {
                    let (genes, small) = ingest::ingest_papers(&store, &paths)?;
                    tracing::info!(genes, small_papers = small, "publication counts and small papers added to a store ingested without them");
                }
                tracing::info!(db = %ctx.paths.db.display(), "store already populated; skipping ingest");
                // A store ingested before the index file existed, or whose last ingest was
                // killed after changing the store, gets its index here.
                if let Err(e) = compact::manifest(&compact::index_dir(&ctx.paths.db)) {
                    tracing::info!(reason = %e, "writing the enrichment index");
                    compact::rebuild(&store, &ctx.paths.db)?;
                }
                return Ok(());
            }
            let started = std::time::Instant::now();
            ingest::ingest_orgdb(&store, &paths)?;
            tracing::info!(secs = format!("{:.1}", started.elapsed().as_secs_f64()), "default ingest done");
            compact::rebuild(&store, &ctx.paths.db)?;
        }
        IngestCommand::Orgdb { org, go } => {
            let store = ctx.create_store()?;
            ingest::ingest_orgdb(&store, &OrgDbPaths { org, go })?;
            compact::rebuild(&store, &ctx.paths.db)?;
        }
        IngestCommand::Gmt { file, library, version, min_size, max_size } => {
            let library = LibraryName::parse(&library).map_err(anyhow::Error::msg).context("--library")?;
            if min_size > max_size {
                anyhow::bail!("--min-size {min_size} is larger than --max-size {max_size}");
            }
            let store = ctx.create_store()?;
            let lib = ingest::ingest_gmt(&store, &file, &GmtOptions { library, version, min_size, max_size })?;
            compact::rebuild(&store, &ctx.paths.db)?;
            println!("{}", serde_json::to_string_pretty(&lib)?);
        }
        IngestCommand::GeneInfo { file, tax_id } => {
            let store = ctx.create_store()?;
            let report = ingest::ingest_gene_info(&store, &file, (tax_id != 0).then_some(tax_id))?;
            compact::rebuild(&store, &ctx.paths.db)?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
    }
    Ok(())
}
