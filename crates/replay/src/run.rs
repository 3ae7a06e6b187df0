//! Playing a scenario: the simulated network and clock, the config
//! mapping, the steps, and the comparison of replies.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use candor_anchor::Anchors;
use candor_crypto::Policy;
use candor_resolver::{Clock, Config, Forward, Outbound, Protocol, Resolver, Transport, TransportError, Validator};
use candor_wire::{Edns, EdnsOption, Flags, Message, Name, Opcode, Question, RType, Rcode, Record};

use crate::parse::{Dialect, Entry, Range, Scenario};

/// How strictly replies are compared (FORMAT.md §6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// The recommended comparison: opcode, rcode and flags exactly, the
    /// question, every section as a multiset (TTLs with `ttl`), EDNS
    /// presence and DO in the Unbound dialect, EDE where asked.
    Recommended,
    /// Only rcode, the AD/CD/RA flags, the answer section and EDE: the
    /// authority and additional sections encode the other resolver's
    /// response-shaping policy (minimal responses, glue).
    Lenient,
}

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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The scenario's clock (FORMAT.md §4): the cache clock starts at 0 (U)
/// or at the override date (D) and moves with `TIME_PASSES`; signatures
/// are checked against a fixed override date in U.
#[derive(Debug, Clone)]
pub struct SimClock(Arc<Mutex<ClockState>>);

#[derive(Debug)]
struct ClockState {
    elapsed: Duration,
    fixed_sig_time: Option<u64>,
    start: u64,
}

impl SimClock {
    fn advance(&self, by: Duration) {
        lock(&self.0).elapsed += by;
    }
}

impl Clock for SimClock {
    fn unix(&self) -> u64 {
        let s = lock(&self.0);
        s.fixed_sig_time.unwrap_or(s.start + s.elapsed.as_secs())
    }

    fn monotonic(&self) -> Duration {
        lock(&self.0).elapsed
    }
}

/// The scenario's authoritative servers: RANGE entries answer the
/// resolver's queries by step window, address and MATCH rules.
#[derive(Debug, Clone)]
pub struct SimNet(Arc<NetState>);

#[derive(Debug)]
struct NetState {
    dialect: Dialect,
    ranges: Vec<Range>,
    step: Mutex<u32>,
    unmatched: Mutex<Vec<String>>,
    /// Deckard's one-shot answers: the REPLY steps (step number, entry),
    /// each used at most once, when no range is eligible (FORMAT.md §7).
    replies: Mutex<Vec<(u32, Entry)>>,
    /// Unbound's outstanding queries (FORMAT.md §7, U run loop): with
    /// `hold`, a query no range answers waits for a later step (a range
    /// that becomes eligible, `REPLY`, `TIMEOUT`) instead of timing out.
    hold: bool,
    outstanding: Mutex<Vec<Outstanding>>,
    /// Every query sent, for `CHECK_OUT_QUERY`: (query, transport, checked yet).
    sent: Mutex<Vec<(Vec<u8>, Protocol, bool)>>,
}

/// A query waiting for an answer (`None`: it times out).
#[derive(Debug)]
struct Outstanding {
    server: SocketAddr,
    protocol: Protocol,
    query: Vec<u8>,
    reply: tokio::sync::oneshot::Sender<Option<Vec<u8>>>,
}

/// What the scenario's servers make of a query.
enum Found {
    Answer(Vec<u8>),
    /// `do_not_answer`: a timeout.
    Dropped,
    /// No range has a matching entry.
    Nothing,
}

fn rcode_of(tok: &str) -> Option<Rcode> {
    Some(match tok.to_ascii_uppercase().as_str() {
        "NOERROR" => Rcode::NOERROR,
        "FORMERR" => Rcode::FORMERR,
        "SERVFAIL" => Rcode::SERVFAIL,
        "NXDOMAIN" => Rcode::NXDOMAIN,
        "NOTIMPL" | "NOTIMP" => Rcode::NOTIMP,
        "REFUSED" => Rcode::REFUSED,
        "YXDOMAIN" => Rcode(6),
        "YXRRSET" => Rcode(7),
        "NXRRSET" => Rcode(8),
        "NOTAUTH" => Rcode(9),
        "NOTZONE" => Rcode(10),
        "BADVERS" => Rcode::BADVERS,
        _ => return None,
    })
}

fn opcode_of(tok: &str) -> Option<Opcode> {
    Some(match tok.to_ascii_uppercase().as_str() {
        "QUERY" => Opcode::QUERY,
        "IQUERY" => Opcode(1),
        "STATUS" => Opcode(2),
        "NOTIFY" => Opcode(4),
        "UPDATE" => Opcode(5),
        _ => return None,
    })
}

/// The header (opcode, rcode, flags) an entry's REPLY tokens describe.
fn header_of(e: &Entry) -> (Opcode, Rcode, Flags, bool) {
    let mut f = Flags::default();
    let (mut op, mut rc, mut dnssec_ok) = (Opcode::QUERY, Rcode::NOERROR, false);
    for t in &e.reply {
        match t.to_ascii_uppercase().as_str() {
            "QR" => f.qr = true,
            "AA" => f.aa = true,
            "TC" => f.tc = true,
            "RD" => f.rd = true,
            "RA" => f.ra = true,
            "AD" => f.ad = true,
            "CD" => f.cd = true,
            "DO" => dnssec_ok = true,
            other => {
                if let Some(r) = rcode_of(other) {
                    rc = r;
                } else if let Some(o) = opcode_of(other) {
                    op = o;
                }
            }
        }
    }
    (op, rc, f, dnssec_ok)
}

/// Does the resolver's outgoing `q` satisfy the entry's MATCH options?
fn query_matches(e: &Entry, q: &Message, protocol: Protocol) -> bool {
    let qd = q.question();
    let ed = e.question.first();
    e.matches.iter().all(|m| match m.as_str() {
        "opcode" => q.header.opcode == header_of(e).0,
        "qtype" => qd.map(|x| x.qtype) == ed.map(|x| x.1),
        "qname" => qd.map(|x| &x.name) == ed.map(|x| &x.0),
        "question" => qd.map(|x| (&x.name, x.qtype)) == ed.map(|x| (&x.0, x.1)),
        "subdomain" => match (qd, ed) {
            (Some(a), Some(b)) => a.name.is_subdomain_of(&b.0),
            _ => false,
        },
        "DO" => q.edns.as_ref().is_some_and(|x| x.dnssec_ok),
        "noedns" => q.edns.is_none(),
        "TCP" => protocol == Protocol::Tcp,
        "UDP" => protocol == Protocol::Udp,
        _ => true,
    })
}

impl SimNet {
    fn answer(&self, server: SocketAddr, protocol: Protocol, query: &[u8]) -> Found {
        self.answer_logged(server, protocol, query, true)
    }

    /// [`SimNet::answer`]; `log`: note an unanswered query (and print what
    /// happened with `CANDOR_REPLAY_DEBUG`); outstanding queries checked
    /// again at each step are not noted again.
    fn answer_logged(&self, server: SocketAddr, protocol: Protocol, query: &[u8], log: bool) -> Found {
        let Ok(q) = Message::from_wire(query) else { return Found::Nothing };
        let step = *lock(&self.0.step);
        let ip = server.ip();
        let known = self.0.ranges.iter().any(|r| r.addrs.contains(&ip));
        let eligible = |r: &&Range| {
            r.from <= step
                && step <= r.to
                && (r.addrs.is_empty() || r.addrs.contains(&ip) || (!known && self.0.dialect == Dialect::Deckard))
        };
        let pooled;
        // Unbound looks at the ranges last-defined first and takes the first
        // with a matching entry; Deckard looks only in the first eligible
        // range in file order and answers SERVFAIL itself when nothing
        // there matches (FORMAT.md §5).
        let mut ranges: Vec<&Range> = self.0.ranges.iter().filter(eligible).collect();
        if self.0.dialect == Dialect::Unbound {
            ranges.reverse();
        } else {
            ranges.truncate(1);
        }
        let d_servfail = self.0.dialect == Dialect::Deckard && !ranges.is_empty();
        let mut entry = ranges.into_iter().find_map(|r| r.entries.iter().find(|e| query_matches(e, &q, protocol)));
        if entry.is_none() && d_servfail {
            let mut m = Message::default();
            m.header.id = q.header.id;
            m.header.flags.qr = true;
            m.header.rcode = Rcode::SERVFAIL;
            m.questions = q.questions.clone();
            return m.to_wire().map_or(Found::Nothing, Found::Answer);
        }
        // Deckard: with no range eligible at all, the first unused REPLY
        // step at or after this one that matches answers, once.
        if entry.is_none() && self.0.dialect == Dialect::Deckard && !self.0.ranges.iter().any(|r| eligible(&r)) {
            let mut pool = lock(&self.0.replies);
            if let Some(i) = pool.iter().position(|(n, e)| *n >= step && query_matches(e, &q, protocol)) {
                pooled = pool.remove(i).1;
                entry = Some(&pooled);
            }
        }
        if log && std::env::var_os("CANDOR_REPLAY_DEBUG").is_some() {
            let what = q.question().map(|x| format!("{} {}", x.name, x.qtype)).unwrap_or_default();
            eprintln!(
                "replay: step {step}: {what} to {ip}: {}",
                entry.map_or("no entry".to_owned(), |e| format!("entry at line {}", e.line))
            );
        }
        let Some(e) = entry else {
            if log {
                let what = q.question().map(|x| format!("{} {}", x.name, x.qtype)).unwrap_or_default();
                lock(&self.0.unmatched).push(format!("step {step}: {what} to {ip}"));
            }
            return Found::Nothing;
        };
        if e.adjust.iter().any(|a| a == "do_not_answer") {
            return Found::Dropped;
        }
        self.respond(e, &q, query).map_or(Found::Dropped, Found::Answer)
    }

    /// The entry `e` as the answer to `q` (whose wire form is `query`).
    fn respond(&self, e: &Entry, q: &Message, query: &[u8]) -> Option<Vec<u8>> {
        if let Some(raw) = &e.raw {
            let mut raw = raw.clone();
            if let (Some(dst), Some(src)) = (raw.get_mut(..2), query.get(..2)) {
                dst.copy_from_slice(src);
            }
            return Some(raw);
        }
        let (opcode, rcode, flags, dnssec_ok) = header_of(e);
        let mut m = Message::default();
        m.header.id = q.header.id;
        m.header.opcode = opcode;
        m.header.rcode = rcode;
        m.header.flags = flags;
        m.questions = e.question.iter().map(|(n, t)| Question::new(n.clone(), *t)).collect();
        // Echo the query's question when asked, or when only the spelling differs.
        let same = m.questions.first().zip(q.question()).is_some_and(|(a, b)| a.name == b.name && a.qtype == b.qtype);
        if e.adjust.iter().any(|a| a == "copy_query") || same {
            m.questions = q.questions.clone();
        }
        let [an, au, ad] = e.sections.clone();
        m.answers = an;
        m.authority = au;
        m.additional = ad;
        m.edns = match self.0.dialect {
            Dialect::Unbound => dnssec_ok.then(|| Edns { udp_size: 1232, dnssec_ok: true, ..Edns::default() }),
            Dialect::Deckard => {
                q.edns.as_ref().map(|x| Edns { udp_size: 4096, dnssec_ok: x.dnssec_ok, ..Edns::default() })
            }
        };
        m.to_wire().ok()
    }
}

impl Transport for SimNet {
    fn query(
        &self,
        server: SocketAddr,
        protocol: Protocol,
        query: &[u8],
        _timeout: Duration,
    ) -> impl Future<Output = Result<Vec<u8>, TransportError>> + Send {
        lock(&self.0.sent).push((query.to_vec(), protocol, false));
        let found = self.answer(server, protocol, query);
        let held = match found {
            Found::Nothing if self.0.hold => {
                let (tx, rx) = tokio::sync::oneshot::channel();
                lock(&self.0.outstanding).push(Outstanding { server, protocol, query: query.to_vec(), reply: tx });
                Some(rx)
            }
            _ => None,
        };
        let query = query.to_vec();
        async move {
            let resp = match (found, held) {
                (_, Some(rx)) => rx.await.ok().flatten(),
                (Found::Answer(r), None) => Some(r),
                _ => None,
            };
            // What the production transport would drop (another ID or
            // question) never arrives here either.
            resp.filter(|r| candor_resolver::matches_query(&query, r)).ok_or(TransportError::Timeout(server))
        }
    }
}

impl SimNet {
    /// Answer the outstanding queries a range now answers (the step moved
    /// on); true when one was.
    fn serve_outstanding(&self) -> bool {
        let waiting = std::mem::take(&mut *lock(&self.0.outstanding));
        let mut served = false;
        for o in waiting {
            match self.answer_logged(o.server, o.protocol, &o.query, false) {
                Found::Answer(r) => {
                    let _ = o.reply.send(Some(r));
                    served = true;
                }
                Found::Dropped => {
                    let _ = o.reply.send(None);
                    served = true;
                }
                Found::Nothing => lock(&self.0.outstanding).push(o),
            }
        }
        served
    }

    /// `CHECK_OUT_QUERY`: the oldest query sent and not yet checked that
    /// matches `e` is checked off (and answered with `e` when it has
    /// `copy_id` and is still outstanding).
    fn check_out_query(&self, e: &Entry) -> Result<(), String> {
        let query = {
            let mut sent = lock(&self.0.sent);
            let hit = sent
                .iter_mut()
                .find(|(q, p, checked)| !*checked && Message::from_wire(q).is_ok_and(|m| query_matches(e, &m, *p)));
            match hit {
                Some(hit) => {
                    hit.2 = true;
                    hit.0.clone()
                }
                None => {
                    let what = e.question.first().map(|(n, t)| format!("{n} {t}")).unwrap_or_default();
                    let asked: Vec<String> = sent
                        .iter()
                        .filter(|(_, _, checked)| !*checked)
                        .filter_map(|(q, _, _)| Message::from_wire(q).ok())
                        .filter_map(|m| m.question().map(|x| format!("{} {}", x.name, x.qtype)))
                        .collect();
                    return Err(format!("no outgoing query {what}; sent and not yet checked: [{}]", asked.join(", ")));
                }
            }
        };
        if e.adjust.iter().any(|a| a == "copy_id") {
            let waiting = {
                let mut list = lock(&self.0.outstanding);
                list.iter().position(|o| o.query == query).map(|i| list.remove(i))
            };
            if let Some(o) = waiting {
                let reply = Message::from_wire(&o.query).ok().and_then(|q| self.respond(e, &q, &o.query));
                let _ = o.reply.send(reply);
            }
        }
        Ok(())
    }

    /// The newest outstanding query, taken out of the list.
    fn newest_outstanding(&self) -> Option<Outstanding> {
        lock(&self.0.outstanding).pop()
    }
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

fn rr_key(r: &Record) -> Record {
    Record { ttl: 0, class: r.class, owner: r.owner.to_lowercase(), data: r.data.clone() }
}

/// Compare two record lists as multisets (TTL too when `ttl`).
fn same_records(what: &str, want: &[Record], got: &[Record], ttl: bool) -> Result<(), String> {
    let mut left: Vec<&Record> = got.iter().collect();
    for w in want {
        let k = rr_key(w);
        match left.iter().position(|g| rr_key(g) == k && (!ttl || g.ttl == w.ttl)) {
            Some(i) => {
                left.swap_remove(i);
            }
            None => return Err(format!("{what}: expected {w}, not in the reply")),
        }
    }
    if let Some(extra) = left.first() {
        return Err(format!("{what}: unexpected {extra}"));
    }
    Ok(())
}

/// FORMAT.md §6.4's recommended comparison of an expected entry with a reply.
fn compare(e: &Entry, got: &Message, dialect: Dialect, tier: Tier) -> Result<(), String> {
    let lenient = tier == Tier::Lenient;
    let (opcode, rcode, flags, dnssec_ok) = header_of(e);
    let all = e.has_match("all");
    let want = |o: &str| all || e.has_match(o);
    let ttl = e.has_match("ttl");
    // ede=N is checked on its own, and the option left out of the rest.
    for m in &e.matches {
        if let Some(code) = m.strip_prefix("ede=") {
            let codes: Vec<u16> = got
                .edns
                .iter()
                .flat_map(|x| x.options.iter())
                .filter_map(|o| match o {
                    EdnsOption::Ede(x) => Some(x.code),
                    _ => None,
                })
                .collect();
            let ok =
                if code == "any" { !codes.is_empty() } else { code.parse().is_ok_and(|c: u16| codes.contains(&c)) };
            if !ok {
                return Err(format!("expected EDE {code}, got {codes:?} (rcode {})", got.header.rcode));
            }
        }
    }
    if !lenient && want("opcode") && got.header.opcode != opcode {
        return Err(format!("opcode {:?}, expected {opcode:?}", got.header.opcode));
    }
    if (want("rcode") || all) && got.header.rcode != rcode {
        let ede = got.edns.as_ref().and_then(|x| x.ede()).map(|x| format!(" (EDE {}: {})", x.code, x.text));
        return Err(format!("rcode {}, expected {rcode}{}", got.header.rcode, ede.unwrap_or_default()));
    }
    if all || e.has_match("flags") {
        let f = got.header.flags;
        let bits = |f: Flags| {
            if lenient {
                [false, false, false, false, f.ra, f.ad, f.cd]
            } else {
                [f.qr, f.aa, f.tc, f.rd, f.ra, f.ad, f.cd]
            }
        };
        if bits(f) != bits(flags) {
            let ede = got.edns.as_ref().and_then(|x| x.ede()).map(|x| format!(" (EDE {}: {})", x.code, x.text));
            return Err(format!("flags {}, expected {}{}", flag_text(f), flag_text(flags), ede.unwrap_or_default()));
        }
    }
    if !lenient && (want("question") || want("qname") || want("qtype")) {
        let a = got.question().map(|q| (&q.name, q.qtype));
        let b = e.question.first().map(|(n, t)| (n, *t));
        if a != b {
            return Err(format!("question {a:?}, expected {b:?}"));
        }
    }
    if want("answer") {
        same_records("answer", e.sections.first().map_or(&[], |s| s), &got.answers, ttl)?;
    }
    if !lenient && want("authority") {
        same_records("authority", e.sections.get(1).map_or(&[], |s| s), &got.authority, ttl)?;
    }
    if !lenient && want("additional") {
        same_records("additional", e.sections.get(2).map_or(&[], |s| s), &got.additional, ttl)?;
    }
    if !lenient && all && dialect == Dialect::Unbound {
        let got_do = got.edns.as_ref().map(|x| x.dnssec_ok);
        let want_do = dnssec_ok.then_some(true);
        if got_do.is_some() != want_do.is_some() || (want_do == Some(true) && got_do != Some(true)) {
            return Err(format!("EDNS {got_do:?}, expected {want_do:?}"));
        }
    }
    Ok(())
}

fn flag_text(f: Flags) -> String {
    let names = [(f.qr, "QR"), (f.aa, "AA"), (f.tc, "TC"), (f.rd, "RD"), (f.ra, "RA"), (f.ad, "AD"), (f.cd, "CD")];
    names.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect::<Vec<_>>().join(" ")
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

/// Play `sc` compared at `tier`; `answer` turns a client query into the
/// server's reply.
pub async fn run(sc: &Scenario, answer: &Answerer, tier: Tier) -> Outcome {
    // Deckard ignores CHECK_OUT_QUERY and plays REPLY as a pool of one-shot
    // answers (FORMAT.md §7); in Unbound's dialect they act on outstanding
    // queries, which then wait for a step instead of timing out.
    let supported: &[&str] = match sc.dialect {
        Dialect::Unbound => {
            &["QUERY", "CHECK_ANSWER", "TIME_PASSES", "TRAFFIC", "NOTHING", "CHECK_OUT_QUERY", "REPLY", "TIMEOUT"]
        }
        Dialect::Deckard => &["QUERY", "CHECK_ANSWER", "TIME_PASSES", "TRAFFIC", "NOTHING", "CHECK_OUT_QUERY", "REPLY"],
    };
    // Unbound's queries a range does not answer stay outstanding: a range
    // eligible at a later step, REPLY or TIMEOUT settle them, and with no
    // answer to check they time out (FORMAT.md §7, U run loop).
    let hold = sc.dialect == Dialect::Unbound;
    for s in &sc.steps {
        if !supported.contains(&s.kind.as_str()) {
            return Outcome::Unsupported(format!("step {}", s.kind));
        }
        if s.kind == "TIME_PASSES" && !s.args.starts_with("ELAPSE") {
            return Outcome::Unsupported(format!("step TIME_PASSES {}", s.args));
        }
    }
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
    let clock = SimClock(Arc::new(Mutex::new(ClockState {
        elapsed: Duration::ZERO,
        fixed_sig_time: if sc.dialect == Dialect::Unbound { date } else { None },
        start: date.unwrap_or(0),
    })));
    let net = SimNet(Arc::new(NetState {
        dialect: sc.dialect,
        ranges: sc.ranges.clone(),
        step: Mutex::new(0),
        unmatched: Mutex::new(Vec::new()),
        replies: Mutex::new(
            sc.steps.iter().filter(|s| s.kind == "REPLY").filter_map(|s| s.entry.clone().map(|e| (s.n, e))).collect(),
        ),
        hold,
        outstanding: Mutex::new(Vec::new()),
        sent: Mutex::new(Vec::new()),
    }));
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
