//! The HTTP limits (body size, time, rate), the alias and list-size limits, work kept off the
//! HTTP workers, and panics outside GraphQL, each against the real server.

use std::time::Duration;

use genekg::configuration::RateLimit;
use serde_json::{json, Value};

use genekg::graphql::{AppState, HeavyPool};

use crate::helpers::{error_codes, fixture_store, model_state_then, spawn_app, spawn_app_with_model, spawn_app_with_settings, sse_events, start_with, TestApp};

const GENE: &str = r#"{ gene(id: "CDK1") { symbol } }"#;

async fn still_serves(app: &TestApp) {
    let body = app.query(GENE).await;
    assert_eq!(body["data"]["gene"]["symbol"], "CDK1", "{body}");
}

fn message(body: &Value) -> &str {
    body["errors"][0]["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413_naming_the_limit_declared_or_chunked() {
    let app = spawn_app().await;
    let limit = genekg::http::limits::MAX_BODY_BYTES;
    let big = format!(r#"{{"query": "{{ __typename }}", "variables": {{"pad": "{}"}}}}"#, "x".repeat(limit + 1));
    // With Content-Length: refused before the body is read.
    let res = app.client.post(format!("{}/graphql", app.address)).header("content-type", "application/json").body(big.clone()).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_codes(&body), ["PAYLOAD_TOO_LARGE"]);
    assert!(message(&body).contains(&limit.to_string()), "{body}");
    // Chunked (no declared length): cut off once past the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = big.into_bytes().chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_codes(&body), ["PAYLOAD_TOO_LARGE"]);
    assert!(message(&body).contains(&limit.to_string()), "{body}");
    still_serves(&app).await;
}

#[tokio::test]
async fn an_alias_flood_is_refused_and_the_limit_is_named() {
    let app = spawn_app().await;
    let max = genekg::graphql::limits::MAX_ALIASES;
    let aliased = |n: usize| (0..n).map(|i| format!(r#"g{i}: gene(id: "CDK1") {{ symbol }}"#)).collect::<Vec<_>>().join(" ");
    let body = app.query(&format!("{{ {} }}", aliased(max))).await;
    assert!(body["errors"].is_null(), "{max} aliases are allowed: {}", body["errors"]);
    assert_eq!(body["data"]["g0"]["symbol"], "CDK1");
    let body = app.query(&format!("{{ {} }}", aliased(max + 1))).await;
    assert_eq!(error_codes(&body), ["TOO_COMPLEX"]);
    assert!(message(&body).contains(&format!("limit is {max}")), "{body}");
    assert!(body["data"].is_null());
    // Aliases written in a fragment count too.
    let body = app.query(&format!("{{ ...F }} fragment F on Query {{ {} }}", aliased(max + 1))).await;
    assert_eq!(error_codes(&body), ["TOO_COMPLEX"], "{body}");
}

const ENRICH: &str = r#"{ enrich(genes: ["CDK1", "MCM2", "FEN1"]) { genesUsed } }"#;

#[tokio::test]
async fn a_directive_flood_on_one_field_is_refused_and_the_limit_is_named() {
    let app = spawn_app().await;
    let max = genekg::graphql::limits::MAX_DIRECTIVES;
    let body = app.query(r#"{ gene(id: "CDK1") { symbol @include(if: true) } }"#).await;
    assert_eq!(body["data"]["gene"]["symbol"], "CDK1", "{body}");
    let flood = " @include(if: true)".repeat(max + 1);
    let body = app.query(&format!(r#"{{ gene(id: "CDK1") {{ symbol{flood} }} }}"#)).await;
    assert_eq!(error_codes(&body), ["TOO_COMPLEX"], "{body}");
    assert!(message(&body).contains(&format!("`{max}`")), "{body}");
    still_serves(&app).await;
}

#[tokio::test]
async fn a_request_over_the_time_limit_gets_timeout_with_its_request_id_and_the_server_goes_on() {
    let app = spawn_app_with_settings(|s| s.request_timeout = Duration::from_millis(500)).await;
    // The enrichment's job on the blocking pool stalls until `hold` is dropped.
    let hold = app.state.faults.hold_next_blocking_job();
    let res = app.post(&json!({ "query": ENRICH })).await;
    assert_eq!(res.status().as_u16(), 503);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_codes(&body), ["TIMEOUT"]);
    assert!(message(&body).contains("limit of 0.5 s"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["requestId"], request_id.as_str());
    drop(hold);
    still_serves(&app).await;
    let body = app.query(ENRICH).await;
    assert_eq!(body["data"]["enrich"]["genesUsed"], 3, "{body}");
}

#[tokio::test]
async fn enrichment_runs_off_the_http_worker() {
    // One HTTP worker: if the enrichment ran on it, nothing else could be answered meanwhile.
    let app = spawn_app_with_settings(|s| s.workers = Some(1)).await;
    let mut hold = app.state.faults.hold_next_blocking_job();
    let (client, url) = (app.client.clone(), format!("{}/graphql", app.address));
    let slow = tokio::spawn(async move { client.post(url).json(&json!({ "query": ENRICH })).send().await.unwrap().json::<Value>().await.unwrap() });
    tokio::time::timeout(Duration::from_secs(60), hold.entered()).await.expect("the enrichment reached the blocking pool");
    still_serves(&app).await;
    assert!(!slow.is_finished(), "the enrichment is still held");
    drop(hold);
    let body = slow.await.unwrap();
    assert_eq!(body["data"]["enrich"]["genesUsed"], 3, "{body}");
}

/// The calling thread's nice value (Linux: nice is per thread).
fn current_nice() -> Option<i32> {
    // SAFETY: plain system calls about the calling thread; -1 is a valid nice value, so errno
    // tells failure apart.
    unsafe {
        *libc::__errno_location() = 0;
        let nice = libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t);
        (*libc::__errno_location() == 0).then_some(nice)
    }
}

#[tokio::test]
async fn the_heavy_pool_runs_at_a_low_priority_within_its_bound_and_survives_a_panic() {
    let two = HeavyPool::new(2).unwrap();
    assert_eq!(two.nice(), 10);
    // Threads start at their creator's nice and are only ever lowered (a test run under
    // `nice -n 15` keeps 15).
    let want = current_nice().map(|n| n.max(10));
    assert_eq!(two.run(current_nice).await.unwrap(), want);
    // rayon work inside a job (enrichment sorts in parallel) stays on the pool, at its priority.
    let inner = two.run(|| rayon::join(current_nice, current_nice)).await.unwrap();
    assert_eq!(inner, (want, want));

    let pool = std::sync::Arc::new(HeavyPool::new(1).unwrap());
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let first = tokio::spawn({
        let pool = pool.clone();
        async move {
            pool.run(move || {
                started_tx.send(()).unwrap();
                release_rx.recv().unwrap();
            })
            .await
        }
    });
    tokio::task::spawn_blocking(move || started_rx.recv().unwrap()).await.unwrap();
    let second = tokio::spawn({
        let pool = pool.clone();
        async move { pool.run(|| 2).await }
    });
    while pool.waiting() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!((pool.running(), pool.waiting()), (1, 1), "one thread: the second job waits");
    release_tx.send(()).unwrap();
    first.await.unwrap().unwrap();
    assert_eq!(second.await.unwrap().unwrap(), 2);
    assert_eq!((pool.running(), pool.waiting()), (0, 0));

    assert!(pool.run(|| -> u8 { panic!("injected panic in a heavy job") }).await.is_err());
    assert_eq!(pool.run(|| 3).await.unwrap(), 3, "the pool goes on after a panic");
}

/// Waits (without a time bound of its own: the test harness has one) until `n` heavy jobs wait.
async fn heavy_waiting(app: &TestApp, n: usize) {
    while app.state.heavy.waiting() != n {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn heavy_jobs_wait_for_their_bounded_pool_while_light_reads_still_answer() {
    let (state, dir) = model_state_then(|_| {});
    let app = start_with(state.with_heavy_threads(1).unwrap(), dir, |_| {}).await;
    assert_eq!(app.state.heavy.threads(), 1);
    // The enrichment takes the heavy pool's only thread and holds it.
    let mut hold = app.state.faults.hold_next_blocking_job();
    let send = |query: &'static str| {
        let (client, url) = (app.client.clone(), format!("{}/graphql", app.address));
        tokio::spawn(async move { client.post(url).json(&json!({ "query": query })).send().await.unwrap().json::<Value>().await.unwrap() })
    };
    let enrich = send(ENRICH);
    tokio::time::timeout(Duration::from_secs(60), hold.entered()).await.expect("the enrichment reached the heavy pool");
    // An augment waits for that thread instead of running beside it.
    let augment = send(r#"{ augment(genes: ["CDK1", "MCM2", "FEN1"], first: 3) { genes { gene { symbol } } } }"#);
    tokio::time::timeout(Duration::from_secs(60), heavy_waiting(&app, 1)).await.expect("the augment queued for the heavy pool");
    assert_eq!(app.state.heavy.running(), 1, "the bound holds: one job runs");
    // Light reads, including the gene page's index search (the light lane), answer meanwhile.
    let page = app.query(r#"{ gene(id: "CDK1") { symbol similarGenes(first: 3) { gene { symbol } } } }"#).await;
    assert!(page["errors"].is_null(), "{page}");
    assert_eq!(page["data"]["gene"]["similarGenes"].as_array().map(Vec::len), Some(3), "{page}");
    still_serves(&app).await;
    assert!(!enrich.is_finished() && !augment.is_finished(), "both heavy requests are still held or queued");
    assert_eq!((app.state.heavy.running(), app.state.heavy.waiting()), (1, 1));
    // Released, both answer in full: queued, not refused.
    drop(hold);
    let (enrich, augment) = (enrich.await.unwrap(), augment.await.unwrap());
    assert!(enrich["errors"].is_null() && augment["errors"].is_null(), "{enrich} {augment}");
    assert_eq!(enrich["data"]["enrich"]["genesUsed"], 3, "{enrich}");
    assert_eq!(augment["data"]["augment"]["genes"].as_array().map(Vec::len), Some(3), "{augment}");
    assert_eq!((app.state.heavy.running(), app.state.heavy.waiting()), (0, 0));
}

/// The value of the unlabelled sample `name` on the server's /metrics.
async fn metric(app: &TestApp, name: &str) -> f64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no sample {name} on /metrics:\n{text}"))
}

#[tokio::test]
async fn metrics_show_the_heavy_pools_queue_and_totals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = AppState::load(fixture_store(dir.path())).unwrap().with_heavy_threads(1).unwrap();
    let app = start_with(state, dir, |_| {}).await;
    assert_eq!(metric(&app, "genekg_heavy_threads").await, 1.0);
    let completed = metric(&app, "genekg_heavy_jobs_completed_total").await;
    let mut hold = app.state.faults.hold_next_blocking_job();
    let send = || {
        let (client, url) = (app.client.clone(), format!("{}/graphql", app.address));
        tokio::spawn(async move { client.post(url).json(&json!({ "query": ENRICH })).send().await.unwrap().json::<Value>().await.unwrap() })
    };
    let held = send();
    tokio::time::timeout(Duration::from_secs(60), hold.entered()).await.expect("the enrichment reached the heavy pool");
    let queued = send();
    tokio::time::timeout(Duration::from_secs(60), heavy_waiting(&app, 1)).await.expect("the second enrichment queued");
    assert_eq!(metric(&app, "genekg_heavy_jobs_running").await, 1.0);
    assert_eq!(metric(&app, "genekg_heavy_jobs_waiting").await, 1.0);
    assert_eq!(metric(&app, "genekg_heavy_jobs_completed_total").await, completed, "nothing finished while held");
    drop(hold);
    for answer in [held.await.unwrap(), queued.await.unwrap()] {
        assert_eq!(answer["data"]["enrich"]["genesUsed"], 3, "{answer}");
    }
    assert_eq!(metric(&app, "genekg_heavy_jobs_running").await, 0.0);
    assert_eq!(metric(&app, "genekg_heavy_jobs_waiting").await, 0.0);
    assert_eq!(metric(&app, "genekg_heavy_jobs_completed_total").await, completed + 2.0);
    assert_eq!(metric(&app, "genekg_heavy_jobs_panicked_total").await, 0.0);
    assert!(app.state.heavy.run(|| -> u8 { panic!("injected panic in a heavy job") }).await.is_err());
    assert_eq!(metric(&app, "genekg_heavy_jobs_panicked_total").await, 1.0);
    assert_eq!(metric(&app, "genekg_heavy_jobs_completed_total").await, completed + 2.0, "a panic is not a completion");
    assert_eq!(metric(&app, "genekg_heavy_jobs_dropped_queued_total").await, 0.0);
}

#[tokio::test]
async fn a_heavy_request_whose_time_limit_passes_in_the_queue_gets_timeout_and_never_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = AppState::load(fixture_store(dir.path())).unwrap().with_heavy_threads(1).unwrap();
    let app = start_with(state, dir, |s| s.request_timeout = Duration::from_millis(500)).await;
    let mut hold = app.state.faults.hold_next_blocking_job();
    let (client, url) = (app.client.clone(), format!("{}/graphql", app.address));
    let held = tokio::spawn(async move { client.post(url).json(&json!({ "query": ENRICH })).send().await.unwrap().status().as_u16() });
    tokio::time::timeout(Duration::from_secs(60), hold.entered()).await.expect("the enrichment reached the heavy pool");
    // The second enrichment queues behind the held one until its limit passes.
    let res = app.post(&json!({ "query": ENRICH })).await;
    assert_eq!(res.status().as_u16(), 503);
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_codes(&body), ["TIMEOUT"], "{body}");
    assert_eq!(held.await.unwrap(), 503, "the held one timed out too");
    // Its place in the queue was given up: only the held job still occupies the pool.
    assert_eq!((app.state.heavy.running(), app.state.heavy.waiting()), (1, 0));
    assert_eq!(metric(&app, "genekg_heavy_jobs_dropped_queued_total").await, 1.0, "counted on /metrics");
    drop(hold);
    let body = app.query(ENRICH).await;
    assert_eq!(body["data"]["enrich"]["genesUsed"], 3, "{body}");
}

#[tokio::test]
async fn the_explanation_stream_builds_its_template_off_the_http_worker() {
    let app = spawn_app_with_settings(|s| s.workers = Some(1)).await;
    let mut hold = app.state.faults.hold_next_blocking_job();
    let (client, url) = (app.client.clone(), format!("{}/explain/stream?gene=MCM2", app.address));
    let slow = tokio::spawn(async move { client.get(url).send().await.unwrap().text().await.unwrap() });
    tokio::time::timeout(Duration::from_secs(60), hold.entered()).await.expect("the template reached the blocking pool");
    still_serves(&app).await;
    assert!(!slow.is_finished(), "the template is still held");
    drop(hold);
    let events = sse_events(&slow.await.unwrap());
    let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["template", "done"]);
    assert_eq!(events[0].1["evidence"]["identity"]["symbol"], "MCM2", "{:?}", events[0]);
}

#[tokio::test]
async fn rate_limiting_is_per_address_answers_429_with_retry_after_and_spares_probes() {
    let app = spawn_app_with_settings(|s| s.rate_limit = Some(RateLimit { per_second: 1, burst: 3 })).await;
    for _ in 0..3 {
        still_serves(&app).await;
    }
    let res = app.post(&json!({ "query": GENE })).await;
    assert_eq!(res.status().as_u16(), 429);
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1);
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_codes(&body), ["RATE_LIMITED"]);
    assert!(message(&body).contains("1 requests per second (bursts of 3)"), "{body}");
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200, "probes are not limited");
    // Off by default: a burst well past any small budget passes.
    let open = spawn_app().await;
    for _ in 0..50 {
        assert_eq!(open.post(&json!({ "query": GENE })).await.status().as_u16(), 200);
    }
}

fn genes(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("G{i}")).collect()
}

#[tokio::test]
async fn gene_lists_over_their_maximum_are_refused_naming_it() {
    let app = spawn_app_with_model().await;
    let cases = [
        ("mutation($g: [String!]!) { addGeneSet(genes: $g) { id } }", 5_000),
        ("query($g: [String!]!) { enrich(genes: $g) { genesUsed } }", 10_000),
        ("query($g: [String!]!) { enrich(genes: [\"CDK1\", \"MCM2\"], background: CUSTOM, backgroundGenes: $g) { genesUsed } }", 50_000),
        ("query($g: [String!]!) { augment(genes: $g) { modelFingerprint } }", 2_000),
        ("query($g: [String!]!) { similarSets(genes: $g) { sets { key } } }", 2_000),
        ("query($g: [String!]!) { augmentedEnrichment(genes: $g) { genesUsed } }", 2_000),
        ("query($g: [String!]!) { genes(ids: $g) { query } }", 1_000),
    ];
    for (query, max) in cases {
        let body = app.query_with(query, json!({ "g": genes(max + 1) })).await;
        assert_eq!(error_codes(&body), ["BAD_INPUT"], "{query}: {body}");
        assert!(message(&body).contains(&format!("holds {} entries; the most accepted is {max}", max + 1)), "{query}: {body}");
        // At the maximum the list passes the limit (and fails, if at all, for its made-up genes).
        let body = app.query_with(query, json!({ "g": genes(max) })).await;
        assert!(!message(&body).contains("the most accepted"), "{query}: {body}");
    }
}

#[tokio::test]
async fn a_panic_in_the_explanation_stream_reaches_the_client_as_internal_with_the_request_id() {
    let app = spawn_app().await;
    // Before the headers: the response is the INTERNAL error.
    app.state.faults.panic_next_request();
    let res = app.get("/explain/stream?gene=MCM2").await;
    assert_eq!(res.status().as_u16(), 500);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_codes(&body), ["INTERNAL"]);
    assert_eq!(body["errors"][0]["extensions"]["requestId"], request_id.as_str());
    assert!(!body.to_string().contains("injected"), "the panic's text leaked: {body}");
    // After the headers: the stream ends with an `error` event in place of `done`.
    app.state.faults.panic_next_stream();
    let res = app.get("/explain/stream?gene=MCM2").await;
    assert_eq!(res.status().as_u16(), 200);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let events = sse_events(&res.text().await.unwrap());
    assert_eq!(events.iter().map(|(e, _)| e.as_str()).collect::<Vec<_>>(), ["template", "error"]);
    assert_eq!(events[1].1, json!({"code": "INTERNAL", "message": "internal error", "requestId": request_id}));
    // And the server goes on serving both routes.
    let events = sse_events(&app.get("/explain/stream?gene=MCM2").await.text().await.unwrap());
    assert_eq!(events.iter().map(|(e, _)| e.as_str()).collect::<Vec<_>>(), ["template", "done"]);
    still_serves(&app).await;
}

/// A page large enough for the bulk lane at its default bar, answerable from the fixture store.
const SET_PAGE: &str = r#"{ geneSets(first: 500) { totalCount nodes { id name } } }"#;

#[tokio::test]
async fn a_large_answer_runs_on_the_bulk_lane_from_its_query_texts_second_request_on() {
    let app = spawn_app().await;
    let first = app.post(&json!({ "query": SET_PAGE })).await;
    let cost: usize = first.headers()["x-query-cost"].to_str().unwrap().parse().unwrap();
    assert!(cost >= genekg::configuration::BULK_DEFAULT_MIN_COST, "the page costs {cost}, under the lane's bar");
    let first: Value = first.json().await.unwrap();
    assert!(first["errors"].is_null(), "{first}");
    assert!(first["data"]["geneSets"]["nodes"].as_array().unwrap().len() > 10, "{first}");
    assert_eq!(metric(&app, "genekg_bulk_requests_total").await, 0.0, "a text's first request runs on the worker");
    // Light queries stay on the workers however often they come.
    for _ in 0..3 {
        still_serves(&app).await;
    }
    assert_eq!(metric(&app, "genekg_bulk_requests_total").await, 0.0);
    let again = app.query(SET_PAGE).await;
    assert_eq!(metric(&app, "genekg_bulk_requests_total").await, 1.0);
    assert_eq!(again, first, "the lane answers as the worker did");
    // Other variables, same text: the lane too.
    let body = app.query_with(SET_PAGE, json!({ "unused": 1 })).await;
    assert_eq!(body, first);
    assert_eq!(metric(&app, "genekg_bulk_requests_total").await, 2.0);
}

#[tokio::test]
async fn switched_off_the_bulk_lane_takes_nothing() {
    let app = spawn_app_with_settings(|s| s.bulk.min_cost = None).await;
    for _ in 0..2 {
        let body = app.query(SET_PAGE).await;
        assert!(body["errors"].is_null(), "{body}");
    }
    assert_eq!(metric(&app, "genekg_bulk_requests_total").await, 0.0);
}

#[tokio::test]
async fn on_the_bulk_lane_a_panic_answers_internal_with_the_request_id_and_a_timeout_answers_timeout() {
    // Every query text goes to the lane from its second request on.
    let app = spawn_app_with_settings(|s| {
        s.bulk.min_cost = Some(1);
        s.request_timeout = Duration::from_millis(500);
    })
    .await;
    still_serves(&app).await;
    app.state.faults.panic_next_request();
    let res = app.post(&json!({ "query": GENE })).await;
    assert_eq!(res.status().as_u16(), 500);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_codes(&body), ["INTERNAL"]);
    assert_eq!(body["errors"][0]["extensions"]["requestId"], request_id.as_str());
    assert_eq!(metric(&app, "genekg_bulk_requests_total").await, 1.0, "the panicking request ran on the lane");
    still_serves(&app).await;

    let body = app.query(ENRICH).await;
    assert_eq!(body["data"]["enrich"]["genesUsed"], 3, "{body}");
    let hold = app.state.faults.hold_next_blocking_job();
    let res = app.post(&json!({ "query": ENRICH })).await;
    assert_eq!(res.status().as_u16(), 503);
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_codes(&body), ["TIMEOUT"]);
    drop(hold);
    let body = app.query(ENRICH).await;
    assert_eq!(body["data"]["enrich"]["genesUsed"], 3, "{body}");
    assert_eq!(metric(&app, "genekg_bulk_requests_total").await, 4.0);
}
