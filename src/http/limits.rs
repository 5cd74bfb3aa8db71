//! The limits the HTTP layer enforces around GraphQL (the query limits themselves live in
//! `graphql::limits`), and the one shape of every error the HTTP layer answers with:
//! GraphQL's `{"errors": [{"message", "extensions": {"code"}}]}`, so clients parse one format.
//!
//! - Body size: [`MAX_BODY_BYTES`]; a declared larger body is refused before it is read
//!   (`telemetry::observe`), a chunked one when it passes the limit (`routes::graphql`).
//! - Time: a GraphQL request running longer than `ServerSettings::request_timeout` is dropped
//!   and answered `TIMEOUT`. Dropping stops its async work and gives up its place in the heavy
//!   pool's queue; a job already running off the worker (`graphql::blocking`) finishes in the
//!   background, its answer discarded.
//! - Rate: a per-client-address budget ([`RateLimiter`], off unless configured).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::configuration::RateLimit;
use crate::graphql::ErrorCode;

/// Largest request body accepted (1,000 ids or a 5,000-gene list fit many times over).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// An error answer in GraphQL's response shape. `request_id` is added for failures a user may
/// report (internal errors, timeouts), so the report meets the server's log line.
pub fn error_response(status: StatusCode, code: ErrorCode, message: &str, request_id: Option<&str>) -> HttpResponse {
    let mut extensions = serde_json::json!({ "code": code.as_str() });
    if let Some(id) = request_id {
        extensions["requestId"] = id.into();
    }
    HttpResponse::build(status).json(serde_json::json!({
        "errors": [{ "message": message, "extensions": extensions }]
    }))
}

pub fn body_too_large() -> HttpResponse {
    error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        &format!("the request body is larger than the limit of {MAX_BODY_BYTES} bytes (1 MiB); send fewer genes or ids per request"),
        None,
    )
}

pub fn timed_out(limit: Duration, request_id: Option<&str>) -> HttpResponse {
    error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Timeout,
        &format!(
            "the request ran longer than the limit of {} s and was stopped; ask for less (smaller pages, fewer fields, shorter gene lists)",
            limit.as_secs_f64()
        ),
        request_id,
    )
}

/// What a client sees of a panic or any other failure inside the server.
pub fn internal(request_id: &str) -> HttpResponse {
    error_response(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, "internal error", Some(request_id))
}

/// The text a panic was raised with, for the log (never for the client).
pub fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// The per-address budget of [`RateLimit`], as a GCRA (the `governor` crate, MIT; the
/// actix-governor middleware is GPL-3.0, which genekg's MIT/Apache-2.0 licence cannot take in).
pub struct RateLimiter {
    limit: RateLimit,
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        let per_second = NonZeroU32::new(limit.per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limit.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        Self { limit, limiter: DefaultKeyedRateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)) }
    }

    /// `Err(wait)` when `ip` is over its budget; `wait` is when its next request will pass.
    fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        self.limiter.check_key(&ip).map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets addresses idle long enough to be back at a full budget, so the table does not
    /// grow with every address ever seen.
    fn forget_idle(&self) {
        if self.limiter.len() > 10_000 {
            self.limiter.retain_recent();
        }
    }
}

/// Probes and metrics scrapes come from the platform, not from clients.
fn exempt(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// Middleware: answers 429 `RATE_LIMITED` (with `Retry-After`) to an address over its budget.
pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // Registered only when a limit is configured.
    let limiter = req.app_data::<web::Data<RateLimiter>>().cloned();
    let ip = req.peer_addr().map(|a| a.ip());
    if let (Some(limiter), Some(ip), false) = (limiter, ip, exempt(req.path())) {
        limiter.forget_idle();
        if let Err(wait) = limiter.check(ip) {
            let retry = wait.as_secs().max(1);
            let mut res = error_response(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                &format!(
                    "more than {} requests per second (bursts of {}) from this address; retry in {retry} s",
                    limiter.limit.per_second, limiter.limit.burst
                ),
                None,
            );
            res.headers_mut().insert(actix_web::http::header::RETRY_AFTER, retry.into());
            return Ok(req.into_response(res).map_into_right_body());
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}
