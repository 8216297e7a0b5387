//! Headers that tell browsers to run only our own scripts and styles, never to frame the
//! console, and never to guess content types.

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

/// The policy; images may also come from the map's tile server when the force names one
/// (`tile_origin`, already checked to be a plain `scheme://host[:port]`).
fn csp(tile_origin: Option<&str>) -> HeaderValue {
    let images = tile_origin.map_or_else(String::new, |origin| format!(" {origin}"));
    let policy = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{images}; \
         connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| {
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
    })
}

fn set(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

pub fn apply<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    tile_origin: Option<&str>,
) -> Router<S> {
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            csp(tile_origin),
        ))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(set(header::REFERRER_POLICY, "no-referrer"))
}

/// Answers from the API may carry personal data: no browser or proxy may keep a copy.
pub fn no_store<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router.layer(set(header::CACHE_CONTROL, "no-store"))
}
