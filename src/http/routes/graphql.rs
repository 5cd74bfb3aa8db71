use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE};
use actix_web::http::StatusCode;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse, Responder};
use async_graphql::BatchRequest;
use async_graphql_actix_web::GraphQLResponse;

use crate::configuration::MutationPolicy;
use crate::graphql::limits::MAX_BATCH_OPERATIONS;
use crate::http::bulk::BulkLane;
use crate::http::LiveState;
use crate::graphql::{self, AppState, ErrorCode, GenekgSchema, ReadOnlyRequest, RequestId};
use crate::http::limits;

/// How long one GraphQL request may run (`ServerSettings::request_timeout`).
#[derive(Clone, Copy, Debug)]
pub struct RequestTimeout(pub Duration);

fn bad_request(message: String) -> HttpResponse {
    limits::error_response(StatusCode::BAD_REQUEST, ErrorCode::BadInput, &message, None)
}

/// The body of a POST: JSON (one operation or a batch array), or a bare query with
/// `Content-Type: application/graphql`. The body arrives whole (bounded by the app's
/// `PayloadConfig`), so no streaming decoder or extra task is needed per request.
///
/// A JSON array is read as a batch and anything else as one operation, rather than through
/// `BatchRequest`'s untagged deserializer: serde also reads a struct from a JSON list, so that
/// one took `[]` for a single operation without a query and answered with a parse error
/// instead of saying the batch was empty.
fn parse_post(http: &HttpRequest, body: &[u8]) -> Result<BatchRequest, String> {
    let content_type = http.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type.starts_with("application/graphql") && !content_type.contains("json") {
        let query = std::str::from_utf8(body).map_err(|_| "the query is not UTF-8".to_string())?;
        return Ok(BatchRequest::Single(async_graphql::Request::new(query)));
    }
    let not_graphql = |e: serde_json::Error| format!("not a GraphQL request: {e}");
    if body.trim_ascii_start().starts_with(b"[") {
        serde_json::from_slice(body).map(BatchRequest::Batch).map_err(not_graphql)
    } else {
        serde_json::from_slice(body).map(BatchRequest::Single).map_err(not_graphql)
    }
}

async fn run(
    http: HttpRequest,
    schema: &GenekgSchema,
    state: &Arc<AppState>,
    batch: BatchRequest,
    read_only: Option<ReadOnlyRequest>,
    timeout: RequestTimeout,
    bulk: &BulkLane,
) -> HttpResponse {
    if let BatchRequest::Batch(ops) = &batch {
        if ops.is_empty() {
            return bad_request(format!("empty batch: send 1 to {MAX_BATCH_OPERATIONS} operations"));
        }
        if ops.len() > MAX_BATCH_OPERATIONS {
            return bad_request(format!("a batch holds at most {MAX_BATCH_OPERATIONS} operations, got {}", ops.len()));
        }
    }
    let request_id = http.extensions().get::<RequestId>().cloned();
    let id = request_id.as_ref().map(|r| r.0.clone());
    // Large answers run on the bulk lane, off this worker (see `http::bulk`).
    let key = bulk.key(&batch);
    let executed = async {
        if bulk.takes(key.as_deref()) {
            let (schema, state) = (schema.clone(), state.clone());
            bulk.run(async move { graphql::execute(&schema, &state, batch, read_only, request_id).await }).await
        } else {
            graphql::execute(schema, state, batch, read_only, request_id).await
        }
    };
    // A panic ends in `telemetry::observe`, as for every route (the lane resumes its panics).
    match tokio::time::timeout(timeout.0, executed).await {
        Ok(response) => {
            bulk.remember(key, &response);
            GraphQLResponse::from(response).respond_to(&http).map_into_boxed_body()
        }
        Err(_) => {
            tracing::warn!(limit_secs = timeout.0.as_secs_f64(), "GraphQL request timed out");
            limits::timed_out(timeout.0, id.as_deref())
        }
    }
}

/// Why a POST carrying `authorization` (the header's value) may not run mutations, if so.
/// The token is compared in constant time, so response times do not reveal how much of a
/// guess was right.
fn mutation_refusal(policy: &MutationPolicy, authorization: Option<&str>) -> Option<ReadOnlyRequest> {
    use subtle::ConstantTimeEq;
    if policy.read_only {
        return Some(ReadOnlyRequest::ReadOnlyServer);
    }
    let token = policy.api_token.as_deref()?;
    let given = authorization.and_then(|a| a.strip_prefix("Bearer ")).unwrap_or("");
    let equal: bool = given.as_bytes().ct_eq(token.as_bytes()).into();
    (!equal).then_some(ReadOnlyRequest::NoToken)
}

/// POST /graphql: single or batched operations.
pub async fn graphql_post(
    http: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
    schema: web::Data<GenekgSchema>,
    live: web::Data<LiveState>,
    mutations: web::Data<MutationPolicy>,
    timeout: web::Data<RequestTimeout>,
    bulk: web::Data<BulkLane>,
) -> HttpResponse {
    let state = live.current();
    let body = match body {
        Ok(b) => b,
        // A body without a declared length that grew past the app's PayloadConfig.
        Err(e) if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE => return limits::body_too_large(),
        Err(e) => return bad_request(format!("the request body could not be read: {e}")),
    };
    let authorization = http.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    let read_only = mutation_refusal(&mutations, authorization);
    match parse_post(&http, &body) {
        Ok(batch) => run(http, &schema, &state, batch, read_only, **timeout, &bulk).await,
        Err(message) => bad_request(message),
    }
}

/// GET /graphql?query=…&variables=…: read-only, mutations are refused.
pub async fn graphql_get(
    http: HttpRequest,
    schema: web::Data<GenekgSchema>,
    live: web::Data<LiveState>,
    timeout: web::Data<RequestTimeout>,
    bulk: web::Data<BulkLane>,
) -> HttpResponse {
    let state = live.current();
    match async_graphql::http::parse_query_string(http.query_string()) {
        Ok(request) => run(http, &schema, &state, BatchRequest::Single(request), Some(ReadOnlyRequest::Get), **timeout, &bulk).await,
        Err(e) => bad_request(format!("not a GraphQL request: {e}")),
    }
}
