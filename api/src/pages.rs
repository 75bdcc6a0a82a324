//! The pages served from the binary: GraphiQL (at `/graphql` from a browser, files
//! under `/graphiql/`) and the silo dashboard (`/dashboard`, files under
//! `/dashboard/`). Every file is embedded at build time, so the pages work without
//! internet access; they are built from pinned npm packages by
//! `scripts/graphiql-assets.sh` and `scripts/dashboard-assets.sh`, with their
//! licences, into `api/assets/`.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

/// One embedded file: its name under the page's directory, content type and bytes.
pub struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($dir:literal, $name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!("../assets/", $dir, "/", $name)),
        }
    };
}

/// A page and its files.
pub struct Page {
    html: &'static str,
    /// The page's Content-Security-Policy.
    policy: &'static str,
    assets: &'static [Asset],
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// GraphiQL. Nothing is loaded from elsewhere; GraphiQL sets inline styles and uses
/// `data:` fonts and images, and talks only to this origin.
pub const GRAPHIQL: Page = Page {
    html: include_str!("../assets/graphiql/index.html"),
    policy: "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'",
    assets: &[
        asset!("graphiql", "graphiql.min.js", JS),
        asset!("graphiql", "graphiql.min.css", CSS),
        asset!("graphiql", "react.production.min.js", JS),
        asset!("graphiql", "react-dom.production.min.js", JS),
        asset!("graphiql", "start.js", JS),
        asset!("graphiql", "THIRD-PARTY-LICENSES.txt", TEXT),
    ],
};

/// The silo dashboard. Its script talks only to this origin; the chart library sets
/// element styles from script.
pub const DASHBOARD: Page = Page {
    html: include_str!("../dashboard/index.html"),
    policy: "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'",
    assets: &[
        asset!("dashboard", "dashboard.js", JS),
        asset!("dashboard", "dashboard.css", CSS),
        asset!("dashboard", "THIRD-PARTY-LICENSES.txt", TEXT),
    ],
};

impl Page {
    /// The page itself.
    pub fn page(&self) -> HttpResponse {
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_SECURITY_POLICY, self.policy))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .insert_header(("Referrer-Policy", "no-referrer"))
            .body(self.html)
    }

    /// One of the page's files by name, or 404.
    pub fn asset(&self, name: &str) -> HttpResponse {
        match self.assets.iter().find(|asset| asset.name == name) {
            Some(asset) => HttpResponse::Ok()
                .content_type(asset.content_type)
                // The files change only with the binary; an hour keeps upgrades visible.
                .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
                .insert_header(("X-Content-Type-Options", "nosniff"))
                .body(asset.body),
            None => HttpResponse::NotFound()
                .content_type(TEXT)
                .body("no such file"),
        }
    }
}

/// GET /graphiql/{file}.
pub async fn graphiql_asset(name: web::Path<String>) -> HttpResponse {
    GRAPHIQL.asset(&name)
}

/// GET /dashboard.
pub async fn dashboard() -> HttpResponse {
    DASHBOARD.page()
}

/// GET /dashboard/{file}.
pub async fn dashboard_asset(name: web::Path<String>) -> HttpResponse {
    DASHBOARD.asset(&name)
}

/// GET /: the dashboard is the front page.
pub(crate) async fn front_door() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/dashboard"))
        .finish()
}
