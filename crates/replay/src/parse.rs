//! The `.rpl` scenario format in both dialects (../shared/rpl/FORMAT.md):
//! the config header, RANGE blocks of canned answers, and STEPs.

use std::net::IpAddr;

use candor_wire::text::parse_zone;
use candor_wire::{Name, RData, RType, Record};

/// Which project wrote the scenario (the directory says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Unbound's testbound.
    Unbound,
    /// CZ.NIC's Deckard.
    Deckard,
}

/// A parse failure, with its line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {what}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub what: String,
}

/// One message description: a canned answer, a client query, or an
/// expected reply.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    /// MATCH options (lower-case as written; `DO`, `TCP`, `ede=N` kept).
    pub matches: Vec<String>,
    /// ADJUST options.
    pub adjust: Vec<String>,
    /// REPLY tokens: opcode, rcode, flags.
    pub reply: Vec<String>,
    /// The question section: (name, type).
    pub question: Vec<(Name, RType)>,
    /// Answer, authority and additional records.
    pub sections: [Vec<Record>; 3],
    /// A raw packet (U `HEX_ANSWER`, D `RAW`) instead of the built one.
    pub raw: Option<Vec<u8>>,
    /// Where the entry starts.
    pub line: usize,
}

impl Entry {
    /// Does the entry list this MATCH option?
    pub fn has_match(&self, opt: &str) -> bool {
        self.matches.iter().any(|m| m == opt)
    }

    /// Does REPLY list this token?
    pub fn has_reply(&self, tok: &str) -> bool {
        self.reply.iter().any(|r| r.eq_ignore_ascii_case(tok))
    }
}

/// A window of steps during which some servers give canned answers.
#[derive(Debug, Clone, Default)]
pub struct Range {
    /// First step (inclusive).
    pub from: u32,
    /// Last step (inclusive).
    pub to: u32,
    /// Destination addresses served (empty: any).
    pub addrs: Vec<IpAddr>,
    /// The canned answers, tried in order.
    pub entries: Vec<Entry>,
}

/// One step of the scenario.
#[derive(Debug, Clone)]
pub struct Step {
    /// The step number.
    pub n: u32,
    /// The kind, e.g. `QUERY`, `CHECK_ANSWER`, `TIME_PASSES`.
    pub kind: String,
    /// The rest of the STEP line after the kind.
    pub args: String,
    /// The entry that follows the STEP line, if any.
    pub entry: Option<Entry>,
    /// Where the step is.
    pub line: usize,
}

/// A parsed scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The dialect.
    pub dialect: Dialect,
    /// Config entries: (section, key, value), values unquoted.
    pub config: Vec<(String, String, String)>,
    /// Header directives the runner cannot honour (`AUTOTRUST_FILE`, ...).
    pub directives: Vec<String>,
    /// The SCENARIO_BEGIN title.
    pub title: String,
    /// The canned servers.
    pub ranges: Vec<Range>,
    /// The steps.
    pub steps: Vec<Step>,
}

impl Scenario {
    /// Values of a config key (any section, or `section.key`).
    pub fn values<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.config.iter().filter(move |(s, k, _)| k == key || format!("{s}.{k}") == key).map(|(_, _, v)| v.as_str())
    }
}

/// Remove a `;` (and, in config headers, `#`) comment outside quotes.
fn strip_comment(line: &str, hash_too: bool) -> &str {
    let mut quote = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ';') => return line.get(..i).unwrap_or(line),
            (None, '#') if hash_too => return line.get(..i).unwrap_or(line),
            _ => {}
        }
    }
    line
}

/// Split on blanks, keeping quoted strings whole (quotes removed).
fn tokens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (_, c) => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

fn unbound_config(lines: &[(usize, &str)]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut section = "server".to_owned();
    for (_, raw) in lines {
        let line = strip_comment(raw, true);
        let toks = tokens(line);
        let mut i = 0;
        while let Some(t) = toks.get(i) {
            i += 1;
            let Some(key) = t.strip_suffix(':') else { continue };
            if matches!(key, "server" | "stub-zone" | "forward-zone" | "remote-control" | "auth-zone") {
                section = key.to_owned();
                continue;
            }
            let mut value = Vec::new();
            while let Some(v) = toks.get(i) {
                if v.ends_with(':') && !v.contains('"') && v.len() > 1 && !v.contains("::") {
                    break;
                }
                value.push(v.clone());
                i += 1;
            }
            out.push((section.clone(), key.to_owned(), value.join(" ")));
        }
    }
    out
}

fn deckard_config(lines: &[(usize, &str)]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (_, raw) in lines {
        let line = strip_comment(raw, true).trim();
        let Some((k, v)) = line.split_once(':') else { continue };
        let v = tokens(v).join(" ");
        out.push(("server".to_owned(), k.trim().to_owned(), v));
    }
    out
}

fn parse_question(line: &str, n: usize) -> Result<(Name, RType), ParseError> {
    let err = |what: String| ParseError { line: n, what };
    let toks: Vec<&str> = line.split_whitespace().collect();
    let name: Name =
        toks.first().ok_or_else(|| err("empty question".into()))?.parse().map_err(|e| err(format!("{e}")))?;
    let t = toks.last().ok_or_else(|| err("no type".into()))?;
    let rtype = RType::from_text(t).ok_or_else(|| err(format!("unknown type {t}")))?;
    Ok((name, rtype))
}

fn parse_record(line: &str, n: usize) -> Result<Record, ParseError> {
    // Names without a trailing dot are relative to the root; TTL 3600 by default.
    let parse = |line: &str| -> Result<Record, ParseError> {
        let text = format!("$TTL 3600\n{line}\n");
        let mut recs =
            parse_zone(&text, Some(&Name::root())).map_err(|e| ParseError { line: n, what: format!("{e}") })?;
        match (recs.pop(), recs.is_empty()) {
            (Some(r), true) => Ok(r),
            _ => Err(ParseError { line: n, what: "expected one record".into() }),
        }
    };
    match parse(line) {
        Ok(r) => Ok(r),
        // `\#` rdata that does not fit its type (scenarios about scrubbing
        // malformed records): kept as the octets given, to go on the wire
        // as they are, under its own type.
        Err(e) if line.contains("\\#") => {
            let toks: Vec<&str> = line.split_whitespace().collect();
            let Some(at) = toks.iter().position(|t| *t == "\\#") else { return Err(e) };
            let Some(rtype) = at.checked_sub(1).and_then(|i| toks.get(i)).and_then(|t| RType::from_text(t)) else {
                return Err(e);
            };
            let mut as_unknown: Vec<&str> = toks.clone();
            as_unknown[at - 1] = "TYPE65534";
            let mut r = parse(&as_unknown.join(" "))?;
            let RData::Unknown { data, .. } = r.data else { return Err(e) };
            r.data = RData::Unknown { rtype, data };
            Ok(r)
        }
        // Base64 with padding past a whole group ("UNUSABLE==" in
        // deckard/val_unknown_algorithm_insecure): Deckard loads its files
        // with dnspython, whose decoder ignores such padding; read it that
        // way (candor's own zone parser stays strict).
        Err(e) if line.split_whitespace().any(|t| surplus_padding(t).is_some()) => {
            let fixed: Vec<&str> = line.split_whitespace().map(|t| surplus_padding(t).unwrap_or(t)).collect();
            parse(&fixed.join(" ")).map_err(|_| e)
        }
        Err(e) => Err(e),
    }
}

/// `t` without its trailing `=` when it is base64 whose padding follows a
/// whole four-character group (and so pads nothing).
fn surplus_padding(t: &str) -> Option<&str> {
    let body = t.trim_end_matches('=');
    let base64 = |c: char| c.is_ascii_alphanumeric() || c == '+' || c == '/';
    (body.len() < t.len() && !body.is_empty() && body.len().is_multiple_of(4) && body.chars().all(base64))
        .then_some(body)
}

fn hex_bytes(text: &str, n: usize) -> Result<Vec<u8>, ParseError> {
    let digits: String = text.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    candor_wire::text::hex_decode(&digits).ok_or_else(|| ParseError { line: n, what: "bad hex".into() })
}

/// Parse an entry starting after `ENTRY_BEGIN` at `lines[*i]`.
fn parse_entry(lines: &[(usize, &str)], i: &mut usize, start: usize) -> Result<Entry, ParseError> {
    let mut e = Entry { line: start, ..Entry::default() };
    let mut section = 0usize; // 0 question, 1 answer, 2 authority, 3 additional
    while let Some(&(n, raw)) = lines.get(*i) {
        *i += 1;
        let line = strip_comment(raw, false).trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        match first {
            "ENTRY_END" => return Ok(e),
            "MATCH" => e.matches.extend(words.map(str::to_owned)),
            "ADJUST" => e.adjust.extend(words.map(str::to_owned)),
            // FLAGS is Deckard's alias of REPLY.
            "REPLY" | "FLAGS" => e.reply.extend(words.map(str::to_owned)),
            "SECTION" => {
                section = match words.next().unwrap_or("") {
                    "QUESTION" => 0,
                    "ANSWER" => 1,
                    "AUTHORITY" => 2,
                    "ADDITIONAL" => 3,
                    other => return Err(ParseError { line: n, what: format!("unknown section {other}") }),
                }
            }
            "HEX_ANSWER_BEGIN" | "HEX_EDNSDATA_BEGIN" => {
                let end = if first == "HEX_ANSWER_BEGIN" { "HEX_ANSWER_END" } else { "HEX_EDNSDATA_END" };
                let mut hex = String::new();
                while let Some(&(_, l)) = lines.get(*i) {
                    *i += 1;
                    let l = strip_comment(l, false).trim();
                    if l.starts_with(end) {
                        break;
                    }
                    hex.push_str(l);
                }
                if first == "HEX_ANSWER_BEGIN" {
                    e.raw = Some(hex_bytes(&hex, n)?);
                }
            }
            "RAW" => {
                if let Some(&(_, l)) = lines.get(*i) {
                    *i += 1;
                    e.raw = Some(hex_bytes(l, n)?);
                }
            }
            "MANDATORY" | "TSIG" => {}
            _ if section == 0 => e.question.push(parse_question(line, n)?),
            _ => {
                let r = parse_record(line, n)?;
                if let Some(s) = e.sections.get_mut(section - 1) {
                    s.push(r);
                }
            }
        }
    }
    Err(ParseError { line: start, what: "ENTRY_BEGIN without ENTRY_END".into() })
}

/// Parse a scenario of `dialect`.
pub fn parse(text: &str, dialect: Dialect) -> Result<Scenario, ParseError> {
    let lines: Vec<(usize, &str)> = text.lines().enumerate().map(|(i, l)| (i + 1, l)).collect();
    let end = lines
        .iter()
        .position(|(_, l)| l.trim_start().starts_with("CONFIG_END"))
        .ok_or(ParseError { line: 1, what: "no CONFIG_END".into() })?;
    let mut header = Vec::new();
    let mut directives = Vec::new();
    let mut j = 0;
    while let Some(&(n, l)) = lines.get(j) {
        if j >= end {
            break;
        }
        j += 1;
        let t = l.trim_start();
        if let Some(block) = ["AUTOTRUST_FILE", "TEMPFILE_CONTENTS"].iter().find(|b| t.starts_with(**b)) {
            directives.push((*block).to_owned());
            let stop = if *block == "AUTOTRUST_FILE" { "AUTOTRUST_END" } else { "TEMPFILE_END" };
            while let Some(&(_, l)) = lines.get(j) {
                j += 1;
                if l.trim_start().starts_with(stop) {
                    break;
                }
            }
            continue;
        }
        if t.starts_with("TEMPFILE_NAME") || t.starts_with("COMMANDLINE") {
            directives.push(t.split_whitespace().next().unwrap_or("").to_owned());
            continue;
        }
        if t.starts_with(';') {
            continue;
        }
        header.push((n, l));
    }
    let config = match dialect {
        Dialect::Unbound => unbound_config(&header),
        Dialect::Deckard => deckard_config(&header),
    };
    let mut sc = Scenario { dialect, config, directives, title: String::new(), ranges: Vec::new(), steps: Vec::new() };
    let mut i = end + 1;
    let mut range: Option<Range> = None;
    while let Some(&(n, raw)) = lines.get(i) {
        i += 1;
        let line = strip_comment(raw, false).trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        let err = |what: String| ParseError { line: n, what };
        match first {
            "SCENARIO_BEGIN" => sc.title = words.collect::<Vec<_>>().join(" "),
            "SCENARIO_END" => break,
            "RANGE_BEGIN" => {
                let from = words.next().and_then(|w| w.parse().ok()).ok_or_else(|| err("RANGE_BEGIN from".into()))?;
                let to = words.next().and_then(|w| w.parse().ok()).ok_or_else(|| err("RANGE_BEGIN to".into()))?;
                let addrs = words.next().and_then(|a| a.parse().ok()).into_iter().collect();
                range = Some(Range { from, to, addrs, entries: Vec::new() });
            }
            // A stray RANGE_END (a few files have two) ends nothing, as in testbound.
            "RANGE_END" => sc.ranges.extend(range.take()),
            "ADDRESS" => {
                let a: IpAddr = words
                    .next()
                    .map(|a| a.split('@').next().unwrap_or(a))
                    .and_then(|a| a.parse().ok())
                    .ok_or_else(|| err("bad ADDRESS".into()))?;
                if let Some(r) = range.as_mut() {
                    if dialect == Dialect::Unbound {
                        r.addrs = vec![a]; // U keeps the last one
                    } else {
                        r.addrs.push(a);
                    }
                }
            }
            "ENTRY_BEGIN" => {
                let e = parse_entry(&lines, &mut i, n)?;
                if let Some(r) = range.as_mut() {
                    r.entries.push(e);
                } else if let Some(s) = sc.steps.last_mut() {
                    s.entry = Some(e);
                }
            }
            "STEP" => {
                let num = words.next().and_then(|w| w.parse().ok()).ok_or_else(|| err("STEP number".into()))?;
                let kind = words.next().ok_or_else(|| err("STEP kind".into()))?.to_owned();
                let args = words.collect::<Vec<_>>().join(" ");
                if sc.steps.last().is_some_and(|s| s.n >= num) {
                    return Err(err(format!("STEP {num} does not increase")));
                }
                sc.steps.push(Step { n: num, kind, args, entry: None, line: n });
            }
            _ => {}
        }
    }
    Ok(sc)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small scenario of our own in the Unbound dialect.
    const MINI: &str = "server:\n\ttrust-anchor: \"example. DS 1 8 2 00\"\n\tval-override-date: \"20250101000000\"\nstub-zone:\n\tname: \".\"\n\tstub-addr: 192.0.2.1\nCONFIG_END\nSCENARIO_BEGIN mini\nRANGE_BEGIN 0 100\n\tADDRESS 192.0.2.1\nENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR AA NOERROR\nSECTION QUESTION\nwww.example. IN A\nSECTION ANSWER\nwww.example. IN A 192.0.2.80\nENTRY_END\nRANGE_END\nSTEP 1 QUERY\nENTRY_BEGIN\nREPLY RD\nSECTION QUESTION\nwww.example. IN A\nENTRY_END\nSTEP 2 CHECK_ANSWER\nENTRY_BEGIN\nMATCH all\nREPLY QR RD RA NOERROR\nSECTION QUESTION\nwww.example. IN A\nSECTION ANSWER\nwww.example. IN A 192.0.2.80\nENTRY_END\nSCENARIO_END\n";

    #[test]
    fn a_scenario_parses_into_config_ranges_and_steps() {
        let sc = parse(MINI, Dialect::Unbound).unwrap();
        assert_eq!(sc.title, "mini");
        assert_eq!(sc.values("stub-zone.stub-addr").collect::<Vec<_>>(), ["192.0.2.1"]);
        assert_eq!(sc.values("trust-anchor").collect::<Vec<_>>(), ["example. DS 1 8 2 00"]);
        assert_eq!(sc.ranges.len(), 1);
        assert_eq!(sc.ranges[0].addrs, ["192.0.2.1".parse::<IpAddr>().unwrap()]);
        assert_eq!(sc.ranges[0].entries[0].sections[0].len(), 1);
        let kinds: Vec<&str> = sc.steps.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(kinds, ["QUERY", "CHECK_ANSWER"]);
        assert!(sc.steps[1].entry.as_ref().unwrap().has_match("all"));
    }

    #[test]
    fn damaged_scenarios_are_errors_never_panics() {
        // Every truncation and every single-line deletion parses or fails cleanly.
        for end in 0..MINI.len() {
            let _ = parse(&MINI[..end], Dialect::Unbound);
            let _ = parse(&MINI[..end], Dialect::Deckard);
        }
        let lines: Vec<&str> = MINI.lines().collect();
        for skip in 0..lines.len() {
            let text: String =
                lines.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, l)| format!("{l}\n")).collect();
            let _ = parse(&text, Dialect::Unbound);
        }
        assert!(parse("no config end\n", Dialect::Unbound).is_err());
        let steps_backwards = MINI.replace("STEP 2 CHECK_ANSWER", "STEP 1 CHECK_ANSWER");
        assert!(parse(&steps_backwards, Dialect::Unbound).unwrap_err().what.contains("does not increase"));
        let bad_rr = MINI.replace("www.example. IN A 192.0.2.80", "www.example. IN A not-an-address");
        assert!(parse(&bad_rr, Dialect::Unbound).is_err());
    }

    #[test]
    fn base64_with_padding_after_a_whole_group_reads_as_dnspython_reads_it() {
        let sig = |b64: &str| {
            let line = format!("example. 3600 IN RRSIG A 100 1 3600 20300101000000 20000101000000 1 example. {b64}");
            parse_record(&line, 1).map(|r| match r.data {
                RData::Rrsig(s) => s.signature,
                _ => Vec::new(),
            })
        };
        assert_eq!(sig("UNUSABLE==").unwrap(), [0x50, 0xd5, 0x12, 0x00, 0x12, 0xc4]);
        assert_eq!(sig("UNUSABLE").unwrap(), sig("UNUSABLE==").unwrap());
        // Padding inside a group, or characters outside the alphabet, stay errors.
        assert!(sig("UNUSA=BLE").is_err());
        assert!(sig("UNUS*ABLE==").is_err());
    }
}
