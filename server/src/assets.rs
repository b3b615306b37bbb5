//! The built site's files. `/pkg/…` (wasm, script, stylesheet) are served from the build
//! with their brotli or gzip copy when the browser accepts one; names that carry a content
//! hash (cargo-leptos' hash-files layout, listed in `<site>/hash.txt`) are kept by browsers
//! for a year, so a repeat visit downloads none of them.

use std::path::Path;

use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, VARY};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use leptos::prelude::LeptosOptions;
use tower_http::services::ServeDir;

/// Leptos' options for this site: with `<site>/hash.txt` the pages name the hashed files.
pub fn leptos_options(site_root: &Path, bound: std::net::SocketAddr) -> LeptosOptions {
    let builder = LeptosOptions::builder()
        .output_name("patio")
        .site_root(site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(bound);
    // `scripts/build` lists the hashes in the site; `cargo leptos` with `hash-files`
    // beside the binary. The newer list names the files that are there.
    let beside_binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt")));
    let newest = [Some(site_root.join("hash.txt")), beside_binary]
        .into_iter()
        .flatten()
        .filter_map(|path| {
            let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok()?;
            Some((modified, path))
        })
        .max_by_key(|(modified, _)| *modified);
    match newest {
        // Absolute, so Leptos reads it there rather than beside the binary.
        Some((_, path)) => {
            let path = std::path::absolute(&path).unwrap_or(path);
            builder
                .hash_files(true)
                .hash_file(std::sync::Arc::<str>::from(path.display().to_string()))
                .build()
        }
        None => builder.build(),
    }
}

/// `/pkg/…`: precompressed copies chosen by `Accept-Encoding`, cache headers by name.
pub fn pkg_router<S: Clone + Send + Sync + 'static>(site_root: &Path) -> Router<S> {
    let files = ServeDir::new(site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .nest_service("/pkg", files)
        .layer(middleware::from_fn(cache_headers))
}

async fn cache_headers(request: Request, next: Next) -> Response {
    let immutable = is_hashed(request.uri().path());
    let mut response = next.run(request).await;
    if response.status().is_success() || response.status().as_u16() == 304 {
        let headers = response.headers_mut();
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static(if immutable {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            }),
        );
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// `…/name.<hash>.<ext>`: a hash of 16 or more hexadecimal digits before the extension.
fn is_hashed(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    let mut parts = file.rsplit('.');
    let (_ext, hash) = (parts.next(), parts.next().unwrap_or_default());
    parts.next().is_some() && hash.len() >= 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn only_content_named_files_are_kept_for_a_year() {
        assert!(is_hashed("/pkg/patio.0a1b2c3d4e5f60718293.wasm"));
        assert!(is_hashed("/pkg/patio.0a1b2c3d4e5f60718293.css"));
        assert!(!is_hashed("/pkg/patio.css"));
        assert!(!is_hashed("/pkg/patio_bg.wasm"));
        assert!(!is_hashed("/pkg/0a1b2c3d4e5f60718293.css"));
        assert!(!is_hashed("/pkg/patio.short.js"));
    }
}
