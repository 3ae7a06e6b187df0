//! One request end to end: what needs no network (errors, ACL, ANY, RD=0,
//! local zones and cache hits) answered on the spot, the rest resolved and
//! shaped; failures logged.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use candor_resolver::{BudgetKind, Clock, Failure, FailureKind, Resolution, Resolver, Security, Transport};
use candor_wire::{Message, Name, RType, Rcode};

use crate::acl::Acl;
use crate::failure_log::FailureLog;
use crate::reply::{EDE_NOT_AUTHORITATIVE, add_ede, reply_to};
use crate::request::{Request, check};
use crate::shape::{minimal_any, shape};
use crate::slots::{Full, Slot, Slots};
use crate::tally::{Served, ServerMetrics, Tally};
use crate::truncate::to_udp;

/// What [`immediate`] decided about a request.
pub enum Immediate {
    /// The reply (or `None`: nothing to send).
    Reply(Option<Vec<u8>>),
    /// A UDP reply built from cached secure or insecure data: it may be
    /// reused as it is, TTLs counted down, for this long.
    Reusable(Vec<u8>, Duration),
    /// The parsed query needs the network: hand it to [`resolve_and_reply`].
    Resolve(Message),
}

/// Answer what needs no network (errors, ACL, ANY, RD=0, local zones and
/// cache hits) on the spot; anything else is returned for resolution.
pub fn immediate<T: Transport, C: Clock>(
    resolver: &Resolver<T, C>,
    bytes: &[u8],
    client: IpAddr,
    acl: &Acl,
    udp: bool,
) -> Immediate {
    let q = match check(bytes, client, acl) {
        None => return Immediate::Reply(None),
        Some(Request::Done(m)) => return Immediate::Reply(if udp { to_udp(None, m) } else { m.to_wire().ok() }),
        Some(Request::Resolve(q)) => q,
    };
    let Some(qd) = q.question() else { return Immediate::Reply(None) };
    let m = if !q.header.flags.rd {
        // RD=0: from what is known without asking (the caches, locally
        // served zones), else a referral to the closest cached delegation.
        match resolver.answer_now(&qd.name, qd.qtype).or_else(|| resolver.referral_from_cache(&qd.name)) {
            Some(r) => shape(&q, &r),
            None => {
                let mut m = reply_to(&q, Rcode::REFUSED);
                add_ede(&mut m, EDE_NOT_AUTHORITATIVE, "not in the cache, and recursion was not desired".to_owned());
                m
            }
        }
    } else {
        match resolver.answer_now_with_lifetime(&qd.name, qd.qtype) {
            Some((r, lifetime)) => {
                let m = respond(&q, &r);
                if udp && matches!(r.security, Security::Secure | Security::Insecure(_)) {
                    return match to_udp(q.edns.as_ref(), m) {
                        Some(wire) => Immediate::Reusable(wire, lifetime),
                        None => Immediate::Reply(None),
                    };
                }
                m
            }
            None => return Immediate::Resolve(q),
        }
    };
    Immediate::Reply(if udp { to_udp(q.edns.as_ref(), m) } else { m.to_wire().ok() })
}

/// Resolve a query [`immediate`] could not answer, and shape the reply.
pub async fn resolve_and_reply<T: Transport, C: Clock>(
    resolver: &Resolver<T, C>,
    q: Message,
    udp: bool,
) -> Option<Vec<u8>> {
    resolve_costed(resolver, q, udp, None).await.0
}

/// [`resolve_and_reply`], and the queries sent upstream for it; a failure
/// logged in `failures` when given.
async fn resolve_costed<T: Transport, C: Clock>(
    resolver: &Resolver<T, C>,
    q: Message,
    udp: bool,
    failures: Option<&FailureLog>,
) -> (Option<Vec<u8>>, u32) {
    let Some(qd) = q.question() else { return (None, 0) };
    let (r, upstream) = resolver.resolve_costed(&qd.name, qd.qtype).await;
    (reply(&q, &r, udp, failures), upstream)
}

/// The reply to `q` from `r` (a failure logged in `failures` when given).
fn reply(q: &Message, r: &Resolution, udp: bool, failures: Option<&FailureLog>) -> Option<Vec<u8>> {
    let qd = q.question()?;
    if let Some(log) = failures {
        log.report(&qd.name, qd.qtype, r);
    }
    let m = respond(q, r);
    if udp { to_udp(q.edns.as_ref(), m) } else { m.to_wire().ok() }
}

/// Resolve for a client: with an expired answer at hand, the client waits
/// at most the stale-answer client timeout (RFC 8767) and then gets the
/// stale answer while the refresh goes on (a task of its own).
async fn resolve_for_client<T: Transport + 'static, C: Clock + 'static>(
    resolver: &Arc<Resolver<T, C>>,
    qname: &Name,
    qtype: RType,
) -> (Resolution, u32) {
    let wait = resolver.config().stale_client_timeout;
    if resolver.config().cache.serve_stale.is_none() || resolver.stale_answer(qname, qtype).is_none() {
        return resolver.resolve_costed(qname, qtype).await;
    }
    let (r, name) = (Arc::clone(resolver), qname.clone());
    let mut refresh = tokio::spawn(async move { r.resolve_costed(&name, qtype).await });
    let done = match tokio::time::timeout(wait, &mut refresh).await {
        Ok(done) => done,
        Err(_) => match resolver.stale_answer(qname, qtype) {
            Some(stale) => return (stale, 0),
            None => refresh.await,
        },
    };
    done.unwrap_or_else(|_| {
        let f = Failure::new(FailureKind::ResolutionBudget, qname.clone(), resolver.unix_now());
        (Resolution::servfail(f), 0)
    })
}

/// [`resolve_and_reply`] for `client`, counted: the reply in `tally`, the
/// time it took in `metrics`, and a line in the query log when one is kept.
pub(crate) async fn resolve_counted<T: Transport + 'static, C: Clock + 'static>(
    resolver: &Arc<Resolver<T, C>>,
    q: Message,
    (udp, client): (bool, IpAddr),
    (tally, metrics): (&Tally, &ServerMetrics),
) -> Option<Vec<u8>> {
    let start = std::time::Instant::now();
    // The question, kept for the log only when there is one.
    let question = metrics.query_log().and(q.question()).map(|qd| (qd.name.clone(), qd.qtype.0));
    let (reply, upstream) = match q.question() {
        Some(qd) => {
            let (r, upstream) = resolve_for_client(resolver, &qd.name, qd.qtype).await;
            (reply(&q, &r, udp, Some(&metrics.failures)), upstream)
        }
        None => (None, 0),
    };
    metrics.resolutions.observe(start.elapsed());
    let served = Served {
        client,
        question: question.as_ref().map_or((&[][..], 0), |(n, t)| (n.as_wire(), *t)),
        cached: upstream == 0,
        upstream,
        start: question.as_ref().map(|_| start),
    };
    metrics.finish(tally, reply.as_deref(), &served);
    reply
}

/// A slot for resolving `q` for `client`, or, past the in-flight limits
/// (in all, or for this client), the reply that says so at once: SERVFAIL
/// with an EDE naming the limit.
pub(crate) fn admit<T: Transport, C: Clock>(
    resolver: &Resolver<T, C>,
    flights: &Slots,
    client: IpAddr,
    q: &Message,
    udp: bool,
) -> Result<Slot, Option<Vec<u8>>> {
    let full = match flights.take(client) {
        Ok(slot) => return Ok(slot),
        Err(full) => full,
    };
    let cfg = resolver.config();
    let (kind, limit) = match full {
        Full::Total => (BudgetKind::InFlight, cfg.max_in_flight),
        Full::Client => (BudgetKind::InFlightPerClient, cfg.max_in_flight_per_client),
    };
    resolver.counters().budget_trip(kind);
    let refused = flights.refused();
    // Counted; logged the first time and every thousandth after.
    if refused % 1000 == 1 {
        tracing::warn!(%client, limit, refused, "{kind} at its limit: questions answered SERVFAIL at once");
    }
    let Some(qd) = q.question() else { return Err(None) };
    let r = Resolution::servfail(Failure::exhausted(kind, u64::from(limit), qd.name.clone(), resolver.unix_now()));
    let m = respond(q, &r);
    Err(if udp { to_udp(q.edns.as_ref(), m) } else { m.to_wire().ok() })
}

/// Answer one request end to end.
pub async fn handle<T: Transport, C: Clock>(
    resolver: &Resolver<T, C>,
    bytes: &[u8],
    client: IpAddr,
    acl: &Acl,
    udp: bool,
) -> Option<Vec<u8>> {
    match immediate(resolver, bytes, client, acl, udp) {
        Immediate::Reply(reply) => reply,
        Immediate::Reusable(wire, _) => Some(wire),
        Immediate::Resolve(q) => resolve_and_reply(resolver, q, udp).await,
    }
}

/// The response to `q` from `r`. ANY is resolved like any type, so a name
/// that does not exist, has no data or is bogus gets its real NXDOMAIN,
/// NODATA or SERVFAIL; a positive answer is RFC 8482's one synthesised
/// HINFO (without AD: nothing signed it), never the whole RRset list.
fn respond(q: &Message, r: &Resolution) -> Message {
    let any = q.question().is_some_and(|qd| qd.qtype == RType::ANY);
    let positive = r.rcode == Rcode::NOERROR && !r.answers.is_empty();
    if any && positive && !matches!(r.security, Security::Bogus(_) | Security::Servfail(_)) {
        minimal_any(q)
    } else {
        shape(q, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::resolution;
    use candor_wire::{Edns, Question};

    fn any() -> Message {
        let mut q = Message::query(1, Question::new("www.example.".parse::<Name>().unwrap(), RType::ANY));
        q.edns = Some(Edns::default());
        q
    }

    #[test]
    fn any_gets_the_names_real_negative_or_failure_and_a_positive_one_hinfo() {
        let m = respond(&any(), &resolution(Rcode::NXDOMAIN, "", Security::Secure));
        assert_eq!((m.header.rcode, m.answers.len()), (Rcode::NXDOMAIN, 0));
        let bogus = Security::bogus(Failure::new(FailureKind::SignatureInvalid, "example.".parse().unwrap(), 0));
        let m = respond(&any(), &resolution(Rcode::NOERROR, "www.example. 300 A 192.0.2.1\n", bogus));
        assert_eq!(m.header.rcode, Rcode::SERVFAIL);
        let m = respond(&any(), &resolution(Rcode::NOERROR, "www.example. 300 A 192.0.2.1\n", Security::Secure));
        assert_eq!((m.header.rcode, m.header.flags.ad), (Rcode::NOERROR, false));
        assert!(m.answers.len() == 1 && m.answers[0].rtype() == RType::HINFO, "{:?}", m.answers);
    }

    /// Authorities that answer nothing: every query waits out its timeout.
    struct Slow;

    impl Transport for Slow {
        async fn query(
            &self,
            server: std::net::SocketAddr,
            _: candor_resolver::Protocol,
            _: &[u8],
            timeout: std::time::Duration,
        ) -> Result<Vec<u8>, candor_resolver::TransportError> {
            tokio::time::sleep(timeout).await;
            Err(candor_resolver::TransportError::Timeout(server))
        }
    }

    #[tokio::test]
    async fn a_client_waits_the_stale_timeout_and_gets_the_stale_answer_while_the_refresh_goes_on() {
        use std::time::Duration;
        let mut cfg = candor_resolver::Config::new(vec!["127.0.0.1".parse().unwrap()], candor_anchor::Anchors::empty());
        cfg.outbound = candor_resolver::Outbound {
            allow: Some(vec!["127.0.0.0/8".parse().unwrap()]),
            ..candor_resolver::Outbound::default()
        };
        cfg.timeout = Duration::from_millis(400);
        cfg.stale_client_timeout = Duration::from_millis(100);
        let clock = candor_resolver::ManualClock::at(1_800_000_000);
        let r = Arc::new(Resolver::new(cfg, Slow, clock.clone()));
        let www: Name = "www.example.".parse().unwrap();
        let cached = resolution(Rcode::NOERROR, "www.example. 60 A 192.0.2.1\n", Security::Insecure(None));
        r.cache().put(&www, RType::A, &cached, r.monotonic(), r.unix_now());
        clock.advance(Duration::from_secs(61));
        let started = std::time::Instant::now();
        let (out, upstream) = resolve_for_client(&r, &www, RType::A).await;
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(100) && waited < Duration::from_millis(350), "{waited:?}");
        assert_eq!((out.rcode, upstream), (Rcode::NOERROR, 0));
        let stale = out.stale.expect("stale");
        assert_eq!(stale.why, "its refresh is still under way");
        assert!(out.answers.iter().all(|rr| rr.ttl == 30));
        // Nothing expired at hand: the client waits for the resolution.
        let other: Name = "other.example.".parse().unwrap();
        let (out, _) = resolve_for_client(&r, &other, RType::A).await;
        assert_eq!(out.rcode, Rcode::SERVFAIL);
        assert!(started.elapsed() >= Duration::from_millis(400), "waited for its own timeouts");
    }
}
