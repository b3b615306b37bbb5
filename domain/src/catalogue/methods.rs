//! The catalogue's table: every method of the API, with its parameters, the credential
//! it needs, its docs and what it answers. Everything else reads it from here.

use super::ParamKind::{DateTime, File, Json, List, Password, Text};
use super::{Access, Method, Param, ParamKind};
use crate::error::ResultCode as R;

const fn p(name: &'static str, kind: ParamKind, description: &'static str) -> Param {
    Param {
        name,
        kind,
        required: true,
        description,
    }
}

const fn opt(name: &'static str, kind: ParamKind, description: &'static str) -> Param {
    Param {
        name,
        kind,
        required: false,
        description,
    }
}

const fn pk(kind: ParamKind, name: &'static str, description: &'static str) -> Param {
    p(name, kind, description)
}

const ENV_NAME: Param = pk(
    Text,
    "envName",
    "The environment's name (its short domain), e.g. `my-project`.",
);
const PASSWORD: Param = pk(
    Password,
    "password",
    "The account password, confirming the change.",
);

pub(super) static METHODS: &[Method] = &[
    // users.authentication
    Method {
        id: "users.authentication.Signin",
        access: Access::Public,
        summary: "Sign in with email and password (and a two-factor code) and get a session.",
        docs: "Checks the email and password and opens a session. The returned `session` value authenticates later calls in the `session` parameter until it is signed out or expires. Failed attempts are rate-limited per account and per address. An account with two-factor sign-in on also needs `code`: without it, or with a wrong or already used one, the answer is 704 (after a right password) and no session is opened. Codes are limited to 5 wrong ones per account in 15 minutes. Scripts should not sign in at all: a personal access token works without any code.",
        params: &[
            pk(Text, "login", "The account's email address."),
            pk(Password, "password", "The account password."),
            opt("code", Password, "For accounts with two-factor sign-in: the 6-digit code the authenticator app shows now, or one of the account's recovery codes (each works once)."),
        ],
        returns: "`session` (the session value), `uid` (the account id), `email`.",
        errors: &[R::InvalidParam, R::WrongPassword, R::TooManyAttempts, R::TwoFactorCode],
    },
    Method {
        id: "users.authentication.Signout",
        access: Access::SessionOnly,
        summary: "End the current session.",
        docs: "Ends the session passed in `session`. Any later call with it fails with 701.",
        params: &[],
        returns: "Nothing beside `result`.",
        errors: &[],
    },
    Method {
        id: "users.authentication.CheckSign",
        access: Access::SessionOnly,
        summary: "Check that the current session is still valid.",
        docs: "Answers `result: 0` while the session is valid and 701 once it has expired or been signed out.",
        params: &[],
        returns: "`uid` and `email` of the signed-in account.",
        errors: &[],
    },
    Method {
        id: "users.authentication.GetSessions",
        access: Access::SessionOnly,
        summary: "List the account's open sessions.",
        docs: "Lists every open session of the account with when and from where it was opened and last used; the calling session is marked `current`.",
        params: &[],
        returns: "`sessions[]`: `id`, `createdAt`, `lastUsed`, `ip`, `userAgent`, `current`.",
        errors: &[],
    },
    Method {
        id: "users.authentication.SignoutSessions",
        access: Access::SessionOnly,
        summary: "End chosen sessions of the account.",
        docs: "Ends the listed sessions. Ids of sessions that are not the account's are refused with 5 and nothing is ended.",
        params: &[pk(List, "ids", "Session ids, separated by `,` or `;`.")],
        returns: "`count`: how many sessions were ended.",
        errors: &[R::InvalidParam, R::NotFound],
    },
    Method {
        id: "users.authentication.CreateToken",
        access: Access::SessionOnly,
        summary: "Generate a personal access token.",
        docs: "Creates a token with a description, an optional expiry date and an API set: a predefined one named in `tokenTemplate`, or Custom with exactly the methods in `apiList`. The token value is in `token.key` of this response only; it is never shown again.",
        params: &[
            PASSWORD,
            pk(Text, "description", "What the token is for, 1 to 255 characters."),
            opt("tokenTemplate", Text, "A predefined API set: `extended-access`, `ide-plugins`, `marketplace` or `maven-plugin`."),
            opt("apiList", List, "For a Custom set: method ids, as a JSON array or separated by `,`."),
            opt("expiresAt", DateTime, "Last moment of validity: `yyyy-MM-dd HH:mm:ss` (UTC) or `yyyy-MM-dd` (through the end of that day). Absent: no expiry."),
            opt("allowedIps", List, "Networks the token may be used from, e.g. `203.0.113.0/24, 2001:db8::/32`; calls from elsewhere get 701. Absent: anywhere."),
        ],
        returns: "`token`: `id`, `key`, `description`, `expiresAt`, `createdAt`, `tokenTemplate`, `apiListItems[]`, `hint`.",
        errors: &[R::InvalidParam, R::WrongPassword, R::TooManyAttempts],
    },
    Method {
        id: "users.authentication.EditToken",
        access: Access::SessionOnly,
        summary: "Change a token's description, expiry or API set.",
        docs: "Changes the given fields of a token and leaves the others as they are; its value stays valid. An empty `expiresAt` removes the expiry.",
        params: &[
            PASSWORD,
            pk(Text, "id", "The token id."),
            opt("description", Text, "A new description."),
            opt("tokenTemplate", Text, "A new predefined API set."),
            opt("apiList", List, "A new Custom method list."),
            opt("expiresAt", DateTime, "A new expiry; empty for none."),
            opt("allowedIps", List, "A new list of networks; empty for anywhere."),
        ],
        returns: "`token` without `key`.",
        errors: &[R::InvalidParam, R::NotFound, R::WrongPassword, R::TooManyAttempts],
    },
    Method {
        id: "users.authentication.RegenerateToken",
        access: Access::SessionOnly,
        summary: "Give a token a new value; the old value stops working.",
        docs: "Replaces the token's value and keeps everything else. The old value is refused from the moment this call answers. An expired token can be given a new `expiresAt` at the same time. The token is named by `id`, or by `ids` listing exactly one id (as py-jelastic sends it).",
        params: &[
            PASSWORD,
            opt("id", Text, "The token id."),
            opt("ids", List, "The token id, for clients that send it as a list of one."),
            opt("expiresAt", DateTime, "A new expiry, for a token that has expired."),
        ],
        returns: "`token` with the new `key`, shown this once.",
        errors: &[R::InvalidParam, R::NotFound, R::WrongPassword, R::TooManyAttempts],
    },
    Method {
        id: "users.authentication.DeleteTokens",
        access: Access::SessionOnly,
        summary: "Remove tokens.",
        docs: "Removes the listed tokens at once; their values are refused from the moment this call answers. If any id is not one of the account's tokens, nothing is removed.",
        params: &[PASSWORD, pk(List, "ids", "Token ids, separated by `,` or `;`.")],
        returns: "`count`: how many tokens were removed.",
        errors: &[R::InvalidParam, R::NotFound, R::WrongPassword, R::TooManyAttempts],
    },
    Method {
        id: "users.authentication.GetTokens",
        access: Access::SessionOnly,
        summary: "List the account's tokens.",
        docs: "Lists the account's tokens, or only those in `ids`. Token values are never listed; `hint` tells them apart.",
        params: &[opt("ids", List, "Token ids to list; absent or `*` lists all.")],
        returns: "`apiTokens[]`: `id`, `description`, `expiresAt`, `lastUsed`, `createdAt`, `tokenTemplate`, `apiListItems[]`, `hint`.",
        errors: &[R::InvalidParam],
    },
    Method {
        id: "users.authentication.GetTokenApiList",
        access: Access::SessionOnly,
        summary: "List the methods a token can be granted.",
        docs: "Lists every method a Custom token can be granted, optionally filtered by a search over ids and summaries.",
        params: &[opt("search", Text, "Text to look for in method ids and summaries.")],
        returns: "`tokenPermissions[]`: `method`, `service`, `summary`, `docsUrl`.",
        errors: &[],
    },
    Method {
        id: "users.authentication.GetTokenTemplates",
        access: Access::SessionOnly,
        summary: "List the predefined API sets.",
        docs: "Lists the predefined API sets with the methods each grants today.",
        params: &[],
        returns: "`templates[]`: `id`, `name`, `apiList[]`.",
        errors: &[],
    },
    Method {
        id: "users.authentication.VerifyToken",
        access: Access::Own,
        summary: "Ask what the calling token is and what it may call.",
        docs: "Any valid token may call this about itself, whatever its API set, so a script can check its credential before it starts work. It answers with the token's id, description, hint, API set, the methods it may call and its expiry. Called with a session it says who is signed in. An expired, removed or unknown token gets 701.",
        params: &[],
        returns: "`credential` (`token` or `session`), `uid`, `email`; for a token also `token`: `id`, `description`, `hint`, `tokenTemplate`, `apiListItems[]`, `expiresAt`, `lastUsed`.",
        errors: &[],
    },
    // users.account
    Method {
        id: "users.account.GetUserInfo",
        access: Access::Grantable,
        summary: "Get the account's id and email.",
        docs: "Returns who the credential belongs to.",
        params: &[],
        returns: "`uid`, `email`, `createdAt`.",
        errors: &[],
    },
    Method {
        id: "users.account.ChangePassword",
        access: Access::SessionOnly,
        summary: "Change the account password.",
        docs: "Sets a new password (8 to 128 characters) after checking the old one. Every other session of the account is signed out.",
        params: &[
            pk(Password, "oldPassword", "The current password."),
            pk(Password, "newPassword", "The new password, 8 to 128 characters."),
        ],
        returns: "Nothing beside `result`.",
        errors: &[R::InvalidParam, R::WrongPassword, R::TooManyAttempts],
    },
    // environment.control
    Method {
        id: "environment.control.CreateEnvironment",
        access: Access::Grantable,
        summary: "Create an environment.",
        docs: "Creates a running environment. `env` is a JSON object whose `shortdomain` is the name (2 to 40 lower-case letters, digits and hyphens, starting with a letter); `nodes` is a JSON array of node groups (or one group as an object), each with `nodeType`, an optional `nodeGroup` and `count` (1 to 16). Null fields count as absent; a group may be named in `docker.nodeGroup`, and a node with only `docker.image` is of type `docker`. Without a group name a node goes where the platform puts its type: databases in `sqldb` or `nosqldb`, memcached in `cache`, balancers in `bl`, anything else in `cp`. Cloudlets and disk limits are accepted and not metered.",
        params: &[
            pk(Json, "env", "`{\"shortdomain\": \"my-project\"}`, optionally with `displayName`."),
            pk(Json, "nodes", "`[{\"nodeType\": \"nginx\", \"nodeGroup\": \"cp\", \"count\": 1}]`."),
        ],
        returns: "What `GetEnvInfo` answers for the new environment, at the top level and again under `response`.",
        errors: &[R::InvalidParam, R::EnvAlreadyExists],
    },
    Method {
        id: "environment.control.GetEnvs",
        access: Access::Grantable,
        summary: "List the account's environments.",
        docs: "Lists every environment of the account with its status and node groups.",
        params: &[],
        returns: "`infos[]`, each what `GetEnvInfo` answers (without `result`).",
        errors: &[],
    },
    Method {
        id: "environment.control.GetEnvInfo",
        access: Access::Grantable,
        summary: "Get one environment's status, nodes and deployments.",
        docs: "Returns the environment's status (1 running, 2 stopped, 4 sleeping), its node groups, its nodes (one per container, with ids and internal addresses that stay the same between calls) and what is deployed to it.",
        params: &[ENV_NAME],
        returns: "`env` (`envName`, `shortdomain`, `displayName`, `domain`, `status`, `sslstate`, `ishaenabled`, `hardwareNodeGroup`, `extdomains[]`, `appid`, `createdOn`), `envGroups[]`, `nodeGroups[]` (`name`, `nodeType`, `count`), `nodes[]` (`id`, `nodeGroup`, `nodeType`, `nodemission`, `name`, `intIP`, `url`, `status`, `ismaster`, `fixedCloudlets`, `flexibleCloudlets`, `diskLimit`), `deployments[]`.",
        errors: &[R::InvalidParam, R::EnvNotExist],
    },
    Method {
        id: "environment.control.StartEnv",
        access: Access::Grantable,
        summary: "Start a stopped or sleeping environment.",
        docs: "Starts the environment. A running environment answers 2212.",
        params: &[ENV_NAME],
        returns: "Nothing beside `result`.",
        errors: &[R::InvalidParam, R::EnvNotExist, R::NotAllowedForStatus],
    },
    Method {
        id: "environment.control.StopEnv",
        access: Access::Grantable,
        summary: "Stop a running or sleeping environment.",
        docs: "Stops the environment; the dashboard shows it stopped. A stopped environment answers 2212.",
        params: &[ENV_NAME],
        returns: "Nothing beside `result`.",
        errors: &[R::InvalidParam, R::EnvNotExist, R::NotAllowedForStatus],
    },
    Method {
        id: "environment.control.SleepEnv",
        access: Access::Grantable,
        summary: "Put a running environment to sleep.",
        docs: "Hibernates a running environment; it keeps its state and can be started again. Any other status answers 2212.",
        params: &[ENV_NAME],
        returns: "Nothing beside `result`.",
        errors: &[R::InvalidParam, R::EnvNotExist, R::NotAllowedForStatus],
    },
    Method {
        id: "environment.control.RestartNodes",
        access: Access::Grantable,
        summary: "Restart an environment's nodes.",
        docs: "Restarts every node of a running environment, or only those of `nodeGroup`. A stopped or sleeping environment answers 2212.",
        params: &[ENV_NAME, opt("nodeGroup", Text, "Only this node group, e.g. `cp`.")],
        returns: "`restarted`: how many nodes were restarted.",
        errors: &[R::InvalidParam, R::EnvNotExist, R::NotAllowedForStatus],
    },
    Method {
        id: "environment.control.DeleteEnv",
        access: Access::Grantable,
        summary: "Delete an environment for good.",
        docs: "Deletes the environment with its nodes and deployments. The account password confirms it.",
        params: &[ENV_NAME, PASSWORD],
        returns: "Nothing beside `result`.",
        errors: &[R::InvalidParam, R::EnvNotExist, R::WrongPassword, R::TooManyAttempts],
    },
    Method {
        id: "environment.control.DeployApp",
        access: Access::Grantable,
        summary: "Deploy an archive to a running environment.",
        docs: "Deploys the archive at `fileUrl` (an http(s) URL, such as the one `storage.uploader.Upload` returns) under `context` (default `ROOT`), replacing what was deployed there.",
        params: &[
            ENV_NAME,
            pk(Text, "fileUrl", "Where the archive is: an http(s) URL."),
            pk(Text, "fileName", "The archive's file name, e.g. `app.war`."),
            opt("context", Text, "The context path to deploy under; default `ROOT`."),
        ],
        returns: "`deployment`: `context`, `fileName`, `fileUrl`, `deployedAt`.",
        errors: &[R::InvalidParam, R::NotFound, R::EnvNotExist, R::NotAllowedForStatus],
    },
    // storage.uploader
    Method {
        id: "storage.uploader.Upload",
        access: Access::Grantable,
        summary: "Upload a file to deploy later.",
        docs: "Stores a file (multipart part `file`) in the account's storage and returns a URL that `environment.control.DeployApp` accepts. Files above the server's size limit, or beyond what is left of the account's upload quota, are refused and nothing is kept. The credential comes before the file: in the URL, a header or an earlier part; the file is not read until it is accepted.",
        params: &[
            opt("fid", Text, "An id of the caller's choosing, echoed back."),
            Param { name: "file", kind: File, required: true, description: "The file, as a multipart part." },
        ],
        returns: "`file` (the URL), `name`, `size`, `fid`.",
        errors: &[R::InvalidParam],
    },
    Method {
        id: "storage.uploader.GetUploads",
        access: Access::Grantable,
        summary: "List the account's uploaded files.",
        docs: "Lists the files the account keeps in its storage, newest first, with how much of the account's upload quota they use.",
        params: &[],
        returns: "`uploads[]`: `id`, `name`, `size`, `file` (the URL), `createdAt`; `used` and `quota` in bytes.",
        errors: &[],
    },
    Method {
        id: "storage.uploader.DeleteUploads",
        access: Access::Grantable,
        summary: "Delete uploaded files.",
        docs: "Deletes the listed uploads and their files, freeing their space in the quota. Ids that are not the account's are refused with 5 and nothing is deleted. Apps already deployed from a file keep running.",
        params: &[p("ids", List, "Upload ids, separated by `,` or `;`.")],
        returns: "`count`: how many were deleted.",
        errors: &[R::InvalidParam, R::NotFound],
    },
    // marketplace.app
    Method {
        id: "marketplace.app.GetList",
        access: Access::Grantable,
        summary: "List the marketplace's apps.",
        docs: "Lists the apps that `marketplace.app.Install` can create an environment from.",
        params: &[opt("search", Text, "Text to look for in app ids, names and descriptions.")],
        returns: "`apps[]`: `id`, `name`, `description`.",
        errors: &[],
    },
    Method {
        id: "marketplace.app.GetAppInfo",
        access: Access::Grantable,
        summary: "Describe one marketplace app.",
        docs: "Returns an app's description and the node groups an install creates.",
        params: &[pk(Text, "id", "The app id, e.g. `wordpress`.")],
        returns: "`app`: `id`, `name`, `description`, `nodes[]`.",
        errors: &[R::InvalidParam, R::NotFound],
    },
    Method {
        id: "marketplace.app.Install",
        access: Access::Grantable,
        summary: "Install an app into a new environment.",
        docs: "Creates a running environment named `envName` with the app's node groups.",
        params: &[pk(Text, "id", "The app id."), ENV_NAME],
        returns: "What `GetEnvInfo` answers for the new environment, at the top level and again under `response`.",
        errors: &[R::InvalidParam, R::NotFound, R::EnvAlreadyExists],
    },
];
