//! Which addresses the resolver may send queries to.
//!
//! Never queried, whatever a referral says (a glue record pointing there
//! is treated as unreachable): the unspecified addresses, "this network"
//! 0.0.0.0/8, multicast (224.0.0.0/4, ff00::/8), the reserved 240.0.0.0/4
//! with broadcast, the documentation prefixes (192.0.2.0/24,
//! 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32), and IPv4-mapped IPv6.
//! An optional allow-list restricts queries further (tests and the lab use
//! 127.0.0.0/8, so nothing can leave loopback).

use std::net::IpAddr;

/// A network prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefix {
    /// The network address.
    pub addr: IpAddr,
    /// The prefix length.
    pub len: u8,
}

impl Prefix {
    /// Does the prefix contain `ip`?
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.len.min(32))).unwrap_or(0);
                u32::from(net) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.len.min(128))).unwrap_or(0);
                u128::from(net) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for Prefix {
    type Err = String;
    /// `ADDR/LEN` or a bare address.
    fn from_str(s: &str) -> Result<Prefix, String> {
        let (a, l) = s.split_once('/').unwrap_or((s, ""));
        let addr: IpAddr = a.parse().map_err(|_| format!("{s}: not an address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = if l.is_empty() { max } else { l.parse().map_err(|_| format!("{s}: bad prefix length"))? };
        if len > max {
            return Err(format!("{s}: prefix length above {max}"));
        }
        Ok(Prefix { addr, len })
    }
}

/// The outbound address policy.
#[derive(Debug, Clone, Default)]
pub struct Outbound {
    /// When set, only these networks are queried.
    pub allow: Option<Vec<Prefix>>,
    /// Query special-purpose addresses too (documentation prefixes,
    /// multicast, ...): only for replaying test corpora whose made-up
    /// servers sit there. Never in service.
    pub special_purpose: bool,
    /// Never query IPv6 addresses (a host without IPv6 connectivity).
    pub no_ipv6: bool,
}

const NEVER: [(&str, u8); 11] = [
    ("0.0.0.0", 8),
    ("224.0.0.0", 4),
    ("240.0.0.0", 4),
    ("192.0.2.0", 24),
    ("198.51.100.0", 24),
    ("203.0.113.0", 24),
    ("::", 128),
    ("ff00::", 8),
    ("2001:db8::", 32),
    ("::ffff:0.0.0.0", 96),
    ("255.255.255.255", 32),
];

impl Outbound {
    /// May a query go to `ip`?
    pub fn permits(&self, ip: IpAddr) -> bool {
        let special =
            NEVER.iter().any(|(a, l)| a.parse::<IpAddr>().is_ok_and(|addr| Prefix { addr, len: *l }.contains(ip)));
        (!special || self.special_purpose)
            && !(self.no_ipv6 && ip.is_ipv6())
            && self.allow.as_ref().is_none_or(|allow| allow.iter().any(|p| p.contains(ip)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_purpose_and_allow_list() {
        let open = Outbound::default();
        for bad in ["0.0.0.0", "224.0.0.53", "192.0.2.53", "255.255.255.255", "2001:db8::53", "ff02::1", "::"] {
            assert!(!open.permits(bad.parse().unwrap()), "{bad}");
        }
        for ok in ["198.41.0.4", "127.0.0.1", "2001:503:ba3e::2:30", "192.168.1.53"] {
            assert!(open.permits(ok.parse().unwrap()), "{ok}");
        }
        let lo = Outbound { allow: Some(vec!["127.0.0.0/8".parse().unwrap()]), ..Outbound::default() };
        assert!(lo.permits("127.53.0.1".parse().unwrap()));
        assert!(!lo.permits("198.41.0.4".parse().unwrap()));
        let v4 = Outbound { no_ipv6: true, ..Outbound::default() };
        assert!(!v4.permits("2001:503:ba3e::2:30".parse().unwrap()));
        assert!(v4.permits("198.41.0.4".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<Prefix>().is_err());
        assert!("x/8".parse::<Prefix>().is_err());
    }
}
