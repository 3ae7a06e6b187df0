//! The comparison of a reply with the scenario's expected one, at the
//! chosen tier (../shared/rpl/FORMAT.md §6.4).

use candor_wire::{EdnsOption, Flags, Message, Record};

use crate::net::header_of;
use crate::parse::{Dialect, Entry};

/// How strictly replies are compared (FORMAT.md §6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// The recommended comparison: opcode, rcode and flags exactly, the
    /// question, every section as a multiset (TTLs with `ttl`), EDNS
    /// presence and DO in the Unbound dialect, EDE where asked.
    Recommended,
    /// Only rcode, the AD/CD/RA flags, the answer section and EDE: the
    /// authority and additional sections encode the other resolver's
    /// response-shaping policy (minimal responses, glue).
    Lenient,
}

fn rr_key(r: &Record) -> Record {
    Record { ttl: 0, class: r.class, owner: r.owner.to_lowercase(), data: r.data.clone() }
}

/// Compare two record lists as multisets (TTL too when `ttl`).
fn same_records(what: &str, want: &[Record], got: &[Record], ttl: bool) -> Result<(), String> {
    let mut left: Vec<&Record> = got.iter().collect();
    for w in want {
        let k = rr_key(w);
        match left.iter().position(|g| rr_key(g) == k && (!ttl || g.ttl == w.ttl)) {
            Some(i) => {
                left.swap_remove(i);
            }
            None => return Err(format!("{what}: expected {w}, not in the reply")),
        }
    }
    if let Some(extra) = left.first() {
        return Err(format!("{what}: unexpected {extra}"));
    }
    Ok(())
}

/// FORMAT.md §6.4's recommended comparison of an expected entry with a reply.
pub(crate) fn compare(e: &Entry, got: &Message, dialect: Dialect, tier: Tier) -> Result<(), String> {
    let lenient = tier == Tier::Lenient;
    let (opcode, rcode, flags, dnssec_ok) = header_of(e);
    let all = e.has_match("all");
    let want = |o: &str| all || e.has_match(o);
    let ttl = e.has_match("ttl");
    // ede=N is checked on its own, and the option left out of the rest.
    for m in &e.matches {
        if let Some(code) = m.strip_prefix("ede=") {
            let codes: Vec<u16> = got
                .edns
                .iter()
                .flat_map(|x| x.options.iter())
                .filter_map(|o| match o {
                    EdnsOption::Ede(x) => Some(x.code),
                    _ => None,
                })
                .collect();
            let ok =
                if code == "any" { !codes.is_empty() } else { code.parse().is_ok_and(|c: u16| codes.contains(&c)) };
            if !ok {
                return Err(format!("expected EDE {code}, got {codes:?} (rcode {})", got.header.rcode));
            }
        }
    }
    if !lenient && want("opcode") && got.header.opcode != opcode {
        return Err(format!("opcode {:?}, expected {opcode:?}", got.header.opcode));
    }
    if (want("rcode") || all) && got.header.rcode != rcode {
        let ede = got.edns.as_ref().and_then(|x| x.ede()).map(|x| format!(" (EDE {}: {})", x.code, x.text));
        return Err(format!("rcode {}, expected {rcode}{}", got.header.rcode, ede.unwrap_or_default()));
    }
    if all || e.has_match("flags") {
        let f = got.header.flags;
        let bits = |f: Flags| {
            if lenient {
                [false, false, false, false, f.ra, f.ad, f.cd]
            } else {
                [f.qr, f.aa, f.tc, f.rd, f.ra, f.ad, f.cd]
            }
        };
        if bits(f) != bits(flags) {
            let ede = got.edns.as_ref().and_then(|x| x.ede()).map(|x| format!(" (EDE {}: {})", x.code, x.text));
            return Err(format!("flags {}, expected {}{}", flag_text(f), flag_text(flags), ede.unwrap_or_default()));
        }
    }
    if !lenient && (want("question") || want("qname") || want("qtype")) {
        let a = got.question().map(|q| (&q.name, q.qtype));
        let b = e.question.first().map(|(n, t)| (n, *t));
        if a != b {
            return Err(format!("question {a:?}, expected {b:?}"));
        }
    }
    if want("answer") {
        same_records("answer", e.sections.first().map_or(&[], |s| s), &got.answers, ttl)?;
    }
    if !lenient && want("authority") {
        same_records("authority", e.sections.get(1).map_or(&[], |s| s), &got.authority, ttl)?;
    }
    if !lenient && want("additional") {
        same_records("additional", e.sections.get(2).map_or(&[], |s| s), &got.additional, ttl)?;
    }
    if !lenient && all && dialect == Dialect::Unbound {
        let got_do = got.edns.as_ref().map(|x| x.dnssec_ok);
        let want_do = dnssec_ok.then_some(true);
        if got_do.is_some() != want_do.is_some() || (want_do == Some(true) && got_do != Some(true)) {
            return Err(format!("EDNS {got_do:?}, expected {want_do:?}"));
        }
    }
    Ok(())
}

pub(crate) fn flag_text(f: Flags) -> String {
    let names = [(f.qr, "QR"), (f.aa, "AA"), (f.tc, "TC"), (f.rd, "RD"), (f.ra, "RA"), (f.ad, "AD"), (f.cd, "CD")];
    names.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect::<Vec<_>>().join(" ")
}
