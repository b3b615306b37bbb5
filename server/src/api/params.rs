//! Reads multipart bodies into the call's parameters; the file part goes to `file`.

use axum::extract::Multipart;
use domain::catalogue::{Method, ParamKind};
use domain::params::Params;
use domain::DomainError;

pub async fn read_multipart(
    params: &mut Params,
    mut multipart: Multipart,
    method: &Method,
) -> Result<(), DomainError> {
    let malformed =
        |_| DomainError::InvalidParam("the multipart body is malformed or too large".into());
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = method
            .params
            .iter()
            .any(|p| p.name.eq_ignore_ascii_case(&name) && p.kind == ParamKind::File);
        if is_file {
            if params.file.is_some() {
                return Err(DomainError::param(&name, "is given twice"));
            }
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(malformed)?;
            params.file = Some((file_name, bytes.to_vec()));
        } else {
            let text = field.text().await.map_err(malformed)?;
            params.push(name, text)?;
        }
    }
    Ok(())
}
