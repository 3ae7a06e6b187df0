//! A worker's UDP loop: each query read is answered from the worker's own
//! response cache when it can be (the hottest path: no allocation, no
//! lock, nothing shared), else on the spot from the resolver's caches, else
//! handed to a task that resolves it. On a socket bound to one address the
//! queries come and the cache hits go in batches ([`crate::batch`]); on a
//! wildcard address one at a time, each answered from the address it was
//! sent to.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use candor_resolver::{Clock, Resolver, Transport};
use tokio::net::UdpSocket;

use crate::acl::Acl;
use crate::batch::{Outgoing, Received};
use crate::current::Current;
use crate::handle::{Immediate, admit, immediate, resolve_counted};
use crate::replies::{self, Replies};
use crate::slots::Slots;
use crate::tally::{Served, Summary, Tally};

/// What one worker keeps between queries.
pub(crate) struct Worker<T: Transport, C: Clock> {
    current: Arc<Current<T, C>>,
    resolver: Arc<Resolver<T, C>>,
    version: u64,
    acl: Arc<Acl>,
    flights: Arc<Slots>,
    replies: Replies,
    key: [u8; replies::KEY_MAX],
    tally: Arc<Tally>,
    rate_limit: Option<Arc<crate::ratelimit::RateLimit>>,
}

/// What became of one query.
enum Handled<T: Transport, C: Clock> {
    /// Answered from the response cache, into the buffer given.
    Hit,
    /// This reply to send.
    Reply(Vec<u8>),
    /// To be resolved for this client by a task holding this slot.
    Resolve(Arc<Resolver<T, C>>, candor_wire::Message, crate::slots::Slot, IpAddr),
    /// Nothing to send.
    Nothing,
}

impl<T: Transport + 'static, C: Clock + 'static> Worker<T, C> {
    pub(crate) fn new(current: Arc<Current<T, C>>, flights: Arc<Slots>, replies: usize) -> Self {
        let (version, resolver, acl) = (current.version(), current.get(), current.acl());
        let tally = current.metrics().tally(crate::tally::Via::Udp);
        let replies = Replies::new(replies);
        let rate_limit = current.rate_limit();
        Worker { current, resolver, version, acl, flights, replies, key: [0; replies::KEY_MAX], tally, rate_limit }
    }

    /// Answer `query` from `peer`: a response-cache hit is written into
    /// `out`. From a trusted proxy, the query follows a PROXY v2 header
    /// naming the client it is answered for (the reply still goes to
    /// `peer`); without one it is dropped.
    fn handle(&mut self, query: &[u8], peer: SocketAddr, out: &mut Vec<u8>) -> Handled<T, C> {
        if self.current.version() != self.version {
            self.version = self.current.version();
            (self.resolver, self.acl) = (self.current.get(), self.current.acl());
        }
        let (query, client) = if self.acl.proxied(peer.ip()) {
            match crate::proxy::parse(query) {
                Ok(h) => (query.get(h.len..).unwrap_or(&[]), h.source.map_or(peer.ip(), |s| s.ip())),
                Err(_) => {
                    self.tally.dropped();
                    return Handled::Nothing;
                }
            }
        } else {
            (query, peer.ip())
        };
        let resolver = &self.resolver;
        let metrics = self.current.metrics();
        let start = metrics.started();
        let served = Served {
            client,
            question: if start.is_some() { crate::querylog::question(query) } else { (&[], 0) },
            cached: true,
            upstream: 0,
            start,
        };
        // Past its network's rate: nothing, or now and then an empty
        // truncated answer (to go to TCP).
        // A valid server cookie proves the address: exempt. A cookie
        // without one gets BADCOOKIE and a fresh cookie where others
        // would slip (RFC 7873 §5.4).
        if let Some(rl) = &self.rate_limit {
            let verdict = rl.check(client, std::time::Instant::now());
            let cookie = match (verdict, self.acl.cookies()) {
                (crate::ratelimit::Verdict::Answer, _) | (_, None) => None,
                (_, Some(cookies)) => {
                    Some(crate::cookies::over_limit(cookies, query, client, crate::cookies::unix_now()))
                }
            };
            match (verdict, cookie) {
                (crate::ratelimit::Verdict::Answer, _) | (_, Some(crate::cookies::OverLimit::Exempt)) => {}
                (crate::ratelimit::Verdict::Slip, Some(crate::cookies::OverLimit::BadCookie(reply))) => {
                    metrics.finish(&self.tally, Some(&reply), &served);
                    return Handled::Reply(reply);
                }
                (crate::ratelimit::Verdict::Slip, _) => {
                    let reply = crate::ratelimit::slip_reply(query);
                    metrics.finish(&self.tally, reply.as_deref(), &served);
                    return reply.map_or(Handled::Nothing, Handled::Reply);
                }
                (crate::ratelimit::Verdict::Drop, _) => {
                    metrics.finish(&self.tally, None, &served);
                    return Handled::Nothing;
                }
            }
        }
        // A repeated plain question: the response as it was sent last time.
        let cookies = self.acl.cookies();
        let plain = replies::plain(query, &mut self.key, cookies.is_some()).filter(|_| self.acl.allows(client));
        let now = resolver.monotonic();
        let generation = resolver.cache().generation();
        // A cookie query's hit carries the server cookie made for this client.
        let cookie = match (plain.and_then(|p| p.cookie), cookies) {
            (Some((at, len)), Some(cookies)) => hit_cookie(cookies, query, (at, len), client),
            _ => None,
        };
        if let Some(p) = plain
            && let Some((summary, prefetch)) = self.replies.get(
                self.key.get(..p.key_len).unwrap_or(&[]),
                query,
                (p, cookie.as_ref()),
                (now, generation),
                out,
            )
        {
            metrics.finish_hit(&self.tally, &summary, &served);
            if prefetch
                && let Some(qd) =
                    candor_wire::Message::from_wire(query).ok().and_then(|m| m.questions.into_iter().next())
            {
                resolver.prefetch(&qd.name, qd.qtype);
            }
            return Handled::Hit;
        }
        // Cache hits are answered here, without a task per query.
        let handled = match immediate(resolver, query, client, &self.acl, true) {
            Immediate::Reply(Some(reply)) => Handled::Reply(reply),
            Immediate::Reply(None) => Handled::Nothing,
            Immediate::Reusable(wire, lifetime) => {
                let summary = Summary::of(&wire);
                metrics.finish_with(&self.tally, &summary, &served);
                if let Some(p) = plain {
                    let key = self.key.get(..p.key_len).unwrap_or(&[]);
                    self.replies.put(key, &wire, summary, (now, lifetime), (generation, p.cookie.is_some()));
                }
                return Handled::Reply(wire);
            }
            Immediate::Resolve(q) => match admit(resolver, &self.flights, client, &q, true) {
                // Counted when resolved.
                Ok(slot) => return Handled::Resolve(Arc::clone(resolver), q, slot, client),
                Err(Some(refusal)) => Handled::Reply(refusal),
                Err(None) => Handled::Nothing,
            },
        };
        let reply = match &handled {
            Handled::Reply(reply) => Some(reply.as_slice()),
            _ => None,
        };
        metrics.finish(&self.tally, reply, &served);
        handled
    }

    /// Serve a socket bound to one address, in batches.
    pub(crate) async fn serve_batched(mut self, udp: Arc<UdpSocket>) {
        let (mut rx, mut tx) = (Received::new(), Outgoing::new());
        let mut scratch = Vec::new();
        loop {
            let Ok(n) = rx.recv(&udp).await else { continue };
            for i in 0..n {
                let Some((query, peer)) = rx.get(i) else { continue };
                // A batch never has more hits than room (both hold BATCH).
                let handled = match tx.next() {
                    Some(out) => self.handle(query, peer, out),
                    None => match self.handle(query, peer, &mut scratch) {
                        Handled::Hit => Handled::Reply(scratch.clone()),
                        other => other,
                    },
                };
                match handled {
                    Handled::Hit => tx.commit(peer),
                    other => self.dispatch(other, &udp, peer, None, false).await,
                }
            }
            tx.flush(&udp).await;
        }
    }

    /// Serve a wildcard socket, one query at a time, each answered from
    /// the address it was sent to.
    pub(crate) async fn serve_wildcard(mut self, udp: Arc<UdpSocket>) {
        let mut buf = vec![0u8; 65_535];
        let mut out = Vec::with_capacity(crate::reply::MAX_UDP.into());
        loop {
            let Ok((n, peer, dst)) = crate::pktinfo::recv(&udp, &mut buf).await else { continue };
            let query = buf.get(..n).unwrap_or(&[]);
            match self.handle(query, peer, &mut out) {
                Handled::Hit => {
                    let _ = send_udp(&udp, &out, peer, dst, true).await;
                }
                other => self.dispatch(other, &udp, peer, dst, true).await,
            }
        }
    }

    /// Send a reply, or start resolving.
    async fn dispatch(
        &self,
        h: Handled<T, C>,
        udp: &Arc<UdpSocket>,
        peer: SocketAddr,
        dst: Option<IpAddr>,
        wildcard: bool,
    ) {
        match h {
            Handled::Reply(resp) => {
                let _ = send_udp(udp, &resp, peer, dst, wildcard).await;
            }
            Handled::Resolve(resolver, q, slot, client) => {
                let u = Arc::clone(udp);
                let (tally, metrics) = (Arc::clone(&self.tally), Arc::clone(self.current.metrics()));
                tokio::spawn(async move {
                    let counted = (&*tally, &*metrics);
                    if let Some(resp) = resolve_counted(&resolver, q, (true, client), counted).await {
                        let _ = send_udp(&u, &resp, peer, dst, wildcard).await;
                    }
                    drop(slot);
                });
            }
            Handled::Hit | Handled::Nothing => {}
        }
    }
}

/// The client cookie at `at` in `query` (`len` octets with the server
/// cookie it brought) and the server cookie to answer it with.
fn hit_cookie(
    cookies: &crate::cookies::ServerCookies,
    query: &[u8],
    (at, len): (usize, usize),
    client: IpAddr,
) -> Option<[u8; replies::COOKIE_LEN]> {
    let theirs: [u8; 8] = query.get(at..at + 8)?.try_into().ok()?;
    let server = query.get(at + 8..at + len)?;
    let (_, fresh) = cookies.check(&theirs, server, client, crate::cookies::unix_now());
    let mut out = [0u8; replies::COOKIE_LEN];
    out.get_mut(..8)?.copy_from_slice(&theirs);
    out.get_mut(8..)?.copy_from_slice(&fresh);
    Some(out)
}

/// Send one UDP reply, from the address the query came to on a wildcard socket.
pub(crate) async fn send_udp(
    udp: &UdpSocket,
    resp: &[u8],
    peer: SocketAddr,
    dst: Option<IpAddr>,
    wildcard: bool,
) -> std::io::Result<usize> {
    if wildcard { crate::pktinfo::send(udp, resp, peer, dst).await } else { udp.send_to(resp, peer).await }
}
