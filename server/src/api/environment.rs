//! `environment.control`.

use domain::catalogue::Method;
use domain::environments::{Action, EnvName, NodeGroup};
use domain::{Caller, DomainError, Platform};
use serde_json::{json, Value};

use super::{fields, views, Params, Reply};

pub async fn call(platform: &Platform, method: &Method, caller: &Caller, params: &Params) -> Reply {
    let account = caller.account.id;
    let env_name = || -> Result<EnvName, DomainError> {
        EnvName::parse(params.single("envName")?.unwrap_or_default())
    };
    match method.name() {
        "CreateEnvironment" => {
            let env: Value = serde_json::from_str(params.required("env")?)
                .map_err(|_| DomainError::param("env", "is not valid JSON"))?;
            let name = env
                .get("shortdomain")
                .and_then(Value::as_str)
                .ok_or_else(|| DomainError::param("env", "needs a shortdomain"))?;
            let name = EnvName::parse(name)
                .map_err(|e| DomainError::param("env", format!("shortdomain: {e}")))?;
            let display = env.get("displayName").and_then(Value::as_str);
            let nodes = NodeGroup::parse_list(params.required("nodes")?)?;
            let created = platform
                .environments()
                .create(caller, &name, display, &nodes, None)
                .await?;
            // jelastic-client reads the new environment under `response`.
            let mut answer = views::environment(&created);
            let mut inner = answer.clone();
            inner["result"] = json!(0);
            answer["response"] = inner;
            Ok(fields(answer))
        }
        "GetEnvs" => {
            let envs = platform.environments().list(account).await?;
            Ok(fields(json!({
                "infos": envs.iter().map(views::environment).collect::<Vec<_>>(),
            })))
        }
        "GetEnvInfo" => {
            let env = platform.environments().get(account, &env_name()?).await?;
            Ok(fields(views::environment(&env)))
        }
        "StartEnv" | "StopEnv" | "SleepEnv" => {
            let action = match method.name() {
                "StartEnv" => Action::Start,
                "StopEnv" => Action::Stop,
                _ => Action::Sleep,
            };
            platform
                .environments()
                .change_status(caller, &env_name()?, action)
                .await?;
            Ok(fields(json!({})))
        }
        "RestartNodes" => {
            let restarted = platform
                .environments()
                .restart_nodes(caller, &env_name()?, params.optional("nodeGroup")?)
                .await?;
            Ok(fields(json!({ "restarted": restarted })))
        }
        "DeleteEnv" => {
            let name = env_name()?;
            let password = params.password("password")?;
            platform
                .environments()
                .delete(caller, password, &name)
                .await?;
            Ok(fields(json!({})))
        }
        "DeployApp" => {
            let name = env_name()?;
            let deployment = platform
                .environments()
                .deploy(
                    caller,
                    &name,
                    params.required("fileUrl")?,
                    params.required("fileName")?,
                    params.optional("context")?,
                )
                .await?;
            Ok(fields(json!({ "deployment": {
                "context": deployment.context,
                "fileName": deployment.file_name,
                "fileUrl": deployment.file_url,
                "deployedAt": views::time(deployment.deployed_at),
            } })))
        }
        _ => Err(DomainError::NotFound(format!("no method {}", method.id))),
    }
}
