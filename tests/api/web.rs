//! The dashboard's files are compiled in and local; `/` and every deep link answer the app.
//! (What the pages show is tested in a real browser: web/tests, run by scripts/test-web.sh.)

use crate::graphiql::attribute_values;
use crate::helpers::spawn_app;

#[tokio::test]
async fn dashboard_answers_root_and_deep_links_with_local_assets() {
    let app = spawn_app().await;
    let root = app.get("/").await;
    assert_eq!(root.status().as_u16(), 200);
    let csp = root.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("default-src 'self'") && csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"), "{csp}");
    let page = root.text().await.unwrap();
    for path in ["/gene/TP53", "/set/GO_BP:GO:0006914", "/set/PubMed:10521396", "/augment?genes=CDK1,CDK2", "/enrich", "/ask?q=What%20does%20TP53%20do%3F"] {
        let res = app.get(path).await;
        assert_eq!(res.status().as_u16(), 200, "{path}");
        assert_eq!(res.text().await.unwrap(), page, "{path} answers the app");
    }
    assert_eq!(app.get("/no-such-page").await.status().as_u16(), 404);

    let urls: Vec<&str> = attribute_values(&page, "src").into_iter().chain(attribute_values(&page, "href")).collect();
    assert!(urls.contains(&"/assets/main.js"), "{urls:?}");
    for url in urls {
        assert!(url.starts_with("data:") || (url.starts_with('/') && !url.starts_with("//")), "external URL {url}");
        if url.starts_with("/assets/") {
            let res = app.get(url).await;
            assert_eq!(res.status().as_u16(), 200, "{url}");
            let ct = res.headers()["content-type"].to_str().unwrap().to_string();
            let want = if url.ends_with(".css") { "text/css" } else { "text/javascript" };
            assert!(ct.starts_with(want), "{url}: {ct}");
            let body = res.text().await.unwrap();
            assert!(!body.contains("https://cdn") && !body.contains("@import"), "{url} pulls remote code");
        }
    }
    // Module imports resolve: every relative import of main.js is served.
    let main = app.get("/assets/main.js").await.text().await.unwrap();
    for spec in main.split("from '").skip(1).map(|s| &s[..s.find('\'').unwrap()]) {
        let url = format!("/assets/{}", spec.trim_start_matches("./"));
        assert_eq!(app.get(&url).await.status().as_u16(), 200, "{url}");
    }
    assert_eq!(app.get("/assets/nope.js").await.status().as_u16(), 404);
}

#[tokio::test]
async fn dashboard_assets_revalidate_by_etag_and_compress() {
    let app = spawn_app().await;
    let res = app.client.get(format!("{}/assets/vendor/preact-htm.js", app.address)).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let again = app.client.get(format!("{}/assets/vendor/preact-htm.js", app.address)).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 304);
}
