//! The Prometheus registry behind /metrics: HTTP counters and latencies recorded by the
//! telemetry middleware, plus the API's own counters (loader batches, error codes) and the
//! heavy pool's queue (`graphql::blocking`).

use std::sync::Arc;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::graphql::AppState;

type Labels = Vec<(String, String)>;

fn latency_histogram() -> Histogram {
    // 0.1 ms .. ~1.6 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 15))
}

pub struct HttpMetrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram, fn() -> Histogram>,
}

impl HttpMetrics {
    pub fn new(state: &Arc<AppState>) -> Self {
        let mut registry = Registry::with_prefix("genekg");
        let requests = Family::<Labels, Counter>::default();
        let latency = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register("http_requests", "HTTP requests by method, route and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route", latency.clone());
        let m = &state.metrics;
        registry.register("loader_batches", "Batched store reads per DataLoader", m.loader_batches.clone());
        registry.register("loader_keys", "Keys loaded per DataLoader", m.loader_keys.clone());
        registry.register("graphql_errors", "GraphQL errors by extension code", m.errors.clone());
        let x = &state.explainer.metrics;
        registry.register("explain_guard", "LLM explanations checked by the guard, by backend and result (passed|rejected)", x.guard.clone());
        registry.register("explain_llm_busy", "Explanations answered by the template because the local LLM queue was full", x.llm_busy.clone());
        registry.register("explain_llm_errors", "LLM generations that failed or timed out", x.llm_errors.clone());
        registry.register("explain_cache", "Explanation cache lookups by result (hit|miss)", x.cache.clone());
        let h = state.heavy.metrics();
        registry.register("heavy_jobs_waiting", "Heavy request jobs waiting for a thread of the heavy pool", h.waiting.clone());
        registry.register("heavy_jobs_running", "Heavy request jobs running on the heavy pool", h.running.clone());
        registry.register("heavy_threads", "Threads of the heavy pool (jobs it runs at once)", h.threads.clone());
        registry.register("heavy_jobs_completed", "Heavy jobs that ran to their end", h.completed.clone());
        registry.register(
            "heavy_jobs_dropped_queued",
            "Heavy jobs given up while waiting, never run (their request's time limit passed)",
            h.dropped_queued.clone(),
        );
        registry.register("heavy_jobs_panicked", "Heavy jobs that panicked (answered INTERNAL)", h.panicked.clone());
        let genes = Gauge::<i64>::default();
        genes.set(state.genes.gene_count() as i64);
        registry.register("genes", "Genes in the catalogue", genes);
        let sets = Gauge::<i64>::default();
        sets.set(state.set_count() as i64);
        registry.register("gene_sets", "Gene sets over all libraries", sets);
        Self { registry, requests, latency }
    }

    /// The bulk lane's count (`http::bulk`).
    pub fn register_bulk(&mut self, lane: &super::bulk::BulkLane) {
        self.registry.register("bulk_requests", "GraphQL requests run on the bulk lane, off the HTTP workers", lane.requests.clone());
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let labels = vec![
            ("method".to_string(), method.to_string()),
            ("route".to_string(), route.to_string()),
            ("status".to_string(), status.to_string()),
        ];
        self.requests.get_or_create(&labels).inc();
        self.latency.get_or_create(&vec![("route".to_string(), route.to_string())]).observe(seconds);
    }

    /// OpenMetrics text, which Prometheus scrapes natively.
    pub fn render(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}
