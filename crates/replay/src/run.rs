//! Playing a scenario: the config mapping, the client steps, the
//! settling of queries in flight, and the verdict.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::time::Duration;

use candor_anchor::Anchors;
use candor_crypto::Policy;
use candor_resolver::{Config, Forward, Outbound, Resolver, Validator};
use candor_wire::{Edns, Message, Name, Question, RType};

use crate::compare::{Tier, compare};
use crate::net::{SimClock, SimNet, header_of, lock};
use crate::parse::{Dialect, Entry, Scenario};

/// What a scenario came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every check held.
    Pass,
    /// A check failed: why.
    Fail(String),
    /// The scenario needs something candor does not do: what.
    Unsupported(String),
}

/// How the caller turns a client query into the server's reply (the
/// serving path: AD, EDE, EDNS shaping), over UDP or (with `true`) TCP.
pub type Answerer = dyn for<'a> Fn(
        &'a Resolver<SimNet, SimClock>,
        &'a [u8],
        bool,
    ) -> Pin<Box<dyn Future<Output = Option<Vec<u8>>> + Send + 'a>>
    + Sync;

/// Keys that change nothing candor does, with the values that keep it so
/// (`None`: any value).
const IGNORED: &[(&str, Option<&[&str]>)] = &[
    ("target-fetch-policy", Some(&["0 0 0 0 0"])),
    ("trust-anchor-signaling", Some(&["no"])),
    ("fake-sha1", None),
    ("iter-scrub-promiscuous", None),
    ("rrset-roundrobin", None),
    ("log-time-ascii", None),
    ("log-servfail", None),
    ("verbosity", None),
    ("val-log-level", None),
    ("directory", None),
    ("use-syslog", None),
    ("logfile", None),
    ("ede", Some(&["yes"])),
    ("local-zone", None),
    ("do-ip4", None),
    ("do-not-query-localhost", None),
    ("stub-prime", Some(&["no"])),
    ("harden-dnssec-stripped", Some(&["yes"])),
    ("harden-below-nxdomain", Some(&["yes"])),
    ("harden-referral-path", Some(&["no"])),
    // candor copies no upstream additional data but validated name-server
    // addresses: unknown types never reach the additional section.
    ("harden-unknown-additional", None),
    ("val-clean-additional", Some(&["yes"])),
    ("stub-name", None),
    ("access-control", None),
    ("val-max-restart", None),
];

const HANDLED: &[&str] = &[
    "trust-anchor",
    "val-override-date",
    "val-override-timestamp",
    "name",
    "stub-addr",
    "qname-minimisation",
    "query-minimization",
    "module-config",
    "domain-insecure",
    "minimal-responses",
    "aggressive-nsec",
    "do-ip6",
    "harden-algo-downgrade",
    "harden-unverified-glue",
    "harden-glue",
    "max-global-quota",
];

fn parse_date(v: &str) -> Option<u64> {
    if v.len() == 14 && v.bytes().all(|b| b.is_ascii_digit()) {
        candor_wire::parse_timestamp(v).and_then(|t| u64::try_from(t).ok())
    } else {
        v.parse().ok()
    }
}

/// Build the resolver's config from the scenario's, or say what is unsupported.
fn config(sc: &Scenario) -> Result<(Config, Option<u64>), String> {
    if let Some(d) = sc.directives.first() {
        return Err(d.clone());
    }
    for (section, key, value) in &sc.config {
        if HANDLED.contains(&key.as_str()) && section != "forward-zone" {
            continue;
        }
        match IGNORED.iter().find(|(k, _)| k == key) {
            Some((_, None)) => {}
            Some((_, Some(ok))) if ok.iter().any(|v| v.eq_ignore_ascii_case(value.trim())) => {}
            _ => return Err(format!("{section}.{key}: {value}")),
        }
    }
    let mut anchors = Anchors::empty();
    let mut records = Vec::new();
    for v in sc.values("trust-anchor") {
        let text = format!("$TTL 3600\n{}\n", v.replace(['(', ')'], " "));
        let rrs =
            candor_wire::text::parse_zone(&text, Some(&Name::root())).map_err(|e| format!("trust-anchor {v}: {e}"))?;
        records.extend(rrs);
    }
    anchors.add_records(&records).map_err(|e| format!("trust-anchor: {e}"))?;
    let validation = !sc.values("module-config").any(|v| v.split_whitespace().all(|w| w != "validator"));
    if !validation {
        anchors = Anchors::empty();
    }
    for z in sc.values("domain-insecure") {
        let zone: Name = z.parse().map_err(|e| format!("domain-insecure {z}: {e}"))?;
        anchors.add_negative(zone, u64::MAX);
    }
    // Root servers and stub zones.
    let mut roots = Vec::new();
    let mut stubs = Vec::new();
    match sc.dialect {
        Dialect::Unbound => {
            let mut zone: Option<Name> = None;
            for (section, key, value) in &sc.config {
                if section != "stub-zone" {
                    continue;
                }
                match key.as_str() {
                    "name" => zone = Some(value.parse().map_err(|e| format!("stub-zone name {value}: {e}"))?),
                    "stub-addr" => {
                        let ip: IpAddr = value
                            .split('@')
                            .next()
                            .and_then(|a| a.trim().parse().ok())
                            .ok_or_else(|| format!("stub-addr {value}"))?;
                        match &zone {
                            Some(z) if z.is_root() => roots.push(ip),
                            Some(z) => match stubs.iter_mut().find(|f: &&mut Forward| f.zone == *z) {
                                Some(f) => f.servers.push(SocketAddr::new(ip, 53)),
                                None => stubs.push(Forward { zone: z.clone(), servers: vec![SocketAddr::new(ip, 53)] }),
                            },
                            None => return Err("stub-addr before name".into()),
                        }
                    }
                    _ => {}
                }
            }
        }
        Dialect::Deckard => {
            for v in sc.values("stub-addr") {
                roots.push(v.parse().map_err(|_| format!("stub-addr {v}"))?);
            }
        }
    }
    // Without any stub the scenario relies on the resolver's built-in root
    // hints (its ranges carry the root servers' addresses), as Deckard and
    // testbound run it: the IANA hints it is. The simulated network answers
    // them from the ranges; no packet leaves the process. With other stubs
    // only, a query leaving them finds no root at all.
    if roots.is_empty() && stubs.is_empty() {
        roots = candor_resolver::RootHints::iana().addresses();
    }
    let mut cfg = Config::new(roots, anchors);
    cfg.stubs = stubs;
    cfg.priming = false;
    // The same scenario must give the same result every time.
    cfg.server_exploration = false;
    cfg.local_zones = false;
    cfg.validator = Validator {
        policy: Policy::LEGACY,
        all_algorithms: sc.values("harden-algo-downgrade").any(|v| matches!(v.trim(), "yes" | "on")),
        ..Validator::default()
    };
    // The scenarios assume Unbound's NSEC3 iteration cap (150), not candor's 50.
    cfg.denial.max_iterations = 150;
    // The scenarios' made-up servers include documentation addresses.
    cfg.outbound = Outbound {
        special_purpose: true,
        no_ipv6: sc.values("do-ip6").any(|v| v.trim() == "no"),
        ..Outbound::default()
    };
    cfg.minimal_responses = !sc.values("minimal-responses").any(|v| v.trim() == "no");
    // Unbound's cap on upstream queries for one client query is candor's
    // upstream-queries budget.
    if let Some(q) = sc.values("max-global-quota").find_map(|v| v.trim().parse().ok()) {
        cfg.max_queries = q;
    }
    cfg.harden_glue = !sc.values("harden-glue").any(|v| matches!(v.trim(), "no" | "off"));
    cfg.harden_unverified_glue = sc.values("harden-unverified-glue").any(|v| matches!(v.trim(), "yes" | "on"));
    cfg.cache.aggressive_nsec = !sc.values("aggressive-nsec").any(|v| v.trim() == "no");
    // The corpus assumes Unbound's defaults: `serve-expired: no`, `prefetch: no`.
    cfg.cache.serve_stale = None;
    cfg.cache.prefetch = false;
    let qmin = sc.values("qname-minimisation").chain(sc.values("query-minimization")).last();
    cfg.qname_minimisation = qmin.is_none_or(|v| matches!(v, "yes" | "on"));
    let mut date = sc.values("val-override-date").chain(sc.values("val-override-timestamp")).find_map(parse_date);
    if sc.values("val-override-date").any(|v| v == "-1") {
        // "Ignore signature dates": played at a time inside the window of
        // every signature in the scenario, when they have one in common
        // (candor always checks the window; there is no switch to turn
        // the check off).
        date = Some(common_window(sc).ok_or("val-override-date: -1 (signature windows with no time in common)")?);
    }
    Ok((cfg, date))
}

/// A time inside the validity window of every RRSIG of the scenario (the
/// middle of their intersection), if there is one.
fn common_window(sc: &Scenario) -> Option<u64> {
    let entries =
        sc.ranges.iter().flat_map(|r| r.entries.iter()).chain(sc.steps.iter().filter_map(|s| s.entry.as_ref()));
    let (mut from, mut to) = (0u64, u64::MAX);
    for rr in entries.flat_map(|e| e.sections.iter().flatten()) {
        if let candor_wire::RData::Rrsig(s) = &rr.data {
            from = from.max(u64::from(s.inception));
            to = to.min(u64::from(s.expiration));
        }
    }
    (from <= to && to != u64::MAX).then(|| from + (to - from) / 2)
}

/// The client query of a QUERY step.
fn client_query(e: &Entry, dialect: Dialect) -> Message {
    let (opcode, _, flags, dnssec_ok) = header_of(e);
    let mut m = Message::default();
    m.header.opcode = opcode;
    m.header.flags = flags;
    m.questions = e.question.iter().map(|(n, t)| Question::new(n.clone(), *t)).collect();
    m.edns = match dialect {
        Dialect::Unbound => dnssec_ok.then(|| Edns { udp_size: 1232, dnssec_ok: true, ..Edns::default() }),
        Dialect::Deckard => Some(Edns { udp_size: 4096, dnssec_ok, ..Edns::default() }),
    };
    m
}

/// Client queries being resolved, each answering with the reply's wire form.
type InFlight<'a> = Vec<Pin<Box<dyn Future<Output = Option<Vec<u8>>> + Send + 'a>>>;

/// Let the client queries in flight run until each is answered or waits
/// on an outstanding query no range answers (FORMAT.md §7, U run loop:
/// outstanding queries a range answers are answered before the next step).
async fn settle<'a>(net: &SimNet, inflight: &mut InFlight<'a>, queue: &mut Vec<Message>) {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    // Each round either answers a query or finishes a resolution; a
    // resolution's queries are bounded by its budget.
    for _ in 0..100_000 {
        let mut progress = net.serve_outstanding();
        let mut i = 0;
        while i < inflight.len() {
            if let std::task::Poll::Ready(reply) = inflight[i].as_mut().poll(&mut cx) {
                drop(inflight.remove(i));
                if let Some(m) = reply.and_then(|r| Message::from_wire(&r).ok()) {
                    queue.push(m);
                }
                progress = true;
            } else {
                i += 1;
            }
        }
        if !progress {
            break;
        }
        tokio::task::yield_now().await;
    }
}

/// The first step the dialect's run loop does not play, if any: Deckard
/// ignores CHECK_OUT_QUERY and plays REPLY as a pool of one-shot answers
/// (FORMAT.md §7); in Unbound's dialect they act on outstanding queries,
/// which then wait for a step instead of timing out.
fn unsupported_step(sc: &Scenario) -> Option<String> {
    let supported: &[&str] = match sc.dialect {
        Dialect::Unbound => {
            &["QUERY", "CHECK_ANSWER", "TIME_PASSES", "TRAFFIC", "NOTHING", "CHECK_OUT_QUERY", "REPLY", "TIMEOUT"]
        }
        Dialect::Deckard => &["QUERY", "CHECK_ANSWER", "TIME_PASSES", "TRAFFIC", "NOTHING", "CHECK_OUT_QUERY", "REPLY"],
    };
    sc.steps.iter().find_map(|s| {
        if !supported.contains(&s.kind.as_str()) {
            Some(format!("step {}", s.kind))
        } else if s.kind == "TIME_PASSES" && !s.args.starts_with("ELAPSE") {
            Some(format!("step TIME_PASSES {}", s.args))
        } else {
            None
        }
    })
}

/// Play `sc` compared at `tier`; `answer` turns a client query into the
/// server's reply.
pub async fn run(sc: &Scenario, answer: &Answerer, tier: Tier) -> Outcome {
    if let Some(what) = unsupported_step(sc) {
        return Outcome::Unsupported(what);
    }
    // Unbound's queries a range does not answer stay outstanding: a range
    // eligible at a later step, REPLY or TIMEOUT settle them, and with no
    // answer to check they time out (FORMAT.md §7, U run loop).
    let hold = sc.dialect == Dialect::Unbound;
    let (mut cfg, date) = match config(sc) {
        Ok(c) => c,
        Err(key) => return Outcome::Unsupported(key),
    };
    // A scenario that checks for the root priming query gets one.
    let primes = |s: &&crate::parse::Step| {
        s.kind == "CHECK_OUT_QUERY"
            && s.entry.as_ref().and_then(|e| e.question.first()).is_some_and(|(n, t)| n.is_root() && *t == RType::NS)
    };
    if hold && sc.steps.iter().any(|s| primes(&s)) {
        cfg.priming = true;
    }
    let clock = SimClock::for_scenario(sc, date);
    let net = SimNet::for_scenario(sc, hold);
    let resolver = Resolver::new(cfg, net.clone(), clock.clone());
    let mut queue: Vec<Message> = Vec::new();
    // The client queries' wire forms (outliving the resolutions in flight).
    let wires: Vec<Option<Vec<u8>>> = sc
        .steps
        .iter()
        .map(|s| {
            // A raw client packet (D `RAW`) goes as it is.
            s.entry
                .as_ref()
                .filter(|_| s.kind == "QUERY")
                .and_then(|e| e.raw.clone().or_else(|| client_query(e, sc.dialect).to_wire().ok()))
        })
        .collect();
    // Client queries still resolving (with `hold`).
    let mut inflight: InFlight<'_> = Vec::new();
    for (s, wire) in sc.steps.iter().zip(&wires) {
        *lock(&net.0.step) = s.n;
        if hold {
            settle(&net, &mut inflight, &mut queue).await;
        }
        match s.kind.as_str() {
            "QUERY" if hold => {
                let Some(wire) = wire else {
                    return Outcome::Fail(format!("step {}: QUERY without an entry that encodes", s.n));
                };
                let tcp = s.entry.as_ref().is_some_and(|e| e.has_match("TCP"));
                inflight.push(answer(&resolver, wire, tcp));
                settle(&net, &mut inflight, &mut queue).await;
            }
            "CHECK_OUT_QUERY" if hold => {
                let Some(e) = &s.entry else { continue };
                if let Err(why) = net.check_out_query(e) {
                    return Outcome::Fail(format!("step {} (line {}): {why}", s.n, s.line));
                }
                settle(&net, &mut inflight, &mut queue).await;
            }
            "REPLY" | "TIMEOUT" if hold => {
                let Some(o) = net.newest_outstanding() else {
                    // A timeout with nothing outstanding: the resolver gave
                    // up on the server sooner than Unbound (its retry policy);
                    // nothing is left to time out. A reply with nothing to
                    // answer is a query the resolver never sent.
                    if s.kind == "TIMEOUT" {
                        continue;
                    }
                    return Outcome::Fail(format!("step {} (line {}): REPLY with no query outstanding", s.n, s.line));
                };
                let reply = match &s.entry {
                    Some(e) if s.kind == "REPLY" => {
                        Message::from_wire(&o.query).ok().and_then(|q| net.respond(e, &q, &o.query))
                    }
                    _ => None,
                };
                let _ = o.reply.send(reply);
                settle(&net, &mut inflight, &mut queue).await;
            }
            "QUERY" => {
                let (Some(e), Some(wire)) = (&s.entry, wire) else {
                    return Outcome::Fail(format!("step {}: QUERY without an entry that encodes", s.n));
                };
                let tcp = e.has_match("TCP");
                let mut reply = answer(&resolver, wire, tcp).await;
                // Deckard's client takes a truncated answer again over TCP,
                // as a stub does (candor's UDP answers stop at 1232 octets
                // where Knot's reach 4096); testbound's checks TC itself.
                let truncated = reply.as_ref().and_then(|r| r.get(2)).is_some_and(|b| b & 0x02 != 0);
                if truncated && sc.dialect == Dialect::Deckard {
                    reply = answer(&resolver, wire, true).await;
                }
                match reply.and_then(|r| Message::from_wire(&r).ok()) {
                    Some(m) => queue.push(m),
                    // A packet that is not a query may go unanswered; the
                    // next CHECK_ANSWER says whether one was expected.
                    None if e.raw.is_some() => {}
                    None => return Outcome::Fail(format!("step {}: no reply", s.n)),
                }
            }
            "CHECK_ANSWER" => {
                let Some(e) = &s.entry else { continue };
                // Nothing to check while queries are outstanding that no
                // step will answer: their timers fire, newest first.
                while hold && queue.is_empty() && !inflight.is_empty() {
                    let Some(o) = net.newest_outstanding() else { break };
                    let _ = o.reply.send(None);
                    settle(&net, &mut inflight, &mut queue).await;
                }
                let result = match sc.dialect {
                    // U: any queued answer that matches; D: the last one.
                    Dialect::Unbound => {
                        let hit = queue.iter().position(|m| compare(e, m, sc.dialect, tier).is_ok());
                        match hit {
                            Some(i) => {
                                queue.remove(i);
                                Ok(())
                            }
                            None => match queue.first() {
                                Some(m) => compare(e, m, sc.dialect, tier),
                                None => Err("no answer to check".into()),
                            },
                        }
                    }
                    Dialect::Deckard => match queue.last() {
                        Some(m) => compare(e, m, sc.dialect, tier),
                        None => Err("no answer to check".into()),
                    },
                };
                if let Err(why) = result {
                    if std::env::var_os("CANDOR_REPLAY_DEBUG").is_some() {
                        for m in &queue {
                            eprintln!("replay: step {}: queued answer:\n{m}", s.n);
                        }
                    }
                    let unmatched = lock(&net.0.unmatched).clone();
                    let hint = match unmatched.last() {
                        Some(u) => format!(" (last unanswered query: {u})"),
                        None => String::new(),
                    };
                    return Outcome::Fail(format!("step {} (line {}): {why}{hint}", s.n, s.line));
                }
            }
            "TIME_PASSES" => {
                let secs = s.args.split_whitespace().nth(1).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
                clock.advance(Duration::from_secs_f64(secs.max(0.0)));
            }
            _ => {}
        }
    }
    Outcome::Pass
}
