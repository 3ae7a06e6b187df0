//! DNS cookies toward authoritative servers (RFC 7873 §5.1, §5.3): each
//! server gets its own client cookie, derived from the server's address
//! and a secret of this process (so no two servers see the same one, and
//! none can link this resolver's queries to another's); the server cookie
//! a server returns is remembered (a bounded table) and sent back to it.
//!
//! A reply that carries a client cookie other than ours is discarded (an
//! off-path spoofer guessing the ID and port still has to guess 64 bits
//! more). A UDP reply without a cookie from a server that has sent one
//! before is discarded too, and the question asked again over TCP (whose
//! answer is believed, and where a server that stopped sending cookies is
//! forgotten); BADCOOKIE teaches the new server cookie and the question
//! is asked again once with it. The client's own address is left out of
//! the derivation (RFC 7873 §4.1 puts it in): the kernel picks it per
//! route when the query is sent, after the cookie is written.

use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::sync::Mutex;

use candor_wire::{EdnsOption, Message, Rcode};
use lru::LruCache;

use crate::sync::lock;

/// Servers whose cookies are remembered at most.
pub(crate) const MAX_SERVERS: usize = 4096;

/// What a reply's cookie says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// Nothing against it.
    Fine,
    /// Not ours: a wrong client cookie, or none from a server that has
    /// sent cookies before (over UDP). Discard it.
    Spoofed,
    /// BADCOOKIE with our client cookie: its server cookie is learnt; ask
    /// again with it.
    BadCookie,
}

/// This process's client cookies and the server cookies learnt.
pub(crate) struct ClientCookies {
    /// `None` if the system's generator failed: then no cookies at all.
    secret: Option<[u8; 16]>,
    servers: Mutex<LruCache<IpAddr, Vec<u8>>>,
}

impl std::fmt::Debug for ClientCookies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientCookies")
    }
}

impl ClientCookies {
    /// A fresh secret; nothing learnt.
    pub(crate) fn new() -> ClientCookies {
        use ring::rand::SecureRandom;
        let mut secret = [0u8; 16];
        // Without the system's generator no secret is safe to use: none.
        let secret = ring::rand::SystemRandom::new().fill(&mut secret).ok().map(|()| secret);
        let capacity = NonZeroUsize::new(MAX_SERVERS).unwrap_or(NonZeroUsize::MIN);
        ClientCookies { secret, servers: Mutex::new(LruCache::new(capacity)) }
    }

    /// The client cookie for `server`.
    pub(crate) fn client(&self, server: IpAddr) -> Option<[u8; 8]> {
        use std::hash::Hasher;
        let mut h = siphasher::sip::SipHasher24::new_with_key(self.secret.as_ref()?);
        match server {
            IpAddr::V4(v4) => h.write(&v4.octets()),
            IpAddr::V6(v6) => h.write(&v6.octets()),
        }
        Some(h.finish().to_le_bytes())
    }

    /// The COOKIE option to send `server`: our client cookie and the
    /// server cookie it gave last, if any.
    pub(crate) fn option(&self, server: IpAddr) -> Option<EdnsOption> {
        let client = self.client(server)?;
        let known = lock(&self.servers).get(&server).cloned().unwrap_or_default();
        Some(EdnsOption::Cookie { client, server: known })
    }

    /// Does `msg`, from `server` over UDP (`udp`) or TCP, pass? Learns its
    /// server cookie when it does.
    pub(crate) fn check(&self, server: IpAddr, msg: &Message, udp: bool) -> Check {
        let cookie = msg.edns.as_ref().and_then(|e| {
            e.options.iter().find_map(|o| match o {
                EdnsOption::Cookie { client, server } => Some((client, server)),
                _ => None,
            })
        });
        let Some(ours) = self.client(server) else { return Check::Fine };
        let mut servers = lock(&self.servers);
        match cookie {
            Some((client, _)) if *client != ours => Check::Spoofed,
            Some((_, theirs)) => {
                if !theirs.is_empty() {
                    servers.put(server, theirs.clone());
                }
                if msg.header.rcode == Rcode::BADCOOKIE { Check::BadCookie } else { Check::Fine }
            }
            None if udp && servers.contains(&server) => Check::Spoofed,
            None => {
                // Over TCP the server has stopped sending cookies: believed.
                servers.pop(&server);
                Check::Fine
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candor_wire::{Edns, Question, RType};

    fn reply(cookie: Option<EdnsOption>, rcode: Rcode) -> Message {
        let mut m = Message::query(1, Question::new("example.".parse().unwrap(), RType::A));
        m.header.flags.qr = true;
        m.header.rcode = rcode;
        m.edns = Some(Edns { options: cookie.into_iter().collect(), ..Edns::default() });
        m
    }

    #[test]
    fn a_server_cookie_is_learnt_and_sent_back_and_a_reply_without_ours_is_discarded() {
        let c = ClientCookies::new();
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        assert_ne!(c.client(a), c.client(b), "a client cookie per server");
        assert_ne!(ClientCookies::new().client(a), c.client(a), "and per process");
        // A server that has never sent a cookie: a reply without one is fine.
        assert_eq!(c.check(a, &reply(None, Rcode::NOERROR), true), Check::Fine);
        let ca = c.client(a).unwrap();
        assert_eq!(c.option(a), Some(EdnsOption::Cookie { client: ca, server: Vec::new() }));
        // It answers with our client cookie and its server cookie: learnt.
        let theirs = EdnsOption::Cookie { client: ca, server: vec![7; 16] };
        assert_eq!(c.check(a, &reply(Some(theirs), Rcode::NOERROR), true), Check::Fine);
        assert_eq!(c.option(a), Some(EdnsOption::Cookie { client: ca, server: vec![7; 16] }));
        // From now on a UDP reply without a cookie, or with another client
        // cookie (another server's, or made up), is not its.
        assert_eq!(c.check(a, &reply(None, Rcode::NOERROR), true), Check::Spoofed);
        let wrong = EdnsOption::Cookie { client: c.client(b).unwrap(), server: vec![7; 16] };
        assert_eq!(c.check(a, &reply(Some(wrong), Rcode::NOERROR), true), Check::Spoofed);
        // BADCOOKIE teaches a new server cookie.
        let renewed = EdnsOption::Cookie { client: ca, server: vec![9; 16] };
        assert_eq!(c.check(a, &reply(Some(renewed), Rcode::BADCOOKIE), true), Check::BadCookie);
        assert_eq!(c.option(a), Some(EdnsOption::Cookie { client: ca, server: vec![9; 16] }));
        // Over TCP, a reply without a cookie is believed: the server has
        // stopped sending them and is forgotten.
        assert_eq!(c.check(a, &reply(None, Rcode::NOERROR), false), Check::Fine);
        assert_eq!(c.check(a, &reply(None, Rcode::NOERROR), true), Check::Fine);
    }
}
