//! The RRset cache: the RRsets of secure and insecure answers, by owner
//! and type, with their verdict, for other questions they answer (a CNAME
//! asked for itself, a DNAME rewriting other names, a chain's target, a
//! name server's address).

use std::time::Duration;

use candor_wire::{Name, RData, RType, Rcode, Record};

use crate::bytes::ByteLru;
use crate::cache::Cache;
use crate::cache::entry::{Key, RrsetEntry};
use crate::security::{Resolution, Security};
use crate::sync::lock;

impl Cache {
    /// Keep each RRset of a secure or insecure answer on its own, with its
    /// verdict. Left out: RRsets expanded from a wildcard (their proof is
    /// the answer's, not theirs), CNAMEs synthesised from a DNAME (the
    /// DNAME is kept), and the answer to `question` itself when it is that
    /// one RRset (the answer cache holds it, and [`Cache::rrset`] finds it
    /// there: most answers are, so each is held once, not twice).
    pub(crate) fn keep_rrsets(&self, r: &Resolution, question: Option<&Key>, now: Duration, unix_now: u64) {
        let secure = match r.security {
            Security::Secure => true,
            Security::Insecure(_) => false,
            _ => return,
        };
        if !matches!(r.rcode, Rcode::NOERROR | Rcode::NXDOMAIN | Rcode::YXDOMAIN) || r.answers.is_empty() {
            return;
        }
        let mut kept: Vec<(Key, RrsetEntry)> = Vec::new();
        let answered = question.filter(|q| plain_rrset(r, q));
        // The answer's RRsets; of the other sections, only what a
        // non-minimal answer validated for the zone: its NS RRset and the
        // name servers' addresses (for referrals built from the cache).
        type Wanted = fn(RType) -> bool;
        let sections: [(&[Record], Wanted); 3] = [
            (&r.answers, |_| true),
            (&r.authority, |t| t == RType::NS),
            (&r.additional, |t| matches!(t, RType::A | RType::AAAA)),
        ];
        for (section, wanted) in sections {
            for rr in section.iter().filter(|rr| rr.rtype() != RType::RRSIG && wanted(rr.rtype())) {
                let key = (rr.owner.to_lowercase(), rr.rtype());
                if kept.iter().any(|(k, _)| *k == key) || answered == Some(&key) {
                    continue;
                }
                let covers = |x: &Record| match &x.data {
                    RData::Rrsig(s) => x.owner == rr.owner && s.type_covered == rr.rtype(),
                    _ => x.owner == rr.owner && x.rtype() == rr.rtype(),
                };
                let records: Vec<Record> = section.iter().filter(|x| covers(x)).cloned().collect();
                let expanded = records
                    .iter()
                    .any(|x| matches!(&x.data, RData::Rrsig(s) if usize::from(s.labels) < x.owner.rrsig_label_count()));
                let signed = records.iter().any(|x| x.rtype() == RType::RRSIG);
                let synthesised = rr.rtype() == RType::CNAME
                    && !signed
                    && r.answers.iter().any(|d| d.rtype() == RType::DNAME && rr.owner.is_subdomain_of(&d.owner));
                // A secure answer's RRsets are all signed and verified; of an
                // insecure answer's, only the unsigned ones are surely insecure
                // (a signed one may be a secure link of the chain).
                if expanded || synthesised || secure != signed {
                    continue;
                }
                let shortest = records.iter().filter(|x| x.rtype() != RType::RRSIG).map(|x| x.ttl).min().unwrap_or(0);
                let ttl = self.signed_ttl(shortest, &records, unix_now);
                if !ttl.is_zero() {
                    let security = if secure { Security::Secure } else { Security::Insecure(None) };
                    kept.push((key, RrsetEntry { records, security, stored: now, expires: now + ttl }));
                }
            }
        }
        // An insecure RRset does not shadow a secure answer held as the
        // answer to its own question (looked at before the RRsets' lock:
        // one lock at a time).
        kept.retain(|(key, e)| e.security == Security::Secure || !self.secure_answer(key, now));
        let mut rrsets = lock(&self.rrsets);
        if let Some(q) = answered {
            // The answer cache now holds this RRset; an older copy here
            // would be found first. Kept only where it is secure and the
            // new answer is not (validated data outranks unvalidated).
            let secure_held = rrsets.peek(q).is_some_and(|e| e.expires > now && e.security == Security::Secure);
            if r.security == Security::Secure || !secure_held {
                rrsets.pop(q);
            }
        }
        for (key, entry) in kept {
            self.note_dname(&key);
            put_credibly(&mut rrsets, key, entry, now);
        }
    }

    /// Whether the answer cache holds a live secure answer to `key` that is
    /// that one RRset.
    fn secure_answer(&self, key: &Key, now: Duration) -> bool {
        let shard = lock(self.shard(key));
        shard.peek(key).is_some_and(|e| {
            e.expires > now && e.resolution.security == Security::Secure && plain_rrset(&e.resolution, key)
        })
    }

    fn note_dname(&self, key: &Key) {
        if key.1 == RType::DNAME {
            self.dname_labels.fetch_max(key.0.label_count(), std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// The kept DNAME RRset (with its verdict) at the deepest strict
    /// ancestor of `name` that has one. Ancestors deeper than any DNAME
    /// kept so far are not looked up (a long name costs no more than a
    /// short one where no DNAME is known).
    pub(crate) fn dname_above(&self, name: &Name, now: Duration) -> Option<(Vec<Record>, Security)> {
        let deepest = self.dname_labels.load(std::sync::atomic::Ordering::Relaxed);
        if deepest == 0 {
            return None;
        }
        let start = if name.label_count() > deepest { name.trim_to(deepest) } else { name.parent()? };
        start.ancestors().find_map(|a| self.rrset(&a, RType::DNAME, now).map(|(r, s, _)| (r, s)))
    }

    /// Keep one RRset (with its RRSIGs) that came outside an answer, with
    /// its verdict (secure or insecure; never bogus): a DS RRset from a
    /// referral, a verified DNAME beside a forged CNAME.
    /// Returns how long it is kept (`None`: not kept: its TTL is zero, or
    /// it would have replaced a secure entry unvalidated).
    pub fn keep_rrset(&self, records: &[Record], security: Security, now: Duration, unix_now: u64) -> Option<Duration> {
        let first = records.iter().find(|x| x.rtype() != RType::RRSIG)?;
        let key = (first.owner.to_lowercase(), first.rtype());
        let shortest = records.iter().filter(|x| x.rtype() != RType::RRSIG).map(|x| x.ttl).min().unwrap_or(0);
        let ttl = self.signed_ttl(shortest, records, unix_now);
        if ttl.is_zero() {
            return None;
        }
        if security != Security::Secure && self.secure_answer(&key, now) {
            return None;
        }
        let entry = RrsetEntry { records: records.to_vec(), security, stored: now, expires: now + ttl };
        self.note_dname(&key);
        put_credibly(&mut lock(&self.rrsets), key, entry, now).then_some(ttl)
    }

    /// The cached RRset `owner`/`rtype` (with its RRSIGs, TTLs counted
    /// down), its verdict, and how much longer it is kept.
    pub fn rrset(&self, owner: &Name, rtype: RType, now: Duration) -> Option<(Vec<Record>, Security, Duration)> {
        if let Some(kept) = self.kept_rrset(owner, rtype, now) {
            return Some(kept);
        }
        // The answer to the RRset's own question, when it is that RRset.
        let key = (owner.clone(), rtype);
        let mut shard = lock(self.shard(&key));
        let e = shard.get(&key).filter(|e| e.expires > now && plain_rrset(&e.resolution, &key))?;
        Some((counted_down(&e.resolution.answers, e.stored, now), e.resolution.security.clone(), e.expires - now))
    }
}

impl Cache {
    /// [`Cache::rrset`] from the RRset store alone, for a caller that has
    /// just looked for the answer to the same question.
    pub(crate) fn kept_rrset(
        &self,
        owner: &Name,
        rtype: RType,
        now: Duration,
    ) -> Option<(Vec<Record>, Security, Duration)> {
        let key = (owner.clone(), rtype);
        let mut rrsets = lock(&self.rrsets);
        let hit = match rrsets.get(&key) {
            Some(e) if e.expires > now => {
                Some((counted_down(&e.records, e.stored, now), e.security.clone(), e.expires - now))
            }
            Some(_) => {
                rrsets.pop(&key);
                None
            }
            None => None,
        };
        let counter = if hit.is_some() { &self.rrset_hits } else { &self.rrset_misses };
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        hit
    }
}

/// `records` kept since `stored`, their TTLs counted down to `now`.
fn counted_down(records: &[Record], stored: Duration, now: Duration) -> Vec<Record> {
    let elapsed = now.saturating_sub(stored).as_secs() as u32;
    let mut records = records.to_vec();
    for rr in &mut records {
        rr.ttl = rr.ttl.saturating_sub(elapsed);
    }
    records
}

/// Whether `r` answers with exactly the RRset `key` (and its RRSIGs) as
/// [`Cache::keep_rrsets`] would keep it: NOERROR, secure and signed or
/// insecure (without a failure) and unsigned, not expanded from a
/// wildcard.
fn plain_rrset(r: &Resolution, key: &Key) -> bool {
    let secure = match r.security {
        Security::Secure => true,
        Security::Insecure(None) => false,
        _ => return false,
    };
    if r.rcode != Rcode::NOERROR || r.answers.is_empty() {
        return false;
    }
    let mut signed = false;
    for x in &r.answers {
        if x.owner != key.0 {
            return false;
        }
        match &x.data {
            RData::Rrsig(s) if s.type_covered == key.1 => {
                if usize::from(s.labels) < x.owner.rrsig_label_count() {
                    return false;
                }
                signed = true;
            }
            _ if x.rtype() == key.1 && key.1 != RType::RRSIG => {}
            _ => return false,
        }
    }
    signed == secure && r.answers.iter().any(|x| x.rtype() == key.1)
}

/// Keep `entry`, unless it is unvalidated and a live secure entry holds
/// the key: validated data outranks unvalidated data (RFC 2181 §5.4.1), so
/// an insecure answer (an opt-out span, an unsigned parent's reply naming
/// a record in a signed child) never replaces a secure RRset. Whether it
/// was kept.
fn put_credibly(rrsets: &mut ByteLru<Key, RrsetEntry>, key: Key, entry: RrsetEntry, now: Duration) -> bool {
    let secure_held = rrsets.peek(&key).is_some_and(|e| e.expires > now && e.security == Security::Secure);
    if entry.security != Security::Secure && secure_held {
        return false;
    }
    rrsets.put(key, entry);
    true
}
