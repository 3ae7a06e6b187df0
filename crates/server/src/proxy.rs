//! The PROXY protocol version 2 header (HAProxy's "PROXY protocol" spec,
//! as dnsdist's `useProxyProtocol` sends it): what a trusted load balancer
//! puts before each UDP query and at the start of each TCP connection, so
//! the ACL, the per-client limits and the logs see the real client.
//!
//! Only headers from the configured proxies are read ([`crate::Acl`]); a
//! proxy's query without one is dropped (it could be anyone's). TLVs are
//! skipped; a LOCAL header (the proxy's own health checks) leaves the
//! proxy as the client.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The 12 octets every version 2 header starts with.
pub(crate) const SIGNATURE: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";

/// The fixed part: signature, version and command, family, length.
pub(crate) const FIXED: usize = 16;

/// The most address and TLV octets taken after the fixed part (dnsdist's
/// own limit for what it accepts is 512).
pub(crate) const MAX_PAYLOAD: usize = 512;

/// Why a header was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    /// The datagram or connection does not start with the signature.
    #[error("no PROXY v2 header")]
    Missing,
    /// Shorter than its length field says.
    #[error("PROXY v2 header truncated")]
    Truncated,
    /// Not version 2, or neither LOCAL nor PROXY.
    #[error("PROXY header version/command {0:#04x}")]
    Command(u8),
    /// An address family and transport it does not carry for DNS.
    #[error("PROXY v2 family {0:#04x} not TCP or UDP over IPv4 or IPv6")]
    Family(u8),
    /// More address and TLV octets than 512, or fewer than
    /// the addresses need.
    #[error("PROXY v2 length {0}")]
    Length(usize),
}

/// A header read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// The real client (`None`: a LOCAL header, the proxy itself).
    pub(crate) source: Option<SocketAddr>,
    /// Octets the header takes, the DNS message follows.
    pub(crate) len: usize,
}

/// The length of the whole header from its fixed part (to read the rest
/// of it off a TCP connection).
pub(crate) fn total_len(fixed: &[u8; FIXED]) -> Result<usize, ProxyError> {
    if fixed.get(..12) != Some(SIGNATURE.as_slice()) {
        return Err(ProxyError::Missing);
    }
    let payload = usize::from(u16::from_be_bytes([fixed[14], fixed[15]]));
    if payload > MAX_PAYLOAD {
        return Err(ProxyError::Length(payload));
    }
    Ok(FIXED + payload)
}

/// Read the header at the start of `buf`.
pub(crate) fn parse(buf: &[u8]) -> Result<Header, ProxyError> {
    let mut fixed = [0u8; FIXED];
    fixed.copy_from_slice(buf.get(..FIXED).ok_or(if buf.starts_with(&SIGNATURE) {
        ProxyError::Truncated
    } else {
        ProxyError::Missing
    })?);
    let len = total_len(&fixed)?;
    let payload = buf.get(FIXED..len).ok_or(ProxyError::Truncated)?;
    let [.., ver_cmd, family, _, _] = fixed;
    match ver_cmd {
        0x20 => return Ok(Header { source: None, len }),
        0x21 => {}
        v => return Err(ProxyError::Command(v)),
    }
    let source = match family {
        // TCP or UDP over IPv4: source, destination, source port, destination port.
        0x11 | 0x12 => {
            let a: [u8; 12] = payload.get(..12).and_then(|a| a.try_into().ok()).ok_or(ProxyError::Length(len))?;
            let ip = Ipv4Addr::new(a[0], a[1], a[2], a[3]);
            SocketAddr::new(IpAddr::V4(ip), u16::from_be_bytes([a[8], a[9]]))
        }
        0x21 | 0x22 => {
            let a: [u8; 36] = payload.get(..36).and_then(|a| a.try_into().ok()).ok_or(ProxyError::Length(len))?;
            let mut ip = [0u8; 16];
            ip.copy_from_slice(&a[..16]);
            SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), u16::from_be_bytes([a[32], a[33]]))
        }
        f => return Err(ProxyError::Family(f)),
    };
    Ok(Header { source: Some(source), len })
}

/// A header for `source` (to `dest`), as a proxy writes it (tests; the
/// lab's tools).
pub fn header(source: SocketAddr, dest: SocketAddr, udp: bool, tlvs: &[u8]) -> Vec<u8> {
    let mut h = SIGNATURE.to_vec();
    h.push(0x21);
    let (family, addrs): (u8, Vec<u8>) = match (source.ip(), dest.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => (0x10, [s.octets(), d.octets()].concat()),
        (s, d) => (0x20, [to_v6(s).octets(), to_v6(d).octets()].concat()),
    };
    h.push(family | if udp { 2 } else { 1 });
    let len = addrs.len() + 4 + tlvs.len();
    h.extend_from_slice(&u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes());
    h.extend_from_slice(&addrs);
    h.extend_from_slice(&source.port().to_be_bytes());
    h.extend_from_slice(&dest.port().to_be_bytes());
    h.extend_from_slice(tlvs);
    h
}

fn to_v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_header_gives_the_real_client_and_where_the_message_starts() {
        let mut buf = header(sa("192.0.2.7:5353"), sa("127.0.0.1:53"), true, &[0x04, 0, 1, 0]);
        let at = buf.len();
        buf.extend_from_slice(b"dns");
        assert_eq!(parse(&buf), Ok(Header { source: Some(sa("192.0.2.7:5353")), len: at }));
        let v6 = header(sa("[2001:db8::9]:1"), sa("[::1]:53"), false, &[]);
        assert_eq!(parse(&v6).unwrap().source, Some(sa("[2001:db8::9]:1")));
        // LOCAL: the proxy speaking for itself.
        let mut local = SIGNATURE.to_vec();
        local.extend_from_slice(&[0x20, 0x00, 0, 0]);
        assert_eq!(parse(&local), Ok(Header { source: None, len: 16 }));
    }

    #[test]
    fn anything_else_is_refused_with_its_reason() {
        let good = header(sa("192.0.2.7:5353"), sa("127.0.0.1:53"), true, &[]);
        assert_eq!(parse(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www"), Err(ProxyError::Missing));
        assert_eq!(parse(&good[..20]), Err(ProxyError::Truncated));
        assert_eq!(parse(&good[..10]), Err(ProxyError::Missing));
        let mut v1 = good.clone();
        v1[12] = 0x11;
        assert_eq!(parse(&v1), Err(ProxyError::Command(0x11)));
        let mut unix = good.clone();
        unix[13] = 0x31;
        assert_eq!(parse(&unix), Err(ProxyError::Family(0x31)));
        let mut long = good.clone();
        long[14..16].copy_from_slice(&600u16.to_be_bytes());
        assert_eq!(parse(&long), Err(ProxyError::Length(600)));
        let mut short = good;
        short[14..16].copy_from_slice(&4u16.to_be_bytes());
        assert!(matches!(parse(&short), Err(ProxyError::Length(_))));
    }
}
