//! Asking a zone's servers: selection by RTT, the budgets, TC to TCP,
//! EDNS fallback, and the classification of what came back (answer,
//! referral, or nothing usable).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use candor_wire::{Edns, Message, Name, Question, RData, RType, Rcode};

use crate::budget::exhausted;
use crate::clock::Clock;
use crate::config::Config;
use crate::counters::Upstream;
use crate::evidence::{Evidence, Outcome, ServerTry, add_server, name_servers};
use crate::failure::{BudgetKind, Failure, FailureKind};
use crate::iterator::cuts::Cut;
use crate::records::dname_rewrite;
use crate::resolver::Resolver;
use crate::transport::{Protocol, Transport, TransportError};
use crate::work::Work;

/// The UDP payload size advertised upstream (1232 octets, DNS Flag Day 2020): an
/// answer over TCP no larger would have come over UDP whole.
const UDP_SIZE: u16 = 1232;

/// How deep name-server address lookups may nest (an NS name whose zone's
/// NS names need lookups of their own, ...).
pub(crate) const MAX_NS_DEPTH: u8 = 3;

/// Name servers without glue looked up per referral.
pub(crate) const MAX_NS_LOOKUPS: usize = 3;

pub(crate) enum Reply {
    Answer(Message),
    Referral(Message, Name),
}

/// What a response from a server of `zone` is: an answer, a referral to a
/// zone strictly between `zone` and `qname`, or nothing usable (lame,
/// refused, an upward referral).
///
/// Like Unbound and Knot, an answer without AA is still taken when it
/// answers: records owned by the name, NXDOMAIN, or NODATA with the
/// zone's SOA (the data is validated all the same). What is not an answer
/// and not a downward referral is lame.
pub(crate) fn classify(msg: &Message, zone: &Name, qname: &Name) -> Option<Kind> {
    if !msg.header.flags.qr {
        return None;
    }
    // YXDOMAIN: a DNAME whose rewrite of the name would be too long (RFC
    // 6672 §2.2), an answer like any other.
    if msg.header.rcode == Rcode::YXDOMAIN {
        let dname = msg.answers.iter().any(|r| {
            r.rtype() == RType::DNAME
                && r.owner.is_subdomain_of(zone)
                && qname.is_subdomain_of(&r.owner)
                && *qname != r.owner
        });
        return (dname && dname_rewrite(&msg.answers, qname).is_none()).then_some(Kind::Answer);
    }
    if !matches!(msg.header.rcode, Rcode::NOERROR | Rcode::NXDOMAIN) {
        return None;
    }
    let child = msg.authority.iter().find_map(|r| match r.data {
        RData::Ns(_) if r.owner != *zone && r.owner.is_subdomain_of(zone) && qname.is_subdomain_of(&r.owner) => {
            Some(r.owner.clone())
        }
        _ => None,
    });
    let soa = msg.authority.iter().any(|r| r.rtype() == RType::SOA && r.owner.is_subdomain_of(zone));
    // A downward referral, even with AA set (some servers do): no answer,
    // no SOA, the child's NS.
    if msg.answers.is_empty() && msg.header.rcode == Rcode::NOERROR && !soa && child.is_some() {
        return child.map(Kind::Referral);
    }
    // NOERROR with nothing at all in answer and authority proves nothing
    // (a NODATA carries the SOA): another server may answer (as Unbound);
    // when none does, it is taken as the NODATA it may be.
    if is_empty(msg) {
        return None;
    }
    // An upward referral (NS of a zone above this one, no answer, no SOA)
    // is lame, AA or not.
    let upward_ns = msg.authority.iter().any(|r| r.rtype() == RType::NS && !r.owner.is_subdomain_of(zone));
    if msg.answers.is_empty() && !soa && upward_ns {
        return None;
    }
    if msg.header.flags.aa {
        return Some(Kind::Answer);
    }
    let answers = msg.answers.iter().any(|r| r.owner == *qname);
    // Empty and without NS (an upward referral is lame): NODATA or NXDOMAIN.
    let upward = msg.authority.iter().any(|r| r.rtype() == RType::NS);
    (answers || (msg.answers.is_empty() && (soa || !upward))).then_some(Kind::Answer)
}

pub(crate) enum Kind {
    Answer,
    Referral(Name),
}

/// An answer taken only when no server of the zone gives a better one:
/// an empty NOERROR, or RA without AA (a recursive resolver answering from
/// its cache where an authority should be: Unbound's recursion-lame).
pub(crate) fn is_weak(msg: &Message) -> bool {
    is_empty(msg) || (msg.header.flags.ra && !msg.header.flags.aa)
}

/// NOERROR with empty answer and authority sections.
pub(crate) fn is_empty(msg: &Message) -> bool {
    msg.header.rcode == Rcode::NOERROR && msg.answers.is_empty() && msg.authority.is_empty()
}

/// An rcode that says the server failed (not that it refused or is lame).
pub(crate) fn is_server_error(rcode: Rcode) -> bool {
    matches!(rcode, Rcode::SERVFAIL | Rcode::FORMERR | Rcode::NOTIMP)
}

/// The failure when no server gave a usable answer: EDE 23 when one at
/// least answered with a server error, else EDE 22.
pub(crate) fn unanswered(server_error: bool) -> FailureKind {
    if server_error { FailureKind::AuthorityError } else { FailureKind::NoReachableAuthority }
}

/// An authority's (or upstream's) response, leaving out records whose
/// RDATA does not parse (the rest may still answer), records of classes
/// other than IN (a referral mixing in CHAOS records must not lend them its
/// servers), and RRSIGs past `max_sigs` over one RRset (the validator tries
/// no more; a flood of them must not be cloned, cached and sent on);
/// `None` when the message itself is broken.
pub(crate) fn scrubbed(bytes: &[u8], server: SocketAddr, max_sigs: usize, work: &mut Work) -> Option<Message> {
    let (mut msg, dropped) = Message::from_wire_scrubbed_capped(bytes, max_sigs.max(1)).ok()?;
    if !dropped.is_empty() {
        tracing::debug!(%server, dropped = dropped.len(), "malformed records left out of a response");
        work.scrubbed.extend(dropped);
    }
    for section in [&mut msg.answers, &mut msg.authority, &mut msg.additional] {
        section.retain(|r| r.class == candor_wire::Class::IN);
    }
    Some(msg)
}

/// The cap `msg` breaks, if any: more records in all than
/// `max_response_records`, or an RRset of more than `max_rrset_records`
/// (RRSIGs counted per owner). Such a response is not used at all: an
/// RRset is never kept truncated.
pub(crate) fn over_cap(msg: &Message, cfg: &Config) -> Option<BudgetKind> {
    let total = msg.answers.len() + msg.authority.len() + msg.additional.len();
    if total > cfg.max_response_records as usize {
        return Some(BudgetKind::ResponseRecords);
    }
    let cap = cfg.max_rrset_records as usize;
    if total <= cap {
        return None; // the usual case: no RRset can be past the cap
    }
    let mut sizes: HashMap<(usize, &Name, RType), usize> = HashMap::new();
    for (i, section) in [&msg.answers, &msg.authority, &msg.additional].into_iter().enumerate() {
        for r in section {
            let size = sizes.entry((i, &r.owner, r.rtype())).or_insert(0);
            *size += 1;
            if *size > cap {
                return Some(BudgetKind::RrsetRecords);
            }
        }
    }
    None
}

impl<T: Transport, C: Clock> Resolver<T, C> {
    /// Ask the cut's servers in turn until one gives a usable response:
    /// an authoritative answer or a referral below the cut. Lame, refusing,
    /// silent and non-authoritative servers are skipped; TC goes to TCP.
    ///
    /// When none of the known servers gives one, the name servers whose
    /// addresses were not looked up (no glue) are looked up and asked in
    /// turn: the only working server may be one without glue.
    pub(crate) async fn ask(&self, cut: &Cut, qname: &Name, qtype: RType, work: &mut Work) -> Result<Reply, Failure> {
        let first = self.ask_servers(&cut.zone, &cut.servers, qname, qtype, work).await;
        let retry = match &first {
            Err(f) => f.kind.is_unanswered(),
            Ok(Reply::Answer(m)) => is_weak(m),
            Ok(Reply::Referral(..)) => false,
        };
        if !retry || work.budget.depth >= MAX_NS_DEPTH {
            return first;
        }
        let mut best = first;
        let mut tried: Vec<SocketAddr> = cut.servers.clone();
        for name in cut.pending.iter().take(MAX_NS_LOOKUPS) {
            let addrs = self.ns_addresses(name, work).await;
            let fresh: Vec<SocketAddr> = self.servers(&addrs).into_iter().filter(|s| !tried.contains(s)).collect();
            if fresh.is_empty() {
                continue;
            }
            tried.extend(fresh.iter().copied());
            match self.ask_servers(&cut.zone, &fresh, qname, qtype, work).await {
                Ok(Reply::Answer(m)) if is_weak(&m) => {
                    if best.is_err() {
                        best = Ok(Reply::Answer(m));
                    }
                }
                Ok(reply) => return Ok(reply),
                Err(f) if f.kind.is_unanswered() => {
                    if let Err(failure) = &mut best {
                        // A server that answered with an error is the
                        // better evidence than one that did not answer.
                        if f.kind == FailureKind::AuthorityError {
                            failure.kind = f.kind;
                        }
                        if let Some(a) = f.answered {
                            failure.answered = Some(a);
                        }
                        for e in f.evidence {
                            if let Evidence::Servers(list) = e {
                                list.into_iter().for_each(|t| failure.add_server(t));
                            }
                        }
                    }
                }
                Err(f) => return Err(f),
            }
        }
        best
    }

    /// [`Self::ask`] of the given servers of `zone` only.
    pub(crate) async fn ask_servers(
        &self,
        zone: &Name,
        servers: &[SocketAddr],
        qname: &Name,
        qtype: RType,
        work: &mut Work,
    ) -> Result<Reply, Failure> {
        let now = self.clock.unix();
        let mut q = Message::query(0, Question::new(qname.clone(), qtype));
        q.header.flags.rd = false;
        q.header.flags.cd = true;
        q.edns = Some(Edns { udp_size: UDP_SIZE, dnssec_ok: true, ..Edns::default() });
        let encode =
            |q: &Message| q.to_wire().map_err(|_| Failure::new(FailureKind::ResolutionBudget, qname.clone(), now));
        // Encoded once per server when it gets a cookie of its own, else
        // once here; without EDNS only for a server that rejects it.
        let mut with_edns = if self.cfg.client_cookies { Vec::new() } else { encode(&q)? };
        let mut without_edns: Option<Vec<u8>> = None;
        let mut answered = None;
        let mut server_error = false;
        let mut weak = None;
        let mut tried: Vec<ServerTry> = Vec::new();
        for server in &self.stats.order(servers, self.clock.monotonic()) {
            // A server whose answers for this zone come truncated: TCP at once.
            let mut tcp_first = self.stats.tcp_first(*server, zone, self.clock.monotonic());
            let mut proto = if tcp_first { Protocol::Tcp } else { Protocol::Udp };
            let mut use_edns = true;
            let mut outcome = Outcome::Broken;
            let mut bad_cookie = false;
            // A cookie of its own for each server (RFC 7873).
            let cookie = |q: &mut Message| {
                if let Some(e) = q.edns.as_mut() {
                    e.options = self.cookies.option(server.ip()).into_iter().collect();
                }
                encode(q)
            };
            if self.cfg.client_cookies {
                with_edns = cookie(&mut q)?;
            }
            for _ in 0..3 {
                work.budget.charge_query(&self.cfg, self.clock.monotonic(), qname, now)?;
                let sent = self.clock.monotonic();
                let wire = match (&without_edns, use_edns) {
                    (_, true) => &with_edns,
                    (Some(w), false) => w,
                    (None, false) => {
                        let edns = q.edns.take();
                        let w = encode(&q);
                        q.edns = edns;
                        &*without_edns.insert(w?)
                    }
                };
                let bytes = match self.transport.query(*server, proto, wire, self.cfg.timeout).await {
                    Ok(b) => b,
                    // TCP first failed (a server whose TCP is blocked, say):
                    // UDP after all, which still carries what fits.
                    Err(e) if tcp_first => {
                        tracing::debug!(%server, %zone, "TCP first failed ({e}): UDP");
                        tcp_first = false;
                        self.stats.truncation(*server, zone, self.clock.monotonic(), false);
                        proto = Protocol::Udp;
                        continue;
                    }
                    Err(TransportError::Timeout(_)) => {
                        self.counters.upstream(Upstream::Timeout);
                        self.stats.timed_out(*server, self.cfg.timeout);
                        outcome = Outcome::Timeouts(1);
                        break;
                    }
                    // A reply that did not echo the name's case (0x20):
                    // a spoofer's, or a server that does not; TCP settles it.
                    Err(TransportError::CaseMismatch(_)) if proto == Protocol::Udp => {
                        self.counters.upstream(Upstream::CaseMismatch);
                        proto = Protocol::Tcp;
                        continue;
                    }
                    Err(TransportError::Unreachable { kind, .. }) => {
                        self.counters.upstream(Upstream::Unreachable);
                        if server.is_ipv6() && kind == std::io::ErrorKind::NetworkUnreachable {
                            self.stats.v6_unreachable(self.clock.monotonic());
                        }
                        outcome = Outcome::Unreachable;
                        break;
                    }
                    Err(_) => {
                        self.counters.upstream(Upstream::Malformed);
                        break;
                    }
                };
                let rtt = self.clock.monotonic().saturating_sub(sent);
                self.stats.answered(*server, rtt);
                self.counters.rtt.observe(rtt);
                let Some(msg) = scrubbed(&bytes, *server, self.cfg.validator.budget.sigs_per_rrset, work) else {
                    self.counters.upstream(Upstream::Malformed);
                    break;
                };
                // Not carrying our cookie: discarded, asked again over TCP;
                // BADCOOKIE: asked again once with the server cookie learnt.
                if self.cfg.client_cookies && use_edns {
                    match self.cookies.check(server.ip(), &msg, proto == Protocol::Udp) {
                        crate::cookies::Check::Fine => {}
                        crate::cookies::Check::Spoofed => {
                            self.counters.upstream(Upstream::CookieMismatch);
                            if proto == Protocol::Tcp {
                                break;
                            }
                            proto = Protocol::Tcp;
                            continue;
                        }
                        crate::cookies::Check::BadCookie => {
                            self.counters.upstream(Upstream::BadCookie);
                            if bad_cookie {
                                proto = Protocol::Tcp;
                            }
                            bad_cookie = true;
                            with_edns = cookie(&mut q)?;
                            continue;
                        }
                    }
                }
                self.counters.upstream(upstream_outcome(&msg, proto, zone, qname));
                if let Some(kind) = over_cap(&msg, &self.cfg) {
                    tracing::debug!(%server, %qname, %kind, "a response past its cap");
                    return Err(exhausted(kind, &self.cfg, qname, now));
                }
                if msg.header.flags.tc && proto == Protocol::Udp {
                    self.stats.truncation(*server, zone, self.clock.monotonic(), true);
                    proto = Protocol::Tcp;
                    continue;
                }
                // An answer over TCP that UDP would have carried: UDP
                // first again.
                if proto == Protocol::Tcp && bytes.len() <= usize::from(UDP_SIZE) && !msg.header.flags.tc {
                    self.stats.truncation(*server, zone, self.clock.monotonic(), false);
                }
                // Truncated over TCP: a broken server, nothing to take.
                if msg.header.flags.tc {
                    break;
                }
                // A server that rejects EDNS is asked again without it (its
                // answers then carry no DNSSEC records: validation decides).
                let rejects_edns = matches!(msg.header.rcode, Rcode::FORMERR | Rcode::NOTIMP) && msg.edns.is_none();
                if rejects_edns && use_edns {
                    use_edns = false;
                    continue;
                }
                match classify(&msg, zone, qname) {
                    Some(Kind::Answer) if is_weak(&msg) => {
                        outcome = Outcome::Weak;
                        if weak.is_none() {
                            weak = Some((*server, msg));
                        }
                        break;
                    }
                    Some(Kind::Answer) => {
                        work.last_server = Some(*server);
                        return Ok(Reply::Answer(msg));
                    }
                    Some(Kind::Referral(child)) => {
                        work.last_server = Some(*server);
                        return Ok(Reply::Referral(msg, child));
                    }
                    None => {
                        outcome = match msg.header.rcode {
                            // A referral up or sideways names where it points.
                            Rcode::NOERROR => msg
                                .authority
                                .iter()
                                .find(|r| r.rtype() == RType::NS && !r.owner.is_subdomain_of(zone))
                                .map_or(Outcome::Lame, |r| Outcome::LameReferral(r.owner.clone())),
                            rcode => Outcome::Rcode(rcode),
                        };
                        if msg.header.rcode != Rcode::NOERROR {
                            answered = Some(Box::new((*server, msg.header.rcode)));
                        }
                        server_error |= is_server_error(msg.header.rcode);
                        if is_empty(&msg) && weak.is_none() {
                            weak = Some((*server, msg));
                        }
                        break;
                    }
                }
            }
            add_server(&mut tried, ServerTry { addr: *server, ns: None, outcome });
        }
        if let Some((server, msg)) = weak {
            work.last_server = Some(server);
            return Ok(Reply::Answer(msg));
        }
        let mut f = Failure::new(unanswered(server_error), zone.clone(), now);
        f.answered = answered;
        if !tried.is_empty() {
            name_servers(&mut tried, |a| self.glue.name_of(a));
            f.evidence.push(Evidence::Servers(tried));
        }
        Err(f)
    }

    pub(crate) fn servers(&self, addrs: &[IpAddr]) -> Vec<SocketAddr> {
        addrs.iter().filter(|a| self.cfg.outbound.permits(**a)).map(|a| SocketAddr::new(*a, self.cfg.port)).collect()
    }
}

/// How the metrics count a reply that passed the gate.
fn upstream_outcome(msg: &Message, proto: Protocol, zone: &Name, qname: &Name) -> Upstream {
    if msg.header.flags.tc {
        return if proto == Protocol::Udp { Upstream::Truncated } else { Upstream::Malformed };
    }
    match msg.header.rcode {
        Rcode::REFUSED => Upstream::Refused,
        Rcode::SERVFAIL => Upstream::Servfail,
        Rcode::NOERROR | Rcode::NXDOMAIN => match classify(msg, zone, qname) {
            Some(Kind::Answer) => Upstream::Answer,
            Some(Kind::Referral(_)) => Upstream::Referral,
            None => Upstream::Lame,
        },
        _ => Upstream::ErrorRcode,
    }
}
