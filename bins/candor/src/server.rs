//! The stub-facing server: listeners, ACL, and shaping the resolver's
//! verdict into a response (AD, RRSIGs with DO, SERVFAIL + EDE, EDNS size
//! and truncation) as ../shared/DESIGN.md says.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use candor_resolver::{Clock, Prefix, Resolution, Resolver, Security, Transport};
use candor_wire::{Edns, EdnsOption, ExtendedError, Message, Opcode, RData, RType, Rcode, Record, WireError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinSet;

use crate::replies::{self, Replies};

/// Largest UDP answer this server sends (the DNS flag day 2020 value).
pub const MAX_UDP: u16 = 1232;
/// EDE 13: the answer came from the cache of a failure.
const EDE_CACHED_ERROR: u16 = 13;
/// EDE 18: the client is not allowed.
const EDE_PROHIBITED: u16 = 18;
/// EDE 20: not authoritative, and recursion was not asked for.
const EDE_NOT_AUTHORITATIVE: u16 = 20;
/// TCP connections served at once; more wait for a free slot.
const MAX_TCP_CONNECTIONS: usize = 256;
/// Finished UDP responses kept for repeated questions.
const REPLY_CACHE_ENTRIES: usize = 65_536;

/// Who may query.
#[derive(Debug, Clone)]
pub struct Acl {
    allow: Vec<Prefix>,
}

impl Default for Acl {
    /// Loopback and the private ranges: a LAN drop-in is not an open resolver.
    fn default() -> Acl {
        let allow =
            ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7", "fe80::/10"]
                .iter()
                .filter_map(|p| p.parse().ok())
                .collect();
        Acl { allow }
    }
}

impl Acl {
    /// An ACL allowing exactly these networks.
    pub fn new(allow: Vec<Prefix>) -> Acl {
        Acl { allow }
    }

    /// May `ip` query?
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.allow.iter().any(|p| p.contains(ip))
    }
}

/// A response with the question and flags of `q`.
fn reply_to(q: &Message, rcode: Rcode) -> Message {
    let mut m = Message { header: q.header, questions: q.questions.clone(), ..Message::default() };
    m.header.flags.qr = true;
    m.header.flags.ra = true;
    m.header.flags.aa = false;
    m.header.flags.tc = false;
    m.header.flags.ad = false;
    m.header.flags.z = false;
    m.header.rcode = rcode;
    if let Some(e) = &q.edns {
        m.edns = Some(Edns { udp_size: MAX_UDP, dnssec_ok: e.dnssec_ok, ..Edns::default() });
    }
    m
}

fn add_ede(m: &mut Message, code: u16, text: String) {
    if let Some(e) = m.edns.as_mut() {
        e.options.push(EdnsOption::Ede(ExtendedError { code, text }));
    }
}

/// What the request asks before any resolution: either a finished
/// response (errors, refusals) or the question to resolve.
pub enum Request {
    /// Answer this right away.
    Done(Message),
    /// Resolve this query.
    Resolve(Message),
}

/// Check a request: parse errors (FORMERR), opcodes (NOTIMP), EDNS
/// version (BADVERS), the ACL (REFUSED + EDE 18). `None` when not even
/// an ID can be read (nothing is sent back).
pub fn check(bytes: &[u8], client: IpAddr, acl: &Acl) -> Option<Request> {
    let q = match Message::from_wire(bytes) {
        Ok(q) => q,
        Err(e) => {
            let id = u16::from_be_bytes([*bytes.first()?, *bytes.get(1)?]);
            if bytes.get(2).is_some_and(|b| b & 0x80 != 0) {
                return None; // a response: never answer those
            }
            let mut m = Message::default();
            m.header.id = id;
            m.header.flags.qr = true;
            m.header.rcode = Rcode::FORMERR;
            if matches!(e, WireError::MultipleOpt { .. }) {
                m.edns = Some(Edns { udp_size: MAX_UDP, ..Edns::default() });
            }
            return Some(Request::Done(m));
        }
    };
    if q.header.flags.qr {
        return None;
    }
    if q.header.opcode != Opcode::QUERY {
        return Some(Request::Done(reply_to(&q, Rcode::NOTIMP)));
    }
    if q.questions.len() != 1 {
        return Some(Request::Done(reply_to(&q, Rcode::FORMERR)));
    }
    if q.edns.as_ref().is_some_and(|e| e.version > 0) {
        return Some(Request::Done(reply_to(&q, Rcode::BADVERS)));
    }
    if !acl.allows(client) {
        let mut m = reply_to(&q, Rcode::REFUSED);
        add_ede(&mut m, EDE_PROHIBITED, format!("{client} is not allowed to query this resolver"));
        return Some(Request::Done(m));
    }
    Some(Request::Resolve(q))
}

/// Shape a resolution into the response to `q` (DESIGN.md "Answers to stubs").
pub fn shape(q: &Message, r: &Resolution) -> Message {
    let do_bit = q.edns.as_ref().is_some_and(|e| e.dnssec_ok);
    let cd = q.header.flags.cd;
    let wants_ad = do_bit || q.header.flags.ad;
    let mut m = reply_to(q, r.rcode);
    let keep = |rr: &&Record| do_bit || !matches!(rr.rtype(), RType::RRSIG | RType::NSEC | RType::NSEC3);
    // DNSSEC records asked for by type are the answer, DO or not (RFC 4035
    // §3.2.1).
    let qtype = q.question().map(|qd| qd.qtype);
    let keep_answer = |rr: &&Record| keep(rr) || Some(rr.rtype()) == qtype;
    let with_data = |m: &mut Message| {
        m.answers = r.answers.iter().filter(keep_answer).cloned().collect();
        m.authority = r.authority.iter().filter(keep).cloned().collect();
        m.additional = r.additional.iter().filter(keep).cloned().collect();
    };
    match &r.security {
        Security::Secure => {
            with_data(&mut m);
            m.header.flags.ad = wants_ad;
        }
        Security::Insecure(info) => {
            with_data(&mut m);
            if let Some(f) = info {
                let (code, text) = f.ede();
                add_ede(&mut m, code, text);
            }
        }
        Security::Bogus(f) if cd => {
            // RFC 6840 §5.9: CD=1 gets the data, without AD.
            with_data(&mut m);
            let (code, text) = f.ede();
            add_ede(&mut m, code, text);
        }
        Security::Bogus(f) | Security::Servfail(f) => {
            m.header.rcode = Rcode::SERVFAIL;
            let (code, text) = f.ede();
            add_ede(&mut m, code, text.clone());
            if r.from_cache {
                add_ede(&mut m, EDE_CACHED_ERROR, format!("cached failure: {text}"));
            }
        }
    }
    m
}

/// The RFC 8482 answer to ANY: one synthesised HINFO.
pub fn minimal_any(q: &Message) -> Message {
    let mut m = reply_to(q, Rcode::NOERROR);
    if let Some(qd) = q.question() {
        m.answers.push(Record::new(
            qd.name.clone(),
            3600,
            RData::Hinfo(candor_wire::Hinfo { cpu: b"RFC8482".to_vec(), os: Vec::new() }),
        ));
    }
    m
}

/// Serialise for UDP within the client's size (512 without EDNS, at least
/// 512, at most [`MAX_UDP`]). Too large: whole RRsets (each with its
/// RRSIGs) are left out from the end, additional data first; TC is set
/// only when the answer or authority section lost one (RFC 2181 §9: not
/// for additional data that did not fit); EDNS options (an EDE's long
/// extra-text) go last.
pub fn to_udp(q_edns: Option<&Edns>, mut m: Message) -> Option<Vec<u8>> {
    // `None` only when the message cannot be encoded at all.
    let limit = q_edns.map_or(512, |e| usize::from(e.udp_size.clamp(512, MAX_UDP)));
    loop {
        let wire = m.to_wire().ok()?;
        if wire.len() <= limit {
            return Some(wire);
        }
        if !drop_last_rrset(&mut m.additional) {
            m.header.flags.tc = true;
            if !drop_last_rrset(&mut m.authority) && !drop_last_rrset(&mut m.answers) {
                // Only the header, question and OPT are left: a long
                // extra-text goes too, and what remains always fits 512.
                match m.edns.as_mut() {
                    Some(e) if !e.options.is_empty() => e.options.clear(),
                    _ => return m.to_wire().ok(),
                }
            }
        }
    }
}

/// Removes the RRset of the section's last record, with the RRSIGs that
/// cover it; false when the section is empty.
fn drop_last_rrset(section: &mut Vec<Record>) -> bool {
    let key = |r: &Record| match &r.data {
        RData::Rrsig(s) => (r.owner.clone(), s.type_covered),
        _ => (r.owner.clone(), r.rtype()),
    };
    let Some(last) = section.last().map(key) else { return false };
    section.retain(|r| key(r) != last);
    true
}

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
    let m = if qd.qtype == RType::ANY {
        minimal_any(&q)
    } else if !q.header.flags.rd {
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
                let m = shape(&q, &r);
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
    let qd = q.question()?;
    let r = resolver.resolve(&qd.name, qd.qtype).await;
    log_failure(&qd.name, qd.qtype, &r);
    let m = shape(&q, &r);
    if udp { to_udp(q.edns.as_ref(), m) } else { m.to_wire().ok() }
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

fn log_failure(qname: &candor_wire::Name, qtype: RType, r: &Resolution) {
    if r.from_cache {
        return;
    }
    if let Security::Bogus(f) | Security::Servfail(f) = &r.security {
        let (code, text) = f.ede();
        tracing::warn!(kind = f.kind.id(), ede = code, "validating {qname}/{qtype}: {text}");
    }
}

/// The resolver in service; replaced whole when the configuration is
/// reloaded (SIGHUP), while queries in flight finish on the old one.
pub struct Current<T: Transport, C: Clock>(std::sync::RwLock<Arc<Resolver<T, C>>>);

impl<T: Transport, C: Clock> Current<T, C> {
    /// Serve with `r`.
    pub fn new(r: Resolver<T, C>) -> Arc<Current<T, C>> {
        Arc::new(Current(std::sync::RwLock::new(Arc::new(r))))
    }

    /// The resolver to use now.
    pub fn get(&self) -> Arc<Resolver<T, C>> {
        match self.0.read() {
            Ok(g) => Arc::clone(&g),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    /// Put `r` in service.
    pub fn set(&self, r: Resolver<T, C>) {
        match self.0.write() {
            Ok(mut g) => *g = Arc::new(r),
            Err(p) => *p.into_inner() = Arc::new(r),
        }
    }
}

/// Running listeners.
pub struct Listeners {
    tasks: JoinSet<()>,
    /// The addresses bound.
    pub bound: Vec<SocketAddr>,
}

impl Listeners {
    /// Stop listening.
    pub fn stop(mut self) {
        self.tasks.abort_all();
    }
}

/// A socket on `addr` that other workers can bind too (`SO_REUSEPORT`:
/// the kernel spreads queries over them).
fn reuse_socket(addr: SocketAddr, tcp: bool) -> std::io::Result<socket2::Socket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let (ty, proto) = if tcp { (Type::STREAM, Protocol::TCP) } else { (Type::DGRAM, Protocol::UDP) };
    let s = Socket::new(Domain::for_address(addr), ty, Some(proto))?;
    s.set_reuse_address(true)?;
    s.set_reuse_port(true)?;
    if addr.is_ipv6() {
        s.set_only_v6(true)?;
    }
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    if tcp {
        s.listen(1024)?;
    }
    Ok(s)
}

/// Listen on `addrs` (UDP and TCP each) with `workers` sockets per address
/// and protocol, and answer with `resolver`.
pub async fn listen<T, C>(
    resolver: Arc<Current<T, C>>,
    addrs: &[SocketAddr],
    acl: Acl,
    workers: usize,
) -> std::io::Result<Listeners>
where
    T: Transport + 'static,
    C: Clock + 'static,
{
    let acl = Arc::new(acl);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_TCP_CONNECTIONS));
    let replies = Arc::new(Replies::new(REPLY_CACHE_ENTRIES));
    let mut tasks = JoinSet::new();
    let mut bound = Vec::new();
    for requested in addrs {
        // Port 0: the first socket picks the port, the others share it.
        let wildcard = requested.ip().is_unspecified();
        let udp_socket = |addr: SocketAddr| -> std::io::Result<UdpSocket> {
            let s = reuse_socket(addr, false)?;
            if wildcard {
                crate::pktinfo::enable(&s, addr.is_ipv6())?;
            }
            UdpSocket::from_std(s.into())
        };
        let first = udp_socket(*requested)?;
        let addr = first.local_addr()?;
        bound.push(addr);
        let mut udps = vec![first];
        let mut tcps = vec![TcpListener::from_std(reuse_socket(addr, true)?.into())?];
        for _ in 1..workers.max(1) {
            udps.push(udp_socket(addr)?);
            tcps.push(TcpListener::from_std(reuse_socket(addr, true)?.into())?);
        }
        for (udp, tcp) in udps.into_iter().zip(tcps) {
            let shared = (Arc::clone(&resolver), Arc::clone(&acl), Arc::clone(&slots), Arc::clone(&replies));
            spawn_worker(&mut tasks, shared, (Arc::new(udp), wildcard), tcp);
        }
    }
    Ok(Listeners { tasks, bound })
}

/// The resolver, the ACL, the TCP connection slots and the response cache
/// all workers share.
type Shared<T, C> = (Arc<Current<T, C>>, Arc<Acl>, Arc<tokio::sync::Semaphore>, Arc<Replies>);

fn spawn_worker<T, C>(
    tasks: &mut JoinSet<()>,
    (resolver, acl, slots, replies): Shared<T, C>,
    (udp, wildcard): (Arc<UdpSocket>, bool),
    tcp: TcpListener,
) where
    T: Transport + 'static,
    C: Clock + 'static,
{
    {
        let (r, a) = (Arc::clone(&resolver), Arc::clone(&acl));
        tasks.spawn(async move {
            let mut buf = vec![0u8; 65_535];
            let mut key = [0u8; replies::KEY_MAX];
            loop {
                // On a wildcard address, note where the query was sent, to answer from there.
                let received = if wildcard {
                    crate::pktinfo::recv(&udp, &mut buf).await
                } else {
                    udp.recv_from(&mut buf).await.map(|(n, p)| (n, p, None))
                };
                let Ok((n, peer, dst)) = received else { continue };
                let resolver = r.get();
                let query = buf.get(..n).unwrap_or(&[]);
                // A repeated plain question: the response as it was sent last time.
                let plain = replies::plain(query, &mut key).filter(|_| a.allows(peer.ip()));
                let now = resolver.monotonic();
                let generation = resolver.cache().generation();
                if let Some(p) = plain
                    && let Some(resp) = replies.get(key.get(..p.key_len).unwrap_or(&[]), query, p, now, generation)
                {
                    let _ = send_udp(&udp, &resp, peer, dst, wildcard).await;
                    continue;
                }
                // Cache hits are answered here, without a task per query.
                let reply = match immediate(&resolver, query, peer.ip(), &a, true) {
                    Immediate::Reply(reply) => reply,
                    Immediate::Reusable(wire, lifetime) => {
                        if let Some(p) = plain {
                            replies.put(key.get(..p.key_len).unwrap_or(&[]), &wire, now, lifetime, generation);
                        }
                        Some(wire)
                    }
                    Immediate::Resolve(q) => {
                        let u = Arc::clone(&udp);
                        tokio::spawn(async move {
                            if let Some(resp) = resolve_and_reply(&resolver, q, true).await {
                                let _ = send_udp(&u, &resp, peer, dst, wildcard).await;
                            }
                        });
                        continue;
                    }
                };
                if let Some(resp) = reply {
                    let _ = send_udp(&udp, &resp, peer, dst, wildcard).await;
                }
            }
        });
        let (r, a) = (Arc::clone(&resolver), Arc::clone(&acl));
        tasks.spawn(async move {
            loop {
                let Ok(permit) = Arc::clone(&slots).acquire_owned().await else { return };
                let Ok((stream, peer)) = tcp.accept().await else { continue };
                let (r, a) = (Arc::clone(&r), Arc::clone(&a));
                tokio::spawn(async move {
                    let _ = tcp_conn(stream, peer.ip(), r, a).await;
                    drop(permit);
                });
            }
        });
    }
}

/// Send one UDP reply, from the address the query came to on a wildcard socket.
async fn send_udp(
    udp: &UdpSocket,
    resp: &[u8],
    peer: SocketAddr,
    dst: Option<IpAddr>,
    wildcard: bool,
) -> std::io::Result<usize> {
    if wildcard { crate::pktinfo::send(udp, resp, peer, dst).await } else { udp.send_to(resp, peer).await }
}

/// Queries one TCP connection may have in flight at once.
const TCP_PIPELINE: usize = 32;

/// One TCP connection (RFC 7766): several queries, each answered as soon
/// as it is resolved, so answers may come out of order; idle connections
/// close after 10 s.
async fn tcp_conn<T: Transport + 'static, C: Clock + 'static>(
    s: TcpStream,
    peer: IpAddr,
    current: Arc<Current<T, C>>,
    acl: Arc<Acl>,
) -> std::io::Result<()> {
    let (mut rd, mut wr) = s.into_split();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(TCP_PIPELINE);
    let writer = tokio::spawn(async move {
        while let Some(resp) = rx.recv().await {
            let Ok(n) = u16::try_from(resp.len()) else { continue };
            let mut framed = n.to_be_bytes().to_vec();
            framed.extend_from_slice(&resp);
            if wr.write_all(&framed).await.is_err() {
                return;
            }
        }
    });
    let in_flight = Arc::new(tokio::sync::Semaphore::new(TCP_PIPELINE));
    loop {
        let mut len = [0u8; 2];
        match tokio::time::timeout(Duration::from_secs(10), rd.read_exact(&mut len)).await {
            Ok(Ok(_)) => {}
            _ => break,
        }
        let mut q = vec![0u8; usize::from(u16::from_be_bytes(len))];
        if rd.read_exact(&mut q).await.is_err() {
            break;
        }
        let Ok(permit) = Arc::clone(&in_flight).acquire_owned().await else { break };
        let (r, a, tx) = (current.get(), Arc::clone(&acl), tx.clone());
        tokio::spawn(async move {
            if let Some(resp) = handle(&r, &q, peer, &a, false).await {
                let _ = tx.send(resp).await;
            }
            drop(permit);
        });
    }
    drop(tx);
    let _ = writer.await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use candor_wire::text::parse_zone;
    use candor_wire::{Name, Question};

    fn query(qtype: RType, dnssec_ok: bool) -> Message {
        let mut q = Message::query(1, Question::new("example.".parse::<Name>().unwrap(), qtype));
        q.edns = Some(Edns { dnssec_ok, ..Edns::default() });
        q
    }

    fn resolution(answers: &str, security: Security) -> Resolution {
        Resolution {
            rcode: Rcode::NOERROR,
            answers: parse_zone(answers, None).unwrap(),
            authority: Vec::new(),
            security,
            from_cache: false,
            additional: Vec::new(),
        }
    }

    #[test]
    fn dnssec_records_go_only_to_do_clients_unless_asked_for_by_type() {
        let sig = "example. 300 RRSIG SOA 13 1 300 2000000000 1000000000 1 example. AAAA\n";
        let soa = format!("example. 300 SOA ns.example. h.example. 1 2 3 4 5\n{sig}");
        let r = resolution(&soa, Security::Secure);
        assert_eq!(shape(&query(RType::SOA, false), &r).answers.len(), 1, "RRSIG stripped without DO");
        assert_eq!(shape(&query(RType::SOA, true), &r).answers.len(), 2);
        let sigs = resolution(sig, Security::Insecure(None));
        let m = shape(&query(RType::RRSIG, false), &sigs);
        assert_eq!(m.answers.len(), 1, "RRSIG asked for: RFC 4035 §3.2.1");
        assert!(!m.header.flags.ad);
    }

    #[test]
    fn udp_replies_lose_whole_rrsets_from_the_end_and_tc_only_for_answer_or_authority() {
        let txt = |owner: &str, n: usize| format!("{owner} 300 TXT \"{}\"\n", "x".repeat(n));
        let mut m = reply_to(&query(RType::TXT, false), Rcode::NOERROR);
        m.answers = parse_zone(&txt("a.example.", 250), None).unwrap();
        m.authority = parse_zone(&txt("b.example.", 250), None).unwrap();
        m.additional = parse_zone(&format!("{}{}", txt("c.example.", 100), txt("d.example.", 100)), None).unwrap();
        let edns = |udp_size| Edns { udp_size, ..Edns::default() };
        let full = m.to_wire().unwrap().len();
        let fits = |size: usize| Message::from_wire(&to_udp(Some(&edns(size as u16)), m.clone()).unwrap()).unwrap();
        assert_eq!(fits(full).additional.len(), 2, "a reply that fits is whole");
        // One additional RRset does not fit: it goes, without TC.
        let r = fits(full - 1);
        assert_eq!((r.additional.len(), r.header.flags.tc), (1, false), "{r:?}");
        assert_eq!(r.additional[0].owner, "c.example.".parse::<Name>().unwrap());
        // Nor does the authority section: TC, the answer kept whole.
        let r = Message::from_wire(&to_udp(None, m.clone()).unwrap()).unwrap();
        assert!(r.header.flags.tc);
        assert_eq!((r.answers.len(), r.authority.len(), r.additional.len()), (1, 0, 0));
        // An extra-text too long for 512 octets beside the question goes too.
        let mut m = reply_to(&query(RType::TXT, false), Rcode::SERVFAIL);
        add_ede(&mut m, 6, "x".repeat(600));
        let r = Message::from_wire(&to_udp(Some(&edns(512)), m).unwrap()).unwrap();
        assert!(r.header.flags.tc && r.edns.is_some_and(|e| e.options.is_empty()));
    }
}
