use std::sync::Arc;

use actix_web::http::Method;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse, Responder};
use async_graphql::BatchRequest;
use async_graphql_actix_web::{GraphQLBatchRequest, GraphQLResponse};

use crate::graphql::limits::MAX_BATCH_OPERATIONS;
use crate::graphql::{self, AppState, ErrorCode, GenekgSchema, RequestId};

/// A request-level failure in GraphQL's response shape, so clients parse one format.
fn bad_request(message: String) -> HttpResponse {
    HttpResponse::BadRequest().json(serde_json::json!({
        "errors": [{"message": message, "extensions": {"code": ErrorCode::BadInput.as_str()}}]
    }))
}

/// POST (JSON, single or batched as an array) and GET (`?query=…`) GraphQL. GET requests are
/// read-only: mutations are refused.
pub async fn graphql(
    http: HttpRequest,
    schema: web::Data<GenekgSchema>,
    state: web::Data<Arc<AppState>>,
    request: Result<GraphQLBatchRequest, actix_web::Error>,
) -> HttpResponse {
    let batch = match request {
        Ok(r) => r.into_inner(),
        Err(e) => return bad_request(format!("not a GraphQL request: {e}")),
    };
    if let BatchRequest::Batch(ops) = &batch {
        if ops.len() > MAX_BATCH_OPERATIONS {
            return bad_request(format!(
                "a batch holds at most {MAX_BATCH_OPERATIONS} operations, got {}",
                ops.len()
            ));
        }
    }
    let read_only = http.method() == Method::GET;
    let request_id = http.extensions().get::<RequestId>().cloned();
    let response = graphql::execute(&schema, &state, batch, read_only, request_id).await;
    GraphQLResponse::from(response).respond_to(&http).map_into_boxed_body()
}
