//! DNS over HTTPS (RFC 8484): `GET /dns-query?dns=<base64url>` and
//! `POST /dns-query` with an `application/dns-message` body, over HTTP/2
//! or HTTP/1.1 (hyper's server, one builder for both). Each request is
//! answered like a TCP question ([`crate::tcp::answer`]: the same ACL,
//! limits, log and counters), padded when the query was (RFC 8467), with
//! `Cache-Control: max-age` set to the smallest TTL of the reply.
//!
//! Bounds: the connection holds a TCP slot taken before its handshake
//! (in [`crate::listen`]) and is closed when idle or evicted; HTTP/2
//! streams per connection, streams reset before they were served
//! (rapid reset, CVE-2023-44487) and streams the server had to reset are
//! capped (past them hyper sends GOAWAY); request heads are capped in size
//! and, over HTTP/1.1, in time; a POST body is at most 65,535 octets
//! (a longer one is refused with 413 after reading at most four times as
//! much) and must arrive within the TCP read timeout.

use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use candor_resolver::{Clock, Transport};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};

use crate::tcp::{ConnParts, TCP_IO_TIMEOUT, TCP_PIPELINE, TcpSlot, answer};

/// The one path served (RFC 8484 §3 leaves it to the server; every
/// resolver and client uses this one).
pub(crate) const PATH: &str = "/dns-query";

/// The media type of a DNS message (RFC 8484 §6).
const DNS_MESSAGE: &str = "application/dns-message";

/// The largest DNS message, so the largest POST body accepted.
const MAX_BODY: usize = 65_535;

/// A POST body over [`MAX_BODY`] is read on to this length before the
/// 413 (past it, the stream is reset).
const DRAIN: usize = 4 * MAX_BODY;

/// The largest request head: HTTP/2's header list, HTTP/1.1's buffer.
const MAX_HEAD: usize = 16 * 1024;

/// Header fields of an HTTP/1.1 request, at most.
const MAX_HEADERS: usize = 64;

/// How long an HTTP/1.1 client may take to send a request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection with nothing in flight for this long is closed.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a closing connection may take to finish its streams.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Streams a client may reset before the server accepted them, and
/// streams the server may have to reset, before the connection is closed
/// with GOAWAY (rapid reset).
const MAX_RESETS: usize = 32;

/// Serve one DNS-over-HTTPS connection (after its TLS handshake) from
/// `peer` until the client closes it, it stays idle for [`IDLE_TIMEOUT`],
/// or it is evicted to make room for another.
pub(crate) async fn serve_conn<T, C, I>(io: I, peer: IpAddr, slot: &TcpSlot<'_>, parts: ConnParts<T, C>)
where
    T: Transport + 'static,
    C: Clock + 'static,
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let conn_state = slot.conn();
    let parts = Arc::new(parts);
    let busy = Arc::clone(&conn_state);
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let (parts, busy) = (Arc::clone(&parts), Arc::clone(&busy));
        async move {
            let _busy = busy.busy();
            Ok::<_, Infallible>(respond(req, peer, &parts).await)
        }
    });
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .max_buf_size(MAX_HEAD)
        .max_headers(MAX_HEADERS);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(TCP_PIPELINE as u32)
        .max_header_list_size(MAX_HEAD as u32)
        .max_pending_accept_reset_streams(MAX_RESETS)
        .max_local_error_reset_streams(MAX_RESETS)
        .keep_alive_interval(IDLE_TIMEOUT)
        .keep_alive_timeout(TCP_IO_TIMEOUT);
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        () = conn_state.closing(IDLE_TIMEOUT) => conn.as_mut().graceful_shutdown(),
    }
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, conn).await;
}

/// A response with status `status` and a short text saying why.
fn error(status: StatusCode, why: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(why.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

/// Why a request carries no DNS query to answer: the HTTP error.
type Refusal = (StatusCode, &'static str);

/// Answer one HTTP request.
async fn respond<T, C>(req: Request<Incoming>, peer: IpAddr, parts: &ConnParts<T, C>) -> Response<Full<Bytes>>
where
    T: Transport + 'static,
    C: Clock + 'static,
{
    let query = match query_of(req).await {
        Ok(q) => q,
        Err((status, why)) => {
            parts.3.dropped();
            let mut r = error(status, why);
            if status == StatusCode::METHOD_NOT_ALLOWED {
                r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
            }
            return r;
        }
    };
    let (current, acl, flights, tally) = parts;
    let r = current.get();
    let Some(reply) = answer(&r, &query, peer, (acl, flights, tally, current.metrics())).await else {
        return error(StatusCode::BAD_REQUEST, "not a DNS query\n");
    };
    let reply = crate::padding::pad_reply(&query, reply);
    let max_age = smallest_ttl(&reply);
    let mut resp = Response::new(Full::new(Bytes::from(reply)));
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(DNS_MESSAGE));
    if let Ok(v) = HeaderValue::from_str(&format!("max-age={max_age}")) {
        headers.insert(header::CACHE_CONTROL, v);
    }
    resp
}

/// The DNS query a request carries (RFC 8484 §4.1), or the HTTP error
/// that says why there is none.
async fn query_of(req: Request<Incoming>) -> Result<Vec<u8>, Refusal> {
    if req.uri().path() != PATH {
        return Err((StatusCode::NOT_FOUND, "DNS queries go to /dns-query\n"));
    }
    let query = match *req.method() {
        Method::GET => from_get(req.uri().query().unwrap_or(""))?,
        Method::POST => from_post(req).await?,
        _ => return Err((StatusCode::METHOD_NOT_ALLOWED, "GET or POST /dns-query\n")),
    };
    // A DNS header is 12 octets.
    if query.len() < 12 {
        return Err((StatusCode::BAD_REQUEST, "not a DNS message (shorter than its header)\n"));
    }
    Ok(query)
}

/// The `dns` variable of a GET's query string: base64url without padding
/// (padding tolerated).
fn from_get(query: &str) -> Result<Vec<u8>, Refusal> {
    let Some(value) = query.split('&').find_map(|pair| pair.strip_prefix("dns=")) else {
        return Err((StatusCode::BAD_REQUEST, "GET needs ?dns=<base64url DNS query>\n"));
    };
    // 65,535 octets in base64 take 87,380 characters.
    if value.len() > MAX_BODY / 3 * 4 + 4 {
        return Err((StatusCode::URI_TOO_LONG, "the dns variable is longer than any DNS message\n"));
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .map_err(|_| (StatusCode::BAD_REQUEST, "the dns variable is not base64url\n"))
}

/// A POST's body: an `application/dns-message` of at most 65,535 octets,
/// sent within the TCP read timeout. A longer body is read on (and
/// dropped) up to [`DRAIN`] octets before the 413, so the client, still
/// sending, sees the answer rather than a reset stream.
async fn from_post(req: Request<Incoming>) -> Result<Vec<u8>, Refusal> {
    const TOO_LARGE: Refusal = (StatusCode::PAYLOAD_TOO_LARGE, "a DNS message is at most 65535 octets\n");
    let media = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if media.split(';').next().map(str::trim) != Some(DNS_MESSAGE) {
        return Err((StatusCode::UNSUPPORTED_MEDIA_TYPE, "POST needs Content-Type: application/dns-message\n"));
    }
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > DRAIN as u64) {
        return Err(TOO_LARGE);
    }
    let mut body = req.into_body();
    let read = async {
        let (mut kept, mut seen) = (Vec::new(), 0usize);
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return Err((StatusCode::BAD_REQUEST, "the body could not be read\n")) };
            let Ok(data) = frame.into_data() else { continue };
            seen += data.len();
            if seen > DRAIN {
                break;
            }
            if seen <= MAX_BODY {
                kept.extend_from_slice(&data);
            }
        }
        if seen > MAX_BODY { Err(TOO_LARGE) } else { Ok(kept) }
    };
    tokio::time::timeout(TCP_IO_TIMEOUT, read)
        .await
        .unwrap_or(Err((StatusCode::REQUEST_TIMEOUT, "the body did not arrive in time\n")))
}

/// The HTTP freshness lifetime of a reply (RFC 8484 §5.1): the smallest
/// TTL of its records (the OPT record is not one), 0 without records.
fn smallest_ttl(reply: &[u8]) -> u32 {
    let Ok(m) = candor_wire::Message::from_wire(reply) else { return 0 };
    m.answers.iter().chain(&m.authority).chain(&m.additional).map(|r| r.ttl).min().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candor_wire::{Message, Question, RType};

    fn query_wire() -> Vec<u8> {
        Message::query(0, Question::new("valid.test.".parse().unwrap(), RType::A)).to_wire().unwrap()
    }

    #[test]
    fn a_get_carries_its_query_in_base64url_without_padding() {
        let wire = query_wire();
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&wire);
        assert_eq!(from_get(&format!("ct=x&dns={encoded}")).unwrap(), wire);
        // Padding tolerated.
        let padded = base64::engine::general_purpose::URL_SAFE.encode(&wire);
        assert_eq!(from_get(&format!("dns={padded}")).unwrap(), wire);
        // No variable, not base64url (standard alphabet's '+' and '/'), too long.
        assert_eq!(from_get("name=x").unwrap_err().0, StatusCode::BAD_REQUEST);
        assert_eq!(from_get("dns=ab+/").unwrap_err().0, StatusCode::BAD_REQUEST);
        assert_eq!(from_get(&format!("dns={}", "A".repeat(90_000))).unwrap_err().0, StatusCode::URI_TOO_LONG);
    }

    #[test]
    fn the_freshness_lifetime_is_the_smallest_ttl_and_zero_without_records() {
        use candor_wire::{RData, Record};
        let mut m = Message::query(0, Question::new("valid.test.".parse().unwrap(), RType::A));
        assert_eq!(smallest_ttl(&m.to_wire().unwrap()), 0);
        let a = |ttl| Record::new("valid.test.".parse().unwrap(), ttl, RData::A("192.0.2.1".parse().unwrap()));
        m.answers = vec![a(300), a(60)];
        m.additional = vec![a(90)];
        assert_eq!(smallest_ttl(&m.to_wire().unwrap()), 60);
        assert_eq!(smallest_ttl(b"garbage"), 0);
    }
}

#[cfg(test)]
mod over_http2 {
    //! The server side of a connection driven by an HTTP/2 client over an
    //! in-memory pipe (the TLS around it is [`crate::listen`]'s).
    use super::*;
    use crate::acl::Acl;
    use crate::current::Current;
    use crate::slots::Slots;
    use crate::tcp::TcpSlots;
    use candor_resolver::{Config, ManualClock, NetTransport, Resolver};
    use candor_wire::{Message, Question, RType, Rcode};

    type Client = h2::client::SendRequest<Bytes>;
    type Connection = tokio::task::JoinHandle<Result<(), h2::Error>>;

    /// A server for one connection (answering locally served names only)
    /// and an HTTP/2 client on it: the client and its connection's task.
    async fn connect() -> (Client, Connection) {
        let resolver = Resolver::new(
            Config::new(Vec::new(), candor_anchor::Anchors::empty()),
            NetTransport::new(),
            ManualClock::at(0),
        );
        let current = Current::new(resolver);
        current.set_acl(Acl::new(vec!["127.0.0.0/8".parse().unwrap()]));
        let tally = current.metrics().tally(crate::tally::Via::Https);
        let parts = (Arc::clone(&current), current.acl(), Arc::new(Slots::new(64, 64)), tally);
        let (server_io, client_io) = tokio::io::duplex(1 << 16);
        tokio::spawn(async move {
            let slots = TcpSlots::new(4, 4);
            let slot = slots.take_or_evict("127.0.0.1".parse().unwrap()).await.unwrap();
            serve_conn(server_io, "127.0.0.1".parse().unwrap(), &slot, parts).await;
        });
        let (client, conn) = h2::client::handshake(client_io).await.unwrap();
        (client, tokio::spawn(conn))
    }

    fn get(query: &[u8]) -> Request<()> {
        let q = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(query);
        Request::get(format!("https://candor.test{PATH}?dns={q}")).body(()).unwrap()
    }

    fn localhost() -> Vec<u8> {
        Message::query(0, Question::new("localhost.".parse().unwrap(), RType::A)).to_wire().unwrap()
    }

    /// Send `req` (with `body`) and read the whole response.
    async fn exchange(client: &Client, req: Request<()>, body: Option<Vec<u8>>) -> (StatusCode, Vec<u8>) {
        let mut client = client.clone().ready().await.unwrap();
        let (resp, mut send) = client.send_request(req, body.is_none()).unwrap();
        if let Some(body) = body {
            send.send_data(Bytes::from(body), true).unwrap();
        }
        let resp = resp.await.unwrap();
        let status = resp.status();
        let mut body = resp.into_body();
        let mut out = Vec::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk.unwrap();
            let _ = body.flow_control().release_capacity(chunk.len());
            out.extend_from_slice(&chunk);
        }
        (status, out)
    }

    #[tokio::test]
    async fn get_and_post_are_answered_over_http2() {
        let (client, _conn) = connect().await;
        let (status, body) = exchange(&client, get(&localhost()), None).await;
        assert_eq!(status, StatusCode::OK);
        let m = Message::from_wire(&body).unwrap();
        assert_eq!((m.header.rcode, m.answers.len()), (Rcode::NOERROR, 1));
        let post = Request::post(format!("https://candor.test{PATH}"))
            .header(header::CONTENT_TYPE, DNS_MESSAGE)
            .body(())
            .unwrap();
        let (status, body) = exchange(&client, post, Some(localhost())).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(Message::from_wire(&body).unwrap().answers.len(), 1);
        // A header that promises a question and has none: the DNS error
        // travels in a 200 (FORMERR), as RFC 8484 §4.2.1 has it.
        let (status, body) = exchange(&client, get(&[0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), None).await;
        assert_eq!(status, StatusCode::OK, "{body:?}");
        assert_eq!(Message::from_wire(&body).unwrap().header.rcode, Rcode::FORMERR);
        // Shorter than a DNS header: an HTTP error.
        assert_eq!(exchange(&client, get(&[0; 5]), None).await.0, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn a_rapid_reset_flood_closes_the_connection() {
        let (client, conn) = connect().await;
        // Streams opened and cancelled at once (RST_STREAM right behind
        // their HEADERS), as in CVE-2023-44487.
        for _ in 0..1000 {
            let Ok(mut c) = client.clone().ready().await else { break };
            match c.send_request(get(&localhost()), true) {
                Ok((resp, send)) => drop((resp, send)),
                Err(_) => break,
            }
        }
        // The server sends GOAWAY (ENHANCE_YOUR_CALM) and closes: the
        // client sees that, or the broken pipe under its next write.
        let closed = tokio::time::timeout(Duration::from_secs(5), conn).await;
        assert!(matches!(closed, Ok(Ok(Err(_)))), "closed by the server: {closed:?}");
        // Another connection is served as before.
        let (client, _conn) = connect().await;
        assert_eq!(exchange(&client, get(&localhost()), None).await.0, StatusCode::OK);
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_connection_is_closed_after_the_idle_timeout() {
        let (client, conn) = connect().await;
        assert_eq!(exchange(&client, get(&localhost()), None).await.0, StatusCode::OK);
        let start = tokio::time::Instant::now();
        // The server says GOAWAY once idle; the client's connection ends.
        let ended = tokio::time::timeout(IDLE_TIMEOUT * 2, conn).await;
        assert!(matches!(ended, Ok(Ok(_))), "{ended:?}");
        assert!(start.elapsed() >= IDLE_TIMEOUT, "{:?}", start.elapsed());
    }
}
