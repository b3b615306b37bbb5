//! Patio's server: the dashboard (Leptos SSR), the platform REST API under `/1.0/…`,
//! static files and health. `main.rs` parses the command line; tests start the same
//! server here on port 0.

pub mod api;
pub mod assets;
pub mod client;
pub mod config;
pub mod edge;
pub mod maintenance;
pub mod metrics;
pub mod notices;
pub mod openapi;
mod pages;
pub mod requests;
pub mod security;
pub mod security_log;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::{DefaultBodyLimit, FromRef, Request, State};
use axum::handler::Handler;
use axum::http::header::{AUTHORIZATION, CONTENT_SECURITY_POLICY, COOKIE};
use axum::http::HeaderValue;
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use domain::{Clock, Platform, PlatformSettings};
use leptos::nonce::use_nonce;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes, ResponseOptions};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;

pub use config::{LogFormat, Settings};

/// What handlers share: the domain's platform handle and Leptos' options. axum clones
/// the state into every request's handler, so it is one shared pointer; a handler takes
/// out what it extracts.
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

pub struct SharedState {
    pub platform: Platform,
    pub leptos_options: LeptosOptions,
}

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

impl FromRef<AppState> for Platform {
    fn from_ref(state: &AppState) -> Self {
        state.platform.clone()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// Opens the database and builds the platform handle.
pub async fn platform(
    settings: &Settings,
    clock: Clock,
    bound: SocketAddr,
) -> anyhow::Result<Platform> {
    let db = domain::platform::connect(&settings.database_url).await?;
    let secret_key = domain::secrets::SecretKey::load_or_create(&settings.key_file())?;
    Ok(Platform::new(
        db,
        clock,
        PlatformSettings {
            data_dir: settings.data_dir.clone(),
            upload_limit: settings.upload_limit,
            public_url: settings.public_url(bound),
            open_signup: settings.open_signup,
            signups_per_hour: settings.signups_per_hour,
            audit_retention_days: settings.audit_retention_days,
            upload_quota: settings.upload_quota,
            secret_key: Arc::new(secret_key),
            mail: settings.smtp_url.as_deref().is_some_and(|u| !u.is_empty()),
        },
    ))
}

/// The whole application: pages, server functions, REST API, files, health.
pub fn router(
    settings: &Settings,
    platform: Platform,
    bound: SocketAddr,
    metrics: Arc<metrics::Metrics>,
) -> Router {
    let leptos_options = assets::leptos_options(&settings.site_root, bound);
    let state = AppState(Arc::new(SharedState {
        platform: platform.clone(),
        leptos_options: leptos_options.clone(),
    }));
    let routes = page_routes();
    let context_platform = platform.clone();
    let https = security::Https(platform.settings.public_url.starts_with("https://"));
    Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                pages::note_owner();
                provide_context(context_platform.clone());
                // Pages get a policy that admits exactly this response's hydration script.
                if let (Some(nonce), Some(response)) =
                    (use_nonce(), use_context::<ResponseOptions>())
                {
                    if let Ok(policy) = HeaderValue::from_str(&security::page_policy(&nonce)) {
                        response.insert_header(CONTENT_SECURITY_POLICY, policy);
                    }
                }
            },
            {
                let options = leptos_options.clone();
                move || app::shell(options.clone())
            },
        )
        // Only the pages above: the API and the files below are not wrapped at all.
        .layer(CompressionLayer::new().compress_when(pages::is_page))
        .layer(middleware::from_fn(pages::own_owner))
        // The API reads bodies itself, each part bounded, files streamed to disk.
        .merge(api::router())
        .merge(assets::pkg_router(&settings.site_root))
        .route(
            "/settings/security-log/export.csv",
            get(security_log::export),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(metrics::ready))
        .fallback(
            leptos_axum::file_and_error_handler_with_context::<AppState, _>(
                pages::note_owner,
                app::shell,
            )
            .layer(middleware::from_fn(pages::own_owner)),
        )
        // What every request passes through, outermost first, as one layer: each layer
        // given to the router separately is boxed around every route, and each
        // middleware clones everything beneath it on every request, a box at a time.
        .layer(
            ServiceBuilder::new()
                .layer(SetSensitiveRequestHeadersLayer::new([
                    AUTHORIZATION,
                    COOKIE,
                ]))
                .layer(middleware::from_fn_with_state(metrics, metrics::track))
                .layer(middleware::from_fn_with_state(
                    settings.proxies(),
                    client::resolve,
                ))
                .layer(middleware::from_fn_with_state(
                    settings.proxies(),
                    requests::log,
                ))
                .layer(middleware::from_fn_with_state(
                    requests::Deadline(std::time::Duration::from_secs(settings.request_timeout)),
                    requests::deadline,
                ))
                // Pages and server functions take forms no larger than the API's.
                .layer(DefaultBodyLimit::max(api::FORM_LIMIT))
                .layer(middleware::from_fn_with_state(https, security::headers))
                .layer(middleware::from_fn(security::same_origin))
                .layer(middleware::from_fn_with_state(platform, page_gate)),
        )
        .with_state(state)
}

/// The app's pages, listed once per process.
///
/// Leptos lists them by rendering the app with resource loading switched off, and the
/// switch is one flag for the whole process: a page that another server in the process
/// (the tests run many) renders meanwhile gets a resource that never loads, and its
/// response never ends. The list is the same for every server, so it is made once.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
}

/// Pages that need an account send strangers to the sign-in page, and the sign-in
/// pages send signed-in people to the dashboard.
async fn page_gate(State(platform): State<Platform>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let needs_account = path == "/" || path == "/settings" || path.starts_with("/settings/");
    let guests_only = path == "/signin" || path == "/signup";
    if request.method() != Method::GET || !(needs_account || guests_only) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let signed_in = app::auth::signed_in(&platform, &parts).await.is_ok();
    if needs_account && !signed_in {
        return Redirect::to("/signin").into_response();
    }
    if guests_only && signed_in {
        return Redirect::to("/").into_response();
    }
    let request = Request::from_parts(parts, body);
    next.run(request).await
}

/// How the accept loop bounds connections and how long it drains (`edge`).
#[derive(Clone)]
pub struct Edge {
    pub limits: edge::Limits,
    pub grace: std::time::Duration,
    pub stats: Arc<edge::EdgeStats>,
}

impl Edge {
    /// From the settings: the open-file limit raised, and the connection cap lowered to
    /// what it allows.
    pub fn from_settings(settings: &Settings) -> Self {
        let mut limits = settings.limits();
        let files = edge::raise_open_file_limit();
        let cap = edge::usable_cap(limits.max_connections, files);
        if cap < limits.max_connections {
            tracing::warn!(
                asked = limits.max_connections,
                open_file_limit = files,
                cap,
                "the open-file limit holds fewer connections than --max-connections"
            );
        }
        limits.max_connections = cap;
        Self {
            limits,
            grace: std::time::Duration::from_secs(settings.shutdown_grace),
            stats: Arc::default(),
        }
    }
}

/// Serves until `shutdown` resolves; then stops accepting, lets the requests in flight
/// finish (up to the grace period), stops the background work between its steps, writes
/// what requests only noted (last uses, denied calls), hands back the mail it had
/// claimed and closes the database.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    platform: Platform,
    metrics: Option<(TcpListener, Arc<metrics::Metrics>)>,
    notices: Option<(notices::Mailer, std::time::Duration)>,
    edge: Edge,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let exporter = metrics.map(|(listener, metrics)| {
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, metrics::router(metrics)).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        })
    });
    // Background work stops between its steps, never inside a write.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let flusher = tokio::spawn({
        let platform = platform.clone();
        let mut stopping = stopping.clone();
        async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                tokio::select! {
                    _ = every.tick() => {}
                    () = edge::stopped(&mut stopping) => break,
                }
                // Errors are logged where they happen; the next tick tries again.
                let _ = platform.upkeep().flush_pending().await;
            }
        }
    });
    let follower = tokio::spawn({
        let platform = platform.clone();
        async move { platform.changes().follow().await }
    });
    // Expiry notices go out on their own task: a slow mail server holds up no request.
    let notifier = notices.map(|(mailer, every)| {
        tokio::spawn(notices::run(
            platform.clone(),
            mailer,
            every,
            stopping.clone(),
        ))
    });
    edge::serve(listener, app, edge.limits, edge.stats, shutdown, edge.grace).await;
    let _ = stop.send(true);
    let _ = flusher.await;
    if let Some(notifier) = notifier {
        let _ = notifier.await;
    }
    follower.abort();
    if let Some(exporter) = exporter {
        exporter.abort();
    }
    let flushed = platform
        .upkeep()
        .flush_pending()
        .await
        .map_err(|e| anyhow::anyhow!("write what requests noted: {e}"));
    platform.db.close().await;
    flushed
}

/// A server running in this process, for tests.
pub struct Spawned {
    pub addr: SocketAddr,
    /// Where `/metrics` is served, when the settings asked for it.
    pub metrics_addr: Option<SocketAddr>,
    pub platform: Platform,
    /// What the accept loop refused and closed.
    pub edge: Arc<edge::EdgeStats>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Spawned {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await.context("join server")?
    }
}

/// Starts the server on the settings' address (port 0 picks a free one).
pub async fn spawn(settings: Settings, clock: Clock) -> anyhow::Result<Spawned> {
    let listener = TcpListener::bind(settings.bind)
        .await
        .with_context(|| format!("bind {}", settings.bind))?;
    let addr = listener.local_addr().context("local address")?;
    let platform = platform(&settings, clock, addr).await?;
    platform.two_factor().check_secret_key().await?;
    let metrics = metrics::Metrics::new(platform.clone());
    let app = router(&settings, platform.clone(), addr, metrics.clone());
    let exporter = metrics_listener(&settings, metrics).await?;
    let metrics_addr = exporter.as_ref().and_then(|(l, _)| l.local_addr().ok());
    let notices = mailer(&settings, &platform)?;
    let edge = Edge::from_settings(&settings);
    let edge_stats = edge.stats.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(
        listener,
        app,
        platform.clone(),
        exporter,
        notices,
        edge,
        async move {
            let _ = stopped.await;
        },
    ));
    Ok(Spawned {
        addr,
        metrics_addr,
        platform,
        edge: edge_stats,
        stop: Some(stop),
        task,
    })
}

/// Runs until SIGTERM or Ctrl-C.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let listener = TcpListener::bind(settings.bind)
        .await
        .with_context(|| format!("bind {}", settings.bind))?;
    let addr = listener.local_addr().context("local address")?;
    let platform = platform(&settings, Clock::default(), addr).await?;
    platform.two_factor().check_secret_key().await?;
    let metrics = metrics::Metrics::new(platform.clone());
    let app = router(&settings, platform.clone(), addr, metrics.clone());
    let exporter = metrics_listener(&settings, metrics).await?;
    if let Some(at) = exporter.as_ref().and_then(|(l, _)| l.local_addr().ok()) {
        tracing::info!(address = %format!("http://{at}/metrics"), "serving metrics");
    }
    let notices = mailer(&settings, &platform)?;
    if notices.is_none() {
        tracing::info!("no --smtp-url: expiry notices are shown on the dashboard only");
    }
    let edge = Edge::from_settings(&settings);
    tracing::info!(address = %format!("http://{addr}"), "Patio is listening");
    serve(
        listener,
        app,
        platform,
        exporter,
        notices,
        edge,
        shutdown_signal(),
    )
    .await?;
    tracing::info!("stopped");
    Ok(())
}

/// The mail server for expiry notices, if `--smtp-url` names one.
fn mailer(
    settings: &Settings,
    platform: &Platform,
) -> anyhow::Result<Option<(notices::Mailer, std::time::Duration)>> {
    let Some(url) = settings.smtp_url.as_deref().filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let mailer = notices::Mailer::new(
        url,
        settings.mail_from.as_deref(),
        &platform.settings.public_url,
        std::time::Duration::from_secs(settings.smtp_timeout),
    )?;
    Ok(Some((
        mailer,
        std::time::Duration::from_secs(settings.notice_interval),
    )))
}

/// The metrics listener, if `--metrics-bind` asked for one.
async fn metrics_listener(
    settings: &Settings,
    metrics: Arc<metrics::Metrics>,
) -> anyhow::Result<Option<(TcpListener, Arc<metrics::Metrics>)>> {
    let Some(bind) = settings.metrics_bind else {
        return Ok(None);
    };
    let listener = TcpListener::bind(bind)
        .await
        .with_context(|| format!("bind the metrics listener {bind}"))?;
    Ok(Some((listener, metrics)))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
    // A second signal means now: whatever is in flight is cut off (as a kill -9 would;
    // acknowledged changes are already in the database).
    tokio::spawn(async {
        Box::pin(second_signal()).await;
        tracing::warn!("a second signal: stopping at once");
        std::process::exit(130);
    });
}

async fn second_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
