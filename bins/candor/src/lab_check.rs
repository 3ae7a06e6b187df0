//! `candor lab check --server ADDR`: ask a resolver pointed at a served lab
//! every case of the lab's `cases.tsv`, as a stub would (DO, EDNS 1232,
//! TCP when truncated), and compare what it says with the catalogue. The
//! same judgement serves `candor demo`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use candor_lab::Verdict;
use candor_wire::{Edns, EdnsOption, Message, Name, Question, RType, Rcode};
use tokio::net::UdpSocket;

use crate::LabCheckArgs;

/// What can be wrong with the check's own inputs.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CheckError {
    /// A file could not be read.
    #[error("cannot read {path}: {kind}")]
    Read { path: PathBuf, kind: std::io::ErrorKind },
    /// `cases.tsv` lacks a column the check needs.
    #[error("{path}: no column {column} in the header (not a lab's cases.tsv?)")]
    Column { path: PathBuf, column: &'static str },
    /// A line of `cases.tsv` or of the allow-file does not parse.
    #[error("{path}:{line}: {what}")]
    Line { path: PathBuf, line: usize, what: String },
    /// `--server` is not an address.
    #[error("--server {0}: expected ADDR or ADDR:PORT (IPv6 with a port: [ADDR]:PORT)")]
    Server(String),
}

/// How much of the answer must match the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Compare {
    /// The rcode and AD: secure, insecure or SERVFAIL.
    Verdict,
    /// And the EDE info-code.
    Ede,
    /// And the evidence the lab derives from the broken zone in the
    /// extra-text (candor's own standard).
    Evidence,
}

/// One case of `cases.tsv`, as the check needs it.
#[derive(Debug, Clone)]
pub(crate) struct Expected {
    pub name: String,
    pub qname: Name,
    pub qtype: RType,
    pub verdict: Verdict,
    pub ede: Option<u16>,
    pub clock_offset: i64,
    pub evidence: Vec<String>,
    /// A special-purpose address the case's delegation points at.
    pub glue: Option<String>,
    /// The verdict and EDE under harden-algo-downgrade, where they differ.
    pub hardened: Option<(Verdict, Option<u16>)>,
}

impl Expected {
    /// A case of a lab built in this process, asked as `qname`, whose
    /// extra-text must hold `evidence`.
    pub(crate) fn of(case: &candor_lab::Case, qname: &Name, evidence: Vec<String>) -> Expected {
        Expected {
            name: case.name.clone(),
            qname: qname.clone(),
            qtype: case.qtype,
            verdict: case.verdict,
            ede: case.ede,
            clock_offset: case.clock_offset,
            evidence,
            glue: case.glue.map(str::to_owned),
            hardened: case.hardened,
        }
    }
}

fn parse_ede(word: &str) -> Option<Option<u16>> {
    if word == "-" { Some(None) } else { word.parse().ok().map(Some) }
}

/// `verdict/ede` as `cases.tsv` writes it.
fn parse_verdict_ede(word: &str) -> Option<(Verdict, Option<u16>)> {
    let (v, e) = word.split_once('/')?;
    Some((Verdict::parse(v)?, parse_ede(e)?))
}

/// Read a lab's `cases.tsv` (columns found by their header names).
pub(crate) fn read_cases(path: &Path) -> Result<Vec<Expected>, CheckError> {
    let text = std::fs::read_to_string(path).map_err(|e| CheckError::Read { path: path.to_owned(), kind: e.kind() })?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let col = |column: &'static str| {
        header.iter().position(|h| *h == column).ok_or(CheckError::Column { path: path.to_owned(), column })
    };
    let (c_name, c_qname, c_qtype, c_verdict, c_ede) =
        (col("case")?, col("qname")?, col("qtype")?, col("verdict")?, col("ede")?);
    let (c_clock, c_evidence) = (col("clock_offset")?, col("evidence")?);
    // Written by newer labs only.
    let (c_glue, c_hardened) = (col("glue").ok(), col("hardened").ok());
    let mut out = Vec::new();
    for (i, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let bad = |what: String| CheckError::Line { path: path.to_owned(), line: i + 2, what };
        let get = |c: usize| f.get(c).copied().unwrap_or_default();
        let qname = Name::from_text(get(c_qname), None).map_err(|e| bad(format!("qname {}: {e}", get(c_qname))))?;
        let qtype = RType::from_text(get(c_qtype)).ok_or_else(|| bad(format!("qtype {}", get(c_qtype))))?;
        let verdict = Verdict::parse(get(c_verdict)).ok_or_else(|| bad(format!("verdict {}", get(c_verdict))))?;
        let ede = parse_ede(get(c_ede)).ok_or_else(|| bad(format!("ede {}", get(c_ede))))?;
        let clock_offset = get(c_clock).parse().map_err(|_| bad(format!("clock_offset {}", get(c_clock))))?;
        let evidence = get(c_evidence);
        let evidence =
            if evidence.is_empty() { Vec::new() } else { evidence.split(" | ").map(str::to_owned).collect() };
        let glue = c_glue.map(get).filter(|g| !g.is_empty() && *g != "-").map(str::to_owned);
        let hardened = match c_hardened.map(get).filter(|h| !h.is_empty() && *h != "-") {
            None => None,
            Some(h) => Some(parse_verdict_ede(h).ok_or_else(|| bad(format!("hardened {h}")))?),
        };
        let name = get(c_name).to_owned();
        out.push(Expected { name, qname, qtype, verdict, ede, clock_offset, evidence, glue, hardened });
    }
    Ok(out)
}

/// An allow-file: `CASE-GLOB reason...` per line, `#` comments.
pub(crate) fn read_allow(path: &Path) -> Result<Vec<(String, String)>, CheckError> {
    let text = std::fs::read_to_string(path).map_err(|e| CheckError::Read { path: path.to_owned(), kind: e.kind() })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (glob, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        if reason.trim().is_empty() {
            return Err(CheckError::Line {
                path: path.to_owned(),
                line: i + 1,
                what: format!("{glob}: an accepted difference needs a reason after the case name"),
            });
        }
        out.push((glob.to_owned(), reason.trim().to_owned()));
    }
    Ok(out)
}

/// Shell-style glob: `*` any run, `?` one character.
pub(crate) fn glob_match(glob: &str, text: &str) -> bool {
    fn go(g: &[u8], t: &[u8]) -> bool {
        match (g.first(), t.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&g[1..], t) || (!t.is_empty() && go(g, &t[1..])),
            (Some(b'?'), Some(_)) => go(&g[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&g[1..], &t[1..]),
            _ => false,
        }
    }
    go(glob.as_bytes(), text.as_bytes())
}

/// What a stub saw.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub rcode: Rcode,
    pub ad: bool,
    /// Every EDE option, in order.
    pub edes: Vec<(u16, String)>,
}

impl Seen {
    pub(crate) fn of(m: &Message) -> Seen {
        let edes = m
            .edns
            .as_ref()
            .map(|e| {
                e.options
                    .iter()
                    .filter_map(|o| match o {
                        EdnsOption::Ede(x) => Some((x.code, x.text.clone())),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Seen { rcode: m.header.rcode, ad: m.header.flags.ad, edes }
    }

    /// The extra-texts, ` | ` between them.
    pub(crate) fn texts(&self) -> String {
        self.edes.iter().map(|(_, t)| t.as_str()).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" | ")
    }

    /// `NOERROR+ad/-`, `SERVFAIL/7`: rcode, AD, EDE codes.
    pub(crate) fn short(&self) -> String {
        let codes: Vec<String> = self.edes.iter().map(|(c, _)| c.to_string()).collect();
        format!(
            "{}{}/{}",
            self.rcode,
            if self.ad { "+ad" } else { "" },
            if codes.is_empty() { "-".to_owned() } else { codes.join(",") }
        )
    }
}

/// Whether a stub's view matches the expectation; `Err` says why not.
pub(crate) fn judge(
    seen: &Seen,
    verdict: Verdict,
    ede: Option<u16>,
    evidence: &[String],
    compare: Compare,
) -> Result<(), String> {
    let servfail = seen.rcode == Rcode::SERVFAIL;
    let answered = matches!(seen.rcode, Rcode::NOERROR | Rcode::NXDOMAIN);
    match verdict {
        Verdict::Secure if !(seen.ad && answered) => return Err("not validated (no AD)".to_owned()),
        Verdict::Insecure if seen.ad => return Err("AD set on an insecure answer".to_owned()),
        Verdict::Insecure if !answered => return Err(format!("{} instead of an answer", seen.rcode)),
        Verdict::Bogus | Verdict::Servfail if !servfail => {
            return Err(format!("{}{} instead of SERVFAIL", seen.rcode, if seen.ad { " with AD" } else { "" }));
        }
        _ => {}
    }
    if compare == Compare::Verdict {
        return Ok(());
    }
    let codes: Vec<u16> = seen.edes.iter().map(|(c, _)| *c).collect();
    match ede {
        None if !codes.is_empty() => return Err(format!("EDE {codes:?} where none is expected")),
        Some(c) if !codes.contains(&c) => return Err(format!("EDE {c} expected")),
        _ => {}
    }
    if compare == Compare::Ede {
        return Ok(());
    }
    let texts = seen.texts();
    let missing: Vec<&str> = evidence.iter().filter(|e| !texts.contains(e.as_str())).map(String::as_str).collect();
    if missing.is_empty() { Ok(()) } else { Err(format!("the extra-text lacks: {}", missing.join(" | "))) }
}

/// One stub query: UDP with DO and EDNS 1232, asked again every two
/// seconds until `timeout`, then over TCP if the answer was truncated.
pub(crate) async fn stub_query(server: SocketAddr, qname: &Name, qtype: RType, timeout: Duration) -> Option<Message> {
    let id = rand_id(qname);
    let mut q = Message::query(id, Question::new(qname.clone(), qtype));
    q.edns = Some(Edns { dnssec_ok: true, ..Edns::default() });
    let wire = q.to_wire().ok()?;
    let local = match (server.is_ipv4(), server.ip().is_loopback()) {
        (true, true) => "127.0.0.1:0",
        (true, false) => "0.0.0.0:0",
        (false, true) => "[::1]:0",
        (false, false) => "[::]:0",
    };
    let local: SocketAddr = local.parse().ok()?;
    let sock = UdpSocket::bind(local).await.ok()?;
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = vec![0u8; 65_535];
    let reply = loop {
        sock.send_to(&wire, server).await.ok()?;
        let until = (tokio::time::Instant::now() + Duration::from_secs(2)).min(deadline);
        let got = loop {
            match tokio::time::timeout_at(until, sock.recv_from(&mut buf)).await {
                Err(_) => break None,
                Ok(Err(_)) => return None,
                Ok(Ok((n, from))) => {
                    let m = buf.get(..n).and_then(|b| Message::from_wire(b).ok());
                    if let Some(m) = m.filter(|m| from == server && m.header.id == id) {
                        break Some(m);
                    }
                }
            }
        };
        if let Some(m) = got {
            break m;
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
    };
    if !reply.header.flags.tc {
        return Some(reply);
    }
    let tcp = crate::loadgen::over_tcp(Ok(server), &wire);
    let body = tokio::time::timeout_at(deadline, tcp).await.ok()?.ok()?;
    Message::from_wire(&body).ok()
}

/// A query ID that differs between names (each query has its own socket).
fn rand_id(qname: &Name) -> u16 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let sum = qname.as_wire().iter().fold(nanos, |a, b| a.rotate_left(5) ^ u32::from(*b));
    (sum ^ (sum >> 16)) as u16
}

/// What became of one case.
#[derive(Debug, Clone)]
pub(crate) enum Status {
    Ok,
    Wrong(String),
    /// A difference the allow-file accepts, with its reason.
    Allowed(String, String),
    Skipped(String),
}

/// One row of the report.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub case: Expected,
    /// The verdict/EDE expected, as `cases.tsv` writes them.
    pub expected: String,
    pub seen: Option<Seen>,
    pub status: Status,
}

fn expectation(e: &Expected, hardened: bool) -> (Verdict, Option<u16>) {
    match e.hardened {
        Some(h) if hardened => h,
        _ => (e.verdict, e.ede),
    }
}

/// Why a case is not asked, if it is not.
fn skip_reason(e: &Expected, args: &LabCheckArgs) -> Option<String> {
    if e.clock_offset != args.clock_offset && e.clock_offset == 0 {
        return Some("needs the resolver's clock at the lab's time (checked without --clock-offset)".to_owned());
    }
    if e.clock_offset != args.clock_offset {
        let days = e.clock_offset as f64 / 86_400.0;
        return Some(format!(
            "needs the resolver's clock {} s ({days:+} days) off the lab's time; run it so and give --clock-offset {}",
            e.clock_offset, e.clock_offset
        ));
    }
    if let Some(g) = e.glue.as_ref().filter(|_| !args.offnet_glue) {
        return Some(format!(
            "its delegation's glue is {g}, outside loopback: a resolver that does not refuse special-purpose \
             addresses would send queries there (--offnet-glue asks anyway)"
        ));
    }
    None
}

/// The server address: `ADDR`, `ADDR:PORT` or `[V6]:PORT` (port 53 when left out).
pub(crate) fn parse_server(text: &str) -> Result<SocketAddr, CheckError> {
    if let Ok(a) = text.parse::<SocketAddr>() {
        return Ok(a);
    }
    text.parse::<std::net::IpAddr>().map(|ip| SocketAddr::new(ip, 53)).map_err(|_| CheckError::Server(text.to_owned()))
}

/// Ask every chosen case: the server and what became of each case, or
/// the exit status when the check could not run (the error printed).
pub(crate) fn run(args: &LabCheckArgs) -> Result<(SocketAddr, Vec<Outcome>), u8> {
    let server = match parse_server(&args.server) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("candor lab check: {e}");
            return Err(crate::EXIT_USAGE);
        }
    };
    let tsv = args.lab.join("cases.tsv");
    let inputs = read_cases(&tsv).and_then(|c| Ok((c, args.allow.as_deref().map(read_allow).transpose()?)));
    let (cases, allow) = match inputs {
        Ok(x) => x,
        Err(e) => {
            eprintln!("candor lab check: {e}");
            return Err(crate::EXIT_USAGE);
        }
    };
    let allow = allow.unwrap_or_default();
    let chosen: Vec<Expected> = cases
        .into_iter()
        .filter(|c| args.cases.is_empty() || args.cases.iter().any(|g| glob_match(g, &c.name)))
        .collect();
    if chosen.is_empty() {
        eprintln!("candor lab check: no case of {} matches --cases {}", tsv.display(), args.cases.join(","));
        return Err(crate::EXIT_USAGE);
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("candor lab check: cannot start the runtime: {e}");
            return Err(1);
        }
    };
    let timeout = Duration::from_secs(args.timeout.max(1));
    // A resolver that answers nothing fails once, not once per case.
    if rt.block_on(stub_query(server, &Name::root(), RType::NS, timeout)).is_none() {
        eprintln!("candor lab check: {server} does not answer (asked ./NS for {} s)", timeout.as_secs());
        return Err(1);
    }
    let outcomes = rt.block_on(check(server, chosen, args, &allow, timeout));
    let stale: Vec<&(String, String)> =
        allow.iter().filter(|(g, _)| !outcomes.iter().any(|o| glob_match(g, &o.case.name))).collect();
    for (g, _) in &stale {
        eprintln!("candor lab check: the allow-file's {g} names no case checked");
    }
    Ok((server, outcomes))
}

async fn check(
    server: SocketAddr,
    cases: Vec<Expected>,
    args: &LabCheckArgs,
    allow: &[(String, String)],
    timeout: Duration,
) -> Vec<Outcome> {
    // Eight questions in flight: a resolver may take seconds on the
    // unreachable cases, and none of them depends on another.
    let gate = Arc::new(tokio::sync::Semaphore::new(8));
    let mut tasks = tokio::task::JoinSet::new();
    let mut outcomes: BTreeMap<usize, Outcome> = BTreeMap::new();
    for (i, case) in cases.into_iter().enumerate() {
        let (verdict, ede) = expectation(&case, args.harden_algo_downgrade);
        let expected = format!("{}/{}", verdict.as_str(), ede.map_or("-".to_owned(), |e| e.to_string()));
        if let Some(why) = skip_reason(&case, args) {
            outcomes.insert(i, Outcome { case, expected, seen: None, status: Status::Skipped(why) });
            continue;
        }
        let gate = gate.clone();
        tasks.spawn(async move {
            let _slot = gate.acquire_owned().await.ok();
            let m = stub_query(server, &case.qname, case.qtype, timeout).await;
            (i, case, expected, m)
        });
    }
    while let Some(done) = tasks.join_next().await {
        let Ok((i, case, expected, m)) = done else { continue };
        let (verdict, ede) = expectation(&case, args.harden_algo_downgrade);
        let seen = m.as_ref().map(Seen::of);
        let verdict_of = match &seen {
            None => Err(format!("no answer within {} s", timeout.as_secs())),
            Some(s) => judge(s, verdict, ede, &case.evidence, args.compare),
        };
        let status = match verdict_of {
            Ok(()) => Status::Ok,
            Err(why) => match allow.iter().find(|(g, _)| glob_match(g, &case.name)) {
                Some((_, reason)) => Status::Allowed(why, reason.clone()),
                None => Status::Wrong(why),
            },
        };
        outcomes.insert(i, Outcome { case, expected, seen, status });
    }
    outcomes.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(rcode: Rcode, ad: bool, edes: &[(u16, &str)]) -> Seen {
        Seen { rcode, ad, edes: edes.iter().map(|(c, t)| (*c, (*t).to_owned())).collect() }
    }

    #[test]
    fn globs_match_like_a_shell() {
        assert!(glob_match("nsec3-iter-*", "nsec3-iter-150"));
        assert!(glob_match("roll-???-*", "roll-ksk-double-ds"));
        assert!(!glob_match("roll-???-*", "roll-algo-in-progress"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("valid", "valid-8"));
    }

    #[test]
    fn the_judgement_tells_verdicts_codes_and_evidence_apart() {
        let bogus = seen(Rcode::SERVFAIL, false, &[(7, "x.test./A: RRSIG 1/13 expired 2026")]);
        assert!(judge(&bogus, Verdict::Bogus, Some(7), &[], Compare::Ede).is_ok());
        assert!(judge(&bogus, Verdict::Bogus, Some(9), &[], Compare::Verdict).is_ok());
        assert_eq!(judge(&bogus, Verdict::Bogus, Some(9), &[], Compare::Ede), Err("EDE 9 expected".to_owned()));
        let ev = ["RRSIG 1/13".to_owned(), "2027".to_owned()];
        assert_eq!(
            judge(&bogus, Verdict::Bogus, Some(7), &ev, Compare::Evidence),
            Err("the extra-text lacks: 2027".to_owned())
        );
        assert!(judge(&bogus, Verdict::Secure, None, &[], Compare::Verdict).is_err());
        let secure = seen(Rcode::NXDOMAIN, true, &[]);
        assert!(judge(&secure, Verdict::Secure, None, &[], Compare::Evidence).is_ok());
        assert!(judge(&secure, Verdict::Insecure, None, &[], Compare::Verdict).is_err());
        let refused = seen(Rcode::REFUSED, false, &[]);
        assert!(judge(&refused, Verdict::Insecure, None, &[], Compare::Verdict).is_err());
        assert!(judge(&refused, Verdict::Servfail, Some(22), &[], Compare::Verdict).is_err());
        let insecure = seen(Rcode::NOERROR, false, &[(1, "")]);
        assert!(judge(&insecure, Verdict::Insecure, Some(1), &[], Compare::Ede).is_ok());
        assert!(judge(&insecure, Verdict::Insecure, None, &[], Compare::Ede).is_err());
    }

    #[test]
    fn the_case_list_and_the_allow_file_are_read_or_refused_with_the_line() {
        let dir = std::env::temp_dir().join(format!("candor-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let tsv = dir.join("cases.tsv");
        std::fs::write(
            &tsv,
            "case\tqname\tqtype\tverdict\tede\tkind\tdescription\tclock_offset\tevidence\tglue\thardened\n\
             a\ta.test.\tA\tbogus\t9\tk\td\t0\tDS 1/13 | names no key\t-\t-\n\
             b\tb.test.\tAAAA\tsecure\t-\tk\td\t86400\t\t192.0.2.53\tbogus/6\n",
        )
        .unwrap();
        let c = read_cases(&tsv).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].verdict, c[0].ede, c[0].evidence.len()), (Verdict::Bogus, Some(9), 2));
        assert_eq!((c[1].qtype, c[1].clock_offset, c[1].glue.as_deref()), (RType::AAAA, 86_400, Some("192.0.2.53")));
        assert_eq!(c[1].hardened, Some((Verdict::Bogus, Some(6))));
        std::fs::write(&tsv, "case\tqname\n").unwrap();
        assert!(matches!(read_cases(&tsv), Err(CheckError::Column { column: "qtype", .. })));
        std::fs::write(
            &tsv,
            "case\tqname\tqtype\tverdict\tede\tclock_offset\tevidence\na\ta.test.\tA\tgreen\t-\t0\t\n",
        )
        .unwrap();
        let e = read_cases(&tsv).unwrap_err().to_string();
        assert!(e.ends_with("cases.tsv:2: verdict green"), "{e}");
        let allow = dir.join("allow");
        std::fs::write(&allow, "# BIND\nrsasha1  still validates SHA-1\n\nnsec3-iter-1?? caps at 150\n").unwrap();
        assert_eq!(read_allow(&allow).unwrap().len(), 2);
        std::fs::write(&allow, "rsasha1\n").unwrap();
        assert!(read_allow(&allow).unwrap_err().to_string().contains(":1: rsasha1: an accepted difference needs"));
        assert!(read_allow(&dir.join("nope")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn servers_take_port_53_unless_given() {
        assert_eq!(parse_server("127.0.0.1").unwrap(), "127.0.0.1:53".parse().unwrap());
        assert_eq!(parse_server("127.0.0.1:5300").unwrap(), "127.0.0.1:5300".parse().unwrap());
        assert_eq!(parse_server("::1").unwrap(), "[::1]:53".parse().unwrap());
        assert!(parse_server("localhost").is_err());
    }
}
