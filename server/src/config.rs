//! Configuration from flags and environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{ArgAction, Args, ValueEnum};

use crate::client::{ForwardedHeader, TrustedProxies};

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
    /// Bytes of uploaded files one account may keep.
    #[arg(long, env = "PATIO_UPLOAD_QUOTA", default_value_t = 500 * 1024 * 1024)]
    pub upload_quota: u64,
    /// Proxies (CIDR networks or addresses, separated by commas) whose
    /// `X-Forwarded-For` / `Forwarded` headers name the client; none by default.
    #[arg(long, env = "PATIO_TRUSTED_PROXIES", default_value = "", value_parser = TrustedProxies::parse, hide_default_value = true)]
    pub trusted_proxies: TrustedProxies,
    /// The header the trusted proxies name the client in; the other is never read.
    #[arg(
        long,
        env = "PATIO_FORWARDED_HEADER",
        value_enum,
        default_value = "x-forwarded-for"
    )]
    pub forwarded_header: ForwardedHeader,
    /// Sign-ups one address may make in an hour.
    #[arg(long, env = "PATIO_SIGNUPS_PER_HOUR", default_value_t = 10)]
    pub signups_per_hour: u32,
    /// Days the Security Log keeps its entries.
    #[arg(long, env = "PATIO_AUDIT_RETENTION_DAYS", default_value_t = 400, value_parser = clap::value_parser!(u32).range(1..))]
    pub audit_retention_days: u32,
    /// The key file that seals two-factor secrets in the database (created on first
    /// start); `<data-dir>/patio.key` unless given. Every replica needs the same file,
    /// and backups of the database need it beside them.
    #[arg(long, env = "PATIO_KEY_FILE")]
    pub key_file: Option<PathBuf>,
    /// Where to serve Prometheus metrics (`/metrics`), e.g. `127.0.0.1:9464`; off unless
    /// given. Keep it on localhost or a private network.
    #[arg(long, env = "PATIO_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
    /// SMTP server for expiry notices: `smtp://host:25`, `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host:465`. Without it no email is sent. It may
    /// hold a password: `--help` never shows the value the environment gives.
    #[arg(long, env = "PATIO_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of Patio's emails, e.g. `Patio <patio@example.com>`; by default
    /// `Patio <patio@HOST>` with the public URL's host.
    #[arg(long, env = "PATIO_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Seconds between looks for tokens that need an expiry notice.
    #[arg(long, env = "PATIO_NOTICE_INTERVAL", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub notice_interval: u64,
    /// Seconds one conversation with the mail server may take; a server that accepts the
    /// connection and then says nothing is cut off after it, and the mail is retried.
    #[arg(long, env = "PATIO_SMTP_TIMEOUT", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
    pub smtp_timeout: u64,
    /// Log filter, e.g. `info` or `server=debug,tower_http=debug`.
    #[arg(long, env = "PATIO_LOG", default_value = "info")]
    pub log: String,
    /// Log format: `text`, or `json` (one object a line, for a log shipper).
    #[arg(long, env = "PATIO_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Seconds a connection has to send a complete request head, from opening it or
    /// from the first byte of a later request; a slower one is closed.
    #[arg(long, env = "PATIO_HEADER_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: u64,
    /// Seconds a connection may stay silent between requests before it is closed.
    #[arg(long, env = "PATIO_KEEP_ALIVE_TIMEOUT", default_value_t = 75, value_parser = clap::value_parser!(u64).range(1..))]
    pub keep_alive_timeout: u64,
    /// Seconds a request may take to be answered (uploads twenty times as long); a
    /// slower one is stopped and answered 503.
    #[arg(long, env = "PATIO_REQUEST_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout: u64,
    /// Connections open at once; more are closed as they arrive. Lowered at start to
    /// what the open-file limit allows.
    #[arg(long, env = "PATIO_MAX_CONNECTIONS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(16..))]
    pub max_connections: u64,
    /// Connections open at once from one address (trusted proxies excepted).
    #[arg(long, env = "PATIO_MAX_CONNECTIONS_PER_IP", default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections_per_ip: u64,
    /// Seconds a stopping server (SIGTERM, Ctrl-C) gives requests in flight to finish;
    /// a second signal stops it at once.
    #[arg(long, env = "PATIO_SHUTDOWN_GRACE", default_value_t = 20)]
    pub shutdown_grace: u64,
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
            upload_quota: 500 * 1024 * 1024,
            trusted_proxies: TrustedProxies::default(),
            forwarded_header: ForwardedHeader::default(),
            signups_per_hour: 10,
            audit_retention_days: 400,
            key_file: None,
            metrics_bind: None,
            smtp_url: None,
            mail_from: None,
            notice_interval: 60,
            smtp_timeout: 20,
            log: "info".into(),
            log_format: LogFormat::Text,
            header_timeout: 10,
            keep_alive_timeout: 75,
            request_timeout: 30,
            max_connections: 10_000,
            max_connections_per_ip: 512,
            shutdown_grace: 20,
        }
    }

    /// What the accept loop bounds (`edge`), the connection cap as asked for.
    pub fn limits(&self) -> crate::edge::Limits {
        crate::edge::Limits {
            header_timeout: std::time::Duration::from_secs(self.header_timeout),
            keep_alive_timeout: std::time::Duration::from_secs(self.keep_alive_timeout),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            max_connections_per_ip: usize::try_from(self.max_connections_per_ip)
                .unwrap_or(usize::MAX),
            trusted_proxies: self.proxies(),
        }
    }

    /// The trusted proxies, reading the header they set.
    pub fn proxies(&self) -> TrustedProxies {
        self.trusted_proxies.clone().reading(self.forwarded_header)
    }

    pub fn key_file(&self) -> PathBuf {
        self.key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("patio.key"))
    }

    pub fn public_url(&self, bound: SocketAddr) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"))
    }
}
