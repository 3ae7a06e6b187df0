//! The simulated network and clock a scenario drives: canned servers
//! answer the resolver's queries from the scenario's ranges and steps,
//! time moves only when the scenario says so.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use candor_resolver::{Clock, Protocol, Transport, TransportError};
use candor_wire::{Edns, Flags, Message, Opcode, Question, Rcode};

use crate::parse::{Dialect, Entry, Range, Scenario};

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The scenario's clock (FORMAT.md §4): the cache clock starts at 0 (U)
/// or at the override date (D) and moves with `TIME_PASSES`; signatures
/// are checked against a fixed override date in U.
#[derive(Debug, Clone)]
pub struct SimClock(pub(crate) Arc<Mutex<ClockState>>);

#[derive(Debug)]
pub(crate) struct ClockState {
    pub(crate) elapsed: Duration,
    pub(crate) fixed_sig_time: Option<u64>,
    pub(crate) start: u64,
}

impl SimClock {
    /// The clock a scenario starts with: at its `val-override-date` (or 0),
    /// signatures checked at that date in Unbound's dialect.
    pub(crate) fn for_scenario(sc: &Scenario, date: Option<u64>) -> SimClock {
        SimClock(Arc::new(Mutex::new(ClockState {
            elapsed: Duration::ZERO,
            fixed_sig_time: if sc.dialect == Dialect::Unbound { date } else { None },
            start: date.unwrap_or(0),
        })))
    }
    pub(crate) fn advance(&self, by: Duration) {
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
pub struct SimNet(pub(crate) Arc<NetState>);

#[derive(Debug)]
pub(crate) struct NetState {
    pub(crate) dialect: Dialect,
    pub(crate) ranges: Vec<Range>,
    pub(crate) step: Mutex<u32>,
    pub(crate) unmatched: Mutex<Vec<String>>,
    /// Deckard's one-shot answers: the REPLY steps (step number, entry),
    /// each used at most once, when no range is eligible (FORMAT.md §7).
    pub(crate) replies: Mutex<Vec<(u32, Entry)>>,
    /// Unbound's outstanding queries (FORMAT.md §7, U run loop): with
    /// `hold`, a query no range answers waits for a later step (a range
    /// that becomes eligible, `REPLY`, `TIMEOUT`) instead of timing out.
    pub(crate) hold: bool,
    pub(crate) outstanding: Mutex<Vec<Outstanding>>,
    /// Every query sent, for `CHECK_OUT_QUERY`: (query, transport, checked yet).
    pub(crate) sent: Mutex<Vec<(Vec<u8>, Protocol, bool)>>,
}

/// A query waiting for an answer (`None`: it times out).
#[derive(Debug)]
pub(crate) struct Outstanding {
    pub(crate) server: SocketAddr,
    pub(crate) protocol: Protocol,
    pub(crate) query: Vec<u8>,
    pub(crate) reply: tokio::sync::oneshot::Sender<Option<Vec<u8>>>,
}

/// What the scenario's servers make of a query.
pub(crate) enum Found {
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
pub(crate) fn header_of(e: &Entry) -> (Opcode, Rcode, Flags, bool) {
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
    /// The network of a scenario: its ranges, and its REPLY steps as the
    /// answers to outstanding queries; with `hold`, a query no range
    /// answers waits for a later step (Unbound's dialect).
    pub(crate) fn for_scenario(sc: &Scenario, hold: bool) -> SimNet {
        SimNet(Arc::new(NetState {
            dialect: sc.dialect,
            ranges: sc.ranges.clone(),
            step: Mutex::new(0),
            unmatched: Mutex::new(Vec::new()),
            replies: Mutex::new(
                sc.steps
                    .iter()
                    .filter(|s| s.kind == "REPLY")
                    .filter_map(|s| s.entry.clone().map(|e| (s.n, e)))
                    .collect(),
            ),
            hold,
            outstanding: Mutex::new(Vec::new()),
            sent: Mutex::new(Vec::new()),
        }))
    }

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
    pub(crate) fn respond(&self, e: &Entry, q: &Message, query: &[u8]) -> Option<Vec<u8>> {
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
    pub(crate) fn serve_outstanding(&self) -> bool {
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
    pub(crate) fn check_out_query(&self, e: &Entry) -> Result<(), String> {
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
    pub(crate) fn newest_outstanding(&self) -> Option<Outstanding> {
        lock(&self.0.outstanding).pop()
    }
}
