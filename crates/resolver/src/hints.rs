//! Root hints: the built-in IANA list, or a named.root-format file.

use std::net::IpAddr;
use std::path::Path;

use candor_wire::text::{ZoneError, ZoneParser, parse_zone};
use candor_wire::{Name, RData, RType, Record};

/// The IANA root servers (named.root, edition of July 2026): 13 names with
/// their IPv4 and IPv6 addresses.
pub const IANA_ROOT_HINTS: &str = "\
.                        3600000      NS    A.ROOT-SERVERS.NET.
A.ROOT-SERVERS.NET.      3600000      A     198.41.0.4
A.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:ba3e::2:30
.                        3600000      NS    B.ROOT-SERVERS.NET.
B.ROOT-SERVERS.NET.      3600000      A     170.247.170.2
B.ROOT-SERVERS.NET.      3600000      AAAA  2801:1b8:10::b
.                        3600000      NS    C.ROOT-SERVERS.NET.
C.ROOT-SERVERS.NET.      3600000      A     192.33.4.12
C.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:2::c
.                        3600000      NS    D.ROOT-SERVERS.NET.
D.ROOT-SERVERS.NET.      3600000      A     199.7.91.13
D.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:2d::d
.                        3600000      NS    E.ROOT-SERVERS.NET.
E.ROOT-SERVERS.NET.      3600000      A     192.203.230.10
E.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:a8::e
.                        3600000      NS    F.ROOT-SERVERS.NET.
F.ROOT-SERVERS.NET.      3600000      A     192.5.5.241
F.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:2f::f
.                        3600000      NS    G.ROOT-SERVERS.NET.
G.ROOT-SERVERS.NET.      3600000      A     192.112.36.4
G.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:12::d0d
.                        3600000      NS    H.ROOT-SERVERS.NET.
H.ROOT-SERVERS.NET.      3600000      A     198.97.190.53
H.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:1::53
.                        3600000      NS    I.ROOT-SERVERS.NET.
I.ROOT-SERVERS.NET.      3600000      A     192.36.148.17
I.ROOT-SERVERS.NET.      3600000      AAAA  2001:7fe::53
.                        3600000      NS    J.ROOT-SERVERS.NET.
J.ROOT-SERVERS.NET.      3600000      A     192.58.128.30
J.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:c27::2:30
.                        3600000      NS    K.ROOT-SERVERS.NET.
K.ROOT-SERVERS.NET.      3600000      A     193.0.14.129
K.ROOT-SERVERS.NET.      3600000      AAAA  2001:7fd::1
.                        3600000      NS    L.ROOT-SERVERS.NET.
L.ROOT-SERVERS.NET.      3600000      A     199.7.83.42
L.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:9f::42
.                        3600000      NS    M.ROOT-SERVERS.NET.
M.ROOT-SERVERS.NET.      3600000      A     202.12.27.33
M.ROOT-SERVERS.NET.      3600000      AAAA  2001:dc3::35
";

/// Why hints could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HintsError {
    /// The file did not read or parse.
    #[error(transparent)]
    Zone(#[from] ZoneError),
    /// No root NS with an address.
    #[error("the hints name no root server with an address")]
    Empty,
}

/// Root servers: each NS name of `.` with its addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootHints {
    /// (server name, addresses), in the file's order.
    pub servers: Vec<(Name, Vec<IpAddr>)>,
}

impl RootHints {
    /// The built-in IANA hints.
    pub fn iana() -> RootHints {
        parse_zone(IANA_ROOT_HINTS, None)
            .ok()
            .and_then(|r| RootHints::from_records(&r).ok())
            .unwrap_or(RootHints { servers: Vec::new() })
    }

    /// Hints from a named.root-format file.
    pub fn from_file(path: &Path) -> Result<RootHints, HintsError> {
        RootHints::from_records(&ZoneParser::new(None).parse_file(path)?)
    }

    /// Hints from records: root NS names and their A/AAAA records.
    pub fn from_records(records: &[Record]) -> Result<RootHints, HintsError> {
        let mut servers: Vec<(Name, Vec<IpAddr>)> = Vec::new();
        for r in records.iter().filter(|r| r.owner.is_root() && r.rtype() == RType::NS) {
            let RData::Ns(ns) = &r.data else { continue };
            let addrs: Vec<IpAddr> = records
                .iter()
                .filter(|a| a.owner == *ns)
                .filter_map(|a| match &a.data {
                    RData::A(v4) => Some(IpAddr::V4(*v4)),
                    RData::Aaaa(v6) => Some(IpAddr::V6(*v6)),
                    _ => None,
                })
                .collect();
            if !addrs.is_empty() && !servers.iter().any(|(n, _)| n == ns) {
                servers.push((ns.clone(), addrs));
            }
        }
        if servers.is_empty() {
            return Err(HintsError::Empty);
        }
        Ok(RootHints { servers })
    }

    /// Every address, IPv4 first (IPv6 may be unreachable on the host).
    pub fn addresses(&self) -> Vec<IpAddr> {
        let all = self.servers.iter().flat_map(|(_, a)| a.iter().copied());
        let (v4, v6): (Vec<IpAddr>, Vec<IpAddr>) = all.partition(IpAddr::is_ipv4);
        v4.into_iter().chain(v6).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_hints_have_13_servers_with_both_families() {
        let h = RootHints::iana();
        assert_eq!(h.servers.len(), 13);
        assert!(h.servers.iter().all(|(_, a)| a.len() == 2));
        let addrs = h.addresses();
        assert_eq!(addrs.len(), 26);
        assert_eq!(addrs[0], "198.41.0.4".parse::<IpAddr>().unwrap());
        assert!(addrs[13].is_ipv6());
        let no_addr = parse_zone(". NS a.example.\n", None).unwrap();
        assert!(matches!(RootHints::from_records(&no_addr), Err(HintsError::Empty)));
    }
}
