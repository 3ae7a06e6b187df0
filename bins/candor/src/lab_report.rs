//! The report of `candor lab check`: a table for people, JSON, JUnit XML
//! or TAP for CI systems.

use std::fmt::Write as _;
use std::net::SocketAddr;

use crate::lab_check::{Compare, Outcome, Status};

/// The report's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table, one case a line, and a summary.
    Table,
    /// One JSON object: the server, the comparison, every case, the counts.
    Json,
    /// JUnit XML: a test case per lab case (allowed differences pass and
    /// say why in their output; skipped cases are skipped).
    Junit,
    /// TAP 13: allowed differences are `not ok ... # TODO`.
    Tap,
}

fn result_word(s: &Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::Wrong(_) => "wrong",
        Status::Allowed(..) => "allowed",
        Status::Skipped(_) => "skipped",
    }
}

fn got(o: &Outcome) -> String {
    match (&o.seen, &o.status) {
        (Some(s), _) => s.short(),
        (None, Status::Skipped(_)) => "-".to_owned(),
        (None, _) => "no answer".to_owned(),
    }
}

fn counts(outcomes: &[Outcome]) -> [usize; 4] {
    let mut c = [0; 4];
    for o in outcomes {
        c[match o.status {
            Status::Ok => 0,
            Status::Wrong(_) => 1,
            Status::Allowed(..) => 2,
            Status::Skipped(_) => 3,
        }] += 1;
    }
    c
}

fn compare_word(c: Compare) -> &'static str {
    match c {
        Compare::Verdict => "verdict",
        Compare::Ede => "ede",
        Compare::Evidence => "evidence",
    }
}

/// The whole report as text.
pub(crate) fn report(format: Format, server: SocketAddr, compare: Compare, outcomes: &[Outcome]) -> String {
    match format {
        Format::Table => table(server, compare, outcomes),
        Format::Json => json(server, compare, outcomes),
        Format::Junit => junit(server, outcomes),
        Format::Tap => tap(outcomes),
    }
}

fn table(server: SocketAddr, compare: Compare, outcomes: &[Outcome]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{:<28} {:<14} {:<18} {:<8} extra-text", "case", "expected", "got", "result");
    for o in outcomes {
        let text = o.seen.as_ref().map(|x| x.texts()).unwrap_or_default();
        let result = result_word(&o.status).to_uppercase();
        let _ = writeln!(s, "{:<28} {:<14} {:<18} {:<8} {text}", o.case.name, o.expected, got(o), result);
        match &o.status {
            Status::Wrong(why) => {
                let _ = writeln!(s, "{:<28} wrong: {why}", "");
            }
            Status::Allowed(why, reason) => {
                let _ = writeln!(s, "{:<28} {why}; allowed: {reason}", "");
            }
            Status::Skipped(why) => {
                let _ = writeln!(s, "{:<28} skipped: {why}", "");
            }
            Status::Ok => {}
        }
    }
    let [ok, wrong, allowed, skipped] = counts(outcomes);
    let _ = writeln!(
        s,
        "lab check of {server} ({} comparison): {ok} ok, {wrong} wrong, {allowed} allowed, {skipped} skipped",
        compare_word(compare)
    );
    s
}

fn json(server: SocketAddr, compare: Compare, outcomes: &[Outcome]) -> String {
    let cases: Vec<serde_json::Value> = outcomes
        .iter()
        .map(|o| {
            let seen = o.seen.as_ref().map(|x| {
                serde_json::json!({
                    "rcode": x.rcode.to_string(),
                    "ad": x.ad,
                    "ede": x.edes.iter().map(|(c, t)| serde_json::json!({"code": c, "text": t})).collect::<Vec<_>>(),
                })
            });
            let (why, reason) = match &o.status {
                Status::Ok => (None, None),
                Status::Wrong(w) | Status::Skipped(w) => (Some(w.clone()), None),
                Status::Allowed(w, r) => (Some(w.clone()), Some(r.clone())),
            };
            serde_json::json!({
                "case": o.case.name,
                "qname": o.case.qname.to_string(),
                "qtype": o.case.qtype.to_string(),
                "expected": o.expected,
                "got": seen,
                "result": result_word(&o.status),
                "why": why,
                "allowed_because": reason,
            })
        })
        .collect();
    let [ok, wrong, allowed, skipped] = counts(outcomes);
    let doc = serde_json::json!({
        "server": server.to_string(),
        "compare": compare_word(compare),
        "cases": cases,
        "summary": {"ok": ok, "wrong": wrong, "allowed": allowed, "skipped": skipped},
    });
    format!("{doc:#}\n")
}

fn xml(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&apos;"),
            c if u32::from(c) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => s.push(' '),
            c => s.push(c),
        }
    }
    s
}

fn junit(server: SocketAddr, outcomes: &[Outcome]) -> String {
    let [_, wrong, _, skipped] = counts(outcomes);
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let suite = xml(&format!("candor lab check {server}"));
    let _ = writeln!(s, "<testsuites>");
    let _ = writeln!(
        s,
        "  <testsuite name=\"{suite}\" tests=\"{}\" failures=\"{wrong}\" errors=\"0\" skipped=\"{skipped}\">",
        outcomes.len()
    );
    for o in outcomes {
        let _ = write!(s, "    <testcase classname=\"lab\" name=\"{}\"", xml(&o.case.name));
        let detail = format!("expected {}, got {}", o.expected, got(o));
        let text = o.seen.as_ref().map(|x| x.texts()).unwrap_or_default();
        match &o.status {
            Status::Ok => {
                let _ = writeln!(s, "><system-out>{}</system-out></testcase>", xml(&format!("{detail} {text}")));
            }
            Status::Wrong(why) => {
                let _ = writeln!(
                    s,
                    "><failure message=\"{}\">{}</failure></testcase>",
                    xml(&format!("{why}: {detail}")),
                    xml(&text)
                );
            }
            Status::Allowed(why, reason) => {
                let out = format!("{why}: {detail}; allowed: {reason}");
                let _ = writeln!(s, "><system-out>{}</system-out></testcase>", xml(&out));
            }
            Status::Skipped(why) => {
                let _ = writeln!(s, "><skipped message=\"{}\"/></testcase>", xml(why));
            }
        }
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    s
}

/// TAP directives and descriptions end at a newline or a `#`.
fn tap_text(t: &str) -> String {
    t.replace(['\n', '#'], " ")
}

fn tap(outcomes: &[Outcome]) -> String {
    let mut s = format!("TAP version 13\n1..{}\n", outcomes.len());
    for (i, o) in outcomes.iter().enumerate() {
        let n = i + 1;
        let name = tap_text(&o.case.name);
        let detail = tap_text(&format!("expected {}, got {}", o.expected, got(o)));
        let _ = match &o.status {
            Status::Ok => writeln!(s, "ok {n} - {name}"),
            Status::Wrong(why) => writeln!(s, "not ok {n} - {name}: {}; {detail}", tap_text(why)),
            Status::Allowed(why, reason) => {
                writeln!(s, "not ok {n} - {name}: {}; {detail} # TODO allowed: {}", tap_text(why), tap_text(reason))
            }
            Status::Skipped(why) => writeln!(s, "ok {n} - {name} # SKIP {}", tap_text(why)),
        };
    }
    s
}
