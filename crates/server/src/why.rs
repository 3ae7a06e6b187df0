//! `candor control why NAME [TYPE] [--json] [--trace]`: the last failure
//! of a question as the resolver kept it, untruncated: when, the verdict,
//! its kind id, every EDE it gives, each piece of evidence on its own
//! line, and the advice. With `--trace`, also the chain of trust walked
//! afresh now, link by link, as `candor trace` prints it (the serving path
//! records no links; a fresh walk bypasses the answer cache).

use candor_resolver::{Clock, Resolver, Transport};
use candor_wire::{Name, RType};

/// The lines `why` answers with (without the final `ok`), or the error.
pub(crate) async fn why<T: Transport, C: Clock>(
    resolver: &Resolver<T, C>,
    args: &[&str],
) -> Result<Vec<String>, String> {
    let json = args.contains(&"--json");
    let walk = args.contains(&"--trace");
    let words: Vec<&str> = args.iter().copied().filter(|w| !w.starts_with("--")).collect();
    let (name, rtype) = match words.as_slice() {
        [n] => (*n, "A"),
        [n, t] => (*n, *t),
        _ => return Err("error: why NAME [TYPE] [--json] [--trace]".to_owned()),
    };
    let qname: Name = name.parse().map_err(|e| format!("error: {name}: {e}"))?;
    let qtype = RType::from_text(rtype).ok_or_else(|| format!("error: {rtype}: not a record type"))?;
    let links = if walk { Some(links(resolver, &qname, qtype).await?) } else { None };
    let Some(kept) = resolver.why(&qname, qtype) else {
        return match links {
            Some(l) if !json => {
                Ok(std::iter::once(format!("{qname} {qtype}: no failure kept; walked now:")).chain(l.text).collect())
            }
            Some(l) => Ok(vec![format!(
                "{{\"name\":{},\"type\":{},\"links\":[{}]}}",
                json_string(&qname.to_string()),
                json_string(&qtype.to_string()),
                l.json.join(",")
            )]),
            None => {
                Err(format!("error: no failure of {qname} {qtype} is kept (none since start, or it was pushed out)"))
            }
        };
    };
    let f = &kept.failure;
    let age = resolver.unix_now().saturating_sub(kept.at);
    let verdict = if kept.bogus { "bogus" } else { "servfail" };
    let edes = f.edes(kept.bogus);
    if json {
        let edes: Vec<String> =
            edes.iter().map(|(c, t)| format!("{{\"code\":{c},\"text\":{}}}", json_string(t))).collect();
        let evidence: Vec<String> = f.evidence_lines().iter().map(|e| json_string(e)).collect();
        let links = links.map(|l| format!(",\"links\":[{}]", l.json.join(","))).unwrap_or_default();
        return Ok(vec![format!(
            "{{\"name\":{},\"type\":{},\"at\":{},\"age\":{age},\"verdict\":\"{verdict}\",\"kind\":{},\"zone\":{},\"edes\":[{}],\"evidence\":[{}],\"fix\":{}{links}}}",
            json_string(&qname.to_string()),
            json_string(&qtype.to_string()),
            kept.at,
            json_string(f.kind.id()),
            json_string(&f.zone.to_string()),
            edes.join(","),
            evidence.join(","),
            json_string(&f.advice()),
        )]);
    }
    let mut out = vec![format!("{qname} {qtype}: {verdict} ({}) in zone {}, {age} s ago", f.kind.id(), f.zone)];
    out.extend(edes.iter().map(|(c, t)| format!("ede {c}: {t}")));
    out.extend(f.evidence_lines().into_iter().map(|e| format!("evidence: {e}")));
    out.push(format!("fix: {}", f.advice()));
    if let Some(l) = links {
        out.push("walked now:".to_owned());
        out.extend(l.text);
    }
    Ok(out)
}

/// The chain of trust walked now, as text lines and JSON objects.
struct Links {
    text: Vec<String>,
    json: Vec<String>,
}

async fn links<T: Transport, C: Clock>(resolver: &Resolver<T, C>, qname: &Name, qtype: RType) -> Result<Links, String> {
    let walk = tokio::time::timeout(std::time::Duration::from_secs(30), resolver.trace(qname, qtype));
    let (_, links) = walk.await.map_err(|_| "error: the walk took longer than 30 s".to_owned())?;
    let now = resolver.unix_now();
    let mut out = Links { text: Vec::new(), json: Vec::new() };
    for l in &links {
        let (zone, what, detail) = l.line(now);
        let state = l.state_word();
        out.text.push(format!("link: {state:<8} {zone} {what}: {detail}"));
        out.json.push(format!(
            "{{\"state\":\"{state}\",\"zone\":{},\"what\":{},\"detail\":{}}}",
            json_string(&zone),
            json_string(&what),
            json_string(&detail)
        ));
        if state == "broken" {
            break; // up to and including the first broken link
        }
    }
    Ok(out)
}

/// A JSON string literal (quotes, backslashes and control characters
/// escaped).
pub fn json_string(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}
