//! DNS cookies toward stubs (RFC 7873), with the interoperable server
//! cookies of RFC 9018: version 1, three reserved octets, a timestamp and
//! SipHash-2-4 over the client cookie, those eight octets and the client's
//! address, keyed with a 16-octet secret. Several nodes behind one address
//! (anycast, dnsdist) validate each other's cookies when they share the
//! secret (`cookie-secret`); without one, each process draws its own and
//! rolls it over daily, keeping the previous one so no client's cookie
//! dies with the roll.
//!
//! A query with a valid server cookie proves its source address (it has
//! seen an earlier answer), so rate limiting exempts it; a query with only
//! a client cookie, or a stale or foreign server cookie, is answered as
//! usual with a fresh cookie, except under rate limiting, where it gets
//! BADCOOKIE (and a fresh cookie) instead of TC=1.

use std::net::IpAddr;
use std::sync::RwLock;

use candor_wire::{EdnsOption, Message, Rcode};
use std::time::{Duration, Instant};

/// A server cookie is accepted this long after its timestamp (RFC 9018 §4.3).
const LIFETIME: u32 = 3600;

/// ... and renewed once older than this.
const RENEW_AFTER: u32 = 1800;

/// A timestamp this far ahead of the local clock is still accepted
/// (clocks of nodes sharing a secret differ a little).
const AHEAD: u32 = 300;

/// How often a drawn (not configured) secret is rolled over.
const ROLL_EVERY: Duration = Duration::from_secs(24 * 3600);

/// A server cookie's length in this scheme.
pub const SERVER_COOKIE_LEN: usize = 16;

/// What a query's COOKIE option proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A client cookie alone: a first contact, or a client that lost
    /// the server cookie.
    ClientOnly,
    /// A server cookie this server (or one sharing its secret) made for
    /// this client cookie and address within the last hour.
    Valid,
    /// A server cookie that is not one of ours, or too old, or made for
    /// another address.
    Invalid,
}

struct Secrets {
    current: [u8; 16],
    previous: Option<[u8; 16]>,
    /// When `current` was drawn; `None` for a configured secret (rolled
    /// over by the operator, not here).
    drawn: Option<Instant>,
}

/// The server secret(s) and the cookies made with them.
pub struct ServerCookies {
    secrets: RwLock<Secrets>,
}

impl std::fmt::Debug for ServerCookies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerCookies")
    }
}

/// A fresh random secret; `None` if the system's generator fails.
fn draw() -> Option<[u8; 16]> {
    use ring::rand::SecureRandom;
    let mut s = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut s).ok().map(|()| s)
}

impl ServerCookies {
    /// A secret of this process's own, rolled over daily; `None` if the
    /// system's random number generator fails.
    pub fn drawn() -> Option<ServerCookies> {
        let secrets = Secrets { current: draw()?, previous: None, drawn: Some(Instant::now()) };
        Some(ServerCookies { secrets: RwLock::new(secrets) })
    }

    /// A configured secret (shared by the nodes behind one address).
    pub fn shared(secret: [u8; 16]) -> ServerCookies {
        ServerCookies { secrets: RwLock::new(Secrets { current: secret, previous: None, drawn: None }) }
    }

    /// Use `secret` from now on (a reload that changed it); cookies made
    /// with the one before stay valid for their lifetime.
    pub fn set_secret(&self, secret: [u8; 16]) {
        let mut s = self.secrets.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if s.current != secret || s.drawn.is_some() {
            s.previous = Some(s.current);
            s.current = secret;
        }
        s.drawn = None;
    }

    /// Roll a drawn secret over when it is due.
    fn roll_if_due(&self) {
        let due = {
            let s = self.secrets.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            s.drawn.is_some_and(|at| at.elapsed() >= ROLL_EVERY)
        };
        if due {
            let mut s = self.secrets.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            // (If the generator fails, the secret in use stays a day more.)
            if s.drawn.is_some_and(|at| at.elapsed() >= ROLL_EVERY) {
                if let Some(fresh) = draw() {
                    s.previous = Some(s.current);
                    s.current = fresh;
                }
                s.drawn = Some(Instant::now());
            }
        }
    }

    /// What `server` (the server part of a query's COOKIE option, empty
    /// when absent) proves for `client` from `ip` at `now` (seconds since
    /// the epoch), and the server cookie to answer with.
    pub fn check(&self, client: &[u8; 8], server: &[u8], ip: IpAddr, now: u32) -> (Verdict, [u8; SERVER_COOKIE_LEN]) {
        self.roll_if_due();
        let s = self.secrets.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let fresh = || make(&s.current, client, ip, now);
        if server.is_empty() {
            return (Verdict::ClientOnly, fresh());
        }
        let Ok(theirs) = <[u8; SERVER_COOKIE_LEN]>::try_from(server) else { return (Verdict::Invalid, fresh()) };
        // Version 1, reserved octets zero.
        if theirs[..4] != [1, 0, 0, 0] {
            return (Verdict::Invalid, fresh());
        }
        let stamp = u32::from_be_bytes([theirs[4], theirs[5], theirs[6], theirs[7]]);
        // Serial arithmetic (RFC 1982): how far behind the clock it is.
        let age = now.wrapping_sub(stamp);
        let ahead = stamp.wrapping_sub(now);
        if age > LIFETIME && ahead > AHEAD {
            return (Verdict::Invalid, fresh());
        }
        let ours =
            [Some(s.current), s.previous].into_iter().flatten().any(|key| make(&key, client, ip, stamp) == theirs);
        if !ours {
            return (Verdict::Invalid, fresh());
        }
        // Valid; renewed when past half its life (or made with the old secret).
        let renew = (age <= LIFETIME && age > RENEW_AFTER) || make(&s.current, client, ip, stamp) != theirs;
        (Verdict::Valid, if renew { fresh() } else { theirs })
    }
}

/// Put the server cookie to answer with in `q`'s COOKIE option (the
/// first; others are ignored, RFC 7873 §5.2): the reply copies it. The
/// verdict on what the query brought, `None` without a cookie.
pub(crate) fn answer_with(cookies: &ServerCookies, q: &mut Message, ip: IpAddr, now: u32) -> Option<Verdict> {
    let option = q.edns.as_mut()?.options.iter_mut().find(|o| matches!(o, EdnsOption::Cookie { .. }))?;
    let EdnsOption::Cookie { client, server } = option else { return None };
    let (verdict, fresh) = cookies.check(client, server, ip, now);
    *server = fresh.to_vec();
    Some(verdict)
}

/// What becomes of a UDP query over its network's rate.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum OverLimit {
    /// A valid server cookie: the source address is proven, answer it.
    Exempt,
    /// A cookie without a valid server cookie: BADCOOKIE with a fresh
    /// one (this reply), so a real client asks again and is exempt.
    BadCookie(Vec<u8>),
    /// No cookie: the rate limit's verdict stands.
    Limited,
}

/// Look at the cookie of a UDP query over its network's rate.
pub(crate) fn over_limit(cookies: &ServerCookies, query: &[u8], ip: IpAddr, now: u32) -> OverLimit {
    let Ok(mut q) = Message::from_wire(query) else { return OverLimit::Limited };
    if q.header.flags.qr {
        return OverLimit::Limited;
    }
    match answer_with(cookies, &mut q, ip, now) {
        Some(Verdict::Valid) => OverLimit::Exempt,
        Some(_) => {
            crate::reply::reply_to(&q, Rcode::BADCOOKIE).to_wire().map_or(OverLimit::Limited, OverLimit::BadCookie)
        }
        None => OverLimit::Limited,
    }
}

/// The server cookie for `client` from `ip` at `stamp` with `key`.
fn make(key: &[u8; 16], client: &[u8; 8], ip: IpAddr, stamp: u32) -> [u8; SERVER_COOKIE_LEN] {
    use std::hash::Hasher;
    let mut h = siphasher::sip::SipHasher24::new_with_key(key);
    let head = [1u8, 0, 0, 0];
    let stamp = stamp.to_be_bytes();
    h.write(client);
    h.write(&head);
    h.write(&stamp);
    match ip {
        IpAddr::V4(v4) => h.write(&v4.octets()),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => h.write(&v4.octets()),
            None => h.write(&v6.octets()),
        },
    }
    let hash = h.finish().to_le_bytes();
    let mut out = [0u8; SERVER_COOKIE_LEN];
    out[..4].copy_from_slice(&head);
    out[4..8].copy_from_slice(&stamp);
    out[8..].copy_from_slice(&hash);
    out
}

/// Seconds since the epoch, as cookies count them.
pub(crate) fn unix_now() -> u32 {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    // Serial arithmetic wraps; so does the timestamp.
    (secs & u64::from(u32::MAX)) as u32
}

/// A 16-octet secret from 32 hex digits (`cookie-secret`).
pub fn parse_secret(hex: &str) -> Option<[u8; 16]> {
    let hex = hex.trim();
    if hex.len() != 32 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    const SECRET: &str = "e5e973e5a6b2a43f48e7dc849e37bfcf";

    /// RFC 9018 Appendix A.1-A.3: server cookies made byte for byte.
    #[test]
    fn rfc_9018_test_vectors() {
        let key = parse_secret(SECRET).unwrap();
        for (client, ip, at, want) in [
            ("2464c4abcf10c957", "198.51.100.100", 1_559_731_985, "010000005cf79f111f8130c3eee29480"),
            ("2464c4abcf10c957", "198.51.100.100", 1_559_734_385, "010000005cf7a871d4a564a1442aca77"),
            ("fc93fc62807ddb86", "203.0.113.203", 1_559_734_700, "010000005cf7a9acf73a7810aca2381e"),
        ] {
            let client: [u8; 8] = hex(client).try_into().unwrap();
            assert_eq!(make(&key, &client, ip.parse().unwrap(), at).to_vec(), hex(want), "{ip} at {at}");
        }
    }

    #[test]
    fn a_cookie_is_valid_for_its_client_and_address_within_the_hour_and_renewed_after_half() {
        let c = ServerCookies::shared(parse_secret(SECRET).unwrap());
        let (client, ip, t0) = (*b"clientck", "192.0.2.7".parse().unwrap(), 1_800_000_000u32);
        let (v, first) = c.check(&client, &[], ip, t0);
        assert_eq!(v, Verdict::ClientOnly);
        // Echoed back: valid, and the same cookie while young.
        assert_eq!(c.check(&client, &first, ip, t0 + 60), (Verdict::Valid, first));
        // Older than half an hour: still valid, renewed.
        let (v, renewed) = c.check(&client, &first, ip, t0 + 1900);
        assert_eq!(v, Verdict::Valid);
        assert_ne!(renewed, first);
        // Too old, from the future, another address, another client
        // cookie, a flipped bit, a wrong length, another version.
        assert_eq!(c.check(&client, &first, ip, t0 + 3601).0, Verdict::Invalid);
        assert_eq!(c.check(&client, &first, ip, t0 - 301).0, Verdict::Invalid);
        assert_eq!(c.check(&client, &first, "192.0.2.8".parse().unwrap(), t0).0, Verdict::Invalid);
        assert_eq!(c.check(b"otherclt", &first, ip, t0).0, Verdict::Invalid);
        let mut flipped = first;
        flipped[15] ^= 1;
        assert_eq!(c.check(&client, &flipped, ip, t0).0, Verdict::Invalid);
        assert_eq!(c.check(&client, &first[..8], ip, t0).0, Verdict::Invalid);
        let mut v2 = first;
        v2[0] = 2;
        assert_eq!(c.check(&client, &v2, ip, t0).0, Verdict::Invalid);
    }

    #[test]
    fn nodes_sharing_a_secret_accept_each_others_cookies_and_a_new_secret_keeps_the_old_ones() {
        let secret = parse_secret(SECRET).unwrap();
        let (a, b) = (ServerCookies::shared(secret), ServerCookies::shared(secret));
        let (client, ip, t0) = (*b"clientck", "2001:db8::7".parse().unwrap(), 1_800_000_000u32);
        let (_, from_a) = a.check(&client, &[], ip, t0);
        assert_eq!(b.check(&client, &from_a, ip, t0).0, Verdict::Valid);
        // Another node's own secret does not know it.
        assert_eq!(ServerCookies::drawn().unwrap().check(&client, &from_a, ip, t0).0, Verdict::Invalid);
        // A new secret: the old cookie stays valid, and is renewed.
        b.set_secret(parse_secret("00112233445566778899aabbccddeeff").unwrap());
        let (v, renewed) = b.check(&client, &from_a, ip, t0 + 10);
        assert_eq!(v, Verdict::Valid);
        assert_ne!(renewed, from_a);
        assert_eq!(b.check(&client, &renewed, ip, t0 + 20), (Verdict::Valid, renewed));
        // Two changes later the first is gone.
        b.set_secret(parse_secret("ffeeddccbbaa99887766554433221100").unwrap());
        assert_eq!(b.check(&client, &from_a, ip, t0 + 30).0, Verdict::Invalid);
    }

    #[test]
    fn secrets_are_32_hex_digits() {
        assert_eq!(parse_secret(SECRET).map(|s| s[0]), Some(0xe5));
        for bad in ["", "e5e9", "zz e973e5a6b2a43f48e7dc849e37bfcf", "e5e973e5a6b2a43f48e7dc849e37bfcfaa", "ééé"] {
            assert_eq!(parse_secret(bad), None, "{bad}");
        }
    }
}
