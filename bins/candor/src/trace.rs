//! `candor trace NAME [TYPE]`: resolve from the root (or through one
//! resolver, `--server`) and print the chain of trust from the anchor
//! down, one line per link, like `drill -S`; at the first broken link,
//! stop and say what broke, the evidence and the fix. `--json` prints the
//! same as structured data. `--clock` compares the local clock with the
//! root's signature windows.
//!
//! Exit status: 0 secure, 1 insecure, 2 bogus, 3 no answer, 64 usage.

use std::fmt::Write as _;
use std::time::Duration;

use candor_resolver::{Clock, Config, Failure, Forward, Link, NetTransport, Resolution, Resolver, Security};
use candor_wire::{Name, RData, RType, Rrsig};

use crate::TraceArgs;
use crate::upstream::AnyClock;

/// Exit statuses, by verdict.
const EXIT_SECURE: u8 = 0;
const EXIT_INSECURE: u8 = 1;
const EXIT_BOGUS: u8 = 2;
const EXIT_NO_ANSWER: u8 = 3;

pub(crate) use candor_resolver::time_text::iso;
use candor_resolver::time_text::{span, until};

/// The verdict: word, failure kind (as `cases.tsv` names it), exit status,
/// and the failure, if any.
struct Verdict {
    word: &'static str,
    kind: String,
    exit: u8,
    failure: Option<Failure>,
}

/// Why an insecure answer is insecure, in the lab's words.
async fn insecure_kind<T: candor_resolver::Transport, C: Clock>(resolver: &Resolver<T, C>, links: &[Link]) -> String {
    let Some((child, opt_out)) = links.iter().find_map(|l| match l {
        Link::NoDs { child, opt_out, state: Security::Insecure(None), .. } => Some((child.clone(), *opt_out)),
        _ => None,
    }) else {
        return "insecure".to_owned();
    };
    if opt_out {
        return "insecure-opt-out".to_owned();
    }
    // Signed or not, below the missing DS?
    let keys = resolver.resolve(&child, RType::DNSKEY).await;
    let signed = keys.answers.iter().any(|r| matches!(r.data, RData::Dnskey(_)) && r.owner == child);
    if signed { "insecure-no-ds" } else { "insecure-unsigned" }.to_owned()
}

async fn verdict<T: candor_resolver::Transport, C: Clock>(
    resolver: &Resolver<T, C>,
    r: &Resolution,
    links: &[Link],
) -> Verdict {
    match &r.security {
        Security::Secure => Verdict { word: "secure", kind: "valid".to_owned(), exit: EXIT_SECURE, failure: None },
        Security::Insecure(Some(f)) => Verdict {
            word: "insecure",
            kind: f.kind.id().to_owned(),
            exit: EXIT_INSECURE,
            failure: Some((**f).clone()),
        },
        Security::Insecure(None) => {
            Verdict { word: "insecure", kind: insecure_kind(resolver, links).await, exit: EXIT_INSECURE, failure: None }
        }
        Security::Bogus(f) => {
            Verdict { word: "bogus", kind: f.kind.id().to_owned(), exit: EXIT_BOGUS, failure: Some((**f).clone()) }
        }
        Security::Servfail(f) => Verdict {
            word: "no answer",
            kind: f.kind.id().to_owned(),
            exit: EXIT_NO_ANSWER,
            failure: Some((**f).clone()),
        },
    }
}

/// The RRSIGs over the root DNSKEY RRset among `links`.
fn root_signatures(links: &[Link]) -> Vec<&Rrsig> {
    links
        .iter()
        .filter_map(|l| match l {
            Link::Keys { zone, rrsigs, .. } if zone.is_root() => Some(rrsigs.iter()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// Did the walk see any signature over the root DNSKEY RRset?
pub(crate) fn root_signatures_seen(links: &[Link]) -> bool {
    !root_signatures(links).is_empty()
}

/// The clock check: where the local time falls in the root DNSKEY
/// RRset's signature windows.
pub(crate) fn clock_report(links: &[Link], now: u64) -> (bool, String) {
    let sigs = root_signatures(links);
    let Some(s) = sigs.iter().max_by_key(|s| until(s.expiration, now)) else {
        return (false, "no root DNSKEY signatures seen; cannot check the clock".to_owned());
    };
    let (inc, exp) = (until(s.inception, now), until(s.expiration, now));
    if exp < 0 {
        (
            false,
            format!(
                "probable skew: the local clock ({}) is {} past the root's newest signature expiry ({}); fix this host's time (NTP)",
                iso(now as u32),
                span(exp),
                iso(s.expiration)
            ),
        )
    } else if inc > 0 {
        (
            false,
            format!(
                "probable skew: the local clock ({}) is {} before the root's signature inception ({}); fix this host's time (NTP)",
                iso(now as u32),
                span(inc),
                iso(s.inception)
            ),
        )
    } else {
        (
            true,
            format!(
                "ok: the local clock ({}) lies inside the root DNSKEY signature window {}..{}",
                iso(now as u32),
                iso(s.inception),
                iso(s.expiration)
            ),
        )
    }
}

/// A JSON string literal.
pub(crate) use candor_server::json_string as js;

fn build_config(args: &TraceArgs) -> Result<Config, String> {
    let up = &args.upstream;
    let mut cfg = crate::upstream::base_config(up.root_hints.as_deref(), up.trust_anchor.as_deref())?;
    crate::upstream::apply_upstream_flags(up, &mut cfg)?;
    if let Some(server) = args.server {
        cfg.forwards = vec![Forward { zone: Name::root(), servers: vec![server] }];
    }
    // A diagnosis should see the zone as it is: nothing answered locally.
    cfg.local_zones = false;
    Ok(cfg)
}

pub(crate) fn run(args: &TraceArgs) -> u8 {
    let name: Name = match args.name.parse() {
        Ok(n) => n,
        Err(e) => {
            eprintln!("candor trace: {}: {e}", args.name);
            return crate::EXIT_USAGE;
        }
    };
    let rtype = match args.rtype.as_deref().map(RType::from_text) {
        None => RType::A,
        Some(Some(t)) => t,
        Some(None) => {
            eprintln!("candor trace: {}: not a record type", args.rtype.as_deref().unwrap_or(""));
            return crate::EXIT_USAGE;
        }
    };
    let clock = match AnyClock::from_flag(args.upstream.now.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("candor trace: {e}");
            return crate::EXIT_USAGE;
        }
    };
    let cfg = match build_config(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("candor trace: {e}");
            return crate::EXIT_USAGE;
        }
    };
    crate::init_logging("error", false);
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("candor trace: cannot start the runtime: {e}");
            return 1;
        }
    };
    rt.block_on(async {
        let now = clock.unix();
        let resolver = {
            let transport = NetTransport::with_case_randomisation(cfg.case_randomisation);
            Resolver::new(cfg, transport, clock)
        };
        let (r, links) = match tokio::time::timeout(Duration::from_secs(30), resolver.trace(&name, rtype)).await {
            Ok(x) => x,
            Err(_) => {
                eprintln!("candor trace: no result within 30 s");
                return EXIT_NO_ANSWER;
            }
        };
        let v = verdict(&resolver, &r, &links).await;
        // Up to and including the first broken link.
        let shown = links
            .iter()
            .position(|l| matches!(l.state(), Security::Bogus(_) | Security::Servfail(_)))
            .map_or(links.len(), |i| i + 1);
        let shown = links.get(..shown).unwrap_or(&links);
        let clock = args.clock.then(|| clock_report(&links, now));
        let report = Report { name: &name, rtype, r: &r, links: shown, v: &v, clock: clock.as_ref(), now };
        let out = if args.json { json(&report) } else { text(&report) };
        // A closed pipe is not an error worth a panic.
        let _ = std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes());
        v.exit
    })
}

/// Everything one trace prints.
struct Report<'a> {
    name: &'a Name,
    rtype: RType,
    r: &'a Resolution,
    links: &'a [Link],
    v: &'a Verdict,
    clock: Option<&'a (bool, String)>,
    now: u64,
}

/// The report as text, one line per link.
fn text(rep: &Report<'_>) -> String {
    let Report { name, rtype, r, links, v, clock, now } = *rep;
    let mut o = String::new();
    let _ = writeln!(o, ";; chain of trust for {name} {rtype} at {}", iso(now as u32));
    for l in links {
        let (zone, what, detail) = l.line(now);
        let _ = writeln!(o, "{:<8} {zone} {what}: {detail}", l.state_word());
    }
    for rr in &r.answers {
        if rr.rtype() != RType::RRSIG {
            let _ = writeln!(o, ";; {rr}");
        }
    }
    let _ = writeln!(o, ";; verdict: {} ({}), rcode {}", v.word, v.kind, r.rcode);
    if let Some(f) = &v.failure {
        let code = f.kind.ede_code();
        match f.upstream_failure() {
            // The resolver asked failed on its own: its words, not a
            // failure made up for the zone forwarded (the root).
            Some(server) => {
                let _ = writeln!(o, ";; diagnosis: {} at the resolver {server} (EDE {code})", f.kind.id());
            }
            None => {
                let _ = writeln!(o, ";; diagnosis: {} in zone {} (EDE {code})", f.kind.id(), f.zone);
            }
        }
        for (code, text) in f.edes(matches!(r.security, Security::Bogus(_))) {
            let _ = writeln!(o, ";; ede: {code}: {text}");
        }
        let _ = writeln!(o, ";; evidence: {}", f.account());
        let _ = writeln!(o, ";; fix: {}", f.advice());
    }
    if let Some((_, c)) = clock {
        let _ = writeln!(o, ";; clock: {c}");
    }
    o
}

/// The report as one JSON object.
fn json(rep: &Report<'_>) -> String {
    let Report { name, rtype, r, links, v, clock, now } = *rep;
    let mut o = String::new();
    let _ = write!(
        o,
        "{{\"name\":{},\"type\":{},\"time\":{}",
        js(&name.to_string()),
        js(&rtype.to_string()),
        js(&iso(now as u32))
    );
    let _ = write!(o, ",\"verdict\":{},\"kind\":{},\"rcode\":{}", js(v.word), js(&v.kind), js(&r.rcode.to_string()));
    o.push_str(",\"links\":[");
    for (i, l) in links.iter().enumerate() {
        let (zone, what, detail) = l.line(now);
        if i > 0 {
            o.push(',');
        }
        let _ = write!(
            o,
            "{{\"state\":{},\"zone\":{},\"link\":{},\"detail\":{}",
            js(l.state_word()),
            js(&zone),
            js(&what),
            js(&detail)
        );
        if let Security::Bogus(f) | Security::Servfail(f) | Security::Insecure(Some(f)) = l.state() {
            let _ = write!(o, ",\"kind\":{}", js(f.kind.id()));
        }
        if let Link::Answer { dropped, .. } | Link::Referral { dropped, .. } = l
            && !dropped.is_empty()
        {
            let items: Vec<String> = dropped
                .iter()
                .map(|(owner, t, why)| {
                    format!(
                        "{{\"owner\":{},\"type\":{},\"reason\":{}}}",
                        js(&owner.to_string()),
                        js(&t.to_string()),
                        js(&why.to_string())
                    )
                })
                .collect();
            let _ = write!(o, ",\"dropped\":[{}]", items.join(","));
        }
        o.push('}');
    }
    o.push(']');
    let answers: Vec<String> =
        r.answers.iter().filter(|rr| rr.rtype() != RType::RRSIG).map(|rr| js(&rr.to_string())).collect();
    let _ = write!(o, ",\"answers\":[{}]", answers.join(","));
    if let Some(f) = &v.failure {
        let code = f.kind.ede_code();
        let _ = write!(
            o,
            ",\"diagnosis\":{{\"kind\":{},\"zone\":{},\"ede\":{code},\"evidence\":{},\"fix\":{}}}",
            js(f.kind.id()),
            js(&f.zone.to_string()),
            js(&f.account()),
            js(&f.advice())
        );
    }
    if let Some((ok, c)) = clock {
        let _ = write!(o, ",\"clock\":{{\"ok\":{ok},\"text\":{}}}", js(c));
    }
    o.push_str("}\n");
    o
}
