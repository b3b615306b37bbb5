//! `marketplace.app`.

use domain::catalogue::Method;
use domain::marketplace::{self, App};
use domain::tokens::clip;
use domain::{Caller, DomainError, Platform};
use serde::{Deserialize, Serialize};
use wire::{decode, Required};

use super::views::EnvironmentView;
use super::{reply, Params, Reply, Target};

#[derive(Deserialize)]
struct Search {
    search: Option<String>,
}

#[derive(Deserialize)]
struct Install {
    id: Required,
}

#[derive(Deserialize)]
struct AppId {
    id: Required,
}

#[derive(Serialize)]
struct AppView {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    nodes: Vec<AppNode>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AppNode {
    node_group: &'static str,
    node_type: &'static str,
    count: i64,
}

impl AppView {
    fn of(app: &App) -> Self {
        Self {
            id: app.id,
            name: app.name,
            description: app.description,
            nodes: app
                .nodes
                .iter()
                .map(|&(node_group, node_type, count)| AppNode {
                    node_group,
                    node_type,
                    count,
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct Apps {
    apps: Vec<AppView>,
}

#[derive(Serialize)]
struct OneApp {
    app: AppView,
}

pub async fn call(
    platform: &Platform,
    method: &Method,
    caller: &Caller,
    params: &Params,
    env: Target,
) -> Reply {
    match method.name() {
        "GetList" => {
            let Search { search } = decode(method, params)?;
            let apps = marketplace::search(search.as_deref().unwrap_or_default());
            reply(Apps {
                apps: apps.into_iter().map(AppView::of).collect(),
            })
        }
        "GetAppInfo" => {
            let AppId { id } = decode(method, params)?;
            let app = marketplace::app(&id.0)
                .ok_or_else(|| DomainError::NotFound(format!("no app \"{}\"", clip(&id.0))))?;
            reply(OneApp {
                app: AppView::of(app),
            })
        }
        "Install" => {
            let input: Install = decode(method, params)?;
            let name = super::environment::target(env)?;
            let env = platform
                .environments()
                .install(caller, &input.id.0, &name)
                .await?;
            reply(EnvironmentView::of(&env))
        }
        _ => Err(DomainError::NotFound(format!("no method {}", method.id))),
    }
}
