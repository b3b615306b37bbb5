//! Configuration from flags and environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{ArgAction, Args, ValueEnum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Args, Clone, Debug)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long, env = "PATIO_BIND", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,
    /// Database URL; SQLite by default. It may hold a password: `--help` never shows
    /// the value the environment gives.
    #[arg(
        long,
        env = "DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://data/patio.db"
    )]
    pub database_url: String,
    /// Folder for uploaded files.
    #[arg(long, env = "PATIO_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Folder with the built site (`pkg/` with the wasm, script and stylesheet).
    #[arg(long, env = "PATIO_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
    /// The address clients reach this server at; `https://…` turns on Secure cookies.
    #[arg(long, env = "PATIO_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Whether anyone may sign up from the sign-up page.
    #[arg(long, env = "PATIO_OPEN_SIGNUP", default_value_t = true, action = ArgAction::Set)]
    pub open_signup: bool,
    /// Largest file `storage.uploader.Upload` accepts, in bytes.
    #[arg(long, env = "PATIO_UPLOAD_LIMIT", default_value_t = 50 * 1024 * 1024)]
    pub upload_limit: usize,
    /// Log filter, e.g. `info` or `server=debug,tower_http=debug`.
    #[arg(long, env = "PATIO_LOG", default_value = "info")]
    pub log: String,
    /// Log format.
    #[arg(long, env = "PATIO_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

impl Settings {
    /// Settings for a server on a free loopback port with everything under `dir`.
    pub fn in_dir(dir: &std::path::Path) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: format!("sqlite://{}", dir.join("patio.db").display()),
            data_dir: dir.to_path_buf(),
            site_root: PathBuf::from("target/site"),
            public_url: None,
            open_signup: true,
            upload_limit: 50 * 1024 * 1024,
            log: "info".into(),
            log_format: LogFormat::Text,
        }
    }

    pub fn public_url(&self, bound: SocketAddr) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"))
    }
}
