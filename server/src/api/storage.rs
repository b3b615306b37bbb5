//! `storage.uploader`.

use domain::catalogue::Method;
use domain::{Caller, DomainError, Platform};
use serde_json::json;

use super::{fields, Params, Reply};

pub async fn call(platform: &Platform, method: &Method, caller: &Caller, params: &Params) -> Reply {
    match method.name() {
        "Upload" => {
            let (name, bytes) = params.file.as_ref().ok_or_else(|| {
                DomainError::param("file", "is required as a multipart file part")
            })?;
            let fid = params.optional("fid")?;
            if fid.is_some_and(|f| f.len() > 128) {
                return Err(DomainError::param("fid", "is longer than 128 characters"));
            }
            let upload = platform.upload(caller, name, bytes).await?;
            Ok(fields(
                json!({ "file": upload.url, "name": upload.name, "size": upload.size, "fid": fid }),
            ))
        }
        _ => Err(DomainError::NotFound(format!("no method {}", method.id))),
    }
}
