//! The bulk lane: GraphQL requests that render large answers run on their own threads, never
//! on an HTTP worker.
//!
//! Why: each HTTP worker is one thread that runs its connections' requests in turn, and a
//! request's GraphQL execution does not yield while it resolves ready fields. A 500-row
//! predicted-functions page (cost 7,501) takes ~6 ms of CPU, and 30-60 ms of wall time when
//! the 2 cores are shared, and every request queued on the same worker waits for all of it.
//! Inside `scripts/load.sh` that was the gene page's tail: with the mix's functions pages left
//! out, its p99 and that of `/healthz` fell three- to fourfold (README, "The gene page inside
//! the mix"). Off the workers, such a request no longer holds anyone's connection: the kernel
//! time-slices the lane's threads with the workers, so a gene page waits a slice, not a page.
//!
//! Which requests: a query's cost (async-graphql's validated complexity, `x-query-cost`) is
//! known only once it is validated, inside the execution. Dashboards send the same few query
//! texts over and over with different variables (the page's gene, its cursor), so the lane
//! remembers the cost each query text last had and sends a text whose cost reached
//! [`BulkSettings::min_cost`] to the lane from its next request on. A text's first request
//! runs on the worker as before. Answers are the same on either path (the same schema and
//! state run the same request); only the thread differs.
//!
//! Why the lane keeps its own costs rather than reading `graphql::QueryCache`'s validated
//! entries, which hold each request's cost too (`ValidationResult::complexity`): a validation
//! depends on the variables as well as the text (list fields cost `first` times their rows,
//! and `first` is usually a variable), so that cache is keyed by text and variables, and only
//! for single-operation documents. The lane must decide before a request runs, for a text it
//! has seen with other variables (the next gene's page, the next cursor): looked up by text
//! and variables, nearly every such request would miss and stay on the worker, and a batch
//! (keyed by all its texts) would never be found. Keyed by the text alone, one costly request
//! is enough. What the two have in common, the bounded map, is one function
//! (`query_cache::insert_bounded`).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use async_graphql::{BatchRequest, BatchResponse};
use prometheus_client::metrics::counter::Counter;

pub use crate::configuration::BulkSettings;

/// Longer query texts (pasted lists) are rarely repeated: not remembered.
const MAX_REMEMBERED_QUERY: usize = 16 * 1024;

pub struct BulkLane {
    settings: BulkSettings,
    /// `None` once dropped (see `Drop`), or when the lane is off.
    runtime: Option<tokio::runtime::Runtime>,
    /// Each query text's last cost, bounded as `graphql::QueryCache`'s maps.
    costs: Mutex<HashMap<String, usize>>,
    /// Requests run on the lane (`genekg_bulk_requests_total`).
    pub requests: Counter,
}

impl BulkLane {
    /// One thread per core the process may use, at `settings.nice`. With the lane off, no
    /// thread is started.
    pub fn new(settings: BulkSettings) -> std::io::Result<Self> {
        let runtime = match settings.min_cost {
            None => None,
            Some(_) => {
                let nice = settings.nice.clamp(0, 19);
                let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
                Some(
                    tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(threads)
                        .thread_name("genekg-bulk")
                        // Also the runtime's blocking threads (`spawn_blocking` in resolvers).
                        .on_thread_start(move || crate::graphql::blocking::lower_priority(nice))
                        .enable_all()
                        .build()?,
                )
            }
        };
        Ok(Self { settings, runtime, costs: Mutex::new(HashMap::new()), requests: Counter::default() })
    }

    pub fn settings(&self) -> BulkSettings {
        self.settings
    }

    /// The key a request's cost is remembered under: its query text(s), or `None` when it is
    /// not remembered (lane off, text too long).
    pub fn key(&self, batch: &BatchRequest) -> Option<String> {
        self.settings.min_cost?;
        let key = match batch {
            BatchRequest::Single(r) => r.query.clone(),
            BatchRequest::Batch(ops) => ops.iter().map(|r| r.query.as_str()).collect::<Vec<_>>().join("\u{0}"),
        };
        (key.len() <= MAX_REMEMBERED_QUERY).then_some(key)
    }

    /// Whether the request under `key` goes to the lane: its text's last cost reached the bar.
    pub fn takes(&self, key: Option<&str>) -> bool {
        let (Some(min), Some(key)) = (self.settings.min_cost, key) else { return false };
        self.costs.lock().unwrap_or_else(|e| e.into_inner()).get(key).is_some_and(|&c| c >= min)
    }

    /// Remembers the cost `response` reports (`x-query-cost`; a batch's largest) under `key`.
    /// Answers without a cost (refused before validation) change nothing.
    pub fn remember(&self, key: Option<String>, response: &BatchResponse) {
        let Some(key) = key else { return };
        let cost_of = |r: &async_graphql::Response| -> Option<usize> {
            r.http_headers.get("x-query-cost")?.to_str().ok()?.parse().ok()
        };
        let cost = match response {
            BatchResponse::Single(r) => cost_of(r),
            BatchResponse::Batch(rs) => rs.iter().filter_map(cost_of).max(),
        };
        let Some(cost) = cost else { return };
        crate::graphql::query_cache::insert_bounded(&self.costs, key, cost);
    }

    /// Runs `job` on the lane and waits for it. Dropping the returned future (the request timed
    /// out, the client went away) stops the job at its next await. A panic in the job is
    /// resumed here, so it ends where a panic on the worker would (`telemetry::observe`).
    pub async fn run<F>(&self, job: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let Some(runtime) = &self.runtime else { return job.await };
        self.requests.inc();
        let handle = runtime.spawn(job);
        let _abort = AbortOnDrop(handle.abort_handle());
        match handle.await {
            Ok(out) => out,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("bulk lane job ended abnormally: {e}"),
        }
    }
}

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Drop for BulkLane {
    fn drop(&mut self) {
        // Dropping a runtime blocks until its threads stop, which panics inside an async
        // context (the server's last reference may go there); this one does not wait.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(cost: Option<usize>) -> BatchResponse {
        let mut r = async_graphql::Response::new(async_graphql::Value::Null);
        if let Some(c) = cost {
            r.http_headers.insert("x-query-cost", c.into());
        }
        BatchResponse::Single(r)
    }

    fn single(query: &str) -> BatchRequest {
        BatchRequest::Single(async_graphql::Request::new(query))
    }

    #[test]
    fn a_query_text_goes_to_the_lane_once_its_cost_reached_the_bar() {
        let lane = BulkLane::new(BulkSettings { min_cost: Some(1_000), nice: 0 }).unwrap();
        let big = lane.key(&single("{ big }"));
        let small = lane.key(&single("{ small }"));
        assert!(!lane.takes(big.as_deref()), "unknown texts stay on the worker");
        lane.remember(big.clone(), &response(Some(7_501)));
        lane.remember(small.clone(), &response(Some(232)));
        assert!(lane.takes(big.as_deref()));
        assert!(!lane.takes(small.as_deref()));
        // A refused request (no cost) keeps what was known; a cheaper run of the text moves it back.
        lane.remember(big.clone(), &response(None));
        assert!(lane.takes(big.as_deref()));
        lane.remember(big.clone(), &response(Some(999)));
        assert!(!lane.takes(big.as_deref()));
    }

    #[test]
    fn a_batch_is_keyed_by_all_its_texts_and_counts_its_costliest_operation() {
        let lane = BulkLane::new(BulkSettings::default()).unwrap();
        let batch = BatchRequest::Batch(vec![async_graphql::Request::new("{ a }"), async_graphql::Request::new("{ b }")]);
        let key = lane.key(&batch);
        let mut cheap = async_graphql::Response::new(async_graphql::Value::Null);
        cheap.http_headers.insert("x-query-cost", 3.into());
        let mut costly = async_graphql::Response::new(async_graphql::Value::Null);
        costly.http_headers.insert("x-query-cost", 5_000.into());
        lane.remember(key.clone(), &BatchResponse::Batch(vec![cheap, costly]));
        assert!(lane.takes(key.as_deref()));
        assert!(!lane.takes(lane.key(&single("{ a }")).as_deref()), "one text of the batch alone is another key");
    }

    #[test]
    fn switched_off_it_takes_nothing_and_runs_jobs_in_place() {
        let lane = BulkLane::new(BulkSettings { min_cost: None, nice: 5 }).unwrap();
        let key = lane.key(&single("{ big }"));
        assert_eq!(key, None);
        lane.remember(key.clone(), &response(Some(1_000_000)));
        assert!(!lane.takes(key.as_deref()));
        let here = std::thread::current().id();
        let ran_on = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(lane.run(async { std::thread::current().id() }));
        assert_eq!(ran_on, here);
        assert_eq!(lane.requests.get(), 0);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn jobs_run_on_the_lanes_threads_at_its_nice_value_and_panics_come_back() {
        let lane = BulkLane::new(BulkSettings { min_cost: Some(1), nice: 7 }).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (name, nice) = rt.block_on(lane.run(async {
            let name = std::thread::current().name().map(str::to_string);
            // SAFETY: reads the calling thread's own nice value.
            let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) };
            (name, nice)
        }));
        assert_eq!(name.as_deref(), Some("genekg-bulk"));
        assert!(nice >= 7, "the lane's threads run at nice 7 or above (the test's own), got {nice}");
        assert_eq!(lane.requests.get(), 1);
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(lane.run(async { panic!("in the lane") }))
        }));
        let message = crate::http::limits::panic_message(&panicked.unwrap_err());
        assert!(message.contains("in the lane"), "{message}");
    }
}
