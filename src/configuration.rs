//! Where genekg keeps its files. Everything lives under one data directory (default `./data`,
//! or `GENEKG_DATA_DIR`) so that a checkout's data is git-ignored in one place.

use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub db: PathBuf,
}

impl Paths {
    /// `db` overrides the store path; the data directory then defaults to the store's parent, so
    /// models and indexes stay beside the store they were built from.
    pub fn new(data_dir: Option<PathBuf>, db: Option<PathBuf>) -> Self {
        let data_dir = data_dir
            .or_else(|| std::env::var_os("GENEKG_DATA_DIR").map(PathBuf::from))
            .or_else(|| db.as_ref().and_then(|d| d.parent().map(|p| p.to_path_buf())))
            .unwrap_or_else(|| PathBuf::from("data"));
        let db = db.unwrap_or_else(|| data_dir.join("genekg.db"));
        Self { data_dir, db }
    }

    /// Where the trained model lives.
    pub fn model_dir(&self) -> PathBuf {
        self.data_dir.join("model")
    }

    /// Where the neighbourhood indexes live.
    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    /// Where scripts/setup.sh puts the default data.
    pub fn default_source_dir(&self) -> PathBuf {
        self.data_dir.join("source")
    }
}

/// How `genekg serve` listens. Kept apart from [`Paths`] because only the server needs it.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Port 0 picks a free port (the tests do this); the bound address is printed at start.
    pub addr: std::net::SocketAddr,
    /// Origins allowed to call the API from a browser; empty allows same-origin use only, `*`
    /// allows any origin.
    pub cors_origins: Vec<String>,
    /// HTTP worker threads (default: four per core, see `http::startup`).
    pub workers: Option<usize>,
    /// Seconds in-flight requests get to finish after SIGINT/SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// Who may run mutations.
    pub mutations: MutationPolicy,
    /// Longest a GraphQL request may run before the client gets `TIMEOUT` (see `http::limits`).
    pub request_timeout: std::time::Duration,
    /// Requests each client address may make; none by default (see [`RateLimit`]).
    pub rate_limit: Option<RateLimit>,
    /// Which GraphQL requests run off the HTTP workers, and at what priority (`http::bulk`).
    pub bulk: BulkSettings,
}

/// How the bulk lane (`http::bulk`) is set up (`genekg serve --bulk-cost`, `--bulk-nice`). Here,
/// not in `http`, because genekg-lite builds this module without the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkSettings {
    /// Query texts whose last cost was at least this run on the lane; `None` turns it off.
    pub min_cost: Option<usize>,
    /// Nice value of the lane's threads (0 to 19); 0, the workers' own, by default.
    pub nice: i32,
}

/// Default [`BulkSettings::min_cost`]: above every light query of the dashboard (the gene page
/// costs 232, a gene lookup under 30), below its pages of hundreds of rows (augment's 200 rows
/// 2,200; a 500-row functions page 7,501) and an enrichment of two libraries (1,250).
pub const BULK_DEFAULT_MIN_COST: usize = 1_000;

/// Default [`BulkSettings::nice`]: the workers' own. Leaving the workers is what helps: in
/// `scripts/load.sh` the gene page beside the mix had the same p99 (17.9 ms) with the lane at
/// nice 0 and at nice 5, while at nice 5 the 500-row pages waited 160 ms at p50 instead of
/// 34 ms and the mix served fewer requests (README, "The gene page inside the mix").
pub const BULK_DEFAULT_NICE: i32 = 0;

impl Default for BulkSettings {
    fn default() -> Self {
        Self { min_cost: Some(BULK_DEFAULT_MIN_COST), nice: BULK_DEFAULT_NICE }
    }
}

/// A per-client-address request budget: `per_second` sustained, bursts of up to `burst`.
///
/// Off by default: genekg is first a local tool, `scripts/load.sh` drives 64 connections from
/// one address, and behind a reverse proxy every client shares the proxy's address (rate-limit
/// there, or give each replica a budget that covers the proxy's whole traffic).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: u32,
    pub burst: u32,
}

/// Who may change the server's data (`addGeneSet`). Open by default, as a local tool; a server
/// behind a public dashboard sets a token (clients send `Authorization: Bearer TOKEN`) or turns
/// mutations off.
#[derive(Debug, Clone, Default)]
pub struct MutationPolicy {
    /// When set, mutations need this token.
    pub api_token: Option<String>,
    /// No mutations at all.
    pub read_only: bool,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            addr: std::net::SocketAddr::from(([127, 0, 0, 1], 8080)),
            cors_origins: vec![],
            workers: None,
            shutdown_timeout_secs: 10,
            mutations: MutationPolicy::default(),
            // Above the LLM's own 60 s generation limit (`llm::Limits`), so an explanation that
            // runs long ends in its template fallback, not in TIMEOUT.
            request_timeout: std::time::Duration::from_secs(120),
            rate_limit: None,
            bulk: BulkSettings::default(),
        }
    }
}
