//! Model, index and enrichment work runs on tokio's blocking pool, not on the HTTP workers: a
//! libtorch forward pass, an HNSW search or an enrichment over every library takes from a
//! millisecond to a second, and an HTTP worker (one per core) held that long stalls every
//! request queued behind it. Store reads (microseconds, from sled's cache) stay on the worker.

use std::sync::Arc;

use super::errors::{ApiError, ApiResult};
use super::AppState;

/// Runs `job` on the blocking pool. A panic in it becomes INTERNAL (with the request id, as
/// every internal error), and the pool's thread goes on serving.
pub(crate) async fn run<T: Send + 'static>(
    state: &Arc<AppState>,
    job: impl FnOnce(&AppState) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        state.faults.before_blocking_job();
        job(&state)
    })
    .await
    .map_err(|e| ApiError::internal(anyhow::anyhow!("blocking job ended abnormally: {e}")))?
}
