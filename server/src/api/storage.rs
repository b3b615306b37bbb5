//! `storage.uploader`.

use domain::catalogue::Method;
use domain::environments::UploadSlot;
use domain::{Caller, DomainError, Platform};
use serde::{Deserialize, Serialize};
use wire::{decode, parse_ids, Required};

use super::views::time;
use super::{reply, Params, Reply};

#[derive(Deserialize)]
struct Upload {
    fid: Option<String>,
}

#[derive(Deserialize)]
struct DeleteUploads {
    ids: Required,
}

#[derive(Serialize)]
struct Stored<'a> {
    file: &'a str,
    name: &'a str,
    size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    fid: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UploadView<'a> {
    id: i64,
    name: &'a str,
    size: u64,
    file: &'a str,
    created_at: String,
}

#[derive(Serialize)]
struct Uploads<'a> {
    uploads: Vec<UploadView<'a>>,
    used: u64,
    quota: u64,
}

#[derive(Serialize)]
struct Count {
    count: u64,
}

pub async fn call(
    platform: &Platform,
    method: &Method,
    caller: &Caller,
    params: &Params,
    file: Option<(String, UploadSlot)>,
) -> Reply {
    match method.name() {
        "Upload" => {
            let Upload { fid } = decode(method, params)?;
            if fid.as_ref().is_some_and(|f| f.len() > 128) {
                return Err(DomainError::param("fid", "is longer than 128 characters"));
            }
            let (name, slot) = file.ok_or_else(|| {
                DomainError::param("file", "is required as a multipart file part")
            })?;
            let upload = platform.uploads().store(caller, slot, &name).await?;
            reply(Stored {
                file: &upload.url,
                name: &upload.name,
                size: upload.size,
                fid: fid.as_deref(),
            })
        }
        "GetUploads" => {
            let uploads = platform.uploads().list(caller.account.id).await?;
            reply(Uploads {
                used: uploads.iter().map(|u| u.size).sum(),
                uploads: uploads
                    .iter()
                    .map(|u| UploadView {
                        id: u.id,
                        name: &u.name,
                        size: u.size,
                        file: &u.url,
                        created_at: time(u.created_at),
                    })
                    .collect(),
                quota: platform.settings.upload_quota,
            })
        }
        "DeleteUploads" => {
            let input: DeleteUploads = decode(method, params)?;
            let ids = parse_ids("ids", &input.ids.0)?;
            let count = platform.uploads().delete(caller.account.id, &ids).await?;
            reply(Count { count })
        }
        _ => Err(DomainError::NotFound(format!("no method {}", method.id))),
    }
}
