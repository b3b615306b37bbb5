//! `storage.uploader`.

use domain::catalogue::Method;
use domain::environments::UploadSlot;
use domain::{Caller, DomainError, Platform};
use serde_json::json;

use domain::tokens::parse_ids;

use super::{fields, views, Params, Reply};

pub async fn call(
    platform: &Platform,
    method: &Method,
    caller: &Caller,
    params: &Params,
    file: Option<(String, UploadSlot)>,
) -> Reply {
    match method.name() {
        "Upload" => {
            let fid = params.optional("fid")?;
            if fid.is_some_and(|f| f.len() > 128) {
                return Err(DomainError::param("fid", "is longer than 128 characters"));
            }
            let (name, slot) = file.ok_or_else(|| {
                DomainError::param("file", "is required as a multipart file part")
            })?;
            let upload = platform.uploads().store(caller, slot, &name).await?;
            Ok(fields(
                json!({ "file": upload.url, "name": upload.name, "size": upload.size, "fid": fid }),
            ))
        }
        "GetUploads" => {
            let uploads = platform.uploads().list(caller.account.id).await?;
            let used: u64 = uploads.iter().map(|u| u.size).sum();
            Ok(fields(json!({
                "uploads": uploads.iter().map(|u| json!({
                    "id": u.id,
                    "name": u.name,
                    "size": u.size,
                    "file": u.url,
                    "createdAt": views::time(u.created_at),
                })).collect::<Vec<_>>(),
                "used": used,
                "quota": platform.settings.upload_quota,
            })))
        }
        "DeleteUploads" => {
            let ids = parse_ids("ids", params.required("ids")?)?;
            let count = platform.uploads().delete(caller.account.id, &ids).await?;
            Ok(fields(json!({ "count": count })))
        }
        _ => Err(DomainError::NotFound(format!("no method {}", method.id))),
    }
}
