//! The network seam. The resolver hands a query to a [`Transport`] and
//! gets the response back; deciding when to retry over TCP (on TC) is the
//! iterator's business, the transport only carries.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ring::rand::{SecureRandom, SystemRandom};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::socket_pool::SocketPool;
use crate::tcp_pool::TcpPool;

/// UDP or TCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// UDP.
    Udp,
    /// TCP (RFC 7766), length-prefixed.
    Tcp,
}

/// Why no response came back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// Nothing acceptable arrived in time.
    #[error("no response from {0} in time")]
    Timeout(SocketAddr),
    /// The server could not be reached (refused, unreachable, no route).
    #[error("{server} unreachable: {kind}")]
    Unreachable {
        /// The server.
        server: SocketAddr,
        /// The I/O error kind.
        kind: std::io::ErrorKind,
    },
    /// The query is not a DNS message (shorter than a header).
    #[error("query too short")]
    BadQuery,
    /// The randomness source failed.
    #[error("no randomness for the query ID")]
    Random,
    /// Nothing acceptable arrived in time, but a reply that matched all
    /// but the case of the name did (0x20): a server that does not echo
    /// case, or a spoofer; to be asked again over TCP.
    #[error("{0} did not echo the query name's case")]
    CaseMismatch(SocketAddr),
}

/// Carries one query to one server and brings back its response.
pub trait Transport: Send + Sync {
    /// Send `query` (wire format) to `server` over `protocol`; the response
    /// (wire format) or why there is none.
    fn query(
        &self,
        server: SocketAddr,
        protocol: Protocol,
        query: &[u8],
        timeout: Duration,
    ) -> impl Future<Output = Result<Vec<u8>, TransportError>> + Send;
}

/// The production transport: a UDP socket drawn at random from a large
/// pool or fresh (see `socket_pool`: 10 bits of port entropy against a
/// spoofer who has learnt every pooled port, 14.8 against one who has
/// not), a TCP connection kept from the last question to the same server
/// or fresh (`tcp_pool`), and a fresh random ID for every query; a
/// UDP response is taken only from the address and port asked, with the
/// same ID and question.
///
/// With case randomisation (0x20, on by default) the letters of the name
/// asked are sent in random case, and a UDP reply must echo them exactly:
/// one that does not is what a spoofer who guessed port and ID sends, and
/// is dropped while the wait goes on. A server that never echoes the case
/// shows up as [`TransportError::CaseMismatch`] (the caller asks again over
/// TCP); only after three such answers over TCP, where nobody
/// off the path can spoof, is it asked without mixed case, for an
/// hour. One spoofed packet changes nothing here.
#[derive(Debug)]
pub struct NetTransport {
    rng: SystemRandom,
    mix_case: bool,
    /// Servers seen over TCP not echoing the case: (count, exempt until).
    exempt: std::sync::Mutex<lru::LruCache<IpAddr, (u8, Option<std::time::Instant>)>>,
    /// Sockets open at once (each query holds one).
    sockets: tokio::sync::Semaphore,
    /// UDP sockets for reuse, drawn at random.
    pool: SocketPool,
    /// TCP connections kept for the next question to the same server.
    tcp: TcpPool,
}

/// Answers over TCP without the case echoed before a server is exempted.
pub(crate) const EXEMPT_AFTER: u8 = 3;

/// How long an exemption from case randomisation lasts.
pub(crate) const EXEMPT_FOR: Duration = Duration::from_secs(3600);

/// Servers whose case-echo record is kept.
const EXEMPT_KEPT: usize = 1024;

/// Upstream sockets open at once; a query past it waits (within its
/// timeout) for one to close.
pub(crate) const MAX_SOCKETS: usize = 4096;

/// The largest UDP response read (the resolver advertises 1232 octets;
/// a server that sends more is cut here and the reply does not parse).
const UDP_BUFFER: usize = 4096;

impl NetTransport {
    /// A transport over the host's network, with case randomisation.
    pub fn new() -> NetTransport {
        NetTransport::with_case_randomisation(true)
    }

    /// A transport over the host's network; `mix_case` sets 0x20.
    pub fn with_case_randomisation(mix_case: bool) -> NetTransport {
        let kept = std::num::NonZeroUsize::new(EXEMPT_KEPT).unwrap_or(std::num::NonZeroUsize::MIN);
        NetTransport {
            rng: SystemRandom::new(),
            mix_case,
            exempt: std::sync::Mutex::new(lru::LruCache::new(kept)),
            sockets: tokio::sync::Semaphore::new(MAX_SOCKETS),
            pool: SocketPool::new(),
            tcp: TcpPool::new(),
        }
    }

    /// Is `server` exempt from case randomisation now?
    fn exempt(&self, server: IpAddr) -> bool {
        let mut m = crate::sync::lock(&self.exempt);
        match m.get(&server) {
            Some((_, Some(until))) if *until > std::time::Instant::now() => true,
            Some((_, Some(_))) => {
                m.pop(&server);
                false
            }
            _ => false,
        }
    }

    /// `server` answered over TCP without echoing the case.
    fn no_echo_over_tcp(&self, server: IpAddr) {
        let mut m = crate::sync::lock(&self.exempt);
        let entry = m.get_or_insert_mut(server, || (0, None));
        entry.0 = entry.0.saturating_add(1);
        if entry.0 >= EXEMPT_AFTER && entry.1.is_none() {
            entry.1 = Some(std::time::Instant::now() + EXEMPT_FOR);
            tracing::info!(%server, "does not echo the query name's case over TCP: asked without 0x20 for an hour");
        }
    }

    /// Set the letters of the question name in `q` to random case (a
    /// query's name is uncompressed, and no length octet is a letter).
    fn mix_case(&self, q: &mut [u8]) -> Result<(), TransportError> {
        let Some(len) = question_bytes(q).map(|b| b.len().saturating_sub(4)) else { return Ok(()) };
        let mut random = vec![0u8; len];
        self.rng.fill(&mut random).map_err(|_| TransportError::Random)?;
        if let Some(name) = q.get_mut(12..12 + len) {
            for (b, r) in name.iter_mut().zip(&random) {
                if b.is_ascii_alphabetic() {
                    *b = if r & 1 == 1 { b.to_ascii_uppercase() } else { b.to_ascii_lowercase() };
                }
            }
        }
        Ok(())
    }
}

impl Default for NetTransport {
    fn default() -> NetTransport {
        NetTransport::new()
    }
}

/// The first question of a message, octets 12 to the end of its QCLASS
/// (names in queries are uncompressed).
fn question_bytes(msg: &[u8]) -> Option<&[u8]> {
    let mut i = 12;
    loop {
        let len = usize::from(*msg.get(i)?);
        if len == 0 {
            return msg.get(12..i + 5);
        }
        if len & 0xc0 != 0 {
            return None;
        }
        i += 1 + len;
    }
}

/// Does `resp` answer `query`: same ID, QR set, and the same question
/// octet for octet (so a 0x20-mixed case must come back as sent)?
pub fn matches_query(query: &[u8], resp: &[u8]) -> bool {
    answers(query, resp, false)
}

/// Does `resp` answer `query`, the question compared octet for octet or,
/// with `any_case`, ignoring the case of letters?
fn answers(query: &[u8], resp: &[u8], any_case: bool) -> bool {
    let same_id = query.get(..2).is_some() && query.get(..2) == resp.get(..2);
    let qr = resp.get(2).is_some_and(|b| b & 0x80 != 0);
    let qd_count = |m: &[u8]| Some(u16::from_be_bytes([*m.get(4)?, *m.get(5)?]));
    let same_question = match (question_bytes(query), resp.get(12..)) {
        (Some(q), Some(rest)) => {
            let echoed = rest.get(..q.len()).is_some_and(|r| if any_case { r.eq_ignore_ascii_case(q) } else { r == q });
            qd_count(resp) == Some(1) && echoed
        }
        _ => false,
    };
    same_id && qr && same_question
}

impl NetTransport {
    /// Send the `framed` query on `s` and read until its answer comes
    /// (anything else on the connection is skipped); the connection is
    /// kept for the next question to `server`.
    async fn tcp_exchange(
        &self,
        mut s: TcpStream,
        server: SocketAddr,
        framed: &[u8],
        q: &[u8],
        mixed: bool,
    ) -> std::io::Result<Vec<u8>> {
        s.write_all(framed).await?;
        loop {
            let mut len = [0u8; 2];
            s.read_exact(&mut len).await?;
            let mut resp = vec![0u8; usize::from(u16::from_be_bytes(len))];
            s.read_exact(&mut resp).await?;
            // Nobody off the path speaks on this connection: the case
            // need not be echoed, but it is noted.
            if answers(q, &resp, true) {
                if mixed && !matches_query(q, &resp) {
                    self.no_echo_over_tcp(server.ip());
                }
                self.tcp.give_back(server, s);
                return Ok(resp);
            }
        }
    }
}

impl Transport for NetTransport {
    async fn query(
        &self,
        server: SocketAddr,
        protocol: Protocol,
        query: &[u8],
        timeout: Duration,
    ) -> Result<Vec<u8>, TransportError> {
        if query.len() < 12 {
            return Err(TransportError::BadQuery);
        }
        // The ID and the socket pool's slot, from one draw.
        let mut random = [0u8; 4];
        self.rng.fill(&mut random).map_err(|_| TransportError::Random)?;
        let (id, slot) = ([random[0], random[1]], u16::from_le_bytes([random[2], random[3]]));
        let mut q = query.to_vec();
        if let Some(dst) = q.get_mut(..2) {
            dst.copy_from_slice(&id);
        }
        let mixed = self.mix_case && !self.exempt(server.ip());
        if mixed {
            self.mix_case(&mut q)?;
        }
        let unreachable = |e: std::io::Error| TransportError::Unreachable { server, kind: e.kind() };
        // Set when a reply matched all but the case of the name.
        let mut case_mismatch = false;
        let work = async {
            let _socket = self.sockets.acquire().await.map_err(|_| TransportError::Timeout(server))?;
            match protocol {
                Protocol::Udp => {
                    let lease = self.pool.take(server, slot).map_err(unreachable)?;
                    lease.sock.send_to(&q, server).await.map_err(unreachable)?;
                    let mut buf = vec![0u8; UDP_BUFFER];
                    // Anything but the answer heard on the socket: it is
                    // closed after this query, not lent again.
                    let mut noise = false;
                    loop {
                        let (n, from) = lease.sock.recv_from(&mut buf).await.map_err(unreachable)?;
                        let resp = buf.get(..n).unwrap_or(&[]);
                        // Anything else is ignored: a spoofer must guess port, ID and question.
                        if from == server && matches_query(&q, resp) {
                            let resp = resp.to_vec();
                            if !noise {
                                self.pool.give_back(lease, server.is_ipv6());
                            }
                            return Ok(resp);
                        }
                        noise = true;
                        case_mismatch |= from == server && mixed && answers(&q, resp, true);
                    }
                }
                Protocol::Tcp => {
                    let len = u16::try_from(q.len()).map_err(|_| TransportError::BadQuery)?;
                    let mut framed = len.to_be_bytes().to_vec();
                    framed.extend_from_slice(&q);
                    // A kept connection first; one the server has closed
                    // meanwhile fails at once, and a fresh one is opened.
                    if let Some(kept) = self.tcp.take(server)
                        && let Ok(resp) = self.tcp_exchange(kept, server, &framed, &q, mixed).await
                    {
                        return Ok(resp);
                    }
                    let fresh = TcpStream::connect(server).await.map_err(unreachable)?;
                    self.tcp_exchange(fresh, server, &framed, &q, mixed).await.map_err(unreachable)
                }
            }
        };
        let mut resp = match tokio::time::timeout(timeout, work).await {
            Ok(r) => r?,
            Err(_) if case_mismatch => return Err(TransportError::CaseMismatch(server)),
            Err(_) => return Err(TransportError::Timeout(server)),
        };
        // Hand the caller back its own ID and its own spelling of the
        // question (names compressed against it follow).
        if let (Some(dst), Some(src)) = (resp.get_mut(..2), query.get(..2)) {
            dst.copy_from_slice(src);
        }
        if let Some(asked) = question_bytes(query)
            && let Some(dst) = resp.get_mut(12..12 + asked.len())
        {
            dst.copy_from_slice(asked);
        }
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::UdpSocket;

    /// A query for `name` A (ID 0x1234), as the resolver builds it.
    fn query_for(name: &str) -> Vec<u8> {
        let mut q = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        for label in name.split('.').filter(|l| !l.is_empty()) {
            q.push(label.len() as u8);
            q.extend_from_slice(label.as_bytes());
        }
        q.extend_from_slice(&[0, 0, 1, 0, 1]);
        q
    }

    /// `query` turned into its response, the question's letters lowered
    /// when `lower` (what a spoofer, or a server that does not echo, sends).
    fn reply_to(query: &[u8], lower: bool) -> Vec<u8> {
        let mut r = query.to_vec();
        r[2] |= 0x80;
        if lower {
            r[12..].make_ascii_lowercase();
        }
        r
    }

    #[tokio::test]
    async fn a_reply_that_does_not_echo_the_mixed_case_is_dropped_and_the_wait_goes_on() {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            loop {
                let (n, from) = server.recv_from(&mut buf).await.unwrap();
                let q = &buf[..n];
                // The spoofer's NXDOMAIN first (right port and ID, the
                // name in lower case), then the real answer.
                let mut spoofed = reply_to(q, true);
                spoofed[3] |= 3;
                server.send_to(&spoofed, from).await.unwrap();
                server.send_to(&reply_to(q, false), from).await.unwrap();
            }
        });
        let t = NetTransport::new();
        let q = query_for("www.example.com.");
        let resp = t.query(addr, Protocol::Udp, &q, Duration::from_secs(2)).await.unwrap();
        // Taken: the echoing reply, handed back in the caller's spelling.
        assert_eq!(resp[3] & 0x0f, 0, "the spoofed NXDOMAIN was taken");
        assert_eq!(&resp[12..], &q[12..]);
        // A socket someone tried to spoof is closed, not lent again.
        assert_eq!(t.pool.idle(), 0);
    }

    #[tokio::test]
    async fn a_socket_is_lent_again_only_after_a_clean_exchange_and_in_another_runtime_too() {
        let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            while let Ok((n, from)) = server.recv_from(&mut buf) {
                let _ = server.send_to(&reply_to(&buf[..n], false), from);
            }
        });
        let t = std::sync::Arc::new(NetTransport::with_case_randomisation(false));
        let q = query_for("www.example.com.");
        assert!(t.query(addr, Protocol::Udp, &q, Duration::from_secs(2)).await.is_ok());
        assert_eq!(t.pool.idle(), 1, "put back after a clean exchange");
        // Queries from another runtime (the pool keeps sockets unregistered).
        let t2 = std::sync::Arc::clone(&t);
        let ok = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let mut ok = 0;
                for _ in 0..200 {
                    ok += usize::from(t2.query(addr, Protocol::Udp, &q, Duration::from_secs(2)).await.is_ok());
                }
                ok
            })
        })
        .join()
        .unwrap();
        assert_eq!(ok, 200);
        // Sockets from random slots came back: more than one, at most one a query.
        let idle = t.pool.idle();
        assert!((2..=201).contains(&idle), "{idle}");
    }

    #[tokio::test]
    async fn a_server_that_never_echoes_is_a_case_mismatch_and_is_exempted_only_after_tcp_evidence() {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = udp.local_addr().unwrap();
        let tcp = tokio::net::TcpListener::bind(addr).await.unwrap();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Vec<u8>>::new()));
        let log = std::sync::Arc::clone(&seen);
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            loop {
                let (n, from) = udp.recv_from(&mut buf).await.unwrap();
                log.lock().unwrap().push(buf[..n].to_vec());
                udp.send_to(&reply_to(&buf[..n], true), from).await.unwrap();
            }
        });
        tokio::spawn(async move {
            loop {
                let (mut s, _) = tcp.accept().await.unwrap();
                let mut len = [0u8; 2];
                s.read_exact(&mut len).await.unwrap();
                let mut q = vec![0u8; usize::from(u16::from_be_bytes(len))];
                s.read_exact(&mut q).await.unwrap();
                let r = reply_to(&q, true);
                s.write_all(&(r.len() as u16).to_be_bytes()).await.unwrap();
                s.write_all(&r).await.unwrap();
            }
        });
        let t = NetTransport::new();
        // A long name: the odds that random case comes out all lower are nil.
        let q = query_for("abcdefghijklmnopqrstuvwxyzabcdefghij.example.com.");
        let wait = Duration::from_millis(300);
        for round in 0..EXEMPT_AFTER {
            let udp = t.query(addr, Protocol::Udp, &q, wait).await;
            assert_eq!(udp, Err(TransportError::CaseMismatch(addr)), "round {round}");
            // Over TCP the reply is taken, in the caller's spelling.
            let resp = t.query(addr, Protocol::Tcp, &q, wait).await.unwrap();
            assert_eq!(&resp[12..], &q[12..]);
        }
        // Exempted now: asked as the caller spelled it, and answered.
        assert!(t.query(addr, Protocol::Udp, &q, wait).await.is_ok());
        let sent = seen.lock().unwrap();
        assert!(sent[..sent.len() - 1].iter().all(|s| s[12..] != q[12..]), "mixed case before the exemption");
        assert_eq!(sent[sent.len() - 1][12..], q[12..], "plain case after it");
    }

    /// A TCP server on loopback answering every query (case kept) and,
    /// with `one_each`, closing each connection after one answer; how many
    /// connections it accepted.
    async fn tcp_server(one_each: bool) -> (SocketAddr, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let accepted = std::sync::Arc::new(AtomicUsize::new(0));
        let count = std::sync::Arc::clone(&accepted);
        tokio::spawn(async move {
            loop {
                let (mut s, _) = tcp.accept().await.unwrap();
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    loop {
                        let mut len = [0u8; 2];
                        if s.read_exact(&mut len).await.is_err() {
                            return;
                        }
                        let mut q = vec![0u8; usize::from(u16::from_be_bytes(len))];
                        s.read_exact(&mut q).await.unwrap();
                        let r = reply_to(&q, false);
                        let mut out = (r.len() as u16).to_be_bytes().to_vec();
                        out.extend_from_slice(&r);
                        s.write_all(&out).await.unwrap();
                        if one_each {
                            return;
                        }
                    }
                });
            }
        });
        (addr, accepted)
    }

    #[tokio::test]
    async fn a_tcp_connection_is_kept_for_the_next_question() {
        let (addr, accepted) = tcp_server(false).await;
        let t = NetTransport::new();
        let wait = Duration::from_secs(2);
        for name in ["a.example.", "b.example.", "c.example."] {
            let resp = t.query(addr, Protocol::Tcp, &query_for(name), wait).await.unwrap();
            assert_eq!(&resp[12..], &query_for(name)[12..]);
        }
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1, "one connection for three questions");
        assert_eq!(t.tcp.idle(), 1);
    }

    #[tokio::test]
    async fn a_kept_connection_the_server_closed_gives_way_to_a_fresh_one() {
        let (addr, accepted) = tcp_server(true).await;
        let t = NetTransport::new();
        let wait = Duration::from_secs(2);
        for name in ["a.example.", "b.example.", "c.example."] {
            let resp = t.query(addr, Protocol::Tcp, &query_for(name), wait).await.unwrap();
            assert_eq!(&resp[12..], &query_for(name)[12..], "{name}");
        }
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn one_spoofed_reply_over_udp_does_not_exempt_a_server() {
        let t = NetTransport::new();
        let server: SocketAddr = "127.0.0.1:53".parse().unwrap();
        // Only TCP evidence counts; nothing recorded over UDP.
        assert!(!t.exempt(server.ip()));
        t.no_echo_over_tcp(server.ip());
        assert!(!t.exempt(server.ip()), "one answer is not enough");
    }

    #[test]
    fn a_response_must_repeat_id_and_question_exactly() {
        let q = [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, b'A', 0, 0, 1, 0, 1];
        let mut r = q;
        r[2] |= 0x80;
        assert!(matches_query(&q, &r));
        let mut other_case = r;
        other_case[13] = b'a';
        assert!(!matches_query(&q, &other_case), "0x20: case must come back as sent");
        let mut other_id = r;
        other_id[1] = 0x35;
        assert!(!matches_query(&q, &other_id));
        assert!(!matches_query(&q, &q), "a query is not a response");
        let mut other_type = r;
        other_type[16] = 28;
        assert!(!matches_query(&q, &other_type));
        assert!(!matches_query(&q, &r[..15]));
    }
}
