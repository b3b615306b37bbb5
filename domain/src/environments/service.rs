//! Storage of environments, their node groups and deployments, and uploads.

use anyhow::Context;
use sqlx::Row;

use super::{platform_host, Action, Deployment, EnvName, Environment, Node, NodeGroup, Status};
use crate::accounts::is_unique_violation;
use crate::audit::Outcome;
use crate::error::DomainError;
use crate::marketplace;
use crate::platform::{from_unix, random_base62, Caller, Platform, WriteKey};
use crate::tokens::{clip, Change};

/// A file stored by `storage.uploader.Upload`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Upload {
    pub url: String,
    pub name: String,
    pub size: u64,
}

/// Environments by account and name, as `GetEnvInfo` and the dashboard read them; every
/// change to one of an account's environments empties that account's on every replica.
pub(crate) type EnvironmentCache = crate::cache::Cache<(i64, String), Environment>;

impl Platform {
    pub async fn environments(&self, account_id: i64) -> Result<Vec<Environment>, DomainError> {
        let names: Vec<String> =
            sqlx::query_scalar("select name from environments where account_id = $1 order by name")
                .bind(account_id)
                .fetch_all(&self.db)
                .await
                .context("list environments")?;
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            out.push(self.cached_environment(account_id, &name).await?);
        }
        Ok(out)
    }

    pub async fn environment(
        &self,
        account_id: i64,
        name: &EnvName,
    ) -> Result<Environment, DomainError> {
        self.cached_environment(account_id, name.as_str()).await
    }

    /// An environment from memory, else read and remembered. Only what was found is
    /// remembered: a name that does not exist yet is asked for again next time.
    async fn cached_environment(
        &self,
        account_id: i64,
        name: &str,
    ) -> Result<Environment, DomainError> {
        let key = (account_id, name.to_owned());
        if let Some(env) = self.environment_cache.get(&key) {
            return Ok(env);
        }
        let generation = self.environment_cache.generation();
        let (_, env) = self.load_environment(account_id, name).await?;
        self.environment_cache.insert(generation, key, env.clone());
        Ok(env)
    }

    /// Forgets the account's environments on this replica.
    pub(crate) fn forget_environments_of(&self, account_id: i64) {
        self.environment_cache
            .invalidate_where(|(account, _), _| *account == account_id);
    }

    async fn load_environment(
        &self,
        account_id: i64,
        name: &str,
    ) -> Result<(i64, Environment), DomainError> {
        // One connection for the three reads.
        let mut conn = self.db.acquire().await.context("acquire connection")?;
        let row = sqlx::query(
            "select id, name, display_name, status, app_id, created_at, updated_at from environments
             where account_id = $1 and name = $2",
        )
        .bind(account_id)
        .bind(name)
        .fetch_optional(&mut *conn)
        .await
        .context("read environment")?
        .ok_or_else(|| DomainError::EnvNotExist(name.to_owned()))?;
        let id: i64 = row.get(0);
        let rows = sqlx::query(
            "select id, node_group, node_type, count from nodes where environment_id = $1 order by id",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .context("read nodes")?;
        let name: String = row.get(1);
        let (scheme, host) = platform_host(&self.settings.public_url);
        let domain = format!("{name}.{host}");
        let mut nodes = Vec::with_capacity(rows.len());
        let mut containers = Vec::new();
        for r in rows {
            let group = NodeGroup {
                node_group: r.get(1),
                node_type: r.get(2),
                count: r.get(3),
            };
            containers.extend(Node::of_group(r.get(0), &group, scheme, &domain));
            nodes.push(group);
        }
        let deployments = sqlx::query(
            "select context, file_name, file_url, updated_at from deployments where environment_id = $1 order by context",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .context("read deployments")?
        .into_iter()
        .map(|r| Deployment { context: r.get(0), file_name: r.get(1), file_url: r.get(2), deployed_at: from_unix(r.get(3)) })
        .collect();
        let status = Status::from_code(row.get(3)).with_context(|| "stored status")?;
        Ok((
            id,
            Environment {
                id,
                name,
                domain,
                display_name: row.get(2),
                status,
                app_id: row.get(4),
                created_at: from_unix(row.get(5)),
                updated_at: from_unix(row.get(6)),
                nodes,
                containers,
                deployments,
            },
        ))
    }

    pub async fn create_environment(
        &self,
        caller: &Caller,
        name: &EnvName,
        display_name: Option<&str>,
        nodes: &[NodeGroup],
        app_id: Option<&str>,
    ) -> Result<Environment, DomainError> {
        let display_name = display_name
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .unwrap_or(name.as_str());
        if display_name.chars().count() > 100 || display_name.chars().any(char::is_control) {
            return Err(DomainError::param(
                "env",
                "displayName must be at most 100 printable characters",
            ));
        }
        let now = self.now().timestamp();
        let mut tx = self
            .begin_write(&[WriteKey::Account(caller.account.id)])
            .await?;
        let inserted = sqlx::query_scalar::<_, i64>(
            "insert into environments (account_id, name, display_name, status, app_id, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $7) returning id",
        )
        .bind(caller.account.id)
        .bind(name.as_str())
        .bind(display_name)
        .bind(Status::Running.code())
        .bind(app_id)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await;
        let id = match inserted {
            Ok(id) => id,
            Err(sqlx::Error::Database(e))
                if is_unique_violation(e.as_ref(), "environments.name") =>
            {
                return Err(DomainError::EnvAlreadyExists(name.as_str().to_owned()))
            }
            Err(e) => return Err(anyhow::Error::new(e).context("insert environment").into()),
        };
        for node in nodes {
            sqlx::query(
                "insert into nodes (environment_id, node_group, node_type, count, created_at, updated_at)
                 values ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(&node.node_group)
            .bind(&node.node_type)
            .bind(node.count)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await
            .context("insert node group")?;
        }
        tx.commit().await.context("commit environment")?;
        self.audit(
            Some(caller.account.id),
            "env.create",
            Outcome::Ok,
            Some(name.as_str()),
            &caller.actor,
            &caller.origin,
        )
        .await?;
        Ok(self
            .load_environment(caller.account.id, name.as_str())
            .await?
            .1)
    }

    /// Start, stop, sleep or restart; refused with 2212 where the status forbids it.
    pub async fn change_status(
        &self,
        caller: &Caller,
        name: &EnvName,
        action: Action,
    ) -> Result<Environment, DomainError> {
        // Compare-and-set on the status, so two concurrent calls cannot both succeed.
        for _ in 0..5 {
            let (id, env) = self
                .load_environment(caller.account.id, name.as_str())
                .await?;
            let next = env.status.apply(action)?;
            let now = self.now().timestamp();
            let mut tx = self.db.begin().await.context("begin")?;
            let done = sqlx::query(
                "update environments set status = $1, updated_at = $2 where id = $3 and status = $4",
            )
            .bind(next.code())
            .bind(now)
            .bind(id)
            .bind(env.status.code())
            .execute(&mut *tx)
            .await
            .context("update environment status")?;
            if done.rows_affected() == 1 {
                if action == Action::Restart {
                    sqlx::query("update nodes set restarted_at = $1, updated_at = $2 where environment_id = $3")
                        .bind(now)
                        .bind(now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .context("restart nodes")?;
                }
                self.commit_change(
                    tx,
                    Change::Environments(caller.account.id),
                    "commit environment status",
                )
                .await?;
                let label = format!("env.{}", format!("{action:?}").to_lowercase());
                self.audit(
                    Some(caller.account.id),
                    &label,
                    Outcome::Ok,
                    Some(name.as_str()),
                    &caller.actor,
                    &caller.origin,
                )
                .await?;
                return Ok(self
                    .load_environment(caller.account.id, name.as_str())
                    .await?
                    .1);
            }
        }
        Err(anyhow::anyhow!("environment status kept changing").into())
    }

    /// Restarts the nodes of a running environment (or of one node group); returns how many.
    pub async fn restart_nodes(
        &self,
        caller: &Caller,
        name: &EnvName,
        node_group: Option<&str>,
    ) -> Result<i64, DomainError> {
        let env = self.environment(caller.account.id, name).await?;
        let group = node_group.map(str::trim).filter(|g| !g.is_empty());
        let count = match group {
            Some(g) => env
                .nodes
                .iter()
                .find(|n| n.node_group == g)
                .map(|n| n.count)
                .ok_or_else(|| {
                    DomainError::param(
                        "nodeGroup",
                        format!("{} has no node group \"{}\"", name.as_str(), clip(g)),
                    )
                })?,
            None => env.nodes.iter().map(|n| n.count).sum(),
        };
        self.change_status(caller, name, Action::Restart).await?;
        Ok(count)
    }

    pub async fn delete_environment(
        &self,
        caller: &Caller,
        password: &str,
        name: &EnvName,
    ) -> Result<(), DomainError> {
        let (id, _) = self
            .load_environment(caller.account.id, name.as_str())
            .await?;
        self.confirm_password(caller.account.id, password, &caller.origin)
            .await?;
        let mut tx = self.db.begin().await.context("begin")?;
        sqlx::query("delete from environments where id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .context("delete environment")?;
        self.commit_change(
            tx,
            Change::Environments(caller.account.id),
            "commit environment removal",
        )
        .await?;
        self.audit(
            Some(caller.account.id),
            "env.delete",
            Outcome::Ok,
            Some(name.as_str()),
            &caller.actor,
            &caller.origin,
        )
        .await
    }

    pub async fn deploy(
        &self,
        caller: &Caller,
        name: &EnvName,
        file_url: &str,
        file_name: &str,
        context: Option<&str>,
    ) -> Result<Deployment, DomainError> {
        let file_url = file_url.trim();
        let file_name = file_name.trim();
        let context = context
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or("ROOT");
        if !(file_url.starts_with("http://") || file_url.starts_with("https://"))
            || file_url.len() > 2048
        {
            return Err(DomainError::param("fileUrl", "must be an http(s) URL"));
        }
        if file_name.is_empty()
            || file_name.len() > 255
            || file_name.contains(['/', '\\'])
            || file_name.chars().any(char::is_control)
        {
            return Err(DomainError::param("fileName", "must be a plain file name"));
        }
        if context.len() > 64
            || !context
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(DomainError::param(
                "context",
                "must be letters, digits, '-', '_' or '.'",
            ));
        }
        // A URL of this server's own storage must name one of the caller's uploads.
        let own = format!("{}/files/", self.settings.public_url.trim_end_matches('/'));
        if let Some(rest) = file_url.strip_prefix(&own) {
            let public_id = rest.split('/').next().unwrap_or_default();
            let found: Option<i64> = sqlx::query_scalar(
                "select id from uploads where public_id = $1 and account_id = $2",
            )
            .bind(public_id)
            .bind(caller.account.id)
            .fetch_optional(&self.db)
            .await
            .context("look up upload")?;
            if found.is_none() {
                return Err(DomainError::NotFound("no uploaded file at fileUrl".into()));
            }
        }
        let (id, env) = self
            .load_environment(caller.account.id, name.as_str())
            .await?;
        if env.status != Status::Running {
            return Err(DomainError::NotAllowedForStatus(format!(
                "cannot deploy to an environment that is {}",
                env.status.name()
            )));
        }
        let now = self.now().timestamp();
        let mut tx = self.db.begin().await.context("begin")?;
        sqlx::query(
            "insert into deployments (environment_id, context, file_name, file_url, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6)
             on conflict (environment_id, context) do update set file_name = excluded.file_name,
                 file_url = excluded.file_url, updated_at = excluded.updated_at",
        )
        .bind(id)
        .bind(context)
        .bind(file_name)
        .bind(file_url)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .context("insert deployment")?;
        self.commit_change(
            tx,
            Change::Environments(caller.account.id),
            "commit deployment",
        )
        .await?;
        self.audit(
            Some(caller.account.id),
            "env.deploy",
            Outcome::Ok,
            Some(name.as_str()),
            &caller.actor,
            &caller.origin,
        )
        .await?;
        Ok(Deployment {
            context: context.into(),
            file_name: file_name.into(),
            file_url: file_url.into(),
            deployed_at: from_unix(now),
        })
    }

    pub async fn install(
        &self,
        caller: &Caller,
        app_id: &str,
        name: &EnvName,
    ) -> Result<Environment, DomainError> {
        if app_id.trim().is_empty() {
            return Err(DomainError::param("id", "is required"));
        }
        let app = marketplace::app(app_id)
            .ok_or_else(|| DomainError::NotFound(format!("no app \"{}\"", clip(app_id))))?;
        let nodes: Vec<NodeGroup> = app
            .nodes
            .iter()
            .map(|(group, kind, count)| NodeGroup {
                node_group: (*group).into(),
                node_type: (*kind).into(),
                count: *count,
            })
            .collect();
        self.create_environment(caller, name, Some(app.name), &nodes, Some(app.id))
            .await
    }

    /// Opens a place for one upload of the caller's: waits for one of the few upload
    /// slots, and caps the file at the upload limit or what is left of the account's
    /// quota, whichever is smaller. Bytes go to a `.part` file that is removed unless
    /// `store_upload` keeps it.
    pub async fn start_upload(&self, caller: &Caller) -> Result<UploadSlot, DomainError> {
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
    fn upload_url(&self, public_id: &str, name: &str) -> String {
        format!(
            "{}/files/{public_id}/{}",
            self.settings.public_url.trim_end_matches('/'),
            urlencode(name)
        )
    }

    /// Keeps a received upload under its public id and returns the URL it is known by.
    pub async fn store_upload(
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
            url: self.upload_url(&slot.public_id, &name),
            name,
            size: slot.size,
        })
    }

    /// The account's uploads, newest first.
    pub async fn uploads(&self, account_id: i64) -> Result<Vec<StoredUpload>, DomainError> {
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
                let public_id: String = r.get(1);
                let name: String = r.get(2);
                StoredUpload {
                    id: r.get(0),
                    url: self.upload_url(&public_id, &name),
                    name,
                    size: r.get::<i64, _>(3).max(0) as u64,
                    created_at: from_unix(r.get(4)),
                }
            })
            .collect())
    }

    /// Deletes the given uploads of the account, all or (if any is not the account's)
    /// none, and their files.
    pub async fn delete_uploads(&self, account_id: i64, ids: &[i64]) -> Result<u64, DomainError> {
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
