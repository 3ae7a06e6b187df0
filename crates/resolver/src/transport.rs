//! The network seam. The resolver hands a query to a [`Transport`] and
//! gets the response back; deciding when to retry over TCP (on TC) is the
//! iterator's business, the transport only carries.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use ring::rand::{SecureRandom, SystemRandom};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

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

/// The production transport: a fresh socket (so a fresh random source
/// port) and a fresh random ID for every query; a UDP response is taken
/// only from the address and port asked, with the same ID and question.
#[derive(Debug)]
pub struct NetTransport {
    rng: SystemRandom,
}

impl NetTransport {
    /// A transport over the host's network.
    pub fn new() -> NetTransport {
        NetTransport { rng: SystemRandom::new() }
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
    let same_id = query.get(..2).is_some() && query.get(..2) == resp.get(..2);
    let qr = resp.get(2).is_some_and(|b| b & 0x80 != 0);
    let qd_count = |m: &[u8]| Some(u16::from_be_bytes([*m.get(4)?, *m.get(5)?]));
    let same_question = match (question_bytes(query), resp.get(12..)) {
        (Some(q), Some(rest)) => qd_count(resp) == Some(1) && rest.starts_with(q),
        _ => false,
    };
    same_id && qr && same_question
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
        let mut id = [0u8; 2];
        self.rng.fill(&mut id).map_err(|_| TransportError::Random)?;
        let mut q = query.to_vec();
        if let Some(dst) = q.get_mut(..2) {
            dst.copy_from_slice(&id);
        }
        let unreachable = |e: std::io::Error| TransportError::Unreachable { server, kind: e.kind() };
        let work = async {
            match protocol {
                Protocol::Udp => {
                    let local: SocketAddr = match server.ip() {
                        IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
                        IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
                    };
                    let sock = UdpSocket::bind(local).await.map_err(unreachable)?;
                    sock.send_to(&q, server).await.map_err(unreachable)?;
                    let mut buf = vec![0u8; 65_535];
                    loop {
                        let (n, from) = sock.recv_from(&mut buf).await.map_err(unreachable)?;
                        let resp = buf.get(..n).unwrap_or(&[]);
                        // Anything else is ignored: a spoofer must guess port, ID and question.
                        if from == server && matches_query(&q, resp) {
                            return Ok(resp.to_vec());
                        }
                    }
                }
                Protocol::Tcp => {
                    let mut s = TcpStream::connect(server).await.map_err(unreachable)?;
                    let len = u16::try_from(q.len()).map_err(|_| TransportError::BadQuery)?;
                    let mut out = len.to_be_bytes().to_vec();
                    out.extend_from_slice(&q);
                    s.write_all(&out).await.map_err(unreachable)?;
                    loop {
                        let mut len = [0u8; 2];
                        s.read_exact(&mut len).await.map_err(unreachable)?;
                        let mut resp = vec![0u8; usize::from(u16::from_be_bytes(len))];
                        s.read_exact(&mut resp).await.map_err(unreachable)?;
                        if matches_query(&q, &resp) {
                            return Ok(resp);
                        }
                    }
                }
            }
        };
        let mut resp = tokio::time::timeout(timeout, work).await.map_err(|_| TransportError::Timeout(server))??;
        // Hand the caller back its own ID.
        if let (Some(dst), Some(src)) = (resp.get_mut(..2), query.get(..2)) {
            dst.copy_from_slice(src);
        }
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
