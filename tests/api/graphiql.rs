//! GraphiQL is served from vendored files with no external URL, and renders in a real browser.

use std::process::Command;

use crate::helpers::spawn_app;

pub(crate) fn attribute_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!("{attr}=\"");
    html.match_indices(&needle)
        .map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect()
}

#[tokio::test]
async fn graphiql_page_and_assets_are_local() {
    let app = spawn_app().await;
    let res = app.get("/graphiql").await;
    assert_eq!(res.status().as_u16(), 200);
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("default-src 'self'") && csp.contains("connect-src 'self'"), "{csp}");
    let html = res.text().await.unwrap();
    let urls: Vec<&str> = attribute_values(&html, "src").into_iter().chain(attribute_values(&html, "href")).collect();
    assert!(urls.len() >= 5, "{urls:?}");
    for url in urls {
        assert!(url.starts_with("data:") || (url.starts_with('/') && !url.starts_with("//")), "external URL {url}");
        if url.starts_with('/') {
            let res = app.get(url).await;
            assert_eq!(res.status().as_u16(), 200, "{url}");
            let body = res.text().await.unwrap();
            assert!(body.len() > 100, "{url} is empty");
            if url.ends_with(".css") {
                assert!(!body.contains("url(http") && !body.contains("@import"), "{url} pulls remote styles");
            }
        }
    }
    assert_eq!(app.get("/graphiql/nope.js").await.status().as_u16(), 404);
}

#[tokio::test]
async fn graphiql_renders_in_headless_chromium() {
    let chromium = std::path::Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        eprintln!("SKIPPED graphiql_renders_in_headless_chromium: /usr/bin/chromium is not installed (scripts/setup.sh installs it)");
        return;
    }
    let app = spawn_app().await;
    let profile = tempfile::tempdir().unwrap();
    let url = format!("{}/graphiql", app.address);
    let output = tokio::task::spawn_blocking(move || {
        Command::new("timeout")
            .arg("120")
            .arg("/usr/bin/chromium")
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            .args(["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("--virtual-time-budget=15000")
            .arg("--dump-dom")
            .arg(url)
            .output()
            .expect("run chromium")
    })
    .await
    .unwrap();
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(
        dom.contains("graphiql-container"),
        "GraphiQL did not render; chromium exit {:?}\nstderr: {}\nDOM: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        &dom[..dom.len().min(2000)]
    );
    assert!(dom.contains("graphiql-query-editor"), "no query editor in the DOM");
    // GraphiQL fetched the schema from this server (its introspection query is 15 levels deep,
    // exactly the depth limit) and nothing was refused.
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(text.contains(r#"genekg_http_requests_total{method="POST",route="/graphql",status="200"}"#), "{text}");
    assert!(!text.contains(r#"code="TOO_COMPLEX""#), "GraphiQL's introspection was refused");
}
