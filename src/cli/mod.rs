//! The `genekg` command line. Each subcommand lives in its own file and gets the opened store
//! through [`Context`], so the common flags (`--db`, `--data-dir`) are handled once.

#[cfg(feature = "model")]
mod ask;
#[cfg(feature = "model")]
mod bench;
#[cfg(feature = "model")]
mod check;
mod enrich;
#[cfg(feature = "model")]
mod explain;
mod export;
#[cfg(feature = "model")]
mod gene;
pub mod holder;
#[cfg(feature = "model")]
mod index;
mod ingest;
#[cfg(feature = "model")]
mod replica;
#[cfg(feature = "model")]
mod schema;
#[cfg(feature = "model")]
mod serve;
#[cfg(feature = "model")]
mod eval;
#[cfg(feature = "model")]
mod mcp;
#[cfg(feature = "model")]
mod model;
#[cfg(feature = "model")]
mod snapshot;
mod stats;
#[cfg(feature = "model")]
mod train;

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
    #[cfg(feature = "model")]
    /// Serve the GraphQL API (and GraphiQL) over HTTP.
    Serve(serve::ServeArgs),
    #[cfg(feature = "model")]
    /// Print the GraphQL schema (SDL) generated from the code.
    Schema(schema::SchemaArgs),
    /// Over-representation analysis of a gene list against the stored libraries.
    Enrich(enrich::EnrichArgs),
    /// (Re)build the enrichment index file `genekg enrich` reads (ingest writes it too).
    EnrichIndex(enrich::EnrichIndexArgs),
    #[cfg(feature = "model")]
    /// One gene: its record, links, known sets, and the model's stored predictions.
    Gene(gene::GeneArgs),
    /// Write store contents in other tools' formats.
    #[command(subcommand)]
    Export(export::ExportCommand),
    #[cfg(feature = "model")]
    /// Train the gene set foundation model on the stored sets.
    Train(train::TrainArgs),
    #[cfg(feature = "model")]
    /// Neighbourhood indexes (HNSW) over gene and set embeddings.
    #[command(subcommand)]
    Index(index::IndexCommand),
    #[cfg(feature = "model")]
    /// Measure performance and print figures.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    #[cfg(feature = "model")]
    /// Evaluate the model and baselines on held-out genes; build evaluation cases.
    #[command(subcommand)]
    Eval(eval::EvalCommand),
    #[cfg(feature = "model")]
    /// Answer a question in English from the data.
    Ask(ask::AskArgs),
    #[cfg(feature = "model")]
    /// Serve the Model Context Protocol over stdio (tools for LLM agents).
    Mcp(mcp::McpArgs),
    #[cfg(feature = "model")]
    /// Explain a gene (or why it is predicted for a set) in words, with evidence and citations.
    Explain(explain::ExplainArgs),
    #[cfg(feature = "model")]
    /// Import, inspect, benchmark the model; predict and store for every set.
    #[command(subcommand)]
    Model(model::ModelCommand),
    #[cfg(feature = "model")]
    /// Verify the store's integrity and that predictions and indexes match the model.
    Check(check::CheckArgs),
    #[cfg(feature = "model")]
    /// Export or import the store, model and indexes as one checksummed file (read replicas).
    #[command(subcommand)]
    Snapshot(snapshot::SnapshotCommand),
}

/// What every subcommand needs: resolved paths, and the store opened on demand (some commands
/// must fail on bad arguments before touching it).
pub struct Context {
    pub paths: Paths,
    /// The command only reads the store: beside a running server it reads a copy (see
    /// [`holder`]).
    pub read_only: bool,
    /// Copies opened for this command, removed when it ends.
    snapshots: std::sync::Mutex<Vec<tempfile::TempDir>>,
}

impl Context {
    /// The existing store. Commands that read the store never create one: sled would make an
    /// empty store at a mistyped path (or when run outside the project) and they would answer
    /// "nothing" instead of saying that the store is missing.
    pub fn open_store(&self) -> anyhow::Result<Store> {
        let db = &self.paths.db;
        if !db.join("conf").is_file() {
            anyhow::bail!(
                "no genekg store at {}: make one with `genekg ingest default` (the default data; \
                 scripts/run.sh also trains the model and builds the indexes), or pass --db or --data-dir",
                db.display()
            );
        }
        self.open(db)
    }

    /// The store, created empty when missing: for the ingest commands.
    pub fn create_store(&self) -> anyhow::Result<Store> {
        self.open(&self.paths.db)
    }

    fn open(&self, db: &std::path::Path) -> anyhow::Result<Store> {
        match Store::open(db) {
            Err(e) if e.is_locked() => {
                let Some(server) = holder::ServingRecord::live(db).filter(|_| self.read_only) else {
                    anyhow::bail!("{}", holder::locked_message(db));
                };
                eprintln!(
                    "note: the store is held by `genekg serve` (pid {}); reading a copy of it. \
                     The server answers the same questions faster: {}/graphql",
                    server.pid, server.url
                );
                self.open_snapshot(db)
            }
            other => Ok(other?),
        }
    }

    /// Opens a fresh copy of `db`; a copy taken mid-write that does not open is taken again once.
    fn open_snapshot(&self, db: &std::path::Path) -> anyhow::Result<Store> {
        let mut last = None;
        for _ in 0..2 {
            let (dir, copy) = holder::snapshot(db)?;
            match Store::open(&copy) {
                Ok(store) => {
                    self.snapshots.lock().unwrap_or_else(|e| e.into_inner()).push(dir);
                    return Ok(store);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(anyhow::anyhow!("cannot read a copy of the served store at {}: {}", db.display(), last.expect("tried")))
    }
}

/// Why a gene string named no single gene, in words, naming the candidates of an ambiguous
/// alias (`symbol` looks up a candidate's symbol).
pub(crate) fn unresolved_in_words(raw: &str, resolution: &crate::store::Resolution, symbol: impl Fn(u32) -> Option<String>) -> String {
    use crate::store::Resolution;
    match resolution {
        Resolution::Found(id) => format!("{raw} is gene {id}"),
        Resolution::NotFound => {
            format!("{raw}: no gene has this symbol, alias or id (symbols, aliases, Entrez, Ensembl gene and UniProt ids are read)")
        }
        Resolution::Ambiguous(candidates) => {
            let names: Vec<String> = candidates
                .iter()
                .map(|&c| match symbol(c) {
                    Some(s) => format!("{s} (Entrez {c})"),
                    None => format!("Entrez {c}"),
                })
                .collect();
            format!("{raw}: an alias of {} genes ({}); give the symbol or Entrez id of the one you mean", candidates.len(), names.join(", "))
        }
    }
}

/// The error as one line: each cause once. Errors that already quote their source in their
/// own message (thiserror's `{source}`) would otherwise print it twice.
fn error_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
    }
    line
}

/// Writing into a closed pipe (`genekg export gmt | head`) ends the process quietly, as other
/// command-line tools do, instead of an error or a panic in `println!`. The server keeps Rust's
/// default (SIGPIPE ignored): a client closing its socket must not end it.
fn die_quietly_on_closed_pipe() {
    // SAFETY: restores the default disposition of one signal before any thread starts.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// The API state over the store, with the model and indexes when DATA_DIR has them: what
/// `serve` answers from, for commands that answer the same way without HTTP.
#[cfg(feature = "model")]
pub fn load_app_state(ctx: &Context) -> anyhow::Result<std::sync::Arc<crate::graphql::AppState>> {
    load_app_state_with_llm(ctx, None)
}

/// [`load_app_state`] with an LLM for explanations and `ask`'s intent fallback.
#[cfg(feature = "model")]
pub fn load_app_state_with_llm(ctx: &Context, llm: Option<std::sync::Arc<dyn crate::llm::Llm>>) -> anyhow::Result<std::sync::Arc<crate::graphql::AppState>> {
    let store = ctx.open_store()?;
    if store.gene_count() == 0 {
        anyhow::bail!("the store at {} holds no genes; run `genekg ingest default` first", ctx.paths.db.display());
    }
    let state = crate::graphql::AppState::load(store)?.with_model(&ctx.paths.model_dir(), &ctx.paths.index_dir())?.with_llm(llm)?;
    Ok(std::sync::Arc::new(state))
}

/// The trained model in DATA_DIR/model.
#[cfg(feature = "model")]
pub fn load_model(ctx: &Context) -> anyhow::Result<crate::model::Gsfm> {
    Ok(crate::model::Gsfm::load(&ctx.paths.model_dir())?)
}

/// The commands that only read the store, and so may read a copy beside a running server.
fn is_read_only(command: &Command) -> bool {
    match command {
        Command::Stats(_) | Command::Enrich(_) | Command::EnrichIndex(_) | Command::Export(_) => true,
        #[cfg(feature = "model")]
        Command::Gene(_) | Command::Ask(_) | Command::Explain(_) | Command::Check(_) => true,
        #[cfg(feature = "model")]
        Command::Snapshot(snapshot::SnapshotCommand::Export { .. }) => true,
        _ => false,
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    #[cfg(feature = "model")]
    let serving = matches!(cli.command, Command::Serve(_));
    #[cfg(not(feature = "model"))]
    let serving = false;
    if !serving {
        die_quietly_on_closed_pipe();
    }
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,hnsw_rs=warn,anndists=warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let read_only = is_read_only(&cli.command);
    let ctx = Context { paths: Paths::new(cli.data_dir, cli.db), read_only, snapshots: Default::default() };
    let result = match cli.command {
        Command::Ingest(cmd) => ingest::run(&ctx, cmd),
        Command::Stats(args) => stats::run(&ctx, args),
        #[cfg(feature = "model")]
        Command::Serve(args) => serve::run(&ctx, args),
        #[cfg(feature = "model")]
        Command::Schema(args) => schema::run(args),
        Command::Enrich(args) => enrich::run(&ctx, args),
        Command::EnrichIndex(args) => enrich::run_index(&ctx, args),
        #[cfg(feature = "model")]
        Command::Gene(args) => gene::run(&ctx, args),
        Command::Export(cmd) => export::run(&ctx, cmd),
        #[cfg(feature = "model")]
        Command::Train(args) => train::run(&ctx, args),
        #[cfg(feature = "model")]
        Command::Index(cmd) => index::run(&ctx, cmd),
        #[cfg(feature = "model")]
        Command::Bench(cmd) => bench::run(&ctx, cmd),
        #[cfg(feature = "model")]
        Command::Eval(cmd) => eval::run(&ctx, cmd),
        #[cfg(feature = "model")]
        Command::Model(cmd) => model::run(&ctx, cmd),
        #[cfg(feature = "model")]
        Command::Ask(args) => ask::run(&ctx, args),
        #[cfg(feature = "model")]
        Command::Mcp(args) => mcp::run(&ctx, args),
        #[cfg(feature = "model")]
        Command::Explain(args) => explain::run(&ctx, args),
        #[cfg(feature = "model")]
        Command::Check(args) => check::run(&ctx, args),
        #[cfg(feature = "model")]
        Command::Snapshot(cmd) => snapshot::run(&ctx, cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_line(&e));
            ExitCode::FAILURE
        }
    }
}
