//! Locally served zones: `localhost` (RFC 6761 §6.3), the RFC 6303
//! reverse zones of private, loopback, link-local and documentation
//! space, and `home.arpa` (RFC 8375). A LAN resolver answers these itself
//! instead of leaking them upstream.

use candor_wire::text::parse_zone;
use candor_wire::{Name, RData, RType, Rcode, Record};

use crate::security::{Resolution, Security};

/// The RFC 6303 zones (and home.arpa), answered NXDOMAIN below the apex.
const EMPTY_ZONES: [&str; 33] = [
    "10.in-addr.arpa.",
    "16.172.in-addr.arpa.",
    "17.172.in-addr.arpa.",
    "18.172.in-addr.arpa.",
    "19.172.in-addr.arpa.",
    "20.172.in-addr.arpa.",
    "21.172.in-addr.arpa.",
    "22.172.in-addr.arpa.",
    "23.172.in-addr.arpa.",
    "24.172.in-addr.arpa.",
    "25.172.in-addr.arpa.",
    "26.172.in-addr.arpa.",
    "27.172.in-addr.arpa.",
    "28.172.in-addr.arpa.",
    "29.172.in-addr.arpa.",
    "30.172.in-addr.arpa.",
    "31.172.in-addr.arpa.",
    "168.192.in-addr.arpa.",
    "0.in-addr.arpa.",
    "127.in-addr.arpa.",
    "254.169.in-addr.arpa.",
    "2.0.192.in-addr.arpa.",
    "100.51.198.in-addr.arpa.",
    "113.0.203.in-addr.arpa.",
    "255.255.255.255.in-addr.arpa.",
    "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
    "d.f.ip6.arpa.",
    "8.e.f.ip6.arpa.",
    "9.e.f.ip6.arpa.",
    "a.e.f.ip6.arpa.",
    "b.e.f.ip6.arpa.",
    "home.arpa.",
];

/// `localhost.` and the empty zones as names, parsed once (this check runs
/// before every cache look-up, so it must not parse text per query).
static ZONES: std::sync::LazyLock<(Option<Name>, Vec<Name>)> = std::sync::LazyLock::new(|| {
    ("localhost.".parse().ok(), EMPTY_ZONES.iter().filter_map(|z| z.parse::<Name>().ok()).collect())
});

fn soa(zone: &Name) -> Vec<Record> {
    parse_zone(&format!("{zone} 10800 SOA localhost. nobody.invalid. 1 3600 1200 604800 10800\n"), None)
        .unwrap_or_default()
}

/// The local answer for a question, if the name is locally served and its
/// zone is not among `off` (zones an operator wants resolved normally).
pub(crate) fn answer(qname: &Name, qtype: RType, off: &[Name]) -> Option<Resolution> {
    let (localhost, empty_zones) = &*ZONES;
    let localhost = localhost.as_ref()?;
    let insecure = |rcode, answers, authority| Resolution {
        rcode,
        answers,
        authority,
        security: Security::Insecure(None),
        from_cache: false,
        additional: Vec::new(),
        stale: None,
    };
    if qname.is_subdomain_of(localhost) && !off.contains(localhost) {
        let data = match qtype {
            RType::A => Some(RData::A(std::net::Ipv4Addr::LOCALHOST)),
            RType::AAAA => Some(RData::Aaaa(std::net::Ipv6Addr::LOCALHOST)),
            _ => None,
        };
        return Some(match data {
            Some(d) => insecure(Rcode::NOERROR, vec![Record::new(qname.clone(), 10800, d)], Vec::new()),
            None => insecure(Rcode::NOERROR, Vec::new(), soa(localhost)),
        });
    }
    let zone = empty_zones.iter().find(|z| qname.is_subdomain_of(z) && !off.contains(z))?;
    if qname == zone {
        let answers = if qtype == RType::SOA { soa(zone) } else { Vec::new() };
        let authority = if answers.is_empty() { soa(zone) } else { Vec::new() };
        return Some(insecure(Rcode::NOERROR, answers, authority));
    }
    Some(insecure(Rcode::NXDOMAIN, Vec::new(), soa(zone)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        s.parse().unwrap()
    }

    fn answer_on(q: &Name, t: RType) -> Option<Resolution> {
        answer(q, t, &[])
    }

    #[test]
    fn each_local_zone_can_be_turned_off() {
        let off = [n("168.192.in-addr.arpa."), n("localhost.")];
        assert!(answer(&n("1.1.168.192.in-addr.arpa."), RType::PTR, &off).is_none());
        assert!(answer(&n("localhost."), RType::A, &off).is_none());
        assert!(answer(&n("1.1.10.in-addr.arpa."), RType::PTR, &off).is_some());
    }

    #[test]
    fn local_zones_answer_without_the_network() {
        let r = answer_on(&n("localhost."), RType::A).unwrap();
        assert_eq!(r.answers[0].to_string(), "localhost.\t10800\tIN\tA\t127.0.0.1");
        let r = answer_on(&n("db.localhost."), RType::AAAA).unwrap();
        assert_eq!(r.answers[0].data, RData::Aaaa(std::net::Ipv6Addr::LOCALHOST));
        assert!(answer_on(&n("localhost."), RType::MX).unwrap().answers.is_empty());
        let r = answer_on(&n("53.1.168.192.in-addr.arpa."), RType::PTR).unwrap();
        assert_eq!(r.rcode, Rcode::NXDOMAIN);
        assert_eq!(r.authority[0].owner, n("168.192.in-addr.arpa."));
        assert_eq!(answer_on(&n("printer.home.arpa."), RType::A).unwrap().rcode, Rcode::NXDOMAIN);
        assert_eq!(answer_on(&n("10.in-addr.arpa."), RType::SOA).unwrap().answers.len(), 1);
        assert!(answer_on(&n("53.1.168.193.in-addr.arpa."), RType::PTR).is_none());
        assert!(answer_on(&n("example.com."), RType::A).is_none());
        assert!(answer_on(&n("15.172.in-addr.arpa."), RType::NS).is_none(), "172.15/16 is public");
    }
}
