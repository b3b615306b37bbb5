//! `patio`: runs the server, or manages accounts and the database from the command line.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use domain::accounts::{Email, NewPassword};
use server::{maintenance, LogFormat, Settings};
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
    /// Manage tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Copy the SQLite database to FILE while the server runs (PostgreSQL: use pg_dump).
    Backup {
        file: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Put a backup in place of the database; the server must be stopped.
    Restore {
        file: PathBuf,
        /// Replace an existing database.
        #[arg(long)]
        force: bool,
    },
    /// Check the database's integrity and schema; exits 1 on a problem.
    Check,
}

#[derive(Subcommand)]
enum TokenAction {
    /// Remove every token of an account (a laptop with its tokens was lost): they
    /// answer 701 on the next request, on every replica.
    Revoke {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// Create an account; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
    },
    /// List the accounts with their tokens, open sessions and state.
    List,
    /// Disable an account: its sessions end and its tokens answer 701 at once, on
    /// every replica, until it is enabled again.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled account.
    Enable {
        #[arg(long)]
        email: String,
    },
    /// Turn two-factor sign-in off for an account whose owner lost both the phone and
    /// the recovery codes, or with `--all` for every account (the key file is lost).
    /// Passkeys stay (`remove-passkeys` removes them).
    ResetTwoFactor {
        #[arg(long, required_unless_present = "all", conflicts_with = "all")]
        email: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// Remove every passkey of an account (its owner lost the device); its password and
    /// two-factor stay as they are.
    RemovePasskeys {
        #[arg(long)]
        email: String,
    },
    /// Print a one-time link (one hour) that sets a new password for the account, for
    /// a server without mail. Give --public-url as people reach the server.
    ResetPassword {
        #[arg(long)]
        email: String,
    },
    /// Delete an account with its tokens, sessions, share links, uploads and
    /// environments, at once on every replica; the email may sign up again.
    Delete {
        #[arg(long)]
        email: String,
    },
}

/// Every password hash takes 19 MiB. glibc's malloc would keep such blocks in per-thread
/// arenas after they are freed and raise its mmap threshold past them, so a burst of
/// sign-ins left the process hundreds of MB larger for good. A fixed threshold sends
/// large blocks to mmap, which gives them back when freed. The arenas are bounded too,
/// but not below the threads that allocate at once (the runtime's workers, SQLite's
/// connection threads, the hashing threads): with two, a profile under load spent a third
/// of its time on the arenas' locks.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_blocks() {
    // SAFETY: mallopt only changes allocator tuning; it is called once, before any
    // other thread exists, with parameters glibc documents.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_ARENA_MAX, 8);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks() {}

fn main() -> anyhow::Result<ExitCode> {
    return_large_blocks();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let filter = EnvFilter::try_new(&cli.settings.log).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a person at a terminal: never in a file or a log shipper's pipe.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()));
    match cli.settings.log_format {
        // One object a line, the event's fields at the top level beside the request's
        // span (its id).
        LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        LogFormat::Text => logs.init(),
    }
    let url = &cli.settings.database_url;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => server::run(cli.settings).await?,
        Command::User {
            action: UserAction::Add { email },
        } => add_user(&cli.settings, &email).await?,
        Command::User {
            action: UserAction::List,
        } => list_users(&cli.settings).await?,
        Command::User {
            action: UserAction::Disable { email },
        } => set_disabled(&cli.settings, &email, true).await?,
        Command::User {
            action: UserAction::Enable { email },
        } => set_disabled(&cli.settings, &email, false).await?,
        Command::User {
            action: UserAction::ResetTwoFactor { email, .. },
        } => reset_two_factor(&cli.settings, email.as_deref()).await?,
        Command::User {
            action: UserAction::ResetPassword { email },
        } => reset_link(&cli.settings, &email).await?,
        Command::User {
            action: UserAction::RemovePasskeys { email },
        } => remove_passkeys(&cli.settings, &email).await?,
        Command::User {
            action: UserAction::Delete { email },
        } => delete_user(&cli.settings, &email).await?,
        Command::Token {
            action: TokenAction::Revoke { email },
        } => revoke_tokens(&cli.settings, &email).await?,
        Command::Backup { file, force } => {
            println!("{}", maintenance::backup(url, &file, force).await?);
        }
        Command::Restore { file, force } => {
            println!("{}", maintenance::restore(url, &file, force).await?);
        }
        Command::Check => {
            let report = maintenance::check(url).await?;
            println!("{report}");
            if !report.healthy {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn operator_platform(settings: &Settings) -> anyhow::Result<domain::Platform> {
    server::platform(settings, domain::Clock::default(), settings.bind).await
}

fn email(raw: &str) -> anyhow::Result<Email> {
    Email::parse(raw).map_err(|e| anyhow::anyhow!("{e}"))
}

async fn list_users(settings: &Settings) -> anyhow::Result<()> {
    let accounts = operator_platform(settings)
        .await?
        .accounts()
        .list()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "{:>6}  {:<40} {:<19}  {:>6}  {:>8}  state",
        "id", "email", "created (UTC)", "tokens", "sessions"
    );
    for a in &accounts {
        let state = match a.disabled_at {
            Some(at) => format!("disabled {}", at.format("%Y-%m-%d %H:%M")),
            None => "enabled".into(),
        };
        println!(
            "{:>6}  {:<40} {:<19}  {:>6}  {:>8}  {state}",
            a.id,
            a.email,
            a.created_at.format("%Y-%m-%d %H:%M:%S"),
            a.tokens,
            a.sessions
        );
    }
    println!("{} accounts", accounts.len());
    Ok(())
}

async fn set_disabled(settings: &Settings, raw: &str, disabled: bool) -> anyhow::Result<()> {
    let platform = operator_platform(settings).await?;
    let account = platform
        .accounts()
        .set_disabled(&email(raw)?, disabled)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if disabled {
        println!(
            "disabled account {} ({}): its sessions are ended and its tokens refused",
            account.id, account.email
        );
    } else {
        println!("enabled account {} ({})", account.id, account.email);
    }
    Ok(())
}

async fn reset_two_factor(settings: &Settings, raw: Option<&str>) -> anyhow::Result<()> {
    let platform = operator_platform(settings).await?;
    let email = raw.map(email).transpose()?;
    let count = platform
        .two_factor()
        .reset(email.as_ref())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    match &email {
        Some(email) if count == 0 => println!("{} does not use two-factor sign-in", email.as_str()),
        Some(email) => println!(
            "two-factor sign-in is off for {}: the password alone signs in until it is set up again",
            email.as_str()
        ),
        None => println!(
            "two-factor sign-in turned off for {}",
            counted(count, "account")
        ),
    }
    Ok(())
}

async fn reset_link(settings: &Settings, raw: &str) -> anyhow::Result<()> {
    let platform = operator_platform(settings).await?;
    let email = email(raw)?;
    let link = platform
        .recovery()
        .operator_link(&email)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!(
        "a one-time link for {} (it works once, for one hour; it ends every session of the account):",
        email.as_str()
    );
    println!("{link}");
    Ok(())
}

async fn remove_passkeys(settings: &Settings, raw: &str) -> anyhow::Result<()> {
    let platform = operator_platform(settings).await?;
    let email = email(raw)?;
    let count = platform
        .passkeys()
        .remove_all(&email)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "removed {} of {}",
        counted(count, "passkey"),
        email.as_str()
    );
    Ok(())
}

async fn delete_user(settings: &Settings, raw: &str) -> anyhow::Result<()> {
    let platform = operator_platform(settings).await?;
    let email = email(raw)?;
    let id = platform
        .lifecycle()
        .delete_by_operator(&email)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "deleted account {id} ({}) with its tokens, sessions, share links, uploads and environments",
        email.as_str()
    );
    Ok(())
}

async fn revoke_tokens(settings: &Settings, raw: &str) -> anyhow::Result<()> {
    let platform = operator_platform(settings).await?;
    let email = email(raw)?;
    let count = platform
        .accounts()
        .revoke_tokens_of(&email)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("revoked {} of {}", counted(count, "token"), email.as_str());
    Ok(())
}

/// A count with its noun, singular for one: "1 token", "2 tokens".
fn counted(count: u64, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
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
        .accounts()
        .create(&email, &password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("created account {} ({})", account.id, account.email);
    Ok(())
}
