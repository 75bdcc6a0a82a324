//! The GraphiQL page, served from the binary: GraphiQL's production bundle, React's
//! production builds and the page's own start script, all embedded at build time, so
//! the page works without internet access. The files and their licences are in
//! `api/assets/graphiql/`, rebuilt from pinned npm packages by
//! `scripts/graphiql-assets.sh`.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

/// One embedded file: its name under `/graphiql/`, content type and bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:literal) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!("../assets/graphiql/", $name)),
        }
    };
}

const ASSETS: &[Asset] = &[
    asset!("graphiql.min.js", "text/javascript; charset=utf-8"),
    asset!("graphiql.min.css", "text/css; charset=utf-8"),
    asset!("react.production.min.js", "text/javascript; charset=utf-8"),
    asset!(
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8"
    ),
    asset!("start.js", "text/javascript; charset=utf-8"),
    asset!("THIRD-PARTY-LICENSES.txt", "text/plain; charset=utf-8"),
];

const PAGE: &str = include_str!("../assets/graphiql/index.html");

/// Nothing is loaded from elsewhere; GraphiQL sets inline styles and uses `data:` fonts
/// and images, and talks only to this origin.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// The page itself (GET /graphql from a browser).
pub fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(PAGE)
}

/// GET /graphiql/{file}: one of the embedded files, or 404.
pub async fn asset(name: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|asset| asset.name == name.as_str()) {
        Some(asset) => HttpResponse::Ok()
            .content_type(asset.content_type)
            // The files change only with the binary; an hour keeps upgrades visible.
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .body(asset.body),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such GraphiQL file"),
    }
}
