//! `patio`: runs the server, or manages accounts from the command line.

use std::io::BufRead;

use clap::{Parser, Subcommand};
use domain::accounts::{Email, NewPassword};
use server::{LogFormat, Settings};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "patio",
    version,
    about = "Patio: a platform dashboard built around personal access tokens"
)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// Create an account; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter = EnvFilter::try_new(&cli.settings.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    match cli.settings.log_format {
        LogFormat::Json => logs.json().init(),
        LogFormat::Text => logs.init(),
    }
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => server::run(cli.settings).await,
        Command::User {
            action: UserAction::Add { email },
        } => add_user(&cli.settings, &email).await,
    }
}

async fn add_user(settings: &Settings, email: &str) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = NewPassword::parse(line.trim_end_matches(['\r', '\n']).to_owned(), "password")
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let platform = server::platform(settings, domain::Clock::default(), settings.bind).await?;
    let account = platform
        .create_account(&email, &password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("created account {} ({})", account.id, account.email);
    Ok(())
}
