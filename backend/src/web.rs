//! Serves the browser app: hashed assets are cached for a year, everything else is
//! revalidated, and client-side routes fall back to `index.html`.

use crate::config::Settings;
use crate::state::AppState;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use tower_http::services::{ServeDir, ServeFile};

pub fn router(settings: &Settings) -> Router<AppState> {
    let dir = settings.static_dir.clone();
    let index = dir.join("index.html");
    if !index.is_file() {
        tracing::warn!(dir = %dir.display(), "browser app not built; `./dev run` builds it");
        return Router::new().fallback(|| async {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Html("<h1>Openflex</h1><p>The browser app has not been built. Run <code>./dev run</code>.</p>"),
            )
        });
    }
    Router::new()
        .fallback_service(ServeDir::new(dir).fallback(ServeFile::new(index)))
        .layer(middleware::from_fn(cache_headers))
}

/// The browser app's Content-Security-Policy: its own scripts, WebAssembly, styles and
/// requests only; no plugins, no `<base>`, no framing. Trunk's loader is an inline module
/// script, allowed by its hash (read from the built `index.html`, so it follows rebuilds).
pub fn content_security_policy(settings: &Settings) -> HeaderValue {
    let index = std::fs::read_to_string(settings.static_dir.join("index.html")).unwrap_or_default();
    let hashes: String = inline_scripts(&index)
        .map(|script| {
            use base64::Engine as _;
            use sha2::Digest as _;
            let digest = sha2::Sha256::digest(script.as_bytes());
            format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; img-src 'self' data:; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| {
        HeaderValue::from_static("default-src 'self'; object-src 'none'; frame-ancestors 'none'")
    })
}

/// The bodies of the `<script>` elements without a `src`.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (attributes, after) = rest.split_once('>')?;
        if attributes.contains("src=") {
            return None;
        }
        after.split_once("</script>").map(|(body, _)| body)
    })
}

async fn cache_headers(request: Request, next: Next) -> Response {
    let immutable = is_hashed_asset(request.uri().path());
    let mut response = next.run(request).await.into_response();
    if response.status().is_success() {
        let value = if immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    response
}

/// Trunk names built assets `name-<16 hex digits>[_bg].ext`; such a file never changes.
fn is_hashed_asset(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or("");
    let Some((stem, _ext)) = file.rsplit_once('.') else {
        return false;
    };
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::{inline_scripts, is_hashed_asset};

    #[test]
    fn only_inline_scripts_are_hashed() {
        let html = r#"<head><script type="module">import init from '/a.js';await init();</script>
            <script src="/b.js"></script><script>x()</script></head>"#;
        let found: Vec<&str> = inline_scripts(html).collect();
        assert_eq!(found, vec!["import init from '/a.js';await init();", "x()"]);
    }

    #[test]
    fn only_trunk_hashed_files_are_immutable() {
        assert!(is_hashed_asset("/frontend-1a2b3c4d5e6f7a8b_bg.wasm"));
        assert!(is_hashed_asset("/frontend-1a2b3c4d5e6f7a8b.js"));
        assert!(is_hashed_asset("/style-0123456789abcdef.css"));
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/meterable-units"));
        assert!(!is_hashed_asset("/graphiql.min.js"));
    }
}
