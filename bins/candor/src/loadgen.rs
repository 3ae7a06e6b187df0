//! The load generator of `candor bench`: UDP queries to one server, a
//! fixed number outstanding (each on its own socket, a new query as soon
//! as the last is answered or timed out), optionally paced to a rate,
//! until the names or the time run out. It records each answer's latency
//! and what kind of answer it was, from the header alone.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use candor_wire::{Edns, Message, Name, Question, RType};
use tokio::net::UdpSocket;

/// How a run is driven.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Load {
    /// Queries outstanding at once.
    pub concurrency: usize,
    /// Stop after this long.
    pub duration: Duration,
    /// Queries per second in all (0: as fast as answers come).
    pub rate: u64,
    /// A query unanswered this long is lost.
    pub timeout: Duration,
}

/// What kind of answer came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// NOERROR or NXDOMAIN with AD: validated.
    Secure,
    /// NOERROR or NXDOMAIN without AD.
    Insecure,
    /// SERVFAIL.
    Servfail,
    /// Anything else (REFUSED, FORMERR, a truncated answer...).
    Other,
}

impl Outcome {
    /// The word the report uses.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Secure => "secure",
            Outcome::Insecure => "insecure",
            Outcome::Servfail => "servfail",
            Outcome::Other => "other",
        }
    }

    fn of(reply: &[u8]) -> Outcome {
        let (Some(&b2), Some(&b3)) = (reply.get(2), reply.get(3)) else { return Outcome::Other };
        let (tc, ad, rcode) = (b2 & 0x02 != 0, b3 & 0x20 != 0, b3 & 0x0f);
        match (tc, rcode, ad) {
            (true, _, _) => Outcome::Other,
            (false, 0 | 3, true) => Outcome::Secure,
            (false, 0 | 3, false) => Outcome::Insecure,
            (false, 2, _) => Outcome::Servfail,
            _ => Outcome::Other,
        }
    }
}

/// What one run measured.
#[derive(Debug, Clone, Default)]
pub(crate) struct Measured {
    /// Queries sent.
    pub sent: usize,
    /// Latencies of the answered queries, in microseconds, sorted.
    pub latencies: Vec<u32>,
    /// Answers by kind: secure, insecure, servfail, other.
    pub outcomes: [usize; 4],
    /// Queries that were not answered in time.
    pub lost: usize,
    /// From the first query sent to the last answer (or timeout).
    pub elapsed: Duration,
    /// Answers that came truncated and were asked again over TCP.
    pub tcp: usize,
}

impl Measured {
    /// Answers per second.
    pub(crate) fn qps(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 { self.latencies.len() as f64 / s } else { 0.0 }
    }

    /// The latency (ms) below which `q` (0..1) of the answers came.
    pub(crate) fn percentile_ms(&self, q: f64) -> Option<f64> {
        let n = self.latencies.len();
        if n == 0 {
            return None;
        }
        let i = ((q * n as f64).ceil() as usize).clamp(1, n) - 1;
        self.latencies.get(i).map(|us| f64::from(*us) / 1000.0)
    }

    /// The commonest kind of answer and its share of all answers.
    pub(crate) fn main_outcome(&self) -> Option<(Outcome, f64)> {
        let total: usize = self.outcomes.iter().sum();
        let kinds = [Outcome::Secure, Outcome::Insecure, Outcome::Servfail, Outcome::Other];
        let (i, n) = self.outcomes.iter().enumerate().max_by_key(|(_, n)| **n)?;
        (total > 0).then(|| (kinds[i], *n as f64 / total as f64))
    }
}

/// The names a run asks.
#[derive(Debug, Clone)]
pub(crate) enum Names {
    /// Each once, in order.
    Each(Vec<Name>),
    /// This one, as often as the run lasts.
    Same(Name),
}

impl Names {
    fn get(&self, i: usize) -> Option<&Name> {
        match self {
            Names::Each(v) => v.get(i),
            Names::Same(n) => Some(n),
        }
    }
}

/// One query for `name`/A with DO set and a 1,232-octet EDNS buffer.
pub(crate) fn query(id: u16, name: &Name) -> Option<Vec<u8>> {
    let mut q = Message::query(id, Question::new(name.clone(), RType::A));
    q.edns = Some(Edns { dnssec_ok: true, ..Edns::default() });
    q.to_wire().ok()
}

/// Ask `server` for `names[0..]` as `load` says; names are used once each.
pub(crate) async fn run(server: SocketAddr, names: Arc<Names>, load: Load) -> std::io::Result<Measured> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let deadline = start + load.duration;
    let mut tasks = Vec::with_capacity(load.concurrency);
    for _ in 0..load.concurrency.max(1) {
        let sock = UdpSocket::bind(if server.is_ipv4() { "127.0.0.1:0" } else { "[::1]:0" }).await?;
        sock.connect(server).await?;
        let (names, next) = (Arc::clone(&names), Arc::clone(&next));
        tasks.push(tokio::spawn(async move { client(sock, names, next, start, deadline, load).await }));
    }
    let mut m = Measured::default();
    for t in tasks {
        let Ok(part) = t.await else { continue };
        m.sent += part.sent;
        m.lost += part.lost;
        m.tcp += part.tcp;
        m.latencies.extend(part.latencies);
        for (a, b) in m.outcomes.iter_mut().zip(part.outcomes) {
            *a += b;
        }
        m.elapsed = m.elapsed.max(part.elapsed);
    }
    m.latencies.sort_unstable();
    Ok(m)
}

/// One outstanding query at a time on `sock`.
async fn client(
    sock: UdpSocket,
    names: Arc<Names>,
    next: Arc<AtomicUsize>,
    start: Instant,
    deadline: Instant,
    load: Load,
) -> Measured {
    let mut m = Measured::default();
    let mut buf = vec![0u8; 65_535];
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(name) = names.get(i) else { break };
        if load.rate > 0 {
            let due = start + Duration::from_secs_f64(i as f64 / load.rate as f64);
            tokio::time::sleep_until(due.into()).await;
        }
        if Instant::now() >= deadline {
            break;
        }
        let id = (i as u16) ^ 0x5a5a;
        let Some(wire) = query(id, name) else { continue };
        let sent = Instant::now();
        if sock.send(&wire).await.is_err() {
            m.lost += 1;
            continue;
        }
        m.sent += 1;
        let until = sent + load.timeout;
        // Late answers to earlier, timed-out queries are skipped.
        let answer = loop {
            match tokio::time::timeout_at(until.into(), sock.recv(&mut buf)).await {
                Ok(Ok(n)) if n >= 12 && buf.get(..2) == Some(&id.to_be_bytes()[..]) => break buf.get(..n),
                Ok(Ok(_)) => continue,
                Ok(Err(_)) | Err(_) => break None,
            }
        };
        // A truncated answer is asked again over TCP, as a stub would.
        let tcp_reply;
        let answer = match answer {
            Some(reply) if reply.get(2).is_some_and(|b| b & 0x02 != 0) => {
                m.tcp += 1;
                tcp_reply = tokio::time::timeout_at(until.into(), over_tcp(sock.peer_addr(), &wire)).await;
                match &tcp_reply {
                    Ok(Ok(r)) if r.get(..2) == Some(&id.to_be_bytes()[..]) => Some(&r[..]),
                    _ => None,
                }
            }
            other => other,
        };
        match answer {
            Some(reply) => {
                let us = sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                m.latencies.push(us);
                let k = match Outcome::of(reply) {
                    Outcome::Secure => 0,
                    Outcome::Insecure => 1,
                    Outcome::Servfail => 2,
                    Outcome::Other => 3,
                };
                m.outcomes[k] += 1;
            }
            None => m.lost += 1,
        }
        m.elapsed = start.elapsed();
    }
    m
}

/// One query over a new TCP connection to where `sock` is connected.
pub(crate) async fn over_tcp(peer: std::io::Result<SocketAddr>, wire: &[u8]) -> std::io::Result<Vec<u8>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(peer?).await?;
    let len = u16::try_from(wire.len()).map_err(|_| std::io::ErrorKind::InvalidInput)?;
    let mut framed = Vec::with_capacity(wire.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(wire);
    conn.write_all(&framed).await?;
    let n = conn.read_u16().await?;
    let mut reply = vec![0u8; usize::from(n)];
    conn.read_exact(&mut reply).await?;
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_is_read_from_the_header() {
        // flags: QR RD RA, then AD or not, rcode.
        assert_eq!(Outcome::of(&[0, 0, 0x81, 0xa0, 0, 0]), Outcome::Secure);
        assert_eq!(Outcome::of(&[0, 0, 0x81, 0xa3, 0, 0]), Outcome::Secure);
        assert_eq!(Outcome::of(&[0, 0, 0x81, 0x80, 0, 0]), Outcome::Insecure);
        assert_eq!(Outcome::of(&[0, 0, 0x81, 0x82, 0, 0]), Outcome::Servfail);
        assert_eq!(Outcome::of(&[0, 0, 0x83, 0xa0, 0, 0]), Outcome::Other, "truncated");
        assert_eq!(Outcome::of(&[0, 0, 0x81, 0x85, 0, 0]), Outcome::Other, "refused");
        assert_eq!(Outcome::of(&[0, 0]), Outcome::Other);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let m = Measured { latencies: (1..=1000).map(|i| i * 1000).collect(), ..Measured::default() };
        assert_eq!(m.percentile_ms(0.5), Some(500.0));
        assert_eq!(m.percentile_ms(0.99), Some(990.0));
        assert_eq!(m.percentile_ms(0.999), Some(999.0));
        assert_eq!(Measured::default().percentile_ms(0.5), None);
    }
}
