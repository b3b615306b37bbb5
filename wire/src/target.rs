//! The environment a call names or creates, read once at the edge: the authorisation
//! entry checks a limited token's scope against it, and the method then acts on exactly
//! that name (it never reads the name again).

use domain::catalogue::{Method, Reach};
use domain::environments::EnvName;
use domain::DomainError;
use serde::Deserialize;
use serde_json::Value;

use crate::de::decode;
use crate::params::Params;

#[derive(Deserialize)]
struct Created {
    env: Option<String>,
}

/// What `CreateEnvironment`'s `env` describes: the name (its `shortdomain`) and the
/// display name, if any.
pub struct NewEnv {
    pub name: EnvName,
    pub display_name: Option<String>,
}

impl NewEnv {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let env: Value = serde_json::from_str(raw)
            .map_err(|_| DomainError::param("env", "is not valid JSON"))?;
        let name = env
            .get("shortdomain")
            .and_then(Value::as_str)
            .ok_or_else(|| DomainError::param("env", "needs a shortdomain"))?;
        let name = EnvName::parse(name)
            .map_err(|e| DomainError::param("env", format!("shortdomain: {e}")))?;
        let display_name = env
            .get("displayName")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(Self { name, display_name })
    }
}

/// The environment `method` names or creates (`None` for a method that names none), or
/// why the call's parameters do not say one.
pub fn env_target(method: &Method, params: &Params) -> Result<Option<EnvName>, DomainError> {
    match method.reach {
        Reach::None | Reach::Lists => Ok(None),
        Reach::Creates if method.params.iter().any(|p| p.name == "env") => {
            let Created { env } = decode(method, params)?;
            let env = env.ok_or_else(|| DomainError::param("env", "is required"))?;
            NewEnv::parse(&env).map(|new| Some(new.name))
        }
        // Read in place: every call of such a method passes here, and decoding a
        // struct copies the value (the catalogue declares `envName` for each; a test
        // holds it to that).
        Reach::Named | Reach::Creates => {
            EnvName::parse(params.single("envName")?.unwrap_or_default()).map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::catalogue;

    fn params(query: &str) -> Params {
        Params::from_urlencoded(query).unwrap()
    }

    #[test]
    fn the_target_is_the_name_the_method_acts_on() {
        let stop = catalogue::method("environment.control.StopEnv").unwrap();
        let got = env_target(stop, &params("envname=%20My-Project")).unwrap();
        assert_eq!(got.unwrap().as_str(), "my-project");
        assert!(env_target(stop, &params("envName=a&envName=b")).is_err());
        assert_eq!(
            env_target(stop, &params("")).unwrap_err().code().number(),
            3
        );

        let create = catalogue::method("environment.control.CreateEnvironment").unwrap();
        let env = r#"env=%7B%22shortdomain%22%3A%22ci-7%22%7D"#;
        assert_eq!(
            env_target(create, &params(env)).unwrap().unwrap().as_str(),
            "ci-7"
        );
        assert!(env_target(create, &params("env=%7B%7D")).is_err());

        let install = catalogue::method("marketplace.app.Install").unwrap();
        let got = env_target(install, &params("id=wordpress&envName=blog")).unwrap();
        assert_eq!(got.unwrap().as_str(), "blog");

        let list = catalogue::method("environment.control.GetEnvs").unwrap();
        assert_eq!(env_target(list, &params("envName=x")).unwrap(), None);
    }

    #[test]
    fn every_method_that_names_an_environment_declares_env_name() {
        for method in catalogue::methods() {
            let creates_from_env = method.params.iter().any(|p| p.name == "env");
            let named = match method.reach {
                Reach::Named => true,
                Reach::Creates => !creates_from_env,
                Reach::None | Reach::Lists => false,
            };
            if named {
                assert!(
                    method.params.iter().any(|p| p.name == "envName"),
                    "{} names an environment but declares no envName",
                    method.id
                );
            }
        }
    }
}
