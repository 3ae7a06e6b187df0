//! A cache of finished UDP responses for the hottest path: a repeated
//! question whose answer is in the resolver's cache. The response is kept
//! as bytes keyed by the normalised query (lower-cased name, type, class,
//! header flags, EDNS size/version/DO); a hit copies it into the worker's
//! own buffer, puts in the query's ID and name spelling, and counts the
//! TTLs down in place: no allocation, no lock, nothing shared with other
//! workers (each worker has its own cache, as it has its own socket; the
//! kernel keeps a client on one socket).
//!
//! Only plain queries qualify (one question, no records but an OPT that is
//! option-free or, when the server answers DNS cookies, holds a COOKIE
//! option alone), and only answers the server built from the resolver's
//! cache for secure or insecure data. A cookie query's response is kept
//! with the COOKIE option last; a hit writes this client's cookie and the
//! server cookie made for it over the kept one, like the ID. An entry lives no longer than the resolver's
//! entry it was built from, and dies with every flush or negative trust
//! anchor change (the resolver cache's generation).

use std::num::NonZeroUsize;
use std::time::Duration;

use lru::LruCache;

use crate::summary::Summary;

/// Longest key: a 255-octet name, type and class, the two flag octets, an
/// EDNS marker, the clamped EDNS size and the OPT's TTL field.
pub const KEY_MAX: usize = 255 + 4 + 2 + 1 + 2 + 4;

/// A query that may be answered from the response cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plain {
    /// Octets of `key` in use.
    pub key_len: usize,
    /// Where the question name ends in the query (it starts at 12).
    pub name_end: usize,
    /// Where the COOKIE option's data (client cookie, then any server
    /// cookie) lies in the query, and its length.
    pub cookie: Option<(usize, usize)>,
}

/// The COOKIE option a cookie query's response ends with: code 10,
/// length 24 (client cookie and a 16-octet server cookie).
const COOKIE_HEAD: [u8; 4] = [0, 10, 0, 24];

/// Octets of the client and server cookies a hit writes.
pub const COOKIE_LEN: usize = 24;

/// Read a query cheaply: `Some` when it is a plain one (QR=0, QUERY,
/// RD=1, one question, no answer or authority records, at most one
/// additional record which is an OPT without options, or with a COOKIE
/// option alone when `cookies` are answered; nothing after it), with its
/// normalised key written to `key`.
pub fn plain(query: &[u8], key: &mut [u8; KEY_MAX], cookies: bool) -> Option<Plain> {
    let header = query.get(..12)?;
    let flags = [*header.get(2)?, *header.get(3)?];
    // QR=0, opcode QUERY, RD=1.
    if flags[0] & 0xf9 != 0x01 {
        return None;
    }
    if header.get(4..10)? != [0, 1, 0, 0, 0, 0] {
        return None;
    }
    let arcount = u16::from_be_bytes([*header.get(10)?, *header.get(11)?]);
    let mut at = 12;
    let mut k = 0;
    loop {
        let len = usize::from(*query.get(at)?);
        if len > 63 {
            return None; // a pointer or an extended label type: not plain
        }
        let label = query.get(at..=at + len)?;
        for &b in label {
            *key.get_mut(k)? = b.to_ascii_lowercase();
            k += 1;
        }
        at += len + 1;
        if len == 0 {
            break;
        }
    }
    if at - 12 > 255 {
        return None;
    }
    let name_end = at;
    let mut cookie = None;
    // Type and class, then the flags (ID left out).
    for &b in query.get(at..at + 4)?.iter().chain(&flags) {
        *key.get_mut(k)? = b;
        k += 1;
    }
    at += 4;
    match arcount {
        0 => {
            *key.get_mut(k)? = 0;
            k += 1;
        }
        1 => {
            // Root owner, type OPT, size, extended rcode/version/flags,
            // RDLENGTH 0 or one COOKIE option (a client cookie, and a server
            // cookie of 8 to 32 octets or none: RFC 7873 §4).
            let opt = query.get(at..at + 11)?;
            if opt.first() != Some(&0) || opt.get(1..3)? != [0, 41] {
                return None;
            }
            let rdlen = usize::from(u16::from_be_bytes([*opt.get(9)?, *opt.get(10)?]));
            if rdlen != 0 {
                let option = query.get(at + 11..at + 15)?;
                let len = usize::from(u16::from_be_bytes([*option.get(2)?, *option.get(3)?]));
                if !cookies
                    || option.get(..2)? != [0, 10]
                    || rdlen != len + 4
                    || !(len == 8 || (16..=40).contains(&len))
                {
                    return None;
                }
                cookie = Some((at + 15, len));
            }
            let size = u16::from_be_bytes([*opt.get(3)?, *opt.get(4)?]).clamp(512, crate::reply::MAX_UDP);
            // A cookie query's response is 28 octets longer: its own entry.
            *key.get_mut(k)? = if cookie.is_some() { 2 } else { 1 };
            k += 1;
            for &b in size.to_be_bytes().iter().chain(opt.get(5..9)?) {
                *key.get_mut(k)? = b;
                k += 1;
            }
            at += 11 + rdlen;
        }
        _ => return None,
    }
    (at == query.len()).then_some(Plain { key_len: k, name_end, cookie })
}

struct Entry {
    wire: Vec<u8>,
    summary: Summary,
    /// From when a hit asks the resolver to refresh the answer ahead of
    /// its expiry (prefetch), and whether one did.
    prefetch_at: Duration,
    prefetch_asked: bool,
    ttls: Vec<(usize, u32)>,
    stored: Duration,
    expires: Duration,
    generation: u64,
    /// The response ends with a COOKIE option ([`COOKIE_HEAD`]) whose
    /// data a hit overwrites.
    cookie: bool,
}

/// One worker's response cache.
pub struct Replies {
    lru: LruCache<Vec<u8>, Entry>,
}

impl Replies {
    /// Room for `capacity` responses.
    pub fn new(capacity: usize) -> Replies {
        Replies { lru: LruCache::new(NonZeroUsize::new(capacity.max(1)).unwrap_or(NonZeroUsize::MIN)) }
    }

    /// The response to `query` (whose [`plain`] reading is `p` and key
    /// `key`), written into `out`, if one is kept for this generation and
    /// still alive at `now`; for a cookie query, with `cookie` (the
    /// client's cookie and the server cookie to answer with) in its COOKIE
    /// option. `out`'s capacity is reused: no allocation once it has held
    /// a response this large.
    pub fn get(
        &mut self,
        key: &[u8],
        query: &[u8],
        (p, cookie): (Plain, Option<&[u8; COOKIE_LEN]>),
        (now, generation): (Duration, u64),
        out: &mut Vec<u8>,
    ) -> Option<(Summary, bool)> {
        let e = self.lru.get_mut(key)?;
        if e.generation != generation || e.expires <= now {
            self.lru.pop(key);
            return None;
        }
        if e.cookie != cookie.is_some() {
            return None;
        }
        out.clear();
        out.extend_from_slice(&e.wire);
        let elapsed = now.saturating_sub(e.stored).as_secs().try_into().unwrap_or(u32::MAX);
        for &(at, ttl) in &e.ttls {
            if let Some(field) = out.get_mut(at..at + 4) {
                field.copy_from_slice(&ttl.saturating_sub(elapsed).to_be_bytes());
            }
        }
        // The query's ID and its spelling of the name (the key is lower case).
        match (out.get_mut(..2), query.get(..2)) {
            (Some(id), Some(q)) => id.copy_from_slice(q),
            _ => return None,
        }
        match (out.get_mut(12..p.name_end), query.get(12..p.name_end)) {
            (Some(name), Some(q)) => name.copy_from_slice(q),
            _ => return None,
        }
        if let Some(cookie) = cookie {
            let at = out.len().checked_sub(COOKIE_LEN)?;
            out.get_mut(at..)?.copy_from_slice(cookie);
        }
        // The first hit in the answer's last tenth refreshes it.
        let prefetch = now >= e.prefetch_at && !e.prefetch_asked;
        e.prefetch_asked |= prefetch;
        Some((e.summary, prefetch))
    }

    /// Keep `wire`, the response to the query with `key` (and what it is,
    /// `summary`, for the counters), for `lifetime` from `now` (capped by
    /// its smallest TTL). The response to a `cookie` query is kept only if
    /// it ends with its COOKIE option (OPT last, the option last in it).
    pub fn put(
        &mut self,
        key: &[u8],
        wire: &[u8],
        summary: Summary,
        (now, lifetime): (Duration, Duration),
        (generation, cookie): (u64, bool),
    ) {
        if cookie && !ends_with_cookie(wire) {
            return;
        }
        let Ok(offsets) = candor_wire::Message::ttl_offsets(wire) else { return };
        let mut ttls = Vec::with_capacity(offsets.len());
        for at in offsets {
            let Some(&[a, b, c, d]) = wire.get(at..at + 4) else { return };
            ttls.push((at, u32::from_be_bytes([a, b, c, d])));
        }
        let smallest = ttls.iter().map(|&(_, t)| Duration::from_secs(u64::from(t))).min().unwrap_or(lifetime);
        let lifetime = lifetime.min(smallest);
        if lifetime.is_zero() {
            return;
        }
        let window = (lifetime / 10).max(Duration::from_secs(1)).min(lifetime / 2);
        let prefetch_at = now.saturating_add(lifetime - window);
        let entry = Entry {
            wire: wire.to_vec(),
            summary,
            prefetch_at,
            prefetch_asked: false,
            ttls,
            stored: now,
            expires: now.saturating_add(lifetime),
            generation,
            cookie,
        };
        self.lru.put(key.to_vec(), entry);
    }
}

/// Whether `wire`'s last record is its OPT and the last option in it a
/// COOKIE option with a 16-octet server cookie, so that the response's
/// last [`COOKIE_LEN`] octets are the cookies.
fn ends_with_cookie(wire: &[u8]) -> bool {
    let Some(head) = wire.len().checked_sub(COOKIE_LEN + 4).and_then(|at| wire.get(at..at + 4)) else { return false };
    if head != COOKIE_HEAD {
        return false;
    }
    let Ok(m) = candor_wire::Message::from_wire(wire) else { return false };
    let last = m.edns.as_ref().and_then(|e| e.options.last());
    let Some(candor_wire::EdnsOption::Cookie { client, server }) = last else { return false };
    server.len() == COOKIE_LEN - 8 && wire.get(wire.len() - COOKIE_LEN..) == Some(&[&client[..], server].concat()[..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use candor_wire::{Edns, Message, Name, Question, RType};

    fn query(name: &str, rtype: RType, edns: Option<Edns>) -> Vec<u8> {
        let mut q = Message::query(0x1234, Question::new(name.parse::<Name>().unwrap(), rtype));
        q.header.flags.rd = true;
        q.edns = edns;
        q.to_wire().unwrap()
    }

    #[test]
    fn plain_queries_share_a_key_across_case_and_id() {
        let (mut k1, mut k2) = ([0; KEY_MAX], [0; KEY_MAX]);
        let a = query("www.Example.", RType::A, None);
        let mut b = query("WWW.example.", RType::A, None);
        b[0] = 0x99;
        let pa = plain(&a, &mut k1, false).unwrap();
        let pb = plain(&b, &mut k2, false).unwrap();
        assert_eq!(k1[..pa.key_len], k2[..pb.key_len]);
        assert_eq!(pa.name_end, 12 + 13);
    }

    #[test]
    fn what_changes_the_response_changes_the_key() {
        let key = |q: &[u8]| {
            let mut k = [0; KEY_MAX];
            let p = plain(q, &mut k, false).unwrap();
            k[..p.key_len].to_vec()
        };
        let base = key(&query("a.example.", RType::A, None));
        assert_ne!(base, key(&query("a.example.", RType::AAAA, None)));
        let e = |size, dnssec_ok| Some(Edns { udp_size: size, dnssec_ok, ..Edns::default() });
        assert_ne!(base, key(&query("a.example.", RType::A, e(1232, false))));
        assert_ne!(
            key(&query("a.example.", RType::A, e(1232, false))),
            key(&query("a.example.", RType::A, e(1232, true)))
        );
        assert_ne!(
            key(&query("a.example.", RType::A, e(512, true))),
            key(&query("a.example.", RType::A, e(1232, true)))
        );
        // Sizes above the server's maximum all give the same response.
        assert_eq!(
            key(&query("a.example.", RType::A, e(1232, true))),
            key(&query("a.example.", RType::A, e(4096, true)))
        );
        let mut cd = query("a.example.", RType::A, None);
        cd[3] |= 0x10;
        assert_ne!(base, key(&cd));
    }

    #[test]
    fn only_plain_queries_qualify() {
        let mut k = [0; KEY_MAX];
        let good = query("a.example.", RType::A, None);
        assert!(plain(&good, &mut k, false).is_some());
        let mut no_rd = good.clone();
        no_rd[2] &= !0x01;
        assert!(plain(&no_rd, &mut k, false).is_none(), "RD=0 answers from the cache differently");
        let mut response = good.clone();
        response[2] |= 0x80;
        assert!(plain(&response, &mut k, false).is_none());
        let mut notify = good.clone();
        notify[2] |= 4 << 3;
        assert!(plain(&notify, &mut k, false).is_none());
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(plain(&trailing, &mut k, false).is_none());
        assert!(plain(&good[..good.len() - 1], &mut k, false).is_none());
        let cookie = Edns {
            options: vec![candor_wire::EdnsOption::Cookie { client: [1; 8], server: Vec::new() }],
            ..Edns::default()
        };
        let with_cookie = query("a.example.", RType::A, Some(cookie));
        assert!(plain(&with_cookie, &mut k, false).is_none(), "cookies not answered: not plain");
        assert!(plain(&with_cookie, &mut k, true).is_some());
        let other = Edns { options: vec![candor_wire::EdnsOption::Padding(4)], ..Edns::default() };
        assert!(plain(&query("a.example.", RType::A, Some(other)), &mut k, true).is_none());
        for n in 0..with_cookie.len() {
            let _ = plain(&with_cookie[..n], &mut k, true); // never panics
        }
        for n in 0..good.len() {
            let _ = plain(&good[..n], &mut k, false); // never panics
        }
    }

    #[test]
    fn hits_patch_id_name_and_ttls_and_die_with_the_generation() {
        let q = query("a.Example.", RType::A, None);
        let mut k = [0; KEY_MAX];
        let p = plain(&q, &mut k, false).unwrap();
        let key = &k[..p.key_len];
        let mut resp = Message::from_wire(&q).unwrap();
        resp.header.flags.qr = true;
        resp.answers = candor_wire::text::parse_zone("a.example. 300 A 192.0.2.1\n", None).unwrap();
        let wire = resp.to_wire().unwrap();
        let mut r = Replies::new(64);
        let s = Duration::from_secs(1);
        let mut out = Vec::new();
        r.put(key, &wire, Summary::of(&wire), (10 * s, 1000 * s), (7, false));
        let mut q2 = query("A.EXAMPLE.", RType::A, None);
        q2[..2].copy_from_slice(&[0xab, 0xcd]);
        assert_eq!(r.get(key, &q2, (p, None), (110 * s, 7), &mut out), Some((Summary::of(&wire), false)));
        let hit = Message::from_wire(&out).unwrap();
        assert_eq!(hit.header.id, 0xabcd);
        assert_eq!(hit.questions[0].name.to_string(), "A.EXAMPLE.");
        assert_eq!(hit.answers[0].ttl, 200);
        let capacity = out.capacity();
        assert!(r.get(key, &q2, (p, None), (111 * s, 7), &mut out).is_some());
        assert_eq!(out.capacity(), capacity, "the buffer is reused");
        assert!(r.get(key, &q2, (p, None), (111 * s, 8), &mut out).is_none(), "another generation: stale");
        r.put(key, &wire, Summary::of(&wire), (10 * s, 1000 * s), (7, false));
        assert!(r.get(key, &q2, (p, None), (310 * s, 7), &mut out).is_none(), "no longer than the smallest TTL");
        r.put(key, &wire, Summary::of(&wire), (10 * s, 5 * s), (7, false));
        assert!(r.get(key, &q2, (p, None), (16 * s, 7), &mut out).is_none(), "no longer than the resolver's entry");
        // Prefetch: the first hit in the last tenth (at least the last
        // second) asks for a refresh, once.
        r.put(key, &wire, Summary::of(&wire), (10 * s, 100 * s), (7, false));
        assert_eq!(r.get(key, &q2, (p, None), (90 * s, 7), &mut out).map(|(_, p)| p), Some(false));
        assert_eq!(r.get(key, &q2, (p, None), (101 * s, 7), &mut out).map(|(_, p)| p), Some(true));
        assert_eq!(r.get(key, &q2, (p, None), (102 * s, 7), &mut out).map(|(_, p)| p), Some(false), "once");
    }

    /// A cookie query: `client`'s cookie, and `server` (none, or one).
    fn cookie_query(name: &str, client: [u8; 8], server: &[u8]) -> Vec<u8> {
        let cookie = candor_wire::EdnsOption::Cookie { client, server: server.to_vec() };
        query(name, RType::A, Some(Edns { options: vec![cookie], ..Edns::default() }))
    }

    #[test]
    fn cookie_queries_share_an_entry_and_each_hit_carries_its_own_cookies() {
        let (mut k, mut k2, mut k3) = ([0; KEY_MAX], [0; KEY_MAX], [0; KEY_MAX]);
        let q = cookie_query("a.example.", [1; 8], &[]);
        let p = plain(&q, &mut k, true).unwrap();
        assert_eq!(p.cookie, Some((q.len() - 8, 8)));
        let key = k[..p.key_len].to_vec();
        // Another client, with a server cookie: the same entry.
        let q2 = cookie_query("a.example.", [2; 8], &[9; 16]);
        let p2 = plain(&q2, &mut k2, true).unwrap();
        assert_eq!(k2[..p2.key_len], key[..]);
        assert_eq!(p2.cookie, Some((q2.len() - 24, 24)));
        // Without a cookie: another entry (the response is shorter).
        let bare = query("a.example.", RType::A, Some(Edns::default()));
        let pb = plain(&bare, &mut k3, true).unwrap();
        assert_ne!(k3[..pb.key_len], key[..]);

        // The response as built for the first client (its server cookie last).
        let mut resp = Message::from_wire(&q).unwrap();
        resp.header.flags.qr = true;
        resp.answers = candor_wire::text::parse_zone("a.example. 300 A 192.0.2.1\n", None).unwrap();
        if let Some(candor_wire::EdnsOption::Cookie { server, .. }) =
            resp.edns.as_mut().and_then(|e| e.options.first_mut())
        {
            *server = vec![7; 16];
        }
        let wire = resp.to_wire().unwrap();
        let s = Duration::from_secs(1);
        let mut r = Replies::new(8);
        r.put(&key, &wire, Summary::of(&wire), (s, 100 * s), (1, true));
        let mut out = Vec::new();
        let mine: [u8; COOKIE_LEN] = [[2u8; 8].as_slice(), &[5u8; 16]].concat().try_into().unwrap();
        assert!(r.get(&key, &q2, (p2, Some(&mine)), (2 * s, 1), &mut out).is_some());
        let hit = Message::from_wire(&out).unwrap();
        let cookie = hit.edns.unwrap().options;
        assert_eq!(cookie, vec![candor_wire::EdnsOption::Cookie { client: [2; 8], server: vec![5; 16] }]);
        // A hit without cookies to write is no hit on a cookie entry.
        assert!(r.get(&key, &q2, (p2, None), (2 * s, 1), &mut out).is_none());
        // A response that does not end with its COOKIE option is not kept.
        let mut padded = resp.clone();
        padded.edns.as_mut().unwrap().options.push(candor_wire::EdnsOption::Padding(8));
        let key2 = [key.clone(), vec![0]].concat();
        r.put(&key2, &padded.to_wire().unwrap(), Summary::of(&wire), (s, 100 * s), (1, true));
        assert!(r.get(&key2, &q2, (p2, Some(&mine)), (2 * s, 1), &mut out).is_none());
        r.put(&key2, &bare, Summary::of(&wire), (s, 100 * s), (1, true));
        assert!(r.get(&key2, &q2, (p2, Some(&mine)), (2 * s, 1), &mut out).is_none());
    }
}
