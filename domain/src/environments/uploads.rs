//! Uploads: files received by `storage.uploader.Upload`, kept under the data folder
//! within each account's quota, and the links deployments use.

use crate::error::DomainError;
use crate::platform::{from_unix, random_base62, WriteKey};
use crate::Caller;
use anyhow::Context;
use sqlx::Row;

crate::platform::service! {
    /// Uploaded files: `platform.uploads()`.
    Uploads, uploads
}

/// A file stored by `storage.uploader.Upload`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Upload {
    pub url: String,
    pub name: String,
    pub size: u64,
}

/// Bytes of uploads the account keeps, read on the pool or inside a transaction.
async fn uploaded_bytes<'c, E>(db: E, account_id: i64) -> Result<u64, DomainError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let used: Option<i64> =
        sqlx::query_scalar("select cast(sum(size) as bigint) from uploads where account_id = $1")
            .bind(account_id)
            .fetch_one(db)
            .await
            .context("sum uploads")?;
    Ok(used.unwrap_or(0).max(0) as u64)
}

/// One upload being received: a `.part` file that is removed when the slot is dropped
/// before `store_upload` keeps it (a broken or refused upload leaves nothing behind).
pub struct UploadSlot {
    public_id: String,
    part: Option<std::path::PathBuf>,
    file: Option<tokio::fs::File>,
    size: u64,
    cap: u64,
    /// Whether the cap is the quota's rather than the upload limit's.
    over_quota: bool,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl UploadSlot {
    /// Appends a chunk; past the cap the upload is refused.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), DomainError> {
        use tokio::io::AsyncWriteExt;
        self.size += chunk.len() as u64;
        if self.size > self.cap {
            return Err(DomainError::param(
                "file",
                if self.over_quota {
                    format!(
                        "does not fit in what is left of the account's upload quota ({} bytes)",
                        self.cap
                    )
                } else {
                    format!("is larger than {} bytes", self.cap)
                },
            ));
        }
        let file = self.file.as_mut().context("upload file")?;
        file.write_all(chunk).await.context("write upload")?;
        Ok(())
    }
}

impl Drop for UploadSlot {
    fn drop(&mut self) {
        if let Some(part) = self.part.take() {
            drop(self.file.take());
            let _ = std::fs::remove_file(part);
        }
    }
}

/// An upload as its owner lists it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StoredUpload {
    pub id: i64,
    pub url: String,
    pub name: String,
    pub size: u64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Uploads<'_> {
    /// Opens a place for one upload of the caller's: waits for one of the few upload
    /// slots, and caps the file at the upload limit or what is left of the account's
    /// quota, whichever is smaller. Bytes go to a `.part` file that is removed unless
    /// `store_upload` keeps it.
    pub async fn start(&self, caller: &Caller) -> Result<UploadSlot, DomainError> {
        let permit = self
            .uploading
            .clone()
            .acquire_owned()
            .await
            .context("upload slots")?;
        let used = uploaded_bytes(&self.db, caller.account.id).await?;
        let quota = self.settings.upload_quota;
        if used >= quota {
            return Err(DomainError::param(
                "file",
                format!("does not fit: the account's uploads already use {used} of its {quota} bytes; delete some first"),
            ));
        }
        let limit = self.settings.upload_limit as u64;
        let cap = limit.min(quota - used);
        let dir = self.settings.data_dir.join("uploads");
        tokio::fs::create_dir_all(&dir)
            .await
            .context("create uploads folder")?;
        let public_id = random_base62(24);
        let part = dir.join(format!("{public_id}.part"));
        let file = tokio::fs::File::create(&part)
            .await
            .context("create upload file")?;
        Ok(UploadSlot {
            public_id,
            part: Some(part),
            file: Some(file),
            size: 0,
            cap,
            over_quota: cap < limit,
            _permit: permit,
        })
    }

    /// The URL an upload is known by.
    fn url(&self, public_id: &str, name: &str) -> String {
        format!(
            "{}/files/{public_id}/{}",
            self.settings.public_url.trim_end_matches('/'),
            urlencode(name)
        )
    }

    /// Keeps a received upload under its public id and returns the URL it is known by.
    pub async fn store(
        &self,
        caller: &Caller,
        mut slot: UploadSlot,
        file_name: &str,
    ) -> Result<Upload, DomainError> {
        let name: String = file_name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        if name.is_empty()
            || name.len() > 255
            || name.chars().any(char::is_control)
            || name == "."
            || name == ".."
        {
            return Err(DomainError::param("file", "needs a file name"));
        }
        if let Some(mut file) = slot.file.take() {
            use tokio::io::AsyncWriteExt;
            file.flush().await.context("write upload")?;
            file.sync_all().await.context("write upload")?;
        }
        let now = self.now().timestamp();
        // Counted again under the account's write lock: two uploads at once cannot both
        // squeeze into the same free space.
        let mut tx = self
            .begin_write(&[WriteKey::Account(caller.account.id)])
            .await?;
        let used = uploaded_bytes(&mut *tx, caller.account.id).await?;
        if used + slot.size > self.settings.upload_quota {
            return Err(DomainError::param(
                "file",
                format!(
                    "does not fit: the account's uploads may use {} bytes in all and already use {used}",
                    self.settings.upload_quota
                ),
            ));
        }
        sqlx::query(
            "insert into uploads (account_id, public_id, file_name, size, created_at, updated_at) values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(caller.account.id)
        .bind(&slot.public_id)
        .bind(&name)
        .bind(slot.size as i64)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .context("insert upload")?;
        let part = slot.part.clone().context("upload file")?;
        tokio::fs::rename(&part, part.with_extension(""))
            .await
            .context("move upload in place")?;
        slot.part = None;
        tx.commit().await.context("commit upload")?;
        Ok(Upload {
            url: self.url(&slot.public_id, &name),
            name,
            size: slot.size,
        })
    }

    /// The account's uploads, newest first.
    pub async fn list(&self, account_id: i64) -> Result<Vec<StoredUpload>, DomainError> {
        let rows = sqlx::query(
            "select id, public_id, file_name, size, created_at from uploads where account_id = $1 order by id desc",
        )
        .bind(account_id)
        .fetch_all(&self.db)
        .await
        .context("list uploads")?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let public_id: String = r.get("public_id");
                let name: String = r.get("file_name");
                StoredUpload {
                    id: r.get("id"),
                    url: self.url(&public_id, &name),
                    name,
                    size: r.get::<i64, _>("size").max(0) as u64,
                    created_at: from_unix(r.get("created_at")),
                }
            })
            .collect())
    }

    /// Deletes the given uploads of the account, all or (if any is not the account's)
    /// none, and their files.
    pub async fn delete(&self, account_id: i64, ids: &[i64]) -> Result<u64, DomainError> {
        let mut tx = self.begin_write(&[WriteKey::Account(account_id)]).await?;
        let mut files = Vec::with_capacity(ids.len());
        for id in ids {
            let public_id: Option<String> = sqlx::query_scalar(
                "delete from uploads where id = $1 and account_id = $2 returning public_id",
            )
            .bind(id)
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await
            .context("delete upload")?;
            match public_id {
                Some(p) => files.push(p),
                None => {
                    return Err(DomainError::NotFound(format!(
                        "no upload {id} on this account"
                    )))
                }
            }
        }
        tx.commit().await.context("commit upload removal")?;
        let dir = self.settings.data_dir.join("uploads");
        for public_id in &files {
            if let Err(e) = tokio::fs::remove_file(dir.join(public_id)).await {
                tracing::warn!(error = %e, "remove an uploaded file");
            }
        }
        Ok(files.len() as u64)
    }
}
