//! Metrics in the Prometheus (OpenMetrics) text format, served on their own listener
//! (`--metrics-bind`) so they never share a port with the public API. Request counts
//! and latencies are recorded by a middleware; what the domain counts (token checks,
//! password failures, lockouts, queues, the pool, the replica listener) is read from
//! the platform at each scrape. No label carries a token, an email or an address:
//! labels are catalogue method ids, result codes and fixed outcome names.

use std::cell::Cell;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use domain::platform::Stats;
use domain::Platform;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// What the REST edge answered, for the middleware to count and the access log to say.
#[derive(Clone, Copy, Debug)]
pub struct ApiOutcome {
    pub method: &'static str,
    pub result: i64,
}

tokio::task_local! {
    /// The outcome of the request the task is serving: `track` opens the slot around
    /// each request, the API's answer fills it. A response extension did the same at
    /// three allocations a call.
    static OUTCOME: Cell<Option<ApiOutcome>>;
}

impl ApiOutcome {
    /// Notes the answer of the request being served (nothing outside a request).
    pub fn note(self) {
        let _ = OUTCOME.try_with(|slot| slot.set(Some(self)));
    }

    /// The answer noted for the request being served, if it was an API call.
    pub fn noted() -> Option<Self> {
        OUTCOME.try_with(Cell::get).ok().flatten()
    }
}

// Labels are catalogue ids, fixed names and numbers: counting a call allocates nothing.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    method: &'static str,
    result: i64,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

pub struct Metrics {
    registry: Registry,
    api_calls: Family<CallLabels, Counter>,
    latency: Family<KindLabels, Histogram>,
}

impl Metrics {
    pub fn new(platform: Platform) -> Arc<Self> {
        let mut registry = Registry::default();
        let api_calls = Family::<CallLabels, Counter>::default();
        registry.register(
            "patio_api_calls",
            "API calls by method and result code",
            api_calls.clone(),
        );
        let latency = Family::<KindLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 14))
        });
        registry.register(
            "patio_request_duration_seconds",
            "Time to answer a request, by kind: api (/1.0/…), page, dashboard (server functions), other",
            latency.clone(),
        );
        registry.register_collector(Box::new(PlatformCollector(platform)));
        Arc::new(Self {
            registry,
            api_calls,
            latency,
        })
    }

    /// The scrape, in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// Times every request and counts the API's answers.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let kind = if path.starts_with("/1.0/") {
        "api"
    } else if path.starts_with("/api/") {
        "dashboard"
    } else if path.starts_with("/pkg/") || path == "/healthz" || path == "/readyz" {
        "other"
    } else {
        "page"
    };
    let started = Instant::now();
    let (response, outcome) = OUTCOME
        .scope(Cell::new(None), async {
            let response = next.run(request).await;
            (response, ApiOutcome::noted())
        })
        .await;
    metrics
        .latency
        .get_or_create(&KindLabels { kind })
        .observe(started.elapsed().as_secs_f64());
    if let Some(outcome) = outcome {
        metrics
            .api_calls
            .get_or_create(&CallLabels {
                method: outcome.method,
                result: outcome.result,
            })
            .inc();
    }
    response
}

/// The metrics listener's routes.
pub fn router(metrics: Arc<Metrics>) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let metrics = metrics.clone();
            async move {
                (
                    [(
                        CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    metrics.render(),
                )
            }
        }),
    )
}

/// `/readyz`: the database answers and, on PostgreSQL, this replica hears the others'
/// token changes. `/healthz` only says the process runs.
pub async fn ready(State(platform): State<Platform>) -> Response {
    match platform.readiness().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why).into_response(),
    }
}

/// Reads the domain's counters and the platform's state at each scrape.
struct PlatformCollector(Platform);

impl std::fmt::Debug for PlatformCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlatformCollector")
    }
}

fn counter(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: u64,
) -> Result<(), std::fmt::Error> {
    let metric = ConstCounter::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

fn gauge(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: i64,
) -> Result<(), std::fmt::Error> {
    let metric = ConstGauge::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

impl Collector for PlatformCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let platform = &self.0;
        let stats = &platform.stats;
        {
            let mut family = encoder.encode_descriptor(
                "patio_token_checks",
                "Token checks by outcome",
                None,
                prometheus_client::metrics::MetricType::Counter,
            )?;
            for (outcome, value) in [
                ("accepted", &stats.tokens_accepted),
                ("denied", &stats.tokens_denied),
                ("unknown", &stats.tokens_unknown),
                ("expired", &stats.tokens_expired),
                ("outside_allowlist", &stats.tokens_outside_allowlist),
            ] {
                let labels = [("outcome", outcome)];
                ConstCounter::new(Stats::get(value)).encode(family.encode_family(&labels)?)?;
            }
        }
        counter(
            &mut encoder,
            "patio_token_cache_hits",
            "Token checks answered from this replica's cache",
            Stats::get(&stats.cache_hits),
        )?;
        counter(
            &mut encoder,
            "patio_token_cache_misses",
            "Token checks that read the database",
            Stats::get(&stats.cache_misses),
        )?;
        counter(
            &mut encoder,
            "patio_signin_failures",
            "Sign-ins refused for a wrong password",
            Stats::get(&stats.signin_failures),
        )?;
        counter(
            &mut encoder,
            "patio_password_confirmation_failures",
            "Password confirmations refused for a wrong password",
            Stats::get(&stats.confirm_failures),
        )?;
        counter(
            &mut encoder,
            "patio_two_factor_code_failures",
            "Two-factor codes refused as wrong or already used",
            Stats::get(&stats.code_failures),
        )?;
        counter(
            &mut encoder,
            "patio_lockouts",
            "Password checks refused because a limit was reached (703)",
            Stats::get(&stats.lockouts),
        )?;
        let (uses, denials) = platform.upkeep().pending_writes();
        gauge(
            &mut encoder,
            "patio_pending_last_uses",
            "Tokens whose last use waits for the once-a-second writer",
            uses as i64,
        )?;
        gauge(
            &mut encoder,
            "patio_pending_denials",
            "Denied-call tallies waiting for the once-a-second writer",
            denials as i64,
        )?;
        gauge(
            &mut encoder,
            "patio_db_pool_connections",
            "Open database connections",
            i64::from(platform.db.size()),
        )?;
        gauge(
            &mut encoder,
            "patio_db_pool_idle",
            "Idle database connections",
            platform.db.num_idle() as i64,
        )?;
        gauge(
            &mut encoder,
            "patio_replica_listening",
            "1 while this replica hears other replicas' token changes (always 1 on SQLite)",
            i64::from(platform.follows_token_changes()),
        )?;
        Ok(())
    }
}
