//! One tracing span per request, carrying a request id that is also returned in the
//! `x-request-id` header (a valid id sent by the client is kept, so a proxy's id follows the
//! request through), and the request's entry in the HTTP metrics. It is also where a panic in
//! any route ends: the client gets `INTERNAL` with the request id and the worker goes on serving.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue, CONTENT_LENGTH};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use futures_util::FutureExt as _;
use tracing::Instrument;

use super::limits::{self, MAX_BODY_BYTES};
use super::metrics::HttpMetrics;
use crate::graphql::RequestId;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn client_request_id(req: &ServiceRequest) -> Option<String> {
    let id = req.headers().get(&REQUEST_ID)?.to_str().ok()?;
    let ok = !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| id.to_string())
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let started = Instant::now();
    let request_id = client_request_id(&req).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = req.method().to_string();
    let span = tracing::info_span!("http_request", request_id = %request_id, method = %method, path = %req.path());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let metrics = req.app_data::<web::Data<HttpMetrics>>().cloned();

    // Refused before the body is read when the client declares it; a chunked body is cut off
    // at the same size by the app's PayloadConfig.
    let too_large = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|n| n > MAX_BODY_BYTES);
    let mut res = if too_large {
        req.into_response(limits::body_too_large()).map_into_right_body()
    } else {
        // Catching here covers every route (a handler, an extractor, a middleware inside).
        // A streamed body that panics after its headers went out is the stream's own affair
        // (see `routes::explain`).
        match AssertUnwindSafe(next.call(req).instrument(span.clone())).catch_unwind().await {
            Ok(res) => res?.map_into_left_body(),
            Err(panic) => {
                span.in_scope(|| tracing::error!(panic = limits::panic_message(&panic), "panic while serving a request"));
                if let Some(m) = metrics {
                    // The route pattern is gone with the request.
                    m.observe(&method, "panicked", 500, started.elapsed().as_secs_f64());
                }
                // The request went into the handler (routing needs it unshared, so it cannot be
                // kept aside): the answer is made from an error, with the request id on it.
                return Err(Panicked { request_id }.into());
            }
        }
    };

    let status = res.status().as_u16();
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_string());
    let seconds = started.elapsed().as_secs_f64();
    if let Some(m) = metrics {
        m.observe(&method, &route, status, seconds);
    }
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, route, ms = seconds * 1e3, "request failed");
        } else {
            tracing::debug!(status, route, ms = seconds * 1e3, "request done");
        }
    });
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    Ok(res)
}

/// A request whose handler panicked: answered INTERNAL with the request id, in body and header.
#[derive(Debug)]
struct Panicked {
    request_id: String,
}

impl std::fmt::Display for Panicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "internal error (request {})", self.request_id)
    }
}

impl actix_web::ResponseError for Panicked {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        let mut res = limits::internal(&self.request_id);
        if let Ok(v) = HeaderValue::from_str(&self.request_id) {
            res.headers_mut().insert(REQUEST_ID, v);
        }
        res
    }
}
