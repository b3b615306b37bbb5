//! Words that depend on data: a method's summary, an environment's status, a log entry's
//! action, an error's result code, each in the page's language.

use domain::audit::AuditFilter;
use domain::environments::Status;
use domain::ResultCode;

use crate::error::AppError;
use crate::i18n::{td_string, Locale};

type I18n = crate::locale::I18n;

/// The environments a token reaches, in a few words: All, their names and patterns, or
/// None left (every environment it was limited to is gone).
pub fn scope_text(i18n: I18n, names: &Option<Vec<String>>) -> String {
    match names {
        None => td_string!(i18n.get(), tokens.envs_all).to_owned(),
        Some(names) if names.is_empty() => td_string!(i18n.get(), tokens.envs_none).to_owned(),
        Some(names) => names.join(", "),
    }
}

/// The one-line summary of an API method, for the method picker.
pub fn method_summary(i18n: I18n, id: &str) -> &'static str {
    match id {
        "users.authentication.Signin" => td_string!(i18n.get(), method.signin),
        "users.authentication.Signout" => td_string!(i18n.get(), method.signout),
        "users.authentication.CheckSign" => td_string!(i18n.get(), method.check_sign),
        "users.authentication.GetSessions" => td_string!(i18n.get(), method.get_sessions),
        "users.authentication.SignoutSessions" => td_string!(i18n.get(), method.signout_sessions),
        "users.authentication.CreateToken" => td_string!(i18n.get(), method.create_token),
        "users.authentication.EditToken" => td_string!(i18n.get(), method.edit_token),
        "users.authentication.RegenerateToken" => td_string!(i18n.get(), method.regenerate_token),
        "users.authentication.DeleteTokens" => td_string!(i18n.get(), method.delete_tokens),
        "users.authentication.GetTokens" => td_string!(i18n.get(), method.get_tokens),
        "users.authentication.GetTokenApiList" => td_string!(i18n.get(), method.get_token_api_list),
        "users.authentication.GetTokenTemplates" => {
            td_string!(i18n.get(), method.get_token_templates)
        }
        "users.authentication.VerifyToken" => td_string!(i18n.get(), method.verify_token),
        "users.account.GetUserInfo" => td_string!(i18n.get(), method.get_user_info),
        "users.account.ChangePassword" => td_string!(i18n.get(), method.change_password),
        "environment.control.CreateEnvironment" => {
            td_string!(i18n.get(), method.create_environment)
        }
        "environment.control.GetEnvs" => td_string!(i18n.get(), method.get_envs),
        "environment.control.GetEnvInfo" => td_string!(i18n.get(), method.get_env_info),
        "environment.control.StartEnv" => td_string!(i18n.get(), method.start_env),
        "environment.control.StopEnv" => td_string!(i18n.get(), method.stop_env),
        "environment.control.SleepEnv" => td_string!(i18n.get(), method.sleep_env),
        "environment.control.RestartNodes" => td_string!(i18n.get(), method.restart_nodes),
        "environment.control.DeleteEnv" => td_string!(i18n.get(), method.delete_env),
        "environment.control.DeployApp" => td_string!(i18n.get(), method.deploy_app),
        "storage.uploader.Upload" => td_string!(i18n.get(), method.upload),
        "storage.uploader.GetUploads" => td_string!(i18n.get(), method.get_uploads),
        "storage.uploader.DeleteUploads" => td_string!(i18n.get(), method.delete_uploads),
        "marketplace.app.GetList" => td_string!(i18n.get(), method.get_list),
        "marketplace.app.GetAppInfo" => td_string!(i18n.get(), method.get_app_info),
        "marketplace.app.Install" => td_string!(i18n.get(), method.install),
        _ => "",
    }
}

pub fn status(i18n: I18n, status: Status) -> &'static str {
    match status {
        Status::Running => td_string!(i18n.get(), home.running),
        Status::Stopped => td_string!(i18n.get(), home.stopped),
        Status::Sleeping => td_string!(i18n.get(), home.sleeping),
    }
}

pub fn audit_filter(i18n: I18n, filter: AuditFilter) -> &'static str {
    match filter {
        AuditFilter::All => td_string!(i18n.get(), log.filter_all),
        AuditFilter::TokenChanges => td_string!(i18n.get(), log.filter_tokens),
        AuditFilter::Denied => td_string!(i18n.get(), log.filter_denied),
        AuditFilter::SignIns => td_string!(i18n.get(), log.filter_signins),
    }
}

/// What a log entry's action code means.
pub fn audit_action(i18n: I18n, action: &str) -> &'static str {
    match action {
        "token.create" => td_string!(i18n.get(), log.action_token_create),
        "token.edit" => td_string!(i18n.get(), log.action_token_edit),
        "token.regenerate" => td_string!(i18n.get(), log.action_token_regenerate),
        "token.delete" => td_string!(i18n.get(), log.action_token_delete),
        "token.revoke_all" => td_string!(i18n.get(), log.action_token_revoke_all),
        "share.create" => td_string!(i18n.get(), log.action_share_create),
        "share.open" => td_string!(i18n.get(), log.action_share_open),
        "share.cancel" => td_string!(i18n.get(), log.action_share_cancel),
        "session.signout_others" => td_string!(i18n.get(), log.action_session_signout_others),
        "account.disable" => td_string!(i18n.get(), log.action_account_disable),
        "account.enable" => td_string!(i18n.get(), log.action_account_enable),
        "signin" => td_string!(i18n.get(), log.action_signin),
        "twofactor.enable" => td_string!(i18n.get(), log.action_twofactor_enable),
        "twofactor.disable" => td_string!(i18n.get(), log.action_twofactor_disable),
        "twofactor.reset" => td_string!(i18n.get(), log.action_twofactor_reset),
        "twofactor.recovery_codes" => td_string!(i18n.get(), log.action_twofactor_recovery_codes),
        "twofactor.recovery_used" => td_string!(i18n.get(), log.action_twofactor_recovery_used),
        "twofactor.code" => td_string!(i18n.get(), log.action_twofactor_code),
        "password.confirm" => td_string!(i18n.get(), log.action_password_confirm),
        "api.call" => td_string!(i18n.get(), log.action_api_call),
        "api.address" => td_string!(i18n.get(), log.action_api_address),
        "api.scope" => td_string!(i18n.get(), log.action_api_scope),
        "password.reset" => td_string!(i18n.get(), log.action_password_reset),
        "passkey.add" => td_string!(i18n.get(), log.action_passkey_add),
        "passkey.rename" => td_string!(i18n.get(), log.action_passkey_rename),
        "passkey.remove" => td_string!(i18n.get(), log.action_passkey_remove),
        "passkey.remove_all" => td_string!(i18n.get(), log.action_passkey_remove_all),
        "password.reset_link" => td_string!(i18n.get(), log.action_password_reset_link),
        "password.change" => td_string!(i18n.get(), log.action_password_change),
        "account.create" => td_string!(i18n.get(), log.action_account_create),
        "account.email_change_asked" => td_string!(i18n.get(), log.action_email_change_asked),
        "account.email_change" => td_string!(i18n.get(), log.action_email_change),
        "account.signin_notices_on" => td_string!(i18n.get(), log.action_signin_notices_on),
        "account.signin_notices_off" => td_string!(i18n.get(), log.action_signin_notices_off),
        "env.create" => td_string!(i18n.get(), log.action_env_create),
        "env.delete" => td_string!(i18n.get(), log.action_env_delete),
        "env.deploy" => td_string!(i18n.get(), log.action_env_deploy),
        "env.start" => td_string!(i18n.get(), log.action_env_start),
        "env.stop" => td_string!(i18n.get(), log.action_env_stop),
        "env.sleep" => td_string!(i18n.get(), log.action_env_sleep),
        "env.restart" => td_string!(i18n.get(), log.action_env_restart),
        _ => td_string!(i18n.get(), log.action_other),
    }
}

pub fn audit_outcome(i18n: I18n, outcome: &str) -> String {
    match outcome {
        "ok" => td_string!(i18n.get(), log.outcome_ok).to_owned(),
        "denied" => td_string!(i18n.get(), log.outcome_denied).to_owned(),
        "failed" => td_string!(i18n.get(), log.outcome_failed).to_owned(),
        other => other.to_owned(),
    }
}

/// Who acted, as the log stores it (`password`, `session`, `token <hint>`).
pub fn audit_actor(i18n: I18n, actor: &str) -> String {
    match actor {
        "password" => td_string!(i18n.get(), log.by_password).to_owned(),
        "session" => td_string!(i18n.get(), log.by_session).to_owned(),
        "operator" => td_string!(i18n.get(), log.by_operator).to_owned(),
        "share link" => td_string!(i18n.get(), log.by_share_link).to_owned(),
        _ => match actor.strip_prefix("token ") {
            Some(hint) => td_string!(i18n.get(), log.by_token, hint).to_string(),
            None => actor.to_owned(),
        },
    }
}

/// What the person is told about a refused change. In English the server's sentence
/// says exactly what was wrong; other languages get their own sentence for the result
/// code (the API's sentences are English only).
pub fn error(i18n: I18n, e: &AppError) -> String {
    let Some(code) = e.code() else {
        return td_string!(i18n.get(), errors.offline).to_owned();
    };
    if i18n.get() == Locale::en {
        return e.message();
    }
    match code {
        ResultCode::Ok | ResultCode::ErrorUnknown => td_string!(i18n.get(), errors.unknown),
        ResultCode::InvalidParam => td_string!(i18n.get(), errors.invalid),
        ResultCode::NotFound => td_string!(i18n.get(), errors.not_found),
        ResultCode::EnvNotExist => td_string!(i18n.get(), errors.env_missing),
        ResultCode::EnvAlreadyExists => td_string!(i18n.get(), errors.env_exists),
        ResultCode::UserNotAuthenticated => td_string!(i18n.get(), errors.signed_out),
        ResultCode::WrongPassword => td_string!(i18n.get(), errors.wrong_password),
        ResultCode::TooManyAttempts => td_string!(i18n.get(), errors.too_many),
        ResultCode::TwoFactorCode => td_string!(i18n.get(), errors.code_wrong),
        ResultCode::NotAllowedForStatus => td_string!(i18n.get(), errors.wrong_status),
        ResultCode::PermissionDenied => td_string!(i18n.get(), errors.denied),
    }
    .to_owned()
}

/// What the sign-in page says about a refusal: only its own sentences, chosen by the
/// result code. Without scripts the page learns of a refusal from its own URL, which
/// anyone can write, so nothing of the refusal's text is shown.
/// `None` when the refusal only asks for the two-factor code (the page asks for it).
pub fn signin_error(i18n: I18n, e: &AppError) -> Option<String> {
    let message = e.message();
    let text = match e.code() {
        None => td_string!(i18n.get(), errors.offline),
        Some(ResultCode::TwoFactorCode) if !message.contains("wrong") => return None,
        Some(ResultCode::TwoFactorCode) => td_string!(i18n.get(), errors.code_wrong),
        Some(ResultCode::InvalidParam) if message.starts_with("Code") => {
            td_string!(i18n.get(), errors.code_wrong)
        }
        Some(ResultCode::WrongPassword | ResultCode::InvalidParam) => {
            td_string!(i18n.get(), errors.signin_failed)
        }
        Some(ResultCode::TooManyAttempts) => td_string!(i18n.get(), errors.too_many),
        Some(ResultCode::UserNotAuthenticated) if message.contains("disabled") => {
            td_string!(i18n.get(), errors.disabled)
        }
        Some(_) => td_string!(i18n.get(), errors.unknown),
    };
    Some(text.to_owned())
}

/// What the sign-up page says about a refusal, in its own sentences: the refusal's
/// text only picks which one (it may come from the page's URL).
pub fn signup_error(i18n: I18n, e: &AppError) -> String {
    let message = e.message();
    match e.code() {
        None => td_string!(i18n.get(), errors.offline),
        Some(ResultCode::InvalidParam) if message.contains("already registered") => {
            td_string!(i18n.get(), signup.taken)
        }
        Some(ResultCode::InvalidParam) if message.contains("sign-up is closed") => {
            td_string!(i18n.get(), signup.closed)
        }
        Some(ResultCode::InvalidParam) => td_string!(i18n.get(), signup.invalid),
        Some(ResultCode::TooManyAttempts) => td_string!(i18n.get(), signup.too_many),
        Some(_) => td_string!(i18n.get(), errors.unknown),
    }
    .to_owned()
}
