use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse, Responder};
use async_graphql::BatchRequest;
use async_graphql_actix_web::GraphQLResponse;
use futures_util::FutureExt as _;

use crate::graphql::limits::MAX_BATCH_OPERATIONS;
use crate::configuration::MutationPolicy;
use crate::http::LiveState;
use crate::graphql::{self, AppState, ErrorCode, GenekgSchema, ReadOnlyRequest, RequestId};

/// A request-level failure in GraphQL's response shape, so clients parse one format.
fn bad_request(message: String) -> HttpResponse {
    HttpResponse::BadRequest().json(serde_json::json!({
        "errors": [{"message": message, "extensions": {"code": ErrorCode::BadInput.as_str()}}]
    }))
}

/// The body of a POST: JSON (one operation or a batch array), or a bare query with
/// `Content-Type: application/graphql`. The body arrives whole (bounded by the app's
/// `PayloadConfig`), so no streaming decoder or extra task is needed per request.
fn parse_post(http: &HttpRequest, body: &[u8]) -> Result<BatchRequest, String> {
    let content_type = http.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type.starts_with("application/graphql") && !content_type.contains("json") {
        let query = std::str::from_utf8(body).map_err(|_| "the query is not UTF-8".to_string())?;
        return Ok(BatchRequest::Single(async_graphql::Request::new(query)));
    }
    serde_json::from_slice(body).map_err(|e| format!("not a GraphQL request: {e}"))
}

async fn run(
    http: HttpRequest,
    schema: &GenekgSchema,
    state: &Arc<AppState>,
    batch: BatchRequest,
    read_only: Option<ReadOnlyRequest>,
) -> HttpResponse {
    if let BatchRequest::Batch(ops) = &batch {
        if ops.len() > MAX_BATCH_OPERATIONS {
            return bad_request(format!("a batch holds at most {MAX_BATCH_OPERATIONS} operations, got {}", ops.len()));
        }
    }
    let request_id = http.extensions().get::<RequestId>().cloned();
    // A panic anywhere in execution ends this request only: the client gets INTERNAL with the
    // request id (as for any internal error) and the worker goes on serving.
    let executed = AssertUnwindSafe(graphql::execute(schema, state, batch, read_only, request_id.clone()))
        .catch_unwind()
        .await;
    match executed {
        Ok(response) => GraphQLResponse::from(response).respond_to(&http).map_into_boxed_body(),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(panic = %what, "panic while executing a GraphQL request");
            let id = request_id.map(|r| r.0).unwrap_or_default();
            HttpResponse::InternalServerError().json(serde_json::json!({
                "errors": [{"message": "internal error", "extensions": {"code": ErrorCode::Internal.as_str(), "requestId": id}}]
            }))
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
    body: web::Bytes,
    schema: web::Data<GenekgSchema>,
    live: web::Data<LiveState>,
    mutations: web::Data<MutationPolicy>,
) -> HttpResponse {
    let state = live.current();
    let authorization = http.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    let read_only = mutation_refusal(&mutations, authorization);
    match parse_post(&http, &body) {
        Ok(batch) => run(http, &schema, &state, batch, read_only).await,
        Err(message) => bad_request(message),
    }
}

/// GET /graphql?query=…&variables=…: read-only, mutations are refused.
pub async fn graphql_get(
    http: HttpRequest,
    schema: web::Data<GenekgSchema>,
    live: web::Data<LiveState>,
) -> HttpResponse {
    let state = live.current();
    match async_graphql::http::parse_query_string(http.query_string()) {
        Ok(request) => run(http, &schema, &state, BatchRequest::Single(request), Some(ReadOnlyRequest::Get)).await,
        Err(e) => bad_request(format!("not a GraphQL request: {e}")),
    }
}
