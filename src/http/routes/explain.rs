//! `GET /explain/stream?gene=SYMBOL[&llm=local]`: an explanation as Server-Sent Events. Event
//! `template` (the template Explanation, at once), then `token` events (`{"text": …}`) as the
//! LLM writes, then `done` (the final Explanation, guard applied: when the guard rejects, its
//! text is the template's). Without an LLM, `template` is followed by `done` straight away.
//! A failure after the headers went out ends the stream with an `error` event (`code`
//! INTERNAL, `message`, `requestId`) in place of `done`.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use futures_util::FutureExt as _;
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::explain::{self, Explanation};
use crate::graphql::{ApiError, AppState, ErrorCode, RequestId};

#[derive(Deserialize)]
pub struct StreamQuery {
    gene: String,
    llm: Option<String>,
}

fn event(name: &str, data: &impl serde::Serialize) -> web::Bytes {
    let json = serde_json::to_string(data).expect("events serialise");
    web::Bytes::from(format!("event: {name}\ndata: {json}\n\n"))
}

fn bad_request(code: &str, message: String) -> HttpResponse {
    HttpResponse::BadRequest().json(serde_json::json!({"error": {"code": code, "message": message}}))
}

pub async fn explain_stream(http: HttpRequest, live: web::Data<crate::http::LiveState>, query: web::Query<StreamQuery>) -> HttpResponse {
    let state: Arc<AppState> = live.current();
    if state.faults.take_panic() {
        panic!("injected fault: a panic in the explanation route");
    }
    let request_id = http.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
    let entrez = match crate::graphql::gene::resolve_gene(&state, &query.gene) {
        Ok(e) => e,
        Err(e) => return bad_request(e.code().as_str(), e.to_string()),
    };
    let llm = match state.explainer.llm(query.llm.as_deref()) {
        Ok(l) => l,
        Err(e) => return bad_request("BAD_INPUT", e.to_string()),
    };
    let subject = explain::gene_subject(entrez);
    // The template gathers the gene's evidence (predictions, partners, similar genes, papers):
    // index and model work, kept off the HTTP worker as every such job is.
    let template = match crate::graphql::blocking::run_heavy(&state, move |st| Ok(explain::gene_template(st, entrez)?)).await {
        Ok(t) => t,
        Err(ApiError::Internal(e)) => {
            tracing::error!(request_id, error = format!("{e:#}"), "internal error while building an explanation");
            return crate::http::limits::internal(&request_id);
        }
        Err(e) => return bad_request(e.code().as_str(), e.to_string()),
    };
    let (tx, rx) = mpsc::channel::<web::Bytes>(64);
    let _ = tx.send(event("template", &template)).await;
    tokio::spawn(async move {
        let work = AssertUnwindSafe(async {
            if state.faults.take_stream_panic() {
                panic!("injected fault: a panic while streaming an explanation");
            }
            let done: Explanation = match llm {
                None => template.clone(),
                Some(llm) => match explain::cached(&state, &subject, Some(llm.as_ref())) {
                    Some(hit) => {
                        let _ = tx.send(event("token", &serde_json::json!({"text": hit.text}))).await;
                        hit
                    }
                    None => {
                        let answer = match explain::rewrite_stream(&state, &template, llm.as_ref()) {
                            Err(e) => explain::fallback(&state, &template, llm.as_ref(), &e),
                            Ok(mut stream) => {
                                let started = Instant::now();
                                let mut text = String::new();
                                let mut failed = None;
                                while let Some(piece) = stream.next().await {
                                    match piece {
                                        Ok(p) => {
                                            if tx.send(event("token", &serde_json::json!({"text": p}))).await.is_err() {
                                                return None; // the client left; dropping the stream stops generation
                                            }
                                            text.push_str(&p);
                                        }
                                        Err(e) => {
                                            failed = Some(e);
                                            break;
                                        }
                                    }
                                }
                                tracing::debug!(ms = started.elapsed().as_millis() as u64, "streamed explanation");
                                match failed {
                                    Some(e) => explain::fallback(&state, &template, llm.as_ref(), &e),
                                    None => explain::finish(&state, &template, llm.as_ref(), &text),
                                }
                            }
                        };
                        explain::remember(&state, &subject, Some(llm.as_ref()), &answer);
                        answer
                    }
                },
            };
            Some(done)
        });
        match work.catch_unwind().await {
            Ok(Some(done)) => {
                let _ = tx.send(event("done", &done)).await;
            }
            Ok(None) => {}
            Err(panic) => {
                tracing::error!(request_id, panic = crate::http::limits::panic_message(&panic), "panic while streaming an explanation");
                let error = serde_json::json!({"code": ErrorCode::Internal.as_str(), "message": "internal error", "requestId": request_id});
                let _ = tx.send(event("error", &error)).await;
            }
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (Ok::<_, actix_web::Error>(b), rx)) });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body)
}
