use std::path::PathBuf;
use std::sync::Arc;

use genekg::configuration::ServerSettings;
use genekg::graphql::state::ApiMetrics;
use genekg::graphql::AppState;
use genekg::http::Application;
use genekg::store::Store;
use serde_json::{json, Value};

pub use crate::support::{fixture, fixture_store};

pub const TEST_ORIGIN: &str = "https://dashboard.example.org";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: Arc<AppState>,
    _dir: tempfile::TempDir,
}

/// Starts the real server on a random port over a fresh fixture store.
pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = fixture_store(dir.path());
    let state = AppState::load(store).expect("load API state");
    start(state, dir).await
}

/// Like [`spawn_app`], with the served recipe trained on the fixture (a few seconds), its stored
/// predictions and its neighbourhood indexes, all through the same library calls as the CLI.
pub async fn spawn_app_with_model() -> TestApp {
    let (state, dir) = model_state_then(|_| {});
    start(state, dir).await
}

/// Like [`spawn_app_with_model`], with `change` applied to the store after the model, the
/// predictions and the indexes were made from it (to test what goes stale).
pub async fn spawn_app_with_model_then(change: impl FnOnce(&Store)) -> TestApp {
    let (state, dir) = model_state_then(change);
    start(state, dir).await
}

/// The SmolLM2 test model scripts/setup.sh fetches (GENEKG_TEST_LLM, or the cache path).
#[cfg(feature = "llm-local")]
pub fn test_llm_path() -> PathBuf {
    let path = std::env::var_os("GENEKG_TEST_LLM")
        .map(PathBuf::from)
        .unwrap_or_else(|| genekg::llm::model_cache_dir().join("SmolLM2-135M-Instruct.Q4_1.gguf"));
    assert!(path.is_file(), "test model {} missing: run scripts/setup.sh (or scripts/fetch-llm.sh test)", path.display());
    path
}

/// Like [`spawn_app_with_model`], with `llm` as the server's LLM backend.
pub async fn spawn_app_with_llm(llm: Option<Arc<dyn genekg::llm::Llm>>) -> TestApp {
    let (state, dir) = model_state_then(|_| {});
    start(state.with_llm(llm).expect("attach LLM"), dir).await
}

/// The API state over a fixture store with a model, its predictions and indexes, with `change`
/// applied to the store after the model, the predictions and the indexes were made from it.
pub fn model_state_then(change: impl FnOnce(&Store)) -> (AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, model_dir, index_dir) = crate::support::served_model_store(dir.path());
    change(&store);
    let state = AppState::load(store).expect("load API state").with_model(&model_dir, &index_dir).expect("attach model");
    assert!(state.model.is_some() && state.neighbourhood.is_some());
    (state, dir)
}

/// Like [`spawn_app`], with `change` applied to the server's settings.
pub async fn spawn_app_with_settings(change: impl FnOnce(&mut ServerSettings)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = AppState::load(fixture_store(dir.path())).expect("load API state");
    start_with(state, dir, change).await
}

/// Starts the real server on `state`, for tests that build their own (e.g. another recipe).
pub async fn spawn_app_from(state: AppState, dir: tempfile::TempDir) -> TestApp {
    start(state, dir).await
}

async fn start(state: AppState, dir: tempfile::TempDir) -> TestApp {
    start_with(state, dir, |_| {}).await
}

/// Starts the real server on `state` with `change` applied to its settings.
pub async fn start_with(state: AppState, dir: tempfile::TempDir, change: impl FnOnce(&mut ServerSettings)) -> TestApp {
    let state = Arc::new(state);
    let mut settings = ServerSettings {
        addr: "127.0.0.1:0".parse().unwrap(),
        cors_origins: vec![TEST_ORIGIN.to_string()],
        workers: Some(2),
        ..ServerSettings::default()
    };
    change(&mut settings);
    let app = Application::build(&settings, state.clone()).expect("build server");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp { address, client: reqwest::Client::new(), state, _dir: dir }
}

impl TestApp {
    pub async fn post(&self, body: &Value) -> reqwest::Response {
        self.client.post(format!("{}/graphql", self.address)).json(body).send().await.expect("POST /graphql")
    }

    /// Runs one query and returns the whole response body (data and errors).
    pub async fn query(&self, query: &str) -> Value {
        self.query_with(query, json!({})).await
    }

    pub async fn query_with(&self, query: &str, variables: Value) -> Value {
        let res = self.post(&json!({"query": query, "variables": variables})).await;
        assert_eq!(res.status().as_u16(), 200, "GraphQL answers 200 even with errors");
        res.json().await.expect("JSON body")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{}", self.address, path)).send().await.expect("GET")
    }

    /// Store reads of one loader so far: (batches, keys).
    pub fn loads(&self, loader: &str) -> (u64, u64) {
        let label = ApiMetrics::label("loader", loader);
        let m = &self.state.metrics;
        (m.loader_batches.get_or_create(&label).get(), m.loader_keys.get_or_create(&label).get())
    }

    /// Some Entrez ids of the fixture catalogue, in Entrez order.
    pub fn entrez_ids(&self, n: usize) -> Vec<u32> {
        self.state.store.genes().take(n).map(|g| g.unwrap().entrez).collect()
    }
}

/// The `extensions.code` of every error of a response.
/// The `(event, data)` pairs of a Server-Sent Events body.
pub fn sse_events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|block| {
            let field = |name: &str| block.lines().find_map(|l| l.strip_prefix(name)).unwrap_or("").trim().to_string();
            (field("event:"), serde_json::from_str(&field("data:")).unwrap())
        })
        .collect()
}

pub fn error_codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errs| errs.iter().map(|e| e["extensions"]["code"].as_str().unwrap_or("<none>").to_string()).collect())
        .unwrap_or_default()
}

/// Follows `after: endCursor` through a connection, returning every node. `query` must take
/// `$after: String` and `path` locates the connection in `data`.
pub async fn walk_pages(app: &TestApp, query: &str, path: &[&str]) -> (Vec<Value>, u64) {
    let mut after = Value::Null;
    let mut nodes = vec![];
    let mut total = None;
    for _ in 0..1000 {
        let body = app.query_with(query, json!({"after": after})).await;
        assert!(body["errors"].is_null(), "errors while paging: {body}");
        let mut conn = &body["data"];
        for p in path {
            conn = &conn[*p];
        }
        let t = conn["totalCount"].as_u64().expect("totalCount");
        assert_eq!(*total.get_or_insert(t), t, "totalCount changed between pages");
        nodes.extend(conn["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()));
        if !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return (nodes, t);
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    panic!("paging did not end");
}
