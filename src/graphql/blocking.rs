//! Model, index and enrichment work runs off the HTTP workers: a libtorch forward pass, an HNSW
//! search or an enrichment over every library takes from a millisecond to a second, and an HTTP
//! worker (one per core) held that long stalls every request queued behind it. Store reads
//! (microseconds, from sled's cache) stay on the worker.
//!
//! Off the worker there are two lanes, so that heavy work cannot take the cores from light reads:
//! - [`run`]: short jobs (an HNSW search, a store write), on tokio's blocking pool as before.
//! - [`run_heavy`]: jobs of several milliseconds of CPU or more (enrichment, augment, set
//!   neighbourhoods of a gene list, explanation templates), on the [`HeavyPool`]: a fixed number
//!   of threads (one per core by default, `GENEKG_HEAVY_THREADS`) at a low CPU priority
//!   (nice 10, `GENEKG_HEAVY_NICE`), admitted by a semaphore with one permit per thread.
//!
//! Under load, the gene page and lookups keep most of the cores (the kernel gives a nice-0
//! thread about ten times a nice-10 one's share), while heavy requests wait their turn: longer
//! under load, and a request whose time limit passes while it waits is dropped without ever
//! running (see `http::limits`). Why 10 and not 19: at 19, light work alone that keeps every
//! core busy left heavy work ~1.5% of a core, and inside `scripts/load.sh` augment and enrich
//! waited 9-13 s and timed out (README, "The gene page inside the mix").

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use tokio::sync::Semaphore;

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

/// Runs `job` on the state's [`HeavyPool`], waiting for a free thread first. A panic in it
/// becomes INTERNAL, as in [`run`].
pub(crate) async fn run_heavy<T: Send + 'static>(
    state: &Arc<AppState>,
    job: impl FnOnce(&AppState) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let st = state.clone();
    state
        .heavy
        .run(move || {
            st.faults.before_blocking_job();
            job(&st)
        })
        .await
        .map_err(|panic| {
            let message = crate::http::limits::panic_message(&panic);
            ApiError::internal(anyhow::anyhow!("heavy job panicked: {message}"))
        })?
}

/// Nice value of the heavy threads by default: low enough that runnable nice-0 threads (HTTP
/// workers, the short lane) get most of a core, high enough that heavy requests still finish
/// under load (measured quiet, module doc). Lowering one's own priority needs no privilege.
pub const DEFAULT_HEAVY_NICE: i32 = 10;

/// A bounded pool for CPU-heavy request work (see the module doc). Jobs that use rayon inside
/// (enrichment sorts and scans in parallel) stay on this pool's threads, at its priority.
pub struct HeavyPool {
    pool: rayon::ThreadPool,
    nice: i32,
    admission: Arc<Semaphore>,
    /// Also holds the thread count ([`HeavyMetrics::threads`]), its one home.
    metrics: HeavyMetrics,
}

/// The pool's counts, kept in the metric types /metrics exposes (`http::metrics` registers
/// clones, which share the values): the pool keeps one set of counts, and what it reports is
/// what it counted.
#[derive(Clone, Default)]
pub struct HeavyMetrics {
    /// Jobs waiting for a thread.
    pub waiting: Gauge,
    /// Jobs running now.
    pub running: Gauge,
    /// Threads, i.e. how many jobs may run at once.
    pub threads: Gauge,
    /// Jobs that ran to their end without panicking.
    pub completed: Counter,
    /// Jobs given up while they waited, never run: their request's time limit passed (or
    /// the request was otherwise dropped) before a thread was free.
    pub dropped_queued: Counter,
    /// Jobs that panicked (answered INTERNAL).
    pub panicked: Counter,
}

impl HeavyPool {
    /// A pool of `threads` threads (at least one) at nice [`DEFAULT_HEAVY_NICE`].
    pub fn new(threads: usize) -> std::io::Result<Self> {
        Self::with_nice(threads, DEFAULT_HEAVY_NICE)
    }

    /// A pool of `threads` threads (at least one) at nice `nice` (0 to 19; 0 leaves them at the
    /// server's priority).
    pub fn with_nice(threads: usize, nice: i32) -> std::io::Result<Self> {
        let threads = threads.max(1);
        let nice = nice.clamp(0, 19);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("genekg-heavy-{i}"))
            .start_handler(move |_| lower_priority(nice))
            .build()
            .map_err(std::io::Error::other)?;
        let metrics = HeavyMetrics::default();
        metrics.threads.set(threads as i64);
        Ok(Self { pool, nice, admission: Arc::new(Semaphore::new(threads)), metrics })
    }

    /// The server's pool: `GENEKG_HEAVY_THREADS` threads (default one per core the process may
    /// use) at nice `GENEKG_HEAVY_NICE` (default [`DEFAULT_HEAVY_NICE`]).
    pub fn from_env() -> anyhow::Result<Self> {
        fn var(name: &str, default: usize, max: usize) -> anyhow::Result<usize> {
            match std::env::var(name) {
                Err(_) => Ok(default),
                Ok(v) => v
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n <= max)
                    .ok_or_else(|| anyhow::anyhow!("{name} must be a whole number from 0 to {max}, got {v:?}")),
            }
        }
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let threads = var("GENEKG_HEAVY_THREADS", cores, 1024)?.max(1);
        let nice = var("GENEKG_HEAVY_NICE", DEFAULT_HEAVY_NICE as usize, 19)? as i32;
        Ok(Self::with_nice(threads, nice)?)
    }

    /// The nice value its threads run at.
    pub fn nice(&self) -> i32 {
        self.nice
    }

    /// How many jobs may run at once.
    pub fn threads(&self) -> usize {
        self.metrics.threads.get() as usize
    }

    /// Jobs waiting for a thread.
    pub fn waiting(&self) -> usize {
        self.metrics.waiting.get() as usize
    }

    /// Jobs running now (never more than [`Self::threads`]).
    pub fn running(&self) -> usize {
        self.metrics.running.get() as usize
    }

    /// Its counts, for /metrics.
    pub fn metrics(&self) -> &HeavyMetrics {
        &self.metrics
    }

    /// Runs `job` once a thread is free; `Err` carries its panic. Dropping the future while it
    /// waits gives up its place: the job never runs. Once started, the job runs to its end (a
    /// thread cannot be stopped midway) and its answer is discarded if nobody waits for it.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Box<dyn std::any::Any + Send>> {
        let permit = {
            let mut queued = Queued::enter(&self.metrics);
            let permit = self.admission.clone().acquire_owned().await;
            queued.admitted = true;
            // The semaphore is never closed.
            permit.map_err(|e| Box::new(e.to_string()) as Box<dyn std::any::Any + Send>)?
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let metrics = self.metrics.clone();
        metrics.running.inc();
        self.pool.spawn(move || {
            // A panic must not reach rayon, which would abort the process.
            let result = std::panic::catch_unwind(AssertUnwindSafe(job));
            match &result {
                Ok(_) => metrics.completed.inc(),
                Err(_) => metrics.panicked.inc(),
            };
            metrics.running.dec();
            drop(permit);
            let _ = tx.send(result);
        });
        rx.await.unwrap_or_else(|e| Err(Box::new(format!("heavy job lost: {e}"))))
    }
}

/// A job's place in the queue: counted as waiting while it lives, and as dropped while queued
/// if its future is dropped before it is admitted.
struct Queued<'a> {
    metrics: &'a HeavyMetrics,
    admitted: bool,
}

impl<'a> Queued<'a> {
    fn enter(metrics: &'a HeavyMetrics) -> Self {
        metrics.waiting.inc();
        Self { metrics, admitted: false }
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.metrics.waiting.dec();
        if !self.admitted {
            self.metrics.dropped_queued.inc();
        }
    }
}

/// Lowers the calling thread's CPU priority to `nice` (Linux: nice is per thread; a process
/// already at a higher nice keeps it). Where that fails or is not supported, the pool still
/// bounds how many cores heavy work takes.
pub(crate) fn lower_priority(nice: i32) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain system calls on the calling thread's own id.
        let rc = unsafe {
            let tid = libc::gettid() as libc::id_t;
            *libc::__errno_location() = 0;
            let current = libc::getpriority(libc::PRIO_PROCESS, tid);
            if nice <= current || *libc::__errno_location() != 0 {
                0
            } else {
                libc::setpriority(libc::PRIO_PROCESS, tid, nice)
            }
        };
        if rc != 0 {
            tracing::warn!("cannot lower the heavy pool's priority: {}", std::io::Error::last_os_error());
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}
