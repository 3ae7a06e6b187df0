//! Who may query: an allow-list of prefixes (default: loopback and the
//! private ranges, so a LAN drop-in is not an open resolver); which
//! load balancers may say, in a PROXY v2 header, whom they query for; and
//! the server cookies a client proves its address with.

use std::net::IpAddr;
use std::sync::Arc;

use crate::cookies::ServerCookies;

use candor_resolver::Prefix;

/// Who may query.
#[derive(Debug, Clone)]
pub struct Acl {
    allow: Vec<Prefix>,
    /// Refused explicitly (REFUSED + EDE 18), e.g. a host inside an
    /// allowed range.
    refuse: Vec<Prefix>,
    /// Dropped without an answer.
    drop: Vec<Prefix>,
    /// Trusted proxies: their queries carry a PROXY v2 header naming the
    /// real client, which the allow-list is then applied to.
    proxies: Vec<Prefix>,
    /// DNS cookies (RFC 7873): answered when set.
    cookies: Option<Arc<ServerCookies>>,
}

impl Default for Acl {
    /// Loopback and the private ranges: a LAN drop-in is not an open resolver.
    fn default() -> Acl {
        let allow =
            ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7", "fe80::/10"]
                .iter()
                .filter_map(|p| p.parse().ok())
                .collect();
        Acl { allow, refuse: Vec::new(), drop: Vec::new(), proxies: Vec::new(), cookies: None }
    }
}

impl Acl {
    /// An ACL allowing exactly these networks.
    pub fn new(allow: Vec<Prefix>) -> Acl {
        Acl { allow, refuse: Vec::new(), drop: Vec::new(), proxies: Vec::new(), cookies: None }
    }

    /// The same, answering DNS cookies with server cookies made by
    /// `cookies` (kept across reloads, so its secret is).
    pub fn with_cookies(mut self, cookies: Arc<ServerCookies>) -> Acl {
        self.cookies = Some(cookies);
        self
    }

    /// The server cookies, when cookies are answered.
    pub fn cookies(&self) -> Option<&ServerCookies> {
        self.cookies.as_deref()
    }

    /// The same, with queries from `proxies` read through their PROXY v2
    /// header.
    pub fn with_proxies(mut self, proxies: Vec<Prefix>) -> Acl {
        self.proxies = proxies;
        self
    }

    /// Is `ip` a trusted proxy (its queries start with a PROXY v2 header)?
    pub fn proxied(&self, ip: IpAddr) -> bool {
        !self.proxies.is_empty() && self.proxies.iter().any(|p| p.contains(ip))
    }

    /// The same, refusing `refuse` and dropping `drop`.
    pub fn with_actions(mut self, refuse: Vec<Prefix>, drop: Vec<Prefix>) -> Acl {
        self.refuse = refuse;
        self.drop = drop;
        self
    }

    /// What to do with a query from `ip`: the action of the longest
    /// prefix that holds it (the stricter on a tie); refused when none.
    pub fn action(&self, ip: IpAddr) -> Action {
        let longest = |list: &[Prefix]| list.iter().filter(|p| p.contains(ip)).map(|p| i16::from(p.len)).max();
        let (allow, refuse, drop) = (longest(&self.allow), longest(&self.refuse), longest(&self.drop));
        let best = allow.max(refuse).max(drop);
        match best {
            None => Action::Refuse,
            b if b == drop => Action::Drop,
            b if b == refuse => Action::Refuse,
            _ => Action::Allow,
        }
    }

    /// May `ip` query?
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.action(ip) == Action::Allow
    }
}

/// What the ACL does with a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Answer it.
    Allow,
    /// REFUSED with EDE 18 (Prohibited).
    Refuse,
    /// No answer at all.
    Drop,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefixes(list: &[&str]) -> Vec<Prefix> {
        list.iter().map(|p| p.parse().unwrap()).collect()
    }

    #[test]
    fn the_longest_prefix_decides_and_the_stricter_action_wins_a_tie() {
        let acl = Acl::new(prefixes(&["192.168.1.0/24", "10.0.0.0/8"]))
            .with_actions(prefixes(&["192.168.1.66/32", "10.0.0.0/8"]), prefixes(&["192.168.1.128/25"]));
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(acl.action(ip("192.168.1.7")), Action::Allow);
        assert_eq!(acl.action(ip("192.168.1.66")), Action::Refuse, "a host inside an allowed range");
        assert_eq!(acl.action(ip("192.168.1.200")), Action::Drop);
        assert_eq!(acl.action(ip("10.1.2.3")), Action::Refuse, "refuse beats allow on the same prefix");
        assert_eq!(acl.action(ip("203.0.113.1")), Action::Refuse, "no prefix: refused");
        assert!(acl.allows(ip("192.168.1.7")) && !acl.allows(ip("192.168.1.200")));
    }
}
