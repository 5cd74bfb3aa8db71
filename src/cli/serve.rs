use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use clap::Args;

use super::Context;
use crate::configuration::ServerSettings;
use crate::graphql::AppState;
use crate::http::Application;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "GENEKG_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Origin allowed to call the API from a browser (repeat for several; `*` for any).
    #[arg(long = "cors-origin", env = "GENEKG_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
    /// HTTP worker threads (default: one per physical core).
    #[arg(long)]
    workers: Option<usize>,
    /// Mutations (`addGeneSet`) need this token (`Authorization: Bearer TOKEN`); prefer the
    /// environment variable, which stays out of `ps`.
    #[arg(long, env = "GENEKG_API_TOKEN", hide_env_values = true)]
    api_token: Option<String>,
    /// Refuse every mutation.
    #[arg(long, env = "GENEKG_READ_ONLY")]
    read_only: bool,
    #[command(flatten)]
    llm: crate::llm::LlmArgs,
}

pub fn run(ctx: &Context, args: ServeArgs) -> anyhow::Result<()> {
    let store = ctx.open_store()?;
    if store.gene_count() == 0 {
        anyhow::bail!(
            "the store at {} holds no genes; run `genekg ingest default` first",
            ctx.paths.db.display()
        );
    }
    let llm = args.llm.build()?;
    let state = Arc::new(
        AppState::load(store.clone())?
            .with_model(&ctx.paths.model_dir(), &ctx.paths.index_dir())?
            .with_llm(llm)?,
    );
    let settings = ServerSettings {
        addr: args.addr,
        cors_origins: args.cors_origins,
        workers: args.workers,
        mutations: crate::configuration::MutationPolicy {
            api_token: args.api_token.filter(|t| !t.is_empty()),
            read_only: args.read_only,
        },
        ..ServerSettings::default()
    };
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(&settings, state)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.addr))?;
        let url = app.url();
        // Tells other commands on this store who holds it (see `holder`).
        let _serving = super::holder::ServingRecord::write(&ctx.paths.db, &url)?;
        // stdout carries only this line, so scripts can wait for it and read the port.
        println!("genekg serving {url}/graphql (GraphiQL at {url}/graphiql)");
        std::io::stdout().flush().ok();
        app.run_until_stopped().await?;
        anyhow::Ok(())
    })?;
    store.flush()?;
    tracing::info!("server stopped");
    Ok(())
}
