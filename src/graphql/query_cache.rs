//! Caches of parsed and validated queries. Dashboards send the same few query strings over and
//! over; parsing (a PEG parser) and validating (two dozen rules plus the cost and depth limits)
//! them again each time cost more than answering them. Both depend only on the query text and
//! its variables (the schema is fixed for the life of the process), so a hit is exactly what a
//! fresh parse and validation would give. Only successes are cached; each cache is bounded and
//! simply emptied when full, which keeps it correct and cheap under any mix of queries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument};
use async_graphql::ValidationResult;

/// Entries per cache; a query text is typically well under 1 KB.
pub const CAPACITY: usize = 1_000;

/// Longest query text worth caching; longer ones (pasted lists) are rarely repeated.
pub const MAX_CACHED_QUERY: usize = 16 * 1024;

#[derive(Default)]
pub struct QueryCache {
    parsed: Mutex<HashMap<String, Arc<ExecutableDocument>>>,
    validated: Mutex<HashMap<String, ValidationResult>>,
}

/// Inserts into a map bounded by [`CAPACITY`], emptied when full: any mix of query texts keeps
/// it small, and forgetting costs only one recomputation. Shared with `http::bulk`'s costs.
pub fn insert_bounded<V>(map: &Mutex<HashMap<String, V>>, key: String, value: V) {
    // A map left by a panicking request is still a valid cache: recover it, never fail on it.
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() >= CAPACITY && !map.contains_key(&key) {
        map.clear();
    }
    map.insert(key, value);
}

impl QueryCache {
    pub fn parsed(&self, query: &str) -> Option<Arc<ExecutableDocument>> {
        self.parsed.lock().unwrap_or_else(|e| e.into_inner()).get(query).cloned()
    }

    pub fn store_parsed(&self, query: &str, doc: Arc<ExecutableDocument>) {
        if query.len() <= MAX_CACHED_QUERY {
            insert_bounded(&self.parsed, query.to_string(), doc);
        }
    }

    /// The key under which a validation of `doc` may be cached, or `None` when it may not:
    /// validation of a document with several operations depends on which one is run.
    pub fn validation_key(query: &str, variables_json: &str, doc: &ExecutableDocument) -> Option<String> {
        if query.len() > MAX_CACHED_QUERY || !matches!(doc.operations, DocumentOperations::Single(_)) {
            return None;
        }
        Some(format!("{query}\u{0}{variables_json}"))
    }

    pub fn validated(&self, key: &str) -> Option<ValidationResult> {
        self.validated.lock().unwrap_or_else(|e| e.into_inner()).get(key).copied()
    }

    pub fn store_validated(&self, key: String, result: ValidationResult) {
        insert_bounded(&self.validated, key, result);
    }
}
