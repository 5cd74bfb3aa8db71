//! GraphiQL, served from files vendored under web/graphiql (scripts/vendor-graphiql.sh) and
//! compiled into the binary: the page works offline and loads nothing from another origin,
//! which its Content-Security-Policy also enforces in the browser.

use actix_web::http::header::{CacheControl, CacheDirective, ContentType};
use actix_web::{web, HttpResponse};

const PAGE: &str = include_str!("../../../web/graphiql/index.html");

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset { name: "graphiql.min.js", content_type: "text/javascript; charset=utf-8", bytes: include_bytes!("../../../web/graphiql/graphiql.min.js") },
    Asset { name: "graphiql.min.css", content_type: "text/css; charset=utf-8", bytes: include_bytes!("../../../web/graphiql/graphiql.min.css") },
    Asset { name: "react.production.min.js", content_type: "text/javascript; charset=utf-8", bytes: include_bytes!("../../../web/graphiql/react.production.min.js") },
    Asset { name: "react-dom.production.min.js", content_type: "text/javascript; charset=utf-8", bytes: include_bytes!("../../../web/graphiql/react-dom.production.min.js") },
    Asset { name: "init.js", content_type: "text/javascript; charset=utf-8", bytes: include_bytes!("../../../web/graphiql/init.js") },
];

/// Only this origin: scripts, styles, fonts (GraphiQL inlines its fonts as data: URLs) and the
/// API calls. GraphiQL sets inline styles, hence 'unsafe-inline' for styles only.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

pub async fn graphiql_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header(("content-security-policy", CSP))
        .body(PAGE)
}

pub async fn graphiql_asset(name: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|a| a.name == name.as_str()) {
        Some(a) => HttpResponse::Ok()
            .content_type(a.content_type)
            .insert_header(CacheControl(vec![CacheDirective::Public, CacheDirective::MaxAge(3600)]))
            .body(a.bytes),
        None => HttpResponse::NotFound().body("no such GraphiQL asset\n"),
    }
}
