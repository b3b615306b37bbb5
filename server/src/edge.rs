//! The edge of the process, where a stranger on the internet first reaches it: the
//! accept loop and what it bounds. A connection has `header_timeout` to deliver a
//! request's head (from opening, or from the first byte of a later request) and
//! `keep_alive_timeout` of silence between requests; at most `max_connections` are open
//! at once, and at most `max_connections_per_ip` from one address (trusted proxies
//! excepted); past either a connection is closed as soon as it is accepted. The process
//! raises its open-file limit to what it may, so the cap, not the kernel, is what a
//! flood meets. On shutdown the loop stops accepting, lets every connection finish the
//! request it is serving (none starts another) and waits up to the grace period.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::time::Sleep;
use tower::ServiceExt;

use crate::client::TrustedProxies;

/// What the accept loop bounds; `Settings` gives each a flag.
#[derive(Clone, Debug)]
pub struct Limits {
    pub header_timeout: Duration,
    pub keep_alive_timeout: Duration,
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    /// Connections from these (the load balancer) are not counted per address.
    pub trusted_proxies: TrustedProxies,
}

/// Counts of what the edge refused, for metrics and tests.
#[derive(Default, Debug)]
pub struct EdgeStats {
    pub open: AtomicUsize,
    /// Closed at once: over `max_connections`.
    pub refused_full: AtomicU64,
    /// Closed at once: over `max_connections_per_ip`.
    pub refused_per_ip: AtomicU64,
    /// Closed for sending no complete head in time, or for silence between requests.
    pub timed_out: AtomicU64,
}

/// Raises the soft limit on open files to the hard limit, and says what it now is.
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct passed.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return None;
            }
            if limit.rlim_cur < limit.rlim_max {
                let raised = libc::rlimit {
                    rlim_cur: limit.rlim_max,
                    rlim_max: limit.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    limit = raised;
                }
            }
        }
        Some(limit.rlim_cur)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    None
}

/// The connection cap the process can keep: the one asked for, or less when the
/// open-file limit would not hold it (files, the database and the log need some too).
pub fn usable_cap(asked: usize, open_files: Option<u64>) -> usize {
    const RESERVE: u64 = 256;
    match open_files {
        Some(limit) if limit < asked as u64 + RESERVE => {
            (limit.saturating_sub(RESERVE) as usize).max(16)
        }
        _ => asked,
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains (see the module
/// comment). Returns once every connection has ended or `grace` has run out.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    stats: Arc<EdgeStats>,
    shutdown: impl Future<Output = ()> + Send,
    grace: Duration,
) {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let per_ip: Arc<Mutex<HashMap<IpAddr, usize>>> = Arc::default();
    let (stop, stopping) = watch::channel(false);
    let limits = Arc::new(limits);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was
                    // taken: wait a moment instead of spinning.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            stats.refused_full.fetch_add(1, Ordering::Relaxed);
            drop(stream);
            continue;
        };
        let Some(per_ip_slot) = PerIp::enter(&per_ip, peer.ip(), &limits) else {
            stats.refused_per_ip.fetch_add(1, Ordering::Relaxed);
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let limits = limits.clone();
        let stats = stats.clone();
        let stopping = stopping.clone();
        stats.open.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            connection(stream, peer, app, &limits, &stats, stopping).await;
            stats.open.fetch_sub(1, Ordering::Relaxed);
            drop(per_ip_slot);
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection task holds a permit: all of them back means all have ended.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(grace, open.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!(
            still_open = stats.open.load(Ordering::Relaxed),
            "the shutdown grace period ran out with requests still in flight"
        );
    }
}

/// Resolves once `stopping` turns true (or its sender is gone).
pub async fn stopped(stopping: &mut watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

/// One connection: HTTP/1.1 with keep-alive, the peer's address handed to the app as
/// axum's `ConnectInfo`, the silence limits enforced by `Watched`.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: &Limits,
    stats: &EdgeStats,
    mut stopping: watch::Receiver<bool>,
) {
    let state = Arc::new(ConnState::new());
    let io = TokioIo::new(Watched::new(stream, state.clone(), limits));
    let watched = state.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        state.request_started();
        let state = state.clone();
        let answered = app.clone().oneshot(request.map(axum::body::Body::new));
        async move {
            let response = answered.await;
            state.request_answered();
            response
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service);
    tokio::pin!(conn);
    let ended = tokio::select! {
        ended = conn.as_mut() => ended,
        () = stopped(&mut stopping) => {
            // Finish the request being served, start no other.
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if watched.timed_out.load(Ordering::Acquire) {
        stats.timed_out.fetch_add(1, Ordering::Relaxed);
    }
    if let Err(e) = ended {
        tracing::debug!(error = %e, "connection ended");
    }
}

/// One address's share of the open connections, given back when dropped.
struct PerIp {
    table: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl PerIp {
    fn enter(
        table: &Arc<Mutex<HashMap<IpAddr, usize>>>,
        ip: IpAddr,
        limits: &Limits,
    ) -> Option<Option<Self>> {
        if limits.trusted_proxies.trusts(ip) {
            return Some(None);
        }
        let mut counts = table.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(ip).or_default();
        if *count >= limits.max_connections_per_ip {
            return None;
        }
        *count += 1;
        Some(Some(Self {
            table: table.clone(),
            ip,
        }))
    }
}

impl Drop for PerIp {
    fn drop(&mut self) {
        let mut counts = self.table.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// Where a connection is between requests, shared by its reader and its service.
struct ConnState {
    /// Requests being served.
    busy: AtomicUsize,
    /// Whether a byte of the next request's head has arrived.
    head_started: AtomicBool,
    /// Whether the connection has served a request (the first one gets the header
    /// timeout from opening; later ones the keep-alive timeout of silence first).
    served: AtomicBool,
    /// When the current wait began: opening, the last answer, or the head's first byte.
    since: Mutex<Instant>,
    /// Whether it was ended for silence.
    timed_out: AtomicBool,
    /// The reader waiting for bytes, woken when an answer starts a silence it must time.
    reader: Mutex<Option<std::task::Waker>>,
}

impl ConnState {
    fn new() -> Self {
        Self {
            busy: AtomicUsize::new(0),
            head_started: AtomicBool::new(false),
            served: AtomicBool::new(false),
            since: Mutex::new(Instant::now()),
            timed_out: AtomicBool::new(false),
            reader: Mutex::new(None),
        }
    }

    fn request_started(&self) {
        self.busy.fetch_add(1, Ordering::AcqRel);
        self.head_started.store(false, Ordering::Release);
    }

    fn request_answered(&self) {
        self.served.store(true, Ordering::Release);
        *self.since.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        self.busy.fetch_sub(1, Ordering::AcqRel);
        // The reader went to sleep with no deadline while the request was served.
        if let Some(reader) = self.reader.lock().unwrap_or_else(|e| e.into_inner()).take() {
            reader.wake();
        }
    }

    /// Until when the connection may stay silent, or `None` while a request is served.
    fn deadline(&self, header: Duration, keep_alive: Duration) -> Option<Instant> {
        if self.busy.load(Ordering::Acquire) > 0 {
            return None;
        }
        let since = *self.since.lock().unwrap_or_else(|e| e.into_inner());
        let head = self.head_started.load(Ordering::Acquire);
        let first = !self.served.load(Ordering::Acquire);
        Some(since + if head || first { header } else { keep_alive })
    }

    /// Bytes arrived while no request was being served: the next head has begun.
    fn bytes_arrived(&self) {
        if self.busy.load(Ordering::Acquire) == 0 && !self.head_started.swap(true, Ordering::AcqRel)
        {
            let first = !self.served.load(Ordering::Acquire);
            // The first request's head was timed from the opening already.
            if !first {
                *self.since.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
            }
        }
    }
}

/// A connection's stream that ends itself (an error hyper closes the connection on)
/// once it has been silent past its deadline.
struct Watched {
    stream: TcpStream,
    state: Arc<ConnState>,
    header_timeout: Duration,
    keep_alive_timeout: Duration,
    timer: Option<Pin<Box<Sleep>>>,
}

impl Watched {
    fn new(stream: TcpStream, state: Arc<ConnState>, limits: &Limits) -> Self {
        Self {
            stream,
            state,
            header_timeout: limits.header_timeout,
            keep_alive_timeout: limits.keep_alive_timeout,
            timer: None,
        }
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.state.bytes_arrived();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                {
                    let mut reader = self.state.reader.lock().unwrap_or_else(|e| e.into_inner());
                    if !reader.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                        *reader = Some(cx.waker().clone());
                    }
                }
                let Some(deadline) = self
                    .state
                    .deadline(self.header_timeout, self.keep_alive_timeout)
                else {
                    self.timer = None;
                    return Poll::Pending;
                };
                let deadline = tokio::time::Instant::from_std(deadline);
                match &mut self.timer {
                    Some(timer) if timer.deadline() == deadline => {}
                    Some(timer) => timer.as_mut().reset(deadline),
                    timer @ None => *timer = Some(Box::pin(tokio::time::sleep_until(deadline))),
                }
                match self.timer.as_mut().map(|t| t.as_mut().poll(cx)) {
                    Some(Poll::Ready(())) => {
                        self.state.timed_out.store(true, Ordering::Release);
                        Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "the connection was silent past its deadline",
                        )))
                    }
                    _ => Poll::Pending,
                }
            }
        }
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_room_for_the_files_the_process_needs() {
        assert_eq!(usable_cap(10_000, None), 10_000);
        assert_eq!(usable_cap(10_000, Some(1_048_576)), 10_000);
        assert_eq!(usable_cap(10_000, Some(1_024)), 768);
        assert_eq!(usable_cap(10_000, Some(100)), 16);
    }

    #[test]
    fn a_connection_waits_for_its_head_then_for_its_next_request() {
        let limits = Limits {
            header_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(60),
            max_connections: 1,
            max_connections_per_ip: 1,
            trusted_proxies: TrustedProxies::default(),
        };
        let (header, keep_alive) = (limits.header_timeout, limits.keep_alive_timeout);
        let state = ConnState::new();
        let opened = *state.since.lock().unwrap();
        assert_eq!(state.deadline(header, keep_alive), Some(opened + header));
        state.bytes_arrived();
        assert_eq!(
            state.deadline(header, keep_alive),
            Some(opened + limits.header_timeout),
            "the first head is timed from the opening"
        );
        state.request_started();
        assert_eq!(
            state.deadline(header, keep_alive),
            None,
            "no limit while serving"
        );
        state.request_answered();
        let answered = *state.since.lock().unwrap();
        assert_eq!(
            state.deadline(header, keep_alive),
            Some(answered + keep_alive)
        );
        state.bytes_arrived();
        let head = *state.since.lock().unwrap();
        assert!(head >= answered);
        assert_eq!(state.deadline(header, keep_alive), Some(head + header));
    }
}
