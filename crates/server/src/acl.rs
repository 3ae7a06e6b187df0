//! Who may query: an allow-list of prefixes (default: loopback and the
//! private ranges, so a LAN drop-in is not an open resolver); and which
//! load balancers may say, in a PROXY v2 header, whom they query for.

use std::net::IpAddr;

use candor_resolver::Prefix;

/// Who may query.
#[derive(Debug, Clone)]
pub struct Acl {
    allow: Vec<Prefix>,
    /// Trusted proxies: their queries carry a PROXY v2 header naming the
    /// real client, which the allow-list is then applied to.
    proxies: Vec<Prefix>,
}

impl Default for Acl {
    /// Loopback and the private ranges: a LAN drop-in is not an open resolver.
    fn default() -> Acl {
        let allow =
            ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7", "fe80::/10"]
                .iter()
                .filter_map(|p| p.parse().ok())
                .collect();
        Acl { allow, proxies: Vec::new() }
    }
}

impl Acl {
    /// An ACL allowing exactly these networks.
    pub fn new(allow: Vec<Prefix>) -> Acl {
        Acl { allow, proxies: Vec::new() }
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

    /// May `ip` query?
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.allow.iter().any(|p| p.contains(ip))
    }
}
