//! Answering from the address the stub asked, on a wildcard listener
//! (`0.0.0.0` or `::`): the destination of each query comes with it
//! (IP_PKTINFO / IPV6_RECVPKTINFO), and the answer is sent from it.

use std::io::{IoSlice, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;

use nix::libc;
use nix::sys::socket::{
    ControlMessage, ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg, sendmsg, setsockopt, sockopt,
};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Ask the kernel to tell each datagram's destination address.
pub(crate) fn enable(sock: &socket2::Socket, v6: bool) -> std::io::Result<()> {
    let r = if v6 {
        setsockopt(sock, sockopt::Ipv6RecvPacketInfo, &true)
    } else {
        setsockopt(sock, sockopt::Ipv4PacketInfo, &true)
    };
    r.map_err(std::io::Error::from)
}

fn to_std(a: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = a.as_sockaddr_in() {
        return Some(SocketAddr::from((v4.ip(), v4.port())));
    }
    a.as_sockaddr_in6().map(|v6| SocketAddr::from((v6.ip(), v6.port())))
}

/// Receive one datagram: its length, its source, and the address it was sent to.
pub(crate) async fn recv(sock: &UdpSocket, buf: &mut [u8]) -> std::io::Result<(usize, SocketAddr, Option<IpAddr>)> {
    sock.async_io(Interest::READABLE, || {
        let mut cmsg = nix::cmsg_space!(libc::in6_pktinfo);
        let mut iov = [IoSliceMut::new(buf)];
        let msg = recvmsg::<SockaddrStorage>(sock.as_raw_fd(), &mut iov, Some(&mut cmsg), MsgFlags::empty())
            .map_err(std::io::Error::from)?;
        let peer = msg.address.as_ref().and_then(to_std).ok_or_else(|| std::io::Error::other("no source address"))?;
        let mut dst = None;
        for c in msg.cmsgs().map_err(std::io::Error::from)? {
            match c {
                ControlMessageOwned::Ipv4PacketInfo(info) => {
                    dst = Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(info.ipi_addr.s_addr))));
                }
                ControlMessageOwned::Ipv6PacketInfo(info) => {
                    dst = Some(IpAddr::V6(Ipv6Addr::from(info.ipi6_addr.s6_addr)))
                }
                _ => {}
            }
        }
        Ok((msg.bytes, peer, dst))
    })
    .await
}

/// Send `data` to `peer` from the address `src` (the query's destination).
pub(crate) async fn send(
    sock: &UdpSocket,
    data: &[u8],
    peer: SocketAddr,
    src: Option<IpAddr>,
) -> std::io::Result<usize> {
    let dest = SockaddrStorage::from(peer);
    sock.async_io(Interest::WRITABLE, || {
        let iov = [IoSlice::new(data)];
        let v4;
        let v6;
        let cmsgs: Vec<ControlMessage<'_>> = match src {
            Some(IpAddr::V4(a)) => {
                v4 = libc::in_pktinfo {
                    ipi_ifindex: 0,
                    ipi_spec_dst: libc::in_addr { s_addr: u32::from(a).to_be() },
                    ipi_addr: libc::in_addr { s_addr: 0 },
                };
                vec![ControlMessage::Ipv4PacketInfo(&v4)]
            }
            Some(IpAddr::V6(a)) => {
                v6 = libc::in6_pktinfo { ipi6_addr: libc::in6_addr { s6_addr: a.octets() }, ipi6_ifindex: 0 };
                vec![ControlMessage::Ipv6PacketInfo(&v6)]
            }
            None => Vec::new(),
        };
        sendmsg(sock.as_raw_fd(), &iov, &cmsgs, MsgFlags::empty(), Some(&dest)).map_err(std::io::Error::from)
    })
    .await
}
