//! The metrics endpoint (`metrics-listen`): HTTP/1.1 through hyper,
//! `GET /metrics` answered with a fresh [`Snapshot`]: OpenMetrics when the
//! scraper accepts it (Prometheus does), else the classic text format.
//! Bounded like every other listener: a few connections at once, a
//! deadline on reading the request head and on the whole connection.
//! Nothing but `/metrics` is served; the ACL is the address it binds
//! (loopback, or the monitoring network), as with Unbound's and Knot's.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use candor_resolver::{Clock, Transport};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use crate::current::Current;
use crate::metrics::Snapshot;

/// Scrapes served at once; more connections wait to be accepted.
const CONNECTIONS: usize = 8;

/// How long a connection may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a connection is kept at most (keep-alive included).
const CONNECTION_LIFETIME: Duration = Duration::from_secs(60);

/// The content types of the two expositions: OpenMetrics (for a scraper
/// that asks for it, as Prometheus does) and the classic text format.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const CLASSIC: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Serve the metrics on `addr`; the address bound (port 0 picks one) and
/// the task serving it.
pub async fn serve_metrics<T, C>(
    current: Arc<Current<T, C>>,
    addr: SocketAddr,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)>
where
    T: Transport + 'static,
    C: Clock + 'static,
{
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let slots = Arc::new(tokio::sync::Semaphore::new(CONNECTIONS));
    let task = tokio::spawn(async move {
        loop {
            let Ok(permit) = Arc::clone(&slots).acquire_owned().await else { return };
            let Ok((stream, _)) = listener.accept().await else { continue };
            let current = Arc::clone(&current);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let current = Arc::clone(&current);
                    async move { Ok::<_, Infallible>(respond(&current, &req)) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEAD_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), service);
                let _ = tokio::time::timeout(CONNECTION_LIFETIME, conn).await;
                drop(permit);
            });
        }
    });
    Ok((bound, task))
}

fn respond<T: Transport, C: Clock, B>(current: &Current<T, C>, req: &Request<B>) -> Response<Full<Bytes>> {
    let plain = |status: StatusCode, text: &'static str| {
        let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
        *r.status_mut() = status;
        r
    };
    if req.uri().path() != "/metrics" {
        return plain(StatusCode::NOT_FOUND, "only /metrics is served here\n");
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "GET /metrics\n");
        r.headers_mut().insert(hyper::header::ALLOW, hyper::header::HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let openmetrics = req
        .headers()
        .get_all(hyper::header::ACCEPT)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.contains("application/openmetrics-text")));
    let body = Snapshot::read(current).prometheus(openmetrics);
    let mut r = Response::new(Full::new(Bytes::from(body)));
    let ty = if openmetrics { OPENMETRICS } else { CLASSIC };
    r.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(ty));
    r
}
