//! Serving the lab: one UDP and one TCP listener per zone, on the zone's
//! loopback address, answering as its [`Authority`] says.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use candor_wire::{Message, Rcode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinSet;

use crate::LabError;
use crate::authority::Authority;
use crate::build::Lab;

/// Largest DNS message over TCP.
const MAX_TCP: usize = 65_535;
/// How long a TCP client may stay idle.
const TCP_IDLE: Duration = Duration::from_secs(10);

/// Answer one wire-format query; `None` when it does not even parse as a
/// header (nothing useful can be sent back).
pub fn respond(auth: &Authority, query: &[u8], udp: bool) -> Option<Vec<u8>> {
    let msg = match Message::from_wire(query) {
        Ok(m) => m,
        Err(_) => {
            // FORMERR with the ID, when there is one.
            let id = u16::from_be_bytes([*query.first()?, *query.get(1)?]);
            let mut m = Message::default();
            m.header.id = id;
            m.header.flags.qr = true;
            m.header.rcode = Rcode::FORMERR;
            return m.to_wire().ok();
        }
    };
    if msg.header.flags.qr {
        return None;
    }
    auth.answer(&msg, udp).to_wire().ok()
}

/// A zone's current data; replaced when the lab is re-signed.
type Shared = Arc<RwLock<Arc<Authority>>>;

fn current(shared: &Shared) -> Arc<Authority> {
    match shared.read() {
        Ok(g) => Arc::clone(&g),
        Err(poisoned) => Arc::clone(&poisoned.into_inner()),
    }
}

/// The lab's listeners, running until dropped or stopped.
pub struct Running {
    tasks: JoinSet<()>,
    zones: Vec<Shared>,
    /// The addresses bound, one per listening zone.
    pub bound: Vec<SocketAddr>,
}

impl Running {
    /// Serve a rebuilt lab (fresh signatures) on the same listeners: each
    /// zone's data is swapped for the zone of the same name in `lab`.
    pub fn reload(&self, lab: &Lab) {
        for shared in &self.zones {
            let origin = current(shared).origin().clone();
            if let Some(z) = lab.zones.iter().find(|z| z.origin == origin) {
                let fresh = Arc::new(Authority::new(z.origin.clone(), &z.records, z.behavior));
                match shared.write() {
                    Ok(mut g) => *g = fresh,
                    Err(poisoned) => *poisoned.into_inner() = fresh,
                }
            }
        }
    }

    /// Stop every listener.
    pub fn stop(mut self) {
        self.tasks.abort_all();
    }

    /// Wait until a listener fails (they do not end otherwise).
    pub async fn wait(&mut self) {
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Bind every listening zone of `lab` on its address and `lab.config.port`,
/// and serve in the background.
pub async fn serve(lab: &Lab) -> Result<Running, LabError> {
    let mut tasks = JoinSet::new();
    let mut bound = Vec::new();
    let mut zones = Vec::new();
    let mut listeners = Vec::new();
    for z in &lab.zones {
        let Some(ip) = z.addr else { continue };
        let addr = SocketAddr::new(IpAddr::V4(ip), lab.config.port);
        let auth: Shared = Arc::new(RwLock::new(Arc::new(Authority::new(z.origin.clone(), &z.records, z.behavior))));
        zones.push(Arc::clone(&auth));
        let udp = UdpSocket::bind(addr).await.map_err(|e| LabError::Bind { addr, kind: e.kind() })?;
        let tcp = TcpListener::bind(addr).await.map_err(|e| LabError::Bind { addr, kind: e.kind() })?;
        listeners.push((udp, tcp, auth));
        bound.push(addr);
    }
    // Every zone answers from the same moment: a caller that sees the
    // root answer may ask the TLDs (bound last) at once.
    for (udp, tcp, auth) in listeners {
        let a = Arc::clone(&auth);
        tasks.spawn(async move { udp_loop(udp, a).await });
        tasks.spawn(async move { tcp_loop(tcp, auth).await });
    }
    Ok(Running { tasks, zones, bound })
}

async fn udp_loop(sock: UdpSocket, auth: Shared) {
    let mut buf = vec![0u8; 4096];
    loop {
        let Ok((n, peer)) = sock.recv_from(&mut buf).await else { continue };
        let a = current(&auth);
        if let Some(resp) = buf.get(..n).and_then(|q| respond(&a, q, true)) {
            let _ = sock.send_to(&resp, peer).await;
        }
    }
}

async fn tcp_loop(listener: TcpListener, auth: Shared) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let a = current(&auth);
        tokio::spawn(async move {
            let _ = tokio::time::timeout(TCP_IDLE * 6, tcp_conn(stream, a)).await;
        });
    }
}

async fn tcp_conn(mut stream: TcpStream, auth: Arc<Authority>) -> std::io::Result<()> {
    let mut buf = vec![0u8; MAX_TCP];
    let mut out = Vec::new();
    loop {
        let mut len = [0u8; 2];
        match tokio::time::timeout(TCP_IDLE, stream.read_exact(&mut len)).await {
            Ok(Ok(_)) => {}
            _ => return Ok(()),
        }
        let n = usize::from(u16::from_be_bytes(len));
        let Some(q) = buf.get_mut(..n) else { return Ok(()) };
        stream.read_exact(q).await?;
        let Some(resp) = respond(&auth, q, false) else { continue };
        let Ok(rlen) = u16::try_from(resp.len()) else { continue };
        // Length and message in one write, as name servers do: two would
        // leave the message waiting on the length's acknowledgement
        // (Nagle) once a connection serves more than one question.
        out.clear();
        out.extend_from_slice(&rlen.to_be_bytes());
        out.extend_from_slice(&resp);
        stream.write_all(&out).await?;
    }
}
