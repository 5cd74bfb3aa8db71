//! Builds the actix-web app and server (zero2prod style): [`Application::build`] binds the
//! listener, so the caller knows the real port (port 0 in tests) before the server runs.

use std::net::TcpListener;
use std::sync::Arc;

use actix_cors::Cors;
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{from_fn, Compress, Condition};
use actix_web::{http::header, web, App, HttpServer};

use super::bulk::BulkLane;
use super::metrics::HttpMetrics;
use super::limits::{self, RateLimiter};
use super::{routes, telemetry};
use crate::configuration::ServerSettings;
use super::live::LiveState;
use crate::graphql::{stateless_schema, AppState};

pub struct Application {
    port: u16,
    host: String,
    server: Server,
}

impl Application {
    /// Binds `settings.addr` and prepares the server; it serves once [`Self::run_until_stopped`]
    /// is awaited. Must be called inside a Tokio/actix runtime.
    pub fn build(settings: &ServerSettings, state: Arc<AppState>) -> std::io::Result<Self> {
        Self::build_live(settings, Arc::new(LiveState::new(state)))
    }

    /// [`Self::build`] over a state the caller may replace while the server runs.
    pub fn build_live(settings: &ServerSettings, live: Arc<LiveState>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(settings.addr)?;
        let local = listener.local_addr()?;
        let server = run(listener, settings, live)?;
        Ok(Self { port: local.port(), host: local.ip().to_string(), server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The base URL the server answers on.
    pub fn url(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }

    /// Stops the server gracefully (in-flight requests finish) when told to.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGINT/SIGTERM or [`ServerHandle::stop`]; in-flight requests get the
    /// configured shutdown timeout to finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn cors(origins: &[String]) -> Cors {
    let base = Cors::default()
        .allowed_methods(["GET", "POST"])
        .allowed_headers([header::CONTENT_TYPE, header::ACCEPT, header::AUTHORIZATION, telemetry::REQUEST_ID])
        .expose_headers(["x-request-id", "x-query-cost", "x-data-version", "retry-after"])
        .max_age(3600);
    if origins.iter().any(|o| o == "*") {
        base.allow_any_origin()
    } else {
        origins.iter().fold(base, |c, o| c.allowed_origin(o))
    }
}

fn run(listener: TcpListener, settings: &ServerSettings, live: Arc<LiveState>) -> std::io::Result<Server> {
    // Each request brings its state (see `live`), so the schema holds none.
    let schema = web::Data::new(stateless_schema());
    let bulk = web::Data::new(BulkLane::new(settings.bulk)?);
    let mut metrics = HttpMetrics::new(&live.current());
    metrics.register_bulk(&bulk);
    let metrics = web::Data::new(metrics);
    let state = web::Data::from(live);
    let mutations = web::Data::new(settings.mutations.clone());
    let timeout = web::Data::new(routes::RequestTimeout(settings.request_timeout));
    // One limiter for all workers, so an address's budget is the server's, not a worker's.
    let limiter = settings.rate_limit.map(|l| web::Data::new(RateLimiter::new(l)));
    let origins = settings.cors_origins.clone();
    let server = HttpServer::new(move || {
        let mut app = App::new()
            // Inside CORS, so a browser can read a 429.
            .wrap(from_fn(limits::rate_limit))
            .wrap(Condition::new(!origins.is_empty(), cors(&origins)))
            .wrap(from_fn(telemetry::observe))
            .app_data(schema.clone())
            .app_data(state.clone())
            .app_data(metrics.clone())
            .app_data(mutations.clone())
            .app_data(timeout.clone())
            .app_data(bulk.clone())
            .app_data(web::PayloadConfig::new(limits::MAX_BODY_BYTES));
        if let Some(limiter) = &limiter {
            app = app.app_data(limiter.clone());
        }
        app
            .route("/graphql", web::post().to(routes::graphql_post))
            .route("/graphql", web::get().to(routes::graphql_get))
            .route("/graphiql", web::get().to(routes::graphiql_page))
            .route("/graphiql/{file}", web::get().to(routes::graphiql_asset))
            .route("/explain/stream", web::get().to(routes::explain_stream))
            .route("/healthz", web::get().to(routes::healthz))
            .route("/readyz", web::get().to(routes::readyz))
            .route("/metrics", web::get().to(routes::metrics))
            .service(
                web::scope("")
                    .wrap(Compress::default())
                    .route("/", web::get().to(routes::app_page))
                    .route("/gene/{id}", web::get().to(routes::app_page))
                    .route("/set/{id:.+}", web::get().to(routes::app_page))
                    .route("/augment", web::get().to(routes::app_page))
                    .route("/enrich", web::get().to(routes::app_page))
                    .route("/ask", web::get().to(routes::app_page))
                    .route("/assets/{file:.+}", web::get().to(routes::app_asset)),
            )
    })
    .listen(listener)?
    .shutdown_timeout(settings.shutdown_timeout_secs);
    Ok(server.workers(settings.workers.unwrap_or_else(default_workers)).run())
}

/// HTTP workers when none are configured: four per core. Each worker is one thread running its
/// requests' futures in turn, so a request that computes for a while delays every request
/// queued on its worker; with more threads than cores the kernel time-slices them instead. In
/// the load mix on 2 cores, 8 workers instead of 2 took the gene page's p99 from 81 ms to 36 ms
/// (README, Performance); 32 did not help further. Large answers (a 500-row predictions page
/// renders for ~6 ms of CPU) now leave the workers altogether (`bulk`).
fn default_workers() -> usize {
    4 * std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}
