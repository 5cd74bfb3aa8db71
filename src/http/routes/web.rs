//! The dashboard (web/app, see web/README.md): static files compiled into the binary and served
//! under /assets, and the app's page for `/` and for every deep link it routes itself
//! (`/gene/TP53`, `/set/GO_BP:GO:0006914`, ...), so shared and reloaded URLs open the same page.
//! It loads nothing from another origin and talks only to /graphql (and /explain/stream).

use std::sync::OnceLock;

use actix_web::http::header::{self, ContentType};
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

const PAGE: &str = include_str!("../../../web/app/index.html");

struct Asset {
    name: &'static str,
    bytes: &'static [u8],
}

macro_rules! assets {
    ($($name:literal),* $(,)?) => {
        &[$(Asset { name: $name, bytes: include_bytes!(concat!("../../../web/app/", $name)) }),*]
    };
}

/// Every file of web/app but index.html (a unit test keeps this list and the folder equal).
const ASSETS: &[Asset] = assets![
    "style.css",
    "main.js",
    "api.js",
    "ui.js",
    "home.js",
    "gene.js",
    "explain.js",
    "graph.js",
    "set.js",
    "tools.js",
    "ask.js",
    "vendor/preact-htm.js",
    "vendor/cytoscape.esm.min.js",
    "vendor/VERSIONS",
    "vendor/LICENSE.htm",
    "vendor/LICENSE.cytoscape",
];

/// Same origin only. Styles allow 'unsafe-inline' because cytoscape styles its own elements.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    }
}

/// Content hashes, computed once: the files change only with the binary, and an ETag lets the
/// browser revalidate cheaply instead of running an old app against a new server.
fn etags() -> &'static Vec<String> {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| ASSETS.iter().map(|a| format!("\"{}\"", &hex(&Sha256::digest(a.bytes))[..16])).collect())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `GENEKG_WEB_DIR=web/app` serves the files from that folder instead, read on every request, so
/// the dashboard can be edited without rebuilding the server (development only).
fn dev_dir() -> Option<&'static std::path::Path> {
    static DIR: OnceLock<Option<std::path::PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| std::env::var_os("GENEKG_WEB_DIR").map(Into::into)).as_deref()
}

pub async fn app_page() -> HttpResponse {
    let page = match dev_dir() {
        Some(dir) => std::fs::read_to_string(dir.join("index.html")).unwrap_or_else(|e| format!("cannot read index.html: {e}")),
        None => PAGE.to_string(),
    };
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header(("content-security-policy", CSP))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(page)
}

pub async fn app_asset(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    let Some(i) = ASSETS.iter().position(|a| a.name == name.as_str()) else {
        return HttpResponse::NotFound().content_type(ContentType::plaintext()).body("no such dashboard asset\n");
    };
    if let Some(dir) = dev_dir() {
        return match std::fs::read(dir.join(ASSETS[i].name)) {
            Ok(bytes) => HttpResponse::Ok().content_type(content_type(ASSETS[i].name)).insert_header((header::CACHE_CONTROL, "no-store")).body(bytes),
            Err(e) => HttpResponse::InternalServerError().body(format!("cannot read {}: {e}\n", ASSETS[i].name)),
        };
    }
    let etag = &etags()[i];
    let fresh = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str());
    let mut res = if fresh { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    res.insert_header((header::ETAG, etag.as_str())).insert_header((header::CACHE_CONTROL, "no-cache"));
    if fresh {
        return res.finish();
    }
    res.content_type(content_type(ASSETS[i].name)).insert_header(("x-content-type-options", "nosniff")).body(ASSETS[i].bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }

    #[test]
    fn every_file_of_web_app_is_served() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("web/app");
        let mut on_disk = vec![];
        walk(&root, &root, &mut on_disk);
        on_disk.retain(|f| f != "index.html");
        on_disk.sort();
        let mut listed: Vec<String> = ASSETS.iter().map(|a| a.name.to_string()).collect();
        listed.sort();
        assert_eq!(on_disk, listed, "web/app and the ASSETS list of src/http/routes/web.rs differ");
    }
}
