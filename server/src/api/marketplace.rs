//! `marketplace.app`.

use domain::catalogue::Method;
use domain::environments::EnvName;
use domain::marketplace::{self, App};
use domain::tokens::clip;
use domain::{Caller, DomainError, Platform};
use serde_json::{json, Value};

use super::{fields, views, Params, Reply};

fn app_json(app: &App) -> Value {
    json!({
        "id": app.id,
        "name": app.name,
        "description": app.description,
        "nodes": app.nodes.iter().map(|(group, kind, count)| json!({ "nodeGroup": group, "nodeType": kind, "count": count })).collect::<Vec<_>>(),
    })
}

pub async fn call(platform: &Platform, method: &Method, caller: &Caller, params: &Params) -> Reply {
    match method.name() {
        "GetList" => {
            let apps = marketplace::search(params.optional("search")?.unwrap_or_default());
            Ok(fields(
                json!({ "apps": apps.into_iter().map(app_json).collect::<Vec<_>>() }),
            ))
        }
        "GetAppInfo" => {
            let id = params.required("id")?;
            let app = marketplace::app(id)
                .ok_or_else(|| DomainError::NotFound(format!("no app \"{}\"", clip(id))))?;
            Ok(fields(json!({ "app": app_json(app) })))
        }
        "Install" => {
            let id = params.required("id")?;
            let name = EnvName::parse(params.single("envName")?.unwrap_or_default())?;
            let env = platform.environments().install(caller, id, &name).await?;
            Ok(fields(views::environment(&env)))
        }
        _ => Err(DomainError::NotFound(format!("no method {}", method.id))),
    }
}
