//! The Security Log's CSV export (`/settings/security-log/export.csv?filter=…`): every
//! entry the filter picks, newest first, read in keyset batches and written as they are
//! read, so a log of any length leaves in bounded memory. The dashboard's session
//! cookie is the credential, as for the page it is linked from.

use app::auth::SignedIn;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::audit::{csv_header, csv_rows, AuditFilter};
use domain::{DomainError, Platform};
use futures::StreamExt;
use serde::Deserialize;

/// Entries read at a time: what the export holds in memory at most.
const BATCH: i64 = 1_000;

#[derive(Deserialize)]
pub struct ExportQuery {
    filter: Option<String>,
}

pub async fn export(
    State(platform): State<Platform>,
    SignedIn(caller): SignedIn,
    Query(query): Query<ExportQuery>,
) -> Response {
    let Some(filter) = query
        .filter
        .as_deref()
        .map_or(Some(AuditFilter::All), AuditFilter::parse)
    else {
        return (StatusCode::BAD_REQUEST, "filter is not a log filter").into_response();
    };
    let account = caller.account;
    // Denied calls are counted in memory first: the export shows them too.
    if platform.audit().flush_denials().await.is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    // Each batch starts below the last id written; entries logged meanwhile have higher
    // ids, so the export is the log as it stood when it began.
    let rows = futures::stream::unfold(Some(i64::MAX), move |before| {
        let platform = platform.clone();
        async move {
            let before = before?;
            match platform
                .audit()
                .events_before(account.id, filter, before, BATCH)
                .await
            {
                Ok(events) => {
                    let next = events
                        .last()
                        .map(|e| e.id)
                        .filter(|_| events.len() as i64 == BATCH);
                    match csv_rows(&events) {
                        Ok(chunk) => Some((Ok(chunk), next)),
                        Err(e) => Some((Err(failed(e)), None)),
                    }
                }
                Err(e) => Some((Err(failed(e)), None)),
            }
        }
    });
    let body = futures::stream::once(async { csv_header().map_err(failed) })
        .chain(rows)
        .filter(|chunk| std::future::ready(!matches!(chunk, Ok(text) if text.is_empty())));
    (
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"patio-security-log.csv\"",
            ),
            (CACHE_CONTROL, "no-store"),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// Cuts the export short: the client sees a broken download, not a partial file that
/// looks whole. The cause was logged where it happened.
fn failed(_: DomainError) -> std::io::Error {
    std::io::Error::other("exporting the security log failed")
}
