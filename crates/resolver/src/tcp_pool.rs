//! Upstream TCP connections kept open for the next question to the same
//! server (RFC 7766 §6.2.1: a resolver should reuse a connection rather
//! than open one per query). An answer too large for UDP comes again over
//! TCP; a zone whose answers all are (an attack, or just large RRsets)
//! would otherwise cost a handshake and a teardown per name.
//!
//! A connection goes back only after it carried one exchange cleanly (the
//! matching answer read, nothing left half-read); it is lent to one query
//! at a time, kept at most [`IDLE_FOR`] (servers close idle connections
//! on their own schedule: BIND after 30 s, the lab after 10), at most
//! [`PER_SERVER`] per server and [`SERVERS`] servers. Off-path spoofing
//! does not apply to an established connection, so reuse gives nothing
//! away. Connections wait as `std` streams: one registers with whichever
//! runtime's reactor takes it, so the pool crosses runtimes.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpStream as StdStream};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

/// How long a connection is kept idle.
pub(crate) const IDLE_FOR: Duration = Duration::from_secs(3);

/// Idle connections kept per server.
pub(crate) const PER_SERVER: usize = 4;

/// Servers with idle connections kept.
pub(crate) const SERVERS: usize = 64;

/// The idle connections, by server.
#[derive(Debug, Default)]
pub(crate) struct TcpPool {
    idle: Mutex<HashMap<SocketAddr, Vec<(StdStream, Instant)>>>,
}

impl TcpPool {
    /// An empty pool.
    pub(crate) fn new() -> TcpPool {
        TcpPool::default()
    }

    /// The most recently returned connection to `server` still young
    /// enough, if any (older ones are closed on the way).
    pub(crate) fn take(&self, server: SocketAddr) -> Option<TcpStream> {
        let now = Instant::now();
        let stream = {
            let mut idle = crate::sync::lock(&self.idle);
            let conns = idle.get_mut(&server)?;
            conns.retain(|(_, since)| now.duration_since(*since) < IDLE_FOR);
            let stream = conns.pop().map(|(s, _)| s);
            if conns.is_empty() {
                idle.remove(&server);
            }
            stream
        }?;
        TcpStream::from_std(stream).ok()
    }

    /// Keep `stream` to `server` for the next question, if there is room.
    pub(crate) fn give_back(&self, server: SocketAddr, stream: TcpStream) {
        let Ok(stream) = stream.into_std() else { return };
        let now = Instant::now();
        let mut idle = crate::sync::lock(&self.idle);
        if idle.len() >= SERVERS && !idle.contains_key(&server) {
            // Make room from connections past their time, else keep none.
            idle.retain(|_, conns| {
                conns.retain(|(_, since)| now.duration_since(*since) < IDLE_FOR);
                !conns.is_empty()
            });
            if idle.len() >= SERVERS {
                return;
            }
        }
        let conns = idle.entry(server).or_default();
        if conns.len() < PER_SERVER {
            conns.push((stream, now));
        }
    }

    /// Idle connections held (for tests).
    #[cfg(test)]
    pub(crate) fn idle(&self) -> usize {
        crate::sync::lock(&self.idle).values().map(Vec::len).sum()
    }
}
