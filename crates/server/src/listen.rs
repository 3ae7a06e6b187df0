//! Listeners and workers: UDP and TCP sockets per address (`SO_REUSEPORT`,
//! one per worker), cache hits answered on the receiving task, repeated
//! plain questions from the reply cache, TCP connections pipelined (RFC
//! 7766) within a fixed number of slots.

use std::net::SocketAddr;
use std::sync::Arc;

use candor_resolver::{Clock, Transport};
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinSet;

use crate::acl::Acl;
use crate::current::Current;
use crate::slots::Slots;
use crate::tcp::{TcpSlots, tcp_conn};
use crate::tls::Service;

/// TCP connections served at once; more wait for a free slot.
pub(crate) const MAX_TCP_CONNECTIONS: usize = 256;

/// Finished UDP responses kept for repeated questions, at most (fewer
/// with a small cache budget: a tenth of it at 1,400 octets a reply).
pub(crate) const REPLY_CACHE_ENTRIES: usize = 65_536;

/// What [`Listeners::reconcile`] did: the addresses opened and closed, and
/// those that could not be bound, with why.
pub type Reconciled = (Vec<SocketAddr>, Vec<SocketAddr>, Vec<(SocketAddr, std::io::Error)>);

/// Binds an address and starts its workers: the address bound and their tasks.
type BindFn = dyn Fn(SocketAddr) -> std::io::Result<(SocketAddr, JoinSet<()>)> + Send + Sync;

/// Running listeners: one group of workers per address, so a reload can
/// open and close addresses one by one.
pub struct Listeners {
    groups: Vec<(SocketAddr, JoinSet<()>)>,
    /// The addresses bound (port 0 resolved), in the order asked.
    pub bound: Vec<SocketAddr>,
    /// The addresses asked for, beside `bound`.
    requested: Vec<SocketAddr>,
    /// What the workers of a new address get.
    spawn: Box<BindFn>,
    /// DNS over TLS and over HTTPS: the addresses bound and their tasks.
    tls: Vec<(SocketAddr, JoinSet<()>)>,
    /// Binds an address for DNS over TLS or over HTTPS.
    spawn_tls: Box<TlsBindFn>,
    /// Whether the workers answer yet (see [`listen_held`]).
    open: tokio::sync::watch::Sender<bool>,
}

/// Binds an address for DNS over TLS or HTTPS with these keys.
type TlsBindFn =
    dyn Fn(SocketAddr, &Arc<crate::tls::TlsKeys>, Service) -> std::io::Result<(SocketAddr, JoinSet<()>)> + Send + Sync;

impl Listeners {
    /// Start answering on every address bound (those bound later answer
    /// at once). Until then queries wait in the sockets' queues.
    pub fn open(&self) {
        self.open.send_replace(true);
    }

    /// Stop listening.
    pub fn stop(mut self) {
        for (_, tasks) in self.groups.iter_mut().chain(self.tls.iter_mut()) {
            tasks.abort_all();
        }
    }

    /// Serve DNS over TLS on `addrs` too, with `keys` (a reload swaps the
    /// keys, not these listeners): the addresses bound.
    pub fn listen_tls(
        &mut self,
        addrs: &[SocketAddr],
        keys: &Arc<crate::tls::TlsKeys>,
    ) -> std::io::Result<Vec<SocketAddr>> {
        self.listen_encrypted(addrs, keys, Service::Dot)
    }

    /// Serve DNS over HTTPS on `addrs` too, with `keys` (the same
    /// certificate as DNS over TLS): the addresses bound.
    pub fn listen_https(
        &mut self,
        addrs: &[SocketAddr],
        keys: &Arc<crate::tls::TlsKeys>,
    ) -> std::io::Result<Vec<SocketAddr>> {
        self.listen_encrypted(addrs, keys, Service::Https)
    }

    fn listen_encrypted(
        &mut self,
        addrs: &[SocketAddr],
        keys: &Arc<crate::tls::TlsKeys>,
        service: Service,
    ) -> std::io::Result<Vec<SocketAddr>> {
        let mut bound = Vec::new();
        for addr in addrs {
            let (addr, tasks) = (self.spawn_tls)(*addr, keys, service)?;
            self.tls.push((addr, tasks));
            bound.push(addr);
        }
        Ok(bound)
    }

    /// Listen on exactly `addrs` from now on: new addresses bound (with
    /// the same number of workers), addresses no longer listed closed.
    /// The addresses opened and closed; an address that cannot be bound
    /// is an error, and leaves every other change made.
    pub fn reconcile(&mut self, addrs: &[SocketAddr]) -> Reconciled {
        let (mut opened, mut closed, mut failed) = (Vec::new(), Vec::new(), Vec::new());
        let mut i = 0;
        while i < self.requested.len() {
            if addrs.contains(&self.requested[i]) {
                i += 1;
                continue;
            }
            let (bound, mut tasks) = self.groups.remove(i);
            tasks.abort_all();
            self.requested.remove(i);
            self.bound.remove(i);
            closed.push(bound);
        }
        for addr in addrs {
            if self.requested.contains(addr) {
                continue;
            }
            match (self.spawn)(*addr) {
                Ok((bound, tasks)) => {
                    self.groups.push((bound, tasks));
                    self.requested.push(*addr);
                    self.bound.push(bound);
                    opened.push(bound);
                }
                Err(e) => failed.push((*addr, e)),
            }
        }
        (opened, closed, failed)
    }
}

/// A socket on `addr` that other workers can bind too (`SO_REUSEPORT`:
/// the kernel spreads queries over them).
pub(crate) fn reuse_socket(addr: SocketAddr, tcp: bool) -> std::io::Result<socket2::Socket> {
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
/// and protocol, and answer with `resolver` those `acl` allows (the ACL is
/// put in service in `resolver`, where a reload can swap it).
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
    let l = listen_held(resolver, addrs, acl, workers).await?;
    l.open();
    Ok(l)
}

/// [`listen`], but nothing is read from the sockets until
/// [`Listeners::open`]: a server started as root binds its privileged
/// ports, gives up root, and only then parses what clients send.
pub async fn listen_held<T, C>(
    resolver: Arc<Current<T, C>>,
    addrs: &[SocketAddr],
    acl: Acl,
    workers: usize,
) -> std::io::Result<Listeners>
where
    T: Transport + 'static,
    C: Clock + 'static,
{
    resolver.set_acl(acl);
    let (open, opened) = tokio::sync::watch::channel(false);
    let cfg = resolver.get().config().clone();
    let shared = Shared {
        resolver,
        tcp: Arc::new(TcpSlots::new(MAX_TCP_CONNECTIONS, TCP_PER_CLIENT)),
        flights: Arc::new(Slots::new(cfg.max_in_flight as usize, cfg.max_in_flight_per_client as usize)),
        // At the largest UDP reply, at most a tenth of the cache budget,
        // shared out among the workers (each keeps its own).
        replies: (cfg.cache.memory / 10 / 1400).clamp(1024, REPLY_CACHE_ENTRIES) / workers.max(1),
        opened,
    };
    let for_tls = shared.clone();
    let mut l = Listeners {
        groups: Vec::new(),
        bound: Vec::new(),
        requested: Vec::new(),
        spawn: Box::new(move |requested| bind_address(&shared, requested, workers)),
        tls: Vec::new(),
        spawn_tls: Box::new(move |requested, keys, service| bind_tls(&for_tls, requested, keys, service)),
        open,
    };
    for requested in addrs {
        let (bound, tasks) = (l.spawn)(*requested)?;
        l.groups.push((bound, tasks));
        l.requested.push(*requested);
        l.bound.push(bound);
    }
    Ok(l)
}

/// Bind `requested` (UDP and TCP, `workers` sockets each) and start its
/// workers: the address bound and the workers' tasks.
fn bind_address<T, C>(
    shared: &Shared<T, C>,
    requested: SocketAddr,
    workers: usize,
) -> std::io::Result<(SocketAddr, JoinSet<()>)>
where
    T: Transport + 'static,
    C: Clock + 'static,
{
    let mut tasks = JoinSet::new();
    // Port 0: the first socket picks the port, the others share it.
    let wildcard = requested.ip().is_unspecified();
    let udp_socket = |addr: SocketAddr| -> std::io::Result<UdpSocket> {
        let s = reuse_socket(addr, false)?;
        if wildcard {
            crate::pktinfo::enable(&s, addr.is_ipv6())?;
        }
        UdpSocket::from_std(s.into())
    };
    // The port UDP picked may be taken for TCP (another process's
    // connection): then another port, a few times.
    let mut attempts = if requested.port() == 0 { 16 } else { 1 };
    let (first, addr, tcp) = loop {
        attempts -= 1;
        let first = udp_socket(requested)?;
        let addr = first.local_addr()?;
        match reuse_socket(addr, true) {
            Ok(tcp) => break (first, addr, tcp),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && attempts > 0 => continue,
            Err(e) => return Err(e),
        }
    };
    let mut udps = vec![first];
    let mut tcps = vec![TcpListener::from_std(tcp.into())?];
    for _ in 1..workers.max(1) {
        udps.push(udp_socket(addr)?);
        tcps.push(TcpListener::from_std(reuse_socket(addr, true)?.into())?);
    }
    for (udp, tcp) in udps.into_iter().zip(tcps) {
        spawn_worker(&mut tasks, shared.clone(), (Arc::new(udp), wildcard), tcp);
    }
    Ok((addr, tasks))
}

/// Bind `requested` for DNS over TLS or over HTTPS and start accepting:
/// the address bound and its task. A connection is checked against the
/// ACL and given a TCP slot (the client's share of them) before any TLS
/// work, and its handshake is bounded in time.
pub(crate) fn bind_tls<T, C>(
    shared: &Shared<T, C>,
    requested: SocketAddr,
    keys: &Arc<crate::tls::TlsKeys>,
    service: Service,
) -> std::io::Result<(SocketAddr, JoinSet<()>)>
where
    T: Transport + 'static,
    C: Clock + 'static,
{
    let listener = TcpListener::from_std(reuse_socket(requested, true)?.into())?;
    let addr = listener.local_addr()?;
    let (shared, keys) = (shared.clone(), Arc::clone(keys));
    let via = match service {
        Service::Dot => crate::tally::Via::Tls,
        Service::Https => crate::tally::Via::Https,
    };
    let tally = shared.resolver.metrics().tally(via);
    let mut tasks = JoinSet::new();
    tasks.spawn(async move {
        if !shared.opened().await {
            return;
        }
        loop {
            let Ok((stream, peer)) = listener.accept().await else { continue };
            // Outside the ACL: closed before any TLS work.
            let acl = shared.resolver.acl();
            if !acl.allows(peer.ip()) {
                continue;
            }
            // TLS records and HTTP/2 frames go out as soon as written:
            // Nagle's algorithm would hold a reply's second write for the
            // client's delayed ACK (40 ms a DoH POST, measured).
            let _ = stream.set_nodelay(true);
            let (shared, tally, acceptor) = (shared.clone(), Arc::clone(&tally), keys.acceptor(service));
            tokio::spawn(async move {
                let tcp = Arc::clone(&shared.tcp);
                let Some(slot) = tcp.take_or_evict(peer.ip()).await else { return };
                let Ok(Ok(tls)) = tokio::time::timeout(crate::tls::HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                else {
                    return;
                };
                let parts = (shared.resolver, acl, shared.flights, tally);
                match service {
                    Service::Dot => {
                        let _ = tcp_conn(tokio::io::split(tls), peer.ip(), &slot, parts, true).await;
                    }
                    // Over HTTP/2, one TLS record per response (clients
                    // that read one record for one response exist).
                    Service::Https if tls.get_ref().1.alpn_protocol() == Some(b"h2") => {
                        let io = crate::records::ResponseRecords::new(tls);
                        crate::doh::serve_conn(io, peer.ip(), &slot, parts).await;
                    }
                    Service::Https => crate::doh::serve_conn(tls, peer.ip(), &slot, parts).await,
                }
                drop(slot);
            });
        }
    });
    Ok((addr, tasks))
}

/// What all workers share: the resolver and ACL in service, the TCP connection
/// slots, the slots of questions being resolved; and the size of each
/// worker's own response cache.
pub(crate) struct Shared<T: Transport, C: Clock> {
    pub(crate) resolver: Arc<Current<T, C>>,
    pub(crate) tcp: Arc<TcpSlots>,
    pub(crate) flights: Arc<Slots>,
    pub(crate) replies: usize,
    /// True once the listeners are open ([`Listeners::open`]).
    pub(crate) opened: tokio::sync::watch::Receiver<bool>,
}

impl<T: Transport, C: Clock> Shared<T, C> {
    /// Wait until the listeners are open: false when they were dropped
    /// before that (the task ends).
    pub(crate) async fn opened(&self) -> bool {
        self.opened.clone().wait_for(|open| *open).await.is_ok()
    }
}

impl<T: Transport, C: Clock> Clone for Shared<T, C> {
    fn clone(&self) -> Self {
        Shared {
            resolver: Arc::clone(&self.resolver),
            tcp: Arc::clone(&self.tcp),
            flights: Arc::clone(&self.flights),
            replies: self.replies,
            opened: self.opened.clone(),
        }
    }
}

/// TCP connections held per client address at most.
const TCP_PER_CLIENT: usize = 16;

pub(crate) fn spawn_worker<T, C>(
    tasks: &mut JoinSet<()>,
    shared: Shared<T, C>,
    (udp, wildcard): (Arc<UdpSocket>, bool),
    tcp: TcpListener,
) where
    T: Transport + 'static,
    C: Clock + 'static,
{
    {
        let Shared { resolver: r, replies, flights, .. } = shared.clone();
        let worker = crate::udp::Worker::new(r, flights, replies);
        let gate = shared.clone();
        tasks.spawn(async move {
            if !gate.opened().await {
                return;
            }
            if wildcard {
                worker.serve_wildcard(udp).await;
            } else {
                worker.serve_batched(udp).await;
            }
        });
        let tally = shared.resolver.metrics().tally(crate::tally::Via::Tcp);
        tasks.spawn(async move {
            if !shared.opened().await {
                return;
            }
            loop {
                let Ok((stream, peer)) = tcp.accept().await else { continue };
                // A client outside the ACL, or past its share of the slots
                // (or with none left), is closed at once: it holds nothing.
                // A trusted proxy's clients are checked once its header
                // names them.
                let acl = shared.resolver.acl();
                if !acl.allows(peer.ip()) && !acl.proxied(peer.ip()) {
                    continue;
                }
                // With every slot taken, the connection idle the longest
                // is closed to make room (slow clients must not hold all).
                let (shared, tally) = (shared.clone(), Arc::clone(&tally));
                tokio::spawn(async move {
                    let tcp = Arc::clone(&shared.tcp);
                    let Some(slot) = tcp.take_or_evict(peer.ip()).await else { return };
                    let parts = (shared.resolver, acl, shared.flights, tally);
                    let _ = tcp_conn(stream.into_split(), peer.ip(), &slot, parts, false).await;
                    drop(slot);
                });
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candor_resolver::{Config, ManualClock, NetTransport, Resolver};
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    /// A transport whose servers never answer (each query waits for its
    /// timeout): questions stay in flight.
    struct Silent;

    impl Transport for Silent {
        async fn query(
            &self,
            server: SocketAddr,
            _: candor_resolver::Protocol,
            _: &[u8],
            timeout: Duration,
        ) -> Result<Vec<u8>, candor_resolver::TransportError> {
            tokio::time::sleep(timeout).await;
            Err(candor_resolver::TransportError::Timeout(server))
        }
    }

    #[tokio::test]
    async fn a_question_past_the_clients_in_flight_share_is_servfail_at_once_naming_the_limit() {
        use candor_wire::{EdnsOption, Message, Name, Question, RType, Rcode};
        let mut cfg = Config::new(vec!["127.0.0.1".parse().unwrap()], candor_anchor::Anchors::empty());
        cfg.outbound = candor_resolver::Outbound {
            allow: Some(vec!["127.0.0.0/8".parse().unwrap()]),
            ..candor_resolver::Outbound::default()
        };
        cfg.timeout = Duration::from_secs(5);
        cfg.max_in_flight_per_client = 2;
        let current = Current::new(Resolver::new(cfg, Silent, ManualClock::at(1_800_000_000)));
        let l = listen(
            Arc::clone(&current),
            &["127.0.0.1:0".parse().unwrap()],
            Acl::new(vec!["127.0.0.0/8".parse().unwrap()]),
            1,
        )
        .await
        .unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        for (id, name) in ["a.example.", "b.example.", "c.example."].into_iter().enumerate() {
            let mut q = Message::query(id as u16, Question::new(name.parse::<Name>().unwrap(), RType::A));
            q.edns = Some(candor_wire::Edns::default());
            client.send_to(&q.to_wire().unwrap(), l.bound[0]).await.unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Only the third comes back (the first two wait on silent servers).
        let mut buf = vec![0u8; 4096];
        let (len, _) = tokio::time::timeout(Duration::from_secs(2), client.recv_from(&mut buf)).await.unwrap().unwrap();
        let m = Message::from_wire(&buf[..len]).unwrap();
        assert_eq!((m.header.id, m.header.rcode), (2, Rcode::SERVFAIL));
        let ede: Vec<(u16, String)> = m
            .edns
            .unwrap()
            .options
            .into_iter()
            .filter_map(|o| match o {
                EdnsOption::Ede(e) => Some((e.code, e.text)),
                _ => None,
            })
            .collect();
        assert_eq!(ede.len(), 1, "{ede:?}");
        assert_eq!(ede[0].0, 0);
        assert!(ede[0].1.contains("questions in flight per client (limit 2)"), "{}", ede[0].1);
        // Counted as a budget trip, and as a SERVFAIL with EDE 0.
        let trips: Vec<_> = current.get().counters().budget_trips().filter(|(_, n)| *n > 0).collect();
        assert_eq!(trips, vec![(candor_resolver::BudgetKind::InFlightPerClient, 1)]);
        let t = current.metrics().totals();
        assert_eq!((t.queries_udp, t.rcodes[2], t.edes[0]), (1, 1, 1), "{t:?}");
        l.stop();
    }

    #[tokio::test]
    async fn a_tcp_client_outside_the_acl_is_closed_at_once() {
        let resolver = Resolver::new(
            Config::new(Vec::new(), candor_anchor::Anchors::empty()),
            NetTransport::new(),
            ManualClock::at(0),
        );
        let only_elsewhere = Acl::new(vec!["192.0.2.0/24".parse().unwrap()]);
        let l = listen(Current::new(resolver), &["127.0.0.1:0".parse().unwrap()], only_elsewhere, 1).await.unwrap();
        let mut s = TcpStream::connect(l.bound[0]).await.unwrap();
        let mut buf = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf)).await;
        assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "closed without a word: {read:?}");
        l.stop();
    }

    /// A query for localhost./A (a locally served zone: answered at once)
    /// from a fresh socket to `to`: the rcode, or `None` without a reply.
    async fn ask_localhost(to: SocketAddr) -> Option<candor_wire::Rcode> {
        use candor_wire::{Message, Name, Question, RType};
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let q = Message::query(9, Question::new("localhost.".parse::<Name>().unwrap(), RType::A));
        client.send_to(&q.to_wire().unwrap(), to).await.unwrap();
        let mut buf = vec![0u8; 4096];
        match tokio::time::timeout(Duration::from_millis(500), client.recv_from(&mut buf)).await {
            Ok(Ok((n, _))) => Some(Message::from_wire(&buf[..n]).unwrap().header.rcode),
            _ => None,
        }
    }

    #[tokio::test]
    async fn held_listeners_read_nothing_until_opened_then_answer_what_waited() {
        use candor_wire::{Message, Name, Question, RType, Rcode};
        let resolver = Resolver::new(
            Config::new(Vec::new(), candor_anchor::Anchors::empty()),
            NetTransport::new(),
            ManualClock::at(0),
        );
        let acl = Acl::new(vec!["127.0.0.0/8".parse().unwrap()]);
        let l = listen_held(Current::new(resolver), &["127.0.0.1:0".parse().unwrap()], acl, 1).await.unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let q = Message::query(7, Question::new("localhost.".parse::<Name>().unwrap(), RType::A));
        client.send_to(&q.to_wire().unwrap(), l.bound[0]).await.unwrap();
        let mut tcp = TcpStream::connect(l.bound[0]).await.unwrap();
        let wire = q.to_wire().unwrap();
        tcp.write_all(&[&(wire.len() as u16).to_be_bytes()[..], &wire].concat()).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let early = tokio::time::timeout(Duration::from_millis(400), client.recv_from(&mut buf)).await;
        assert!(early.is_err(), "answered over UDP before the listeners were opened");
        let mut len = [0u8; 2];
        let early = tokio::time::timeout(Duration::from_millis(100), tcp.read_exact(&mut len)).await;
        assert!(early.is_err(), "answered over TCP before the listeners were opened: {early:?}");
        l.open();
        // The queries that waited in the sockets' queues are answered now.
        let (n, _) = tokio::time::timeout(Duration::from_secs(2), client.recv_from(&mut buf)).await.unwrap().unwrap();
        let m = Message::from_wire(&buf[..n]).unwrap();
        assert_eq!((m.header.id, m.header.rcode), (7, Rcode::NOERROR));
        tokio::time::timeout(Duration::from_secs(2), tcp.read_exact(&mut len)).await.unwrap().unwrap();
        let mut reply = vec![0u8; usize::from(u16::from_be_bytes(len))];
        tcp.read_exact(&mut reply).await.unwrap();
        assert_eq!(Message::from_wire(&reply).unwrap().header.id, 7);
        l.stop();
    }

    #[tokio::test]
    async fn a_reload_swaps_the_acl_and_opens_and_closes_addresses() {
        use candor_wire::Rcode;
        let resolver = Resolver::new(
            Config::new(Vec::new(), candor_anchor::Anchors::empty()),
            NetTransport::new(),
            ManualClock::at(0),
        );
        let current = Current::new(resolver);
        let loopback = || Acl::new(vec!["127.0.0.0/8".parse().unwrap()]);
        let first: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let mut l = listen(Arc::clone(&current), &[first], loopback(), 2).await.unwrap();
        let at = l.bound[0];
        assert_eq!(ask_localhost(at).await, Some(Rcode::NOERROR));
        // Another ACL: the same workers refuse.
        current.set_acl(Acl::new(vec!["192.0.2.0/24".parse().unwrap()]));
        assert_eq!(ask_localhost(at).await, Some(Rcode::REFUSED));
        current.set_acl(loopback());
        // Another address in place of the first.
        let second: SocketAddr = "127.0.0.2:0".parse().unwrap();
        let (opened, closed, failed) = l.reconcile(&[second]);
        assert!(failed.is_empty(), "{failed:?}");
        assert_eq!((opened.len(), closed), (1, vec![at]));
        assert_eq!(l.bound, opened);
        assert_eq!(ask_localhost(opened[0]).await, Some(Rcode::NOERROR), "the new address answers");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(ask_localhost(at).await, None, "the old one is closed");
        // Listed again: unchanged; an address that cannot be bound is reported.
        let (opened, closed, failed) = l.reconcile(&[second, "192.0.2.1:53".parse().unwrap()]);
        assert!(opened.is_empty() && closed.is_empty());
        assert_eq!(failed.len(), 1);
        l.stop();
    }
}
