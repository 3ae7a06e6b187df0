//! TCP connections (RFC 7766): slots held per connection, a share per
//! client, read and write timeouts, pipelined questions answered as they
//! are resolved; and, when every slot is taken, the connection idle the
//! longest closed to make room, so slow clients that open connections and
//! say nothing cannot lock everyone else out.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use candor_resolver::{Clock, Transport};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;

use crate::acl::Acl;
use crate::current::Current;
use crate::handle::{Immediate, admit, immediate, resolve_counted};
use crate::proxy::ProxyError;
use crate::slots::{Full, Slot, Slots};
use crate::sync::lock;
use crate::tally::{Served, Tally};

/// Queries one TCP connection may have in flight at once.
pub(crate) const TCP_PIPELINE: usize = 32;

/// How long one read (a length prefix or a message body) or one write on
/// a TCP connection may take.
pub(crate) const TCP_IO_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a newcomer waits for the slot an evicted connection frees.
const EVICTION_WAIT: Duration = Duration::from_millis(200);

/// The state of one connection that eviction looks at.
pub(crate) struct Conn {
    /// When it last delivered a whole question.
    last_active: Mutex<Instant>,
    /// Questions of it being resolved or answered now.
    busy: AtomicUsize,
    /// Told to close.
    close: Notify,
}

/// The TCP slots and the connections holding them.
pub(crate) struct TcpSlots {
    slots: Slots,
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    next: AtomicU64,
}

/// A connection's slot and its state; dropping it frees both.
pub(crate) struct TcpSlot<'a> {
    _slot: Slot,
    id: u64,
    conn: Arc<Conn>,
    owner: &'a TcpSlots,
}

impl TcpSlots {
    /// `total` connections, at most `per_client` for one address.
    pub(crate) fn new(total: usize, per_client: usize) -> TcpSlots {
        TcpSlots { slots: Slots::new(total, per_client), conns: Mutex::default(), next: AtomicU64::new(0) }
    }

    /// A slot for `client`; when none is left, the connection idle the
    /// longest (nothing in flight) is told to close and its slot taken
    /// once free. `None`: the client holds its share, or every connection
    /// is busy.
    pub(crate) async fn take_or_evict(&self, client: IpAddr) -> Option<TcpSlot<'_>> {
        let slot = match self.slots.take(client) {
            Ok(slot) => slot,
            Err(Full::Client) => return None,
            Err(Full::Total) => {
                if !self.evict_idlest() {
                    return None;
                }
                let deadline = Instant::now() + EVICTION_WAIT;
                loop {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    match self.slots.take(client) {
                        Ok(slot) => break slot,
                        Err(Full::Total) if Instant::now() < deadline => {}
                        Err(_) => return None,
                    }
                }
            }
        };
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let conn =
            Arc::new(Conn { last_active: Mutex::new(Instant::now()), busy: AtomicUsize::new(0), close: Notify::new() });
        lock(&self.conns).insert(id, Arc::clone(&conn));
        Some(TcpSlot { _slot: slot, id, conn, owner: self })
    }

    /// Tell the connection idle the longest to close; false when every
    /// connection has a question in flight.
    fn evict_idlest(&self) -> bool {
        let conns = lock(&self.conns);
        let idlest =
            conns.values().filter(|c| c.busy.load(Ordering::Relaxed) == 0).min_by_key(|c| *lock(&c.last_active));
        match idlest {
            Some(c) => {
                c.close.notify_one();
                true
            }
            None => false,
        }
    }
}

impl TcpSlot<'_> {
    /// The connection's state, for a task that serves it on its own
    /// terms (DNS over HTTPS).
    pub(crate) fn conn(&self) -> Arc<Conn> {
        Arc::clone(&self.conn)
    }
}

impl Conn {
    /// A question of this connection is being answered: it is busy (not
    /// evicted, not idle) until the guard is dropped.
    pub(crate) fn busy(self: &Arc<Self>) -> BusyGuard {
        *lock(&self.last_active) = Instant::now();
        self.busy.fetch_add(1, Ordering::Relaxed);
        BusyGuard(Arc::clone(self))
    }

    /// Returns once the connection is told to close (evicted), or once it
    /// has been idle (nothing in flight) for `idle`.
    pub(crate) async fn closing(&self, idle: Duration) {
        let idle_long_enough = async {
            loop {
                let since = lock(&self.last_active).elapsed();
                if since >= idle && self.busy.load(Ordering::Relaxed) == 0 {
                    return;
                }
                tokio::time::sleep(idle.saturating_sub(since).max(Duration::from_millis(100))).await;
            }
        };
        tokio::select! {
            () = idle_long_enough => {}
            () = self.close.notified() => {}
        }
    }
}

/// A question in progress on a connection (see [`Conn::busy`]).
pub(crate) struct BusyGuard(Arc<Conn>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        *lock(&self.0.last_active) = Instant::now();
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Drop for TcpSlot<'_> {
    fn drop(&mut self) {
        lock(&self.owner.conns).remove(&self.id);
    }
}

/// Read exactly `buf.len()` octets within [`TCP_IO_TIMEOUT`], unless the
/// connection is told to close first.
async fn read_or_close<R: AsyncRead + Unpin>(rd: &mut R, buf: &mut [u8], conn: &Conn) -> bool {
    tokio::select! {
        r = tokio::time::timeout(TCP_IO_TIMEOUT, rd.read_exact(buf)) => matches!(r, Ok(Ok(_))),
        () = conn.close.notified() => false,
    }
}

/// The PROXY v2 header at the start of a connection.
async fn read_proxy_header<R: AsyncRead + Unpin>(rd: &mut R, conn: &Conn) -> Result<crate::proxy::Header, ProxyError> {
    let mut fixed = [0u8; crate::proxy::FIXED];
    if !read_or_close(rd, &mut fixed, conn).await {
        return Err(ProxyError::Truncated);
    }
    let mut header = vec![0u8; crate::proxy::total_len(&fixed)?];
    let (head, rest) = header.split_at_mut(crate::proxy::FIXED);
    head.copy_from_slice(&fixed);
    if !read_or_close(rd, rest, conn).await {
        return Err(ProxyError::Truncated);
    }
    crate::proxy::parse(&header)
}

/// What a connection's task holds: the resolver in service, the ACL, the
/// slots of questions being resolved, the listener's tally.
pub(crate) type ConnParts<T, C> = (Arc<Current<T, C>>, Arc<Acl>, Arc<Slots>, Arc<Tally>);

/// One TCP connection (RFC 7766): several queries, each answered as soon
/// as it is resolved, so answers may come out of order; a connection that
/// stalls in a read or write for [`TCP_IO_TIMEOUT`], or is evicted while
/// idle, is closed.
pub(crate) async fn tcp_conn<T, C, R, W>(
    (mut rd, mut wr): (R, W),
    peer: IpAddr,
    slot: &TcpSlot<'_>,
    (current, acl, flights, tally): ConnParts<T, C>,
    encrypted: bool,
) -> std::io::Result<()>
where
    T: Transport + 'static,
    C: Clock + 'static,
    R: AsyncRead + Unpin + Send,
    W: AsyncWrite + Unpin + Send + 'static,
{
    // A trusted proxy's connection starts with a PROXY v2 header naming
    // the client; without a good one the connection is closed.
    let peer = if acl.proxied(peer) {
        match read_proxy_header(&mut rd, &slot.conn).await {
            Ok(h) => h.source.map_or(peer, |s| s.ip()),
            Err(_) => {
                tally.dropped();
                return Ok(());
            }
        }
    } else {
        peer
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(TCP_PIPELINE);
    let conn = Arc::clone(&slot.conn);
    let writer = tokio::spawn(async move {
        while let Some(resp) = rx.recv().await {
            let Ok(n) = u16::try_from(resp.len()) else { continue };
            let mut framed = n.to_be_bytes().to_vec();
            framed.extend_from_slice(&resp);
            // A client that does not read its answers loses the connection.
            if !matches!(tokio::time::timeout(TCP_IO_TIMEOUT, wr.write_all(&framed)).await, Ok(Ok(()))) {
                return;
            }
        }
    });
    let in_flight = Arc::new(tokio::sync::Semaphore::new(TCP_PIPELINE));
    loop {
        let mut len = [0u8; 2];
        if !read_or_close(&mut rd, &mut len, &conn).await {
            break;
        }
        // A body that does not arrive in time closes the connection (a slow
        // client must not hold a slot for ever).
        let mut q = vec![0u8; usize::from(u16::from_be_bytes(len))];
        if !read_or_close(&mut rd, &mut q, &conn).await {
            break;
        }
        *lock(&conn.last_active) = Instant::now();
        let Ok(permit) = Arc::clone(&in_flight).acquire_owned().await else { break };
        conn.busy.fetch_add(1, Ordering::Relaxed);
        let (r, tx, busy) = (current.get(), tx.clone(), Arc::clone(&conn));
        let (acl, flights, tally, metrics) =
            (Arc::clone(&acl), Arc::clone(&flights), Arc::clone(&tally), Arc::clone(current.metrics()));
        tokio::spawn(async move {
            let reply = answer(&r, &q, peer, (&acl, &flights, &tally, &metrics)).await;
            if let Some(resp) = reply {
                // Over TLS, a padded query gets a padded answer (RFC 8467).
                let resp = if encrypted { crate::padding::pad_reply(&q, resp) } else { resp };
                let _ = tx.send(resp).await;
            }
            *lock(&busy.last_active) = Instant::now();
            busy.busy.fetch_sub(1, Ordering::Relaxed);
            drop(permit);
        });
    }
    drop(tx);
    let _ = writer.await;
    Ok(())
}

/// One question of a stream transport (TCP, TLS, HTTPS) from `peer`,
/// answered: what needs no network at once, the rest resolved within the
/// client's share of the slots; counted in `tally` and logged. `None`:
/// nothing to send (a message the request checks drop).
pub(crate) async fn answer<T: Transport + 'static, C: Clock + 'static>(
    r: &Arc<candor_resolver::Resolver<T, C>>,
    q: &[u8],
    peer: IpAddr,
    (acl, flights, tally, metrics): (&Acl, &Slots, &Arc<Tally>, &Arc<crate::tally::ServerMetrics>),
) -> Option<Vec<u8>> {
    let start = metrics.started();
    let served = Served {
        client: peer,
        question: if start.is_some() { crate::querylog::question(q) } else { (&[], 0) },
        cached: true,
        upstream: 0,
        start,
    };
    match immediate(r, q, peer, acl, false) {
        Immediate::Reply(reply) => {
            metrics.finish(tally, reply.as_deref(), &served);
            reply
        }
        Immediate::Reusable(wire, _) => {
            metrics.finish(tally, Some(&wire), &served);
            Some(wire)
        }
        Immediate::Resolve(q) => match admit(r, flights, peer, &q, false) {
            Ok(slot) => {
                let reply = resolve_counted(r, q, (false, peer), (tally, metrics)).await;
                drop(slot);
                reply
            }
            Err(refusal) => {
                metrics.finish(tally, refusal.as_deref(), &served);
                refusal
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn with_every_slot_taken_the_idlest_connection_makes_room_and_busy_ones_stay() {
        let slots = TcpSlots::new(2, 2);
        let (a, b, c): (IpAddr, IpAddr, IpAddr) =
            ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap(), "127.0.0.3".parse().unwrap());
        let old = slots.take_or_evict(a).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        let busy = slots.take_or_evict(b).await.unwrap();
        busy.conn.busy.fetch_add(1, Ordering::Relaxed);
        // The idle one is told to close (its task then drops the slot).
        let closing = async move {
            old.conn.close.notified().await;
            drop(old);
        };
        let (newcomer, ()) = tokio::join!(slots.take_or_evict(c), closing);
        assert!(newcomer.is_some(), "room was made");
        // Now only busy connections and the newcomer, itself busy: nothing
        // to evict, the next one is turned away.
        newcomer.as_ref().unwrap().conn.busy.fetch_add(1, Ordering::Relaxed);
        assert!(slots.take_or_evict(a).await.is_none());
    }
}
