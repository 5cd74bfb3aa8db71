use std::sync::Arc;

use actix_web::{web, HttpResponse};

use crate::graphql::AppState;

/// Liveness: the process answers HTTP. Deliberately does nothing else (it is also the trivial
/// endpoint scripts/bench-http.sh compares GraphQL against).
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok\n")
}

/// Readiness: the store answers reads and holds genes, so queries can give real answers.
pub async fn readyz(live: web::Data<crate::http::LiveState>) -> HttpResponse {
    let state: Arc<AppState> = live.current();
    let store = state.store.clone();
    let check = web::block(move || -> Result<usize, String> {
        store.schema_version().map_err(|e| e.to_string())?;
        Ok(store.gene_count())
    })
    .await;
    match check {
        Ok(Ok(genes)) if genes > 0 => HttpResponse::Ok().json(serde_json::json!({
            "status": "ready",
            "genes": genes,
            "libraries": state.libraries.keys().collect::<Vec<_>>(),
            "dataVersion": state.data_version,
        })),
        Ok(Ok(_)) => HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({"status": "not ready", "reason": "the store holds no genes; run `genekg ingest default`"})),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "readiness check cannot read the store");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "not ready", "reason": "store unreadable"}))
        }
        Err(_) => HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "not ready", "reason": "check failed"})),
    }
}
