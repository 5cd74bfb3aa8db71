use actix_web::{web, HttpResponse};

use crate::http::metrics::HttpMetrics;

pub async fn metrics(metrics: web::Data<HttpMetrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(metrics.render())
}
