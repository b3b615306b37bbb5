//! A multipart body, read part by part: text fields into the call's parameters, each
//! bounded, and the file part, once the caller is known, streamed to disk.

use domain::catalogue::{Method, ParamKind};
use domain::environments::UploadSlot;
use domain::DomainError;
use multer::{Field, Multipart};
use wire::{Params, VALUE_MAX};

/// The text fields of a multipart body together may hold this much.
const TEXT_TOTAL_MAX: usize = 1024 * 1024;

fn malformed() -> DomainError {
    DomainError::InvalidParam("the multipart body is malformed".into())
}

/// Reads the fields in order. A file part is only read once `authorise` has accepted
/// the parameters before it (the credential comes first, in the URL, a header or an
/// earlier field) and given an upload slot: a stranger's file is never read. Returns
/// who `authorise` found, the file part's name and where it was received.
pub async fn read_multipart<C, A, F>(
    params: &mut Params,
    mut multipart: Multipart<'static>,
    method: &Method,
    mut authorise: A,
) -> Result<Option<(C, String, UploadSlot)>, DomainError>
where
    A: FnMut(&Params) -> F,
    F: std::future::Future<Output = Result<(C, UploadSlot), DomainError>>,
{
    let mut received: Option<(C, String, UploadSlot)> = None;
    let mut text_total = 0usize;
    while let Some(mut field) = multipart.next_field().await.map_err(|_| malformed())? {
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = method
            .params
            .iter()
            .any(|p| p.name.eq_ignore_ascii_case(&name) && p.kind == ParamKind::File);
        if is_file {
            if received.is_some() {
                return Err(DomainError::param(&name, "is given twice"));
            }
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let (caller, mut slot) = authorise(params).await?;
            while let Some(chunk) = field.chunk().await.map_err(|_| malformed())? {
                slot.write(&chunk).await?;
            }
            received = Some((caller, file_name, slot));
        } else {
            let text = read_text(&mut field, &name).await?;
            text_total += text.len();
            if text_total > TEXT_TOTAL_MAX {
                return Err(DomainError::InvalidParam(format!(
                    "the text fields of the body are over {TEXT_TOTAL_MAX} bytes"
                )));
            }
            params.push(&name, &text)?;
        }
    }
    Ok(received)
}

/// A text field, refused as soon as it passes `VALUE_MAX` rather than read whole.
async fn read_text(field: &mut Field<'_>, name: &str) -> Result<String, DomainError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|_| malformed())? {
        if bytes.len() + chunk.len() > VALUE_MAX {
            return Err(DomainError::param(
                name,
                format!("is longer than {VALUE_MAX} bytes"),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| DomainError::param(name, "is not UTF-8"))
}
