//! The chain of trust as text, one line per link: what `candor trace`
//! prints and `candor control why --trace` answers with.

use candor_wire::{Dnskey, Ds, Rrsig};

use crate::security::Security;
use crate::time_text::{iso, span, until};
use crate::trace::Link;

impl Link {
    /// The link as (zone, what, detail): e.g. (`example.`, `DNSKEY`,
    /// `DS 1234/13/2 -> DNSKEY ...; RRSIG ...`), times relative to `now`.
    pub fn line(&self, now: u64) -> (String, String, String) {
        link_line(self, now)
    }

    /// How the link held, in a word: ok, insecure or broken.
    pub fn state_word(&self) -> &'static str {
        match self.state() {
            Security::Secure => "ok",
            Security::Insecure(_) => "insecure",
            Security::Bogus(_) | Security::Servfail(_) => "broken",
        }
    }
}

fn ds_text(d: &Ds) -> String {
    format!("{}/{}/{}", d.key_tag, d.algorithm.0, d.digest_type)
}

fn key_text(k: &Dnskey) -> String {
    let role = match k.flags {
        f if f & 0x0080 != 0 => "revoked",
        f if f & 0x0101 == 0x0101 => "KSK",
        f if f & 0x0100 != 0 => "ZSK",
        _ => "not a zone key",
    };
    format!("{}/{}/{} {role}", candor_crypto::key_tag(k), k.algorithm.0, k.flags)
}

fn sig_text(s: &Rrsig, now: u64) -> String {
    let left = until(s.expiration, now);
    let when = if until(s.inception, now) > 0 {
        format!("not valid for {} more", span(until(s.inception, now)))
    } else if left < 0 {
        format!("expired {} ago", span(left))
    } else {
        format!("{} left", span(left))
    };
    format!("RRSIG {}/{} {}..{} ({when})", s.key_tag, s.algorithm.0, iso(s.inception), iso(s.expiration))
}

fn list<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    if items.is_empty() { "none".to_owned() } else { items.iter().map(f).collect::<Vec<_>>().join(", ") }
}

/// One link as a line: state, zone, what, evidence.
fn link_line(l: &Link, now: u64) -> (String, String, String) {
    match l {
        Link::Keys { zone, ds, anchor_keys, dnskeys, rrsigs, .. } => {
            let from = if !anchor_keys.is_empty() {
                format!("anchor keys {}", list(anchor_keys, key_text))
            } else if zone.is_root() {
                format!("anchor DS {}", list(ds, ds_text))
            } else {
                format!("DS {}", list(ds, ds_text))
            };
            let sigs = list(rrsigs, |s| sig_text(s, now));
            (zone.to_string(), "DNSKEY".to_owned(), format!("{from} -> DNSKEY {}; {sigs}", list(dnskeys, key_text)))
        }
        Link::Ds { parent, child, ds, rrsigs, .. } => {
            let sigs = list(rrsigs, |s| sig_text(s, now));
            (child.to_string(), "DS".to_owned(), format!("{} signed by {parent}: {sigs}", list(ds, ds_text)))
        }
        Link::NoDs { parent, child, opt_out, .. } => {
            let how = if *opt_out { "an NSEC3 opt-out span" } else { "a signed denial" };
            (child.to_string(), "no DS".to_owned(), format!("{parent} proves there is no DS with {how}"))
        }
        Link::Referral { parent, child, dropped, .. } => {
            let left_out = list(dropped, |(owner, t, why)| format!("{owner} {t} ({why})"));
            (child.to_string(), "referral".to_owned(), format!("from {parent}; left out: {left_out}"))
        }
        Link::Answer { zone, rcode, rrsets, dropped, .. } => {
            let mut sets = list(rrsets, |(owner, t, sigs)| {
                let s = if sigs.is_empty() {
                    "unsigned".to_owned()
                } else {
                    sigs.iter().map(|s| sig_text(s, now)).collect::<Vec<_>>().join(", ")
                };
                format!("{owner} {t} [{s}]")
            });
            if !dropped.is_empty() {
                let left_out = list(dropped, |(owner, t, why)| format!("{owner} {t} ({why})"));
                sets.push_str(&format!("; left out: {left_out}"));
            }
            (zone.to_string(), format!("answer {rcode}"), sets)
        }
    }
}
