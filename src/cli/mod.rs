//! The `genekg` command line. Each subcommand lives in its own file and gets the opened store
//! through [`Context`], so the common flags (`--db`, `--data-dir`) are handled once.

mod enrich;
mod export;
mod ingest;
mod schema;
mod serve;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::configuration::Paths;
use crate::store::Store;

#[derive(Parser)]
#[command(name = "genekg", version, about = "A queryable map of what human genes do")]
pub struct Cli {
    /// The sled store (default: DATA_DIR/genekg.db).
    #[arg(long, global = true, env = "GENEKG_DB")]
    db: Option<PathBuf>,
    /// Directory for the store, source data, models and indexes (default: ./data).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load genes and gene sets into the store.
    #[command(subcommand)]
    Ingest(ingest::IngestCommand),
    /// Summarise the store.
    Stats(stats::StatsArgs),
    /// Serve the GraphQL API (and GraphiQL) over HTTP.
    Serve(serve::ServeArgs),
    /// Print the GraphQL schema (SDL) generated from the code.
    Schema(schema::SchemaArgs),
    /// Over-representation analysis of a gene list against the stored libraries.
    Enrich(enrich::EnrichArgs),
    /// Write store contents in other tools' formats.
    #[command(subcommand)]
    Export(export::ExportCommand),
}

/// What every subcommand needs: resolved paths, and the store opened on demand (some commands
/// must fail on bad arguments before touching it).
pub struct Context {
    pub paths: Paths,
}

impl Context {
    pub fn open_store(&self) -> anyhow::Result<Store> {
        Ok(Store::open(&self.paths.db)?)
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let ctx = Context { paths: Paths::new(cli.data_dir, cli.db) };
    let result = match cli.command {
        Command::Ingest(cmd) => ingest::run(&ctx, cmd),
        Command::Stats(args) => stats::run(&ctx, args),
        Command::Serve(args) => serve::run(&ctx, args),
        Command::Schema(args) => schema::run(args),
        Command::Enrich(args) => enrich::run(&ctx, args),
        Command::Export(cmd) => export::run(&ctx, cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
