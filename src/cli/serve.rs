use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use clap::Args;

use super::Context;
use crate::configuration::ServerSettings;
use crate::graphql::AppState;
use crate::http::{Application, LiveState};

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "GENEKG_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Origin allowed to call the API from a browser (repeat for several; `*` for any).
    #[arg(long = "cors-origin", env = "GENEKG_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
    /// HTTP worker threads (default: four per core).
    #[arg(long)]
    workers: Option<usize>,
    /// Mutations (`addGeneSet`) need this token (`Authorization: Bearer TOKEN`); prefer the
    /// environment variable, which stays out of `ps`.
    #[arg(long, env = "GENEKG_API_TOKEN", hide_env_values = true)]
    api_token: Option<String>,
    /// Refuse every mutation.
    #[arg(long, env = "GENEKG_READ_ONLY")]
    read_only: bool,
    /// Serve this snapshot (`genekg snapshot export`) instead of the store, read-only, and swap
    /// in the file's new content on SIGHUP (see `replica`). Imports go to DATA_DIR/replicas.
    #[arg(long, env = "GENEKG_SNAPSHOT")]
    snapshot: Option<std::path::PathBuf>,
    /// Seconds a GraphQL request may run before it is stopped with TIMEOUT.
    #[arg(long, env = "GENEKG_REQUEST_TIMEOUT", default_value_t = 120.0)]
    request_timeout: f64,
    /// Requests per second each client address may make (bursts of twice that); off when 0.
    #[arg(long, env = "GENEKG_RATE_LIMIT", default_value_t = 0)]
    rate_limit: u32,
    /// GraphQL query texts whose last cost (`x-query-cost`) reached this run off the HTTP
    /// workers, on the bulk lane (its own threads); 0 turns the lane off.
    #[arg(long, env = "GENEKG_BULK_COST", default_value_t = crate::configuration::BULK_DEFAULT_MIN_COST)]
    bulk_cost: usize,
    /// Nice value (0-19) of the bulk lane's threads.
    #[arg(long, env = "GENEKG_BULK_NICE", default_value_t = crate::configuration::BULK_DEFAULT_NICE,
          value_parser = clap::value_parser!(i32).range(0..=19))]
    bulk_nice: i32,
    #[command(flatten)]
    llm: crate::llm::LlmArgs,
}

pub fn run(ctx: &Context, args: ServeArgs) -> anyhow::Result<()> {
    let llm = args.llm.build()?;
    let (state, store, replica) = match &args.snapshot {
        Some(file) => {
            let (replica, state) = super::replica::Replica::open(&ctx.paths.data_dir, file, llm)?;
            (state, None, Some(Arc::new(replica)))
        }
        None => {
            let store = ctx.open_store()?;
            if store.gene_count() == 0 {
                anyhow::bail!(
                    "the store at {} holds no genes; run `genekg ingest default` first",
                    ctx.paths.db.display()
                );
            }
            let state = AppState::load(store.clone())?.with_model(&ctx.paths.model_dir(), &ctx.paths.index_dir())?.with_llm(llm)?;
            (state, Some(store), None)
        }
    };
    let live = Arc::new(LiveState::new(Arc::new(state)));
    let settings = ServerSettings {
        addr: args.addr,
        cors_origins: args.cors_origins,
        workers: args.workers,
        mutations: crate::configuration::MutationPolicy {
            api_token: args.api_token.filter(|t| !t.is_empty()),
            read_only: args.read_only || replica.is_some(),
        },
        request_timeout: std::time::Duration::try_from_secs_f64(args.request_timeout)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| anyhow::anyhow!("--request-timeout must be a positive number of seconds, got {}", args.request_timeout))?,
        rate_limit: (args.rate_limit > 0).then(|| crate::configuration::RateLimit {
            per_second: args.rate_limit,
            burst: args.rate_limit.saturating_mul(2),
        }),
        bulk: crate::configuration::BulkSettings { min_cost: (args.bulk_cost > 0).then_some(args.bulk_cost), nice: args.bulk_nice },
        ..ServerSettings::default()
    };
    actix_web::rt::System::new().block_on(async {
        let app = Application::build_live(&settings, live.clone())
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.addr))?;
        let url = app.url();
        // Tells other commands on this store who holds it (see `holder`); a replica holds none.
        let _serving = match &store {
            Some(_) => Some(super::holder::ServingRecord::write(&ctx.paths.db, &url)?),
            None => None,
        };
        if let Some(replica) = replica {
            actix_web::rt::spawn(reload_on_hangup(replica, live));
        }
        // stdout carries only this line, so scripts can wait for it and read the port.
        println!("genekg serving {url}/graphql (GraphiQL at {url}/graphiql)");
        std::io::stdout().flush().ok();
        app.run_until_stopped().await?;
        anyhow::Ok(())
    })?;
    if let Some(store) = store {
        store.flush()?;
    }
    tracing::info!("server stopped");
    Ok(())
}

/// Swaps in the snapshot file's content on each SIGHUP; a snapshot that fails to import or load
/// is logged and the current one keeps serving.
async fn reload_on_hangup(replica: Arc<super::replica::Replica>, live: Arc<LiveState>) {
    let mut hangups = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("cannot listen for SIGHUP, snapshots will not be reloaded: {e}");
            return;
        }
    };
    while hangups.recv().await.is_some() {
        let (replica, live) = (replica.clone(), live.clone());
        match actix_web::web::block(move || replica.reload(&live)).await {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => tracing::info!("SIGHUP: the snapshot file is the one served; nothing to do"),
            Ok(Err(e)) => tracing::error!("SIGHUP: the new snapshot is not served, the current one stays: {e:#}"),
            Err(e) => tracing::error!("SIGHUP: reload failed: {e}"),
        }
    }
}
