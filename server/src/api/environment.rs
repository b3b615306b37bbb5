//! `environment.control`.

use domain::catalogue::Method;
use domain::environments::{Action, EnvName};
use domain::{Caller, DomainError, Platform};
use serde::{Deserialize, Serialize};
use wire::{decode, node_groups, NewEnv, Password, Required};

use super::views::{DeploymentView, Empty, EnvironmentView};
use super::{reply, Params, Reply, Target};

#[derive(Deserialize)]
struct CreateEnvironment {
    env: Required,
    nodes: Required,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RestartNodes {
    node_group: Option<String>,
}

#[derive(Deserialize)]
struct DeleteEnv {
    password: Password,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeployApp {
    file_url: Required,
    file_name: Required,
    context: Option<String>,
}

/// jelastic-client reads a new environment under `response`.
#[derive(Serialize)]
struct Created<'a> {
    #[serde(flatten)]
    environment: &'a EnvironmentView<'a>,
    response: CreatedResponse<'a>,
}

#[derive(Serialize)]
struct CreatedResponse<'a> {
    #[serde(flatten)]
    environment: &'a EnvironmentView<'a>,
    result: i64,
}

#[derive(Serialize)]
struct Infos<'a> {
    infos: Vec<EnvironmentView<'a>>,
}

#[derive(Serialize)]
struct Restarted {
    restarted: i64,
}

#[derive(Serialize)]
struct Deployed<'a> {
    deployment: DeploymentView<'a>,
}

/// The environment the call names, exactly as it was authorised.
pub(super) fn target(env: Target) -> Result<EnvName, DomainError> {
    env?.ok_or(DomainError::Internal)
}

pub async fn call(
    platform: &Platform,
    method: &Method,
    caller: &Caller,
    params: &Params,
    env: Target,
) -> Reply {
    let named = || target(env.clone());
    match method.name() {
        "CreateEnvironment" => {
            let name = named()?;
            let input: CreateEnvironment = decode(method, params)?;
            let new = NewEnv::parse(&input.env.0)?;
            let nodes = node_groups(&input.nodes.0)?;
            let created = platform
                .environments()
                .create(caller, &name, new.display_name.as_deref(), &nodes, None)
                .await?;
            let environment = EnvironmentView::of(&created);
            reply(Created {
                environment: &environment,
                response: CreatedResponse {
                    environment: &environment,
                    result: 0,
                },
            })
        }
        "GetEnvs" => {
            let envs = platform.environments().visible(caller).await?;
            reply(Infos {
                infos: envs.iter().map(EnvironmentView::of).collect(),
            })
        }
        "GetEnvInfo" => {
            let env = platform
                .environments()
                .get(caller.account.id, &named()?)
                .await?;
            reply(EnvironmentView::of(&env))
        }
        "StartEnv" | "StopEnv" | "SleepEnv" => {
            let action = match method.name() {
                "StartEnv" => Action::Start,
                "StopEnv" => Action::Stop,
                _ => Action::Sleep,
            };
            platform
                .environments()
                .change_status(caller, &named()?, action)
                .await?;
            reply(Empty {})
        }
        "RestartNodes" => {
            let name = named()?;
            let input: RestartNodes = decode(method, params)?;
            let restarted = platform
                .environments()
                .restart_nodes(caller, &name, input.node_group.as_deref())
                .await?;
            reply(Restarted { restarted })
        }
        "DeleteEnv" => {
            let name = named()?;
            let input: DeleteEnv = decode(method, params)?;
            platform
                .environments()
                .delete(caller, input.password.expose(), &name)
                .await?;
            reply(Empty {})
        }
        "DeployApp" => {
            let name = named()?;
            let input: DeployApp = decode(method, params)?;
            let deployment = platform
                .environments()
                .deploy(
                    caller,
                    &name,
                    &input.file_url.0,
                    &input.file_name.0,
                    input.context.as_deref(),
                )
                .await?;
            reply(Deployed {
                deployment: DeploymentView::of(&deployment),
            })
        }
        _ => Err(DomainError::NotFound(format!("no method {}", method.id))),
    }
}
