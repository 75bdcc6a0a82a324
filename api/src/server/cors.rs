//! CORS for the origins of SILOSCOPE_CORS_ORIGINS, and same-origin for the pages the
//! server serves itself.

use actix_web::http::header;

/// CORS for the origins of SILOSCOPE_CORS_ORIGINS (`*`: any). Requests carry their
/// credential in `Authorization`, so credentials mode (cookies) is never allowed, and
/// a wildcard can never be combined with it. A page siloscope serves itself (GraphiQL,
/// the dashboard) is same-origin and always allowed.
pub(crate) fn cors(origins: &[String]) -> actix_cors::Cors {
    let any = origins.iter().any(|o| o == "*");
    let listed: Vec<String> = origins.to_vec();
    let cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            crate::server::observe::REQUEST_ID,
            header::HeaderName::from_static("traceparent"),
            header::HeaderName::from_static("tracestate"),
        ])
        .expose_headers([crate::server::observe::REQUEST_ID, header::RETRY_AFTER])
        .max_age(600);
    if any {
        return cors.allow_any_origin().send_wildcard();
    }
    cors.allowed_origin_fn(move |origin, head| {
        let origin = origin.as_bytes();
        listed.iter().any(|o| o.as_bytes() == origin) || same_origin(origin, head)
    })
}

/// Whether `origin` is the request's own (a page siloscope served): its host and port
/// are the `Host` the request was sent to, or the `X-Forwarded-Host` a proxy in front
/// names (a browser cannot add that header to a cross-origin request without a
/// preflight, and a preflight carries none), default ports left out.
fn same_origin(origin: &[u8], head: &actix_web::dev::RequestHead) -> bool {
    let Some((scheme, authority)) = std::str::from_utf8(origin)
        .ok()
        .and_then(|o| o.split_once("://"))
    else {
        return false;
    };
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let bare = |host: &str| {
        let host = host.trim().to_ascii_lowercase();
        host.strip_suffix(default_port)
            .map(str::to_owned)
            .unwrap_or(host)
    };
    let origin_host = bare(authority);
    [
        header::HOST,
        header::HeaderName::from_static("x-forwarded-host"),
    ]
    .iter()
    .filter_map(|name| head.headers().get(name))
    .filter_map(|value| value.to_str().ok())
    .filter_map(|value| value.split(',').next())
    .any(|host| bare(host) == origin_host)
}
