//! Storage of environments, their node groups and deployments.

use super::{platform_host, Action, Deployment, EnvName, Environment, Node, NodeGroup, Status};
use crate::accounts::is_unique_violation;
use crate::audit::Outcome;
use crate::changes::Change;
use crate::error::DomainError;
use crate::marketplace;
use crate::platform::{from_unix, WriteKey};
use crate::tokens::clip;
use crate::Caller;
use anyhow::Context;
use sqlx::Row;

crate::platform::service! {
    /// Environments: `platform.environments()`.
    Environments, environments
}

impl Environments<'_> {
    /// The names of the account's environments, in order.
    pub async fn names(&self, account_id: i64) -> Result<Vec<String>, DomainError> {
        Ok(
            sqlx::query_scalar("select name from environments where account_id = $1 order by name")
                .bind(account_id)
                .fetch_all(&self.db)
                .await
                .context("list environments")?,
        )
    }

    pub async fn list(&self, account_id: i64) -> Result<Vec<Environment>, DomainError> {
        let names = self.names(account_id).await?;
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            out.push(Environment::clone(&*self.cached(account_id, &name).await?));
        }
        Ok(out)
    }

    /// The environments the caller may see: all of the account's, or for a token limited
    /// to some, only those.
    pub async fn visible(&self, caller: &Caller) -> Result<Vec<Environment>, DomainError> {
        let mut envs = self.list(caller.account.id).await?;
        if let Some(scope) = &caller.scope {
            envs.retain(|env| scope.reaches(env.id, &env.name));
        }
        Ok(envs)
    }

    /// The account's environment `name`, shared with the cache (a hit copies nothing).
    pub async fn get(
        &self,
        account_id: i64,
        name: &EnvName,
    ) -> Result<std::sync::Arc<Environment>, DomainError> {
        self.cached(account_id, name.as_str()).await
    }

    /// An environment from memory, else read and remembered. Only what was found is
    /// remembered: a name that does not exist yet is asked for again next time.
    async fn cached(
        &self,
        account_id: i64,
        name: &str,
    ) -> Result<std::sync::Arc<Environment>, DomainError> {
        let key = (account_id, name.to_owned());
        if let Some(env) = self.environment_cache.get(&key) {
            return Ok(env);
        }
        let generation = self.environment_cache.generation();
        let (_, env) = self.load(account_id, name).await?;
        let env = std::sync::Arc::new(env);
        self.environment_cache.insert(generation, key, env.clone());
        Ok(env)
    }

    async fn load(&self, account_id: i64, name: &str) -> Result<(i64, Environment), DomainError> {
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
        let id: i64 = row.get("id");
        let rows = sqlx::query(
            "select id, node_group, node_type, count from nodes where environment_id = $1 order by id",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .context("read nodes")?;
        let name: String = row.get("name");
        let (scheme, host) = platform_host(&self.settings.public_url);
        let domain = format!("{name}.{host}");
        let mut nodes = Vec::with_capacity(rows.len());
        let mut containers = Vec::new();
        for r in rows {
            let group = NodeGroup {
                node_group: r.get("node_group"),
                node_type: r.get("node_type"),
                count: r.get("count"),
            };
            containers.extend(Node::of_group(r.get("id"), &group, scheme, &domain));
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
        .map(|r| Deployment { context: r.get("context"), file_name: r.get("file_name"), file_url: r.get("file_url"), deployed_at: from_unix(r.get("updated_at")) })
        .collect();
        let status = Status::from_code(row.get("status")).with_context(|| "stored status")?;
        Ok((
            id,
            Environment {
                id,
                name,
                domain,
                display_name: row.get("display_name"),
                status,
                app_id: row.get("app_id"),
                created_at: from_unix(row.get("created_at")),
                updated_at: from_unix(row.get("updated_at")),
                nodes,
                containers,
                deployments,
            },
        ))
    }

    pub async fn create(
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
        self.audit()
            .record(
                Some(caller.account.id),
                "env.create",
                Outcome::Ok,
                Some(name.as_str()),
                &caller.actor,
                &caller.origin,
            )
            .await?;
        Ok(self.load(caller.account.id, name.as_str()).await?.1)
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
            let (id, env) = self.load(caller.account.id, name.as_str()).await?;
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
                self.changes()
                    .commit(
                        tx,
                        Change::Environments(caller.account.id),
                        "commit environment status",
                    )
                    .await?;
                let label = format!("env.{}", format!("{action:?}").to_lowercase());
                self.audit()
                    .record(
                        Some(caller.account.id),
                        &label,
                        Outcome::Ok,
                        Some(name.as_str()),
                        &caller.actor,
                        &caller.origin,
                    )
                    .await?;
                return Ok(self.load(caller.account.id, name.as_str()).await?.1);
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
        let env = self.get(caller.account.id, name).await?;
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

    pub async fn delete(
        &self,
        caller: &Caller,
        password: &str,
        name: &EnvName,
    ) -> Result<(), DomainError> {
        let (id, _) = self.load(caller.account.id, name.as_str()).await?;
        self.passwords()
            .confirm(caller.account.id, password, &caller.origin)
            .await?;
        let mut tx = self.db.begin().await.context("begin")?;
        sqlx::query("delete from environments where id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .context("delete environment")?;
        self.changes()
            .commit(
                tx,
                // A token limited to it held it by name in memory: every replica forgets
                // the account's tokens too, so a new environment under the same name is
                // not taken for it.
                Change::Account(caller.account.id),
                "commit environment removal",
            )
            .await?;
        self.audit()
            .record(
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
        let (id, env) = self.load(caller.account.id, name.as_str()).await?;
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
        self.changes()
            .commit(
                tx,
                Change::Environments(caller.account.id),
                "commit deployment",
            )
            .await?;
        self.audit()
            .record(
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
        self.create(caller, name, Some(app.name), &nodes, Some(app.id))
            .await
    }
}
