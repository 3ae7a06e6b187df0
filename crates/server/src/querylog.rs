//! The query log (`query-log = "FILE"`, `--query-log FILE`, `-` for
//! stderr; off by default): one JSON line per answered query, sampled at
//! `query-log-sample` (a fraction, 1 = every query): time, client, qname,
//! qtype, rcode, AD, EDE codes, answered from a cache, served stale,
//! upstream queries spent, latency.
//!
//! The query path never waits for it: a worker copies what the line needs
//! (no allocation: the name stays in wire form) into a bounded queue and
//! goes on; when the queue is full the entry is dropped and counted
//! (`candor_query_log_dropped_total`). A thread of its own formats the
//! lines and writes them, flushing whenever the queue runs empty.

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use candor_wire::{RType, Rcode};

use crate::summary::Summary;

/// Entries waiting to be written at most.
const QUEUE: usize = 16_384;

/// Where the log goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sink {
    /// Standard error.
    Stderr,
    /// A file, appended to (created 0640 if missing).
    File(PathBuf),
}

impl Sink {
    /// `-` is stderr, anything else a file.
    pub fn parse(s: &Path) -> Sink {
        if s.as_os_str() == "-" { Sink::Stderr } else { Sink::File(s.to_path_buf()) }
    }
}

/// One answered query, as the worker saw it.
pub(crate) struct Entry {
    at: Duration,
    client: IpAddr,
    /// The question name in wire form (uncompressed, as asked).
    name: [u8; 255],
    name_len: u8,
    qtype: u16,
    summary: Summary,
    cached: bool,
    upstream: u32,
    latency: Duration,
}

/// What a worker knows of one answered query.
pub(crate) struct Answered<'a> {
    /// Who asked.
    pub client: IpAddr,
    /// The question name in wire form.
    pub qname: &'a [u8],
    /// The question type.
    pub qtype: u16,
    /// What the reply was.
    pub summary: &'a Summary,
    /// Answered without asking anyone (a cache, a local zone, an error).
    pub cached: bool,
    /// Queries sent upstream for it.
    pub upstream: u32,
    /// From the query read to the reply ready.
    pub latency: Duration,
}

/// The query log's sending side.
#[derive(Debug)]
pub struct QueryLog {
    tx: SyncSender<Entry>,
    /// Sample threshold: a query is logged when a random u32 is below it
    /// (`u32::MAX` with sampling 1: every query).
    threshold: u32,
    logged: AtomicU64,
    dropped: AtomicU64,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry").field("client", &self.client).field("qtype", &self.qtype).finish_non_exhaustive()
    }
}

impl QueryLog {
    /// Open `sink` and start the writer; `sample` is the fraction of
    /// queries logged (0 < sample <= 1).
    pub fn open(sink: &Sink, sample: f64) -> std::io::Result<QueryLog> {
        if !(sample > 0.0 && sample <= 1.0) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("query-log-sample {sample}: expected a fraction above 0 and at most 1"),
            ));
        }
        let out: Box<dyn Write + Send> = match sink {
            Sink::Stderr => Box::new(std::io::stderr()),
            Sink::File(p) => {
                use std::os::unix::fs::OpenOptionsExt;
                Box::new(std::fs::OpenOptions::new().create(true).append(true).mode(0o640).open(p)?)
            }
        };
        let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE);
        std::thread::Builder::new().name("candor-query-log".into()).spawn(move || write_lines(&rx, out))?;
        Ok(QueryLog { tx, threshold: threshold(sample), logged: AtomicU64::new(0), dropped: AtomicU64::new(0) })
    }

    /// Log `a` (if sampled); never waits.
    pub(crate) fn record(&self, a: &Answered<'_>) {
        if self.threshold != u32::MAX && random() >= self.threshold {
            return;
        }
        let mut name = [0u8; 255];
        let name_len = a.qname.len().min(name.len());
        if let (Some(dst), Some(src)) = (name.get_mut(..name_len), a.qname.get(..name_len)) {
            dst.copy_from_slice(src);
        }
        let entry = Entry {
            at: SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default(),
            client: a.client,
            name,
            name_len: u8::try_from(name_len).unwrap_or(0),
            qtype: a.qtype,
            summary: *a.summary,
            cached: a.cached,
            upstream: a.upstream,
            latency: a.latency,
        };
        match self.tx.try_send(entry) {
            Ok(()) => self.logged.fetch_add(1, Relaxed),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => self.dropped.fetch_add(1, Relaxed),
        };
    }

    /// Entries queued for writing, and entries dropped (queue full).
    pub fn counts(&self) -> (u64, u64) {
        (self.logged.load(Relaxed), self.dropped.load(Relaxed))
    }
}

/// The question of a query read as far as the log needs: its name in
/// wire form (uncompressed, as a question name is) and its type; an empty
/// name when it cannot be read.
pub(crate) fn question(query: &[u8]) -> (&[u8], u16) {
    let mut at = 12;
    while let Some(&len) = query.get(at) {
        if len == 0 || len > 63 {
            break;
        }
        at += 1 + usize::from(len);
    }
    match (query.get(12..=at), query.get(at + 1..at + 3)) {
        (Some(name), Some(&[a, b])) if at - 12 < 255 && query.get(at) == Some(&0) => (name, u16::from_be_bytes([a, b])),
        _ => (&[], 0),
    }
}

/// The sampling threshold for the fraction `sample` (see [`QueryLog`]).
fn threshold(sample: f64) -> u32 {
    if sample >= 1.0 { u32::MAX } else { (sample * f64::from(u32::MAX)) as u32 }
}

/// A cheap per-thread random number for sampling (xorshift; not for keys).
fn random() -> u32 {
    thread_local! {
        static STATE: std::cell::Cell<u64> = std::cell::Cell::new(
            SystemTime::now().duration_since(UNIX_EPOCH).map_or(0x9e37_79b9, |d| d.as_nanos() as u64) | 1,
        );
    }
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x >> 32) as u32
    })
}

fn write_lines(rx: &Receiver<Entry>, out: Box<dyn Write + Send>) {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    let mut line = String::with_capacity(256);
    let mut clock = Seconds::default();
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        while let Some(e) = next {
            line.clear();
            format_line(&e, &mut line, &mut clock);
            if out.write_all(line.as_bytes()).is_err() {
                return;
            }
            next = rx.try_recv().ok();
        }
        if out.flush().is_err() {
            return;
        }
    }
}

/// The last second formatted (`YYYY-MM-DDTHH:MM:SS`): lines come many a
/// second, so the date is written once per second, not per line.
#[derive(Default)]
struct Seconds(u64, String);

impl Seconds {
    fn text(&mut self, secs: u64) -> &str {
        if self.1.is_empty() || self.0 != secs {
            let iso = candor_wire::Timestamp(u32::try_from(secs).unwrap_or(u32::MAX)).iso8601();
            self.1 = iso.trim_end_matches('Z').to_owned();
            self.0 = secs;
        }
        &self.1
    }
}

/// One entry as a JSON line (written piece by piece: no allocation once
/// `line` has grown).
fn format_line(e: &Entry, line: &mut String, clock: &mut Seconds) {
    use std::fmt::Write as _;
    let _ = write!(
        line,
        "{{\"time\":\"{}.{:06}Z\",\"client\":\"{}\",\"qname\":\"",
        clock.text(e.at.as_secs()),
        e.at.subsec_micros(),
        e.client
    );
    name_json(e.name.get(..usize::from(e.name_len)).unwrap_or(&[]), line);
    let _ = write!(
        line,
        "\",\"qtype\":\"{}\",\"rcode\":\"{}\",\"ad\":{},\"ede\":[",
        RType(e.qtype),
        Rcode(e.summary.rcode),
        e.summary.ad
    );
    for (i, code) in e.summary.edes().iter().enumerate() {
        let _ = write!(line, "{}{code}", if i > 0 { "," } else { "" });
    }
    let stale = e.summary.edes().iter().any(|c| *c == 3 || *c == 19);
    let _ = writeln!(
        line,
        "],\"cached\":{},\"stale\":{stale},\"upstream\":{},\"latency_us\":{}}}",
        e.cached,
        e.upstream,
        e.latency.as_micros()
    );
}

/// A wire-form name in presentation form, escaped for a JSON string
/// (letters, digits, `-`, `_` and `*` as they are; anything else with its
/// zone-file escape, whose backslash JSON doubles); `?` when it does not
/// parse.
fn name_json(wire: &[u8], line: &mut String) {
    use std::fmt::Write as _;
    let mut at = 0;
    let mut any = false;
    while let Some(&len) = wire.get(at) {
        if len == 0 {
            break;
        }
        let Some(label) = wire.get(at + 1..at + 1 + usize::from(len)) else {
            line.push('?');
            return;
        };
        for &b in label {
            // The zone-file escape (`\.`, `\\`, `\"`, `\DDD`), its
            // backslash doubled for JSON.
            match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'*' => line.push(char::from(b)),
                b'.' => line.push_str("\\\\."),
                b'\\' => line.push_str("\\\\\\\\"),
                b'"' => line.push_str("\\\\\\\""),
                _ => {
                    let _ = write!(line, "\\\\{b:03}");
                }
            }
        }
        line.push('.');
        any = true;
        at += 1 + usize::from(len);
    }
    if !any {
        line.push('.');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candor_wire::{Message, Name, Question};

    #[test]
    fn a_line_carries_every_field_and_escapes_the_name() {
        let q = Message::query(1, Question::new(Name::from_labels([&b"we\"ird"[..], b"test"]).unwrap(), RType::AAAA))
            .to_wire()
            .unwrap();
        let (qname, qtype) = question(&q);
        assert_eq!(qtype, 28);
        let mut name = [0u8; 255];
        let n = qname.len();
        name[..n].copy_from_slice(qname);
        let mut reply = Message::from_wire(&q).unwrap();
        reply.header.rcode = Rcode::SERVFAIL;
        let summary = Summary::of(&reply.to_wire().unwrap());
        let e = Entry {
            at: Duration::from_micros(1_800_000_000_000_042),
            client: "192.168.1.20".parse().unwrap(),
            name,
            name_len: n as u8,
            qtype: 28,
            summary,
            cached: false,
            upstream: 3,
            latency: Duration::from_micros(1234),
        };
        let mut line = String::new();
        format_line(&e, &mut line, &mut Seconds::default());
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["time"], "2027-01-15T08:00:00.000042Z");
        assert_eq!(v["client"], "192.168.1.20");
        assert_eq!(v["qname"], "we\\\"ird.test.");
        assert_eq!((v["qtype"].as_str(), v["rcode"].as_str()), (Some("AAAA"), Some("SERVFAIL")));
        assert_eq!((v["ad"].as_bool(), v["cached"].as_bool()), (Some(false), Some(false)));
        assert_eq!(v["stale"].as_bool(), Some(false));
        assert_eq!((v["upstream"].as_u64(), v["latency_us"].as_u64()), (Some(3), Some(1234)));
        assert!(line.ends_with("}\n"));
    }

    #[test]
    fn a_name_reads_in_the_log_as_it_is_written_in_a_zone_file() {
        for labels in [vec![&b"a.b"[..], b"c\\d", b"\x07", b"Q\"x"], vec![&b"*"[..], b"under_score"], vec![]] {
            let name = Name::from_labels(labels.iter().copied()).unwrap();
            let mut line = String::from("\"");
            name_json(name.as_wire(), &mut line);
            line.push('"');
            let decoded: String = serde_json::from_str(&line).unwrap();
            assert_eq!(decoded, name.to_string(), "{line}");
        }
    }

    #[test]
    fn a_question_is_read_or_left_empty() {
        let q = Message::query(1, Question::new("a.test.".parse::<Name>().unwrap(), RType::MX)).to_wire().unwrap();
        assert_eq!(question(&q), (&q[12..20], 15));
        assert_eq!(question(&q[..19]), (&[][..], 0), "cut short");
        let mut compressed = q.clone();
        compressed[12] = 0xc0;
        assert_eq!(question(&compressed), (&[][..], 0));
    }

    /// A log whose queue holds `room` entries, keeping `sample` of them
    /// (its receiving end, to hold it open), and `times` records of one
    /// answered query.
    fn record_many(room: usize, sample: f64, times: usize) -> (QueryLog, Receiver<Entry>) {
        let (tx, rx) = std::sync::mpsc::sync_channel(room);
        let log = QueryLog { tx, threshold: threshold(sample), logged: AtomicU64::new(0), dropped: AtomicU64::new(0) };
        let q = Message::query(1, Question::new("a.test.".parse::<Name>().unwrap(), RType::A)).to_wire().unwrap();
        let (qname, qtype) = question(&q);
        let summary = Summary::default();
        let a = Answered {
            client: "127.0.0.1".parse().unwrap(),
            qname,
            qtype,
            summary: &summary,
            cached: true,
            upstream: 0,
            latency: Duration::ZERO,
        };
        for _ in 0..times {
            log.record(&a);
        }
        (log, rx)
    }

    #[test]
    fn a_full_queue_drops_and_counts_instead_of_waiting() {
        let (log, _rx) = record_many(2, 1.0, 5);
        assert_eq!(log.counts(), (2, 3));
    }

    #[test]
    fn sampling_logs_about_the_fraction_asked() {
        let (log, rx) = record_many(100_000, 0.1, 20_000);
        let (logged, _) = log.counts();
        assert!((1_600..2_400).contains(&logged), "{logged} of 20,000 at 10 %");
        drop(rx);
        assert!(QueryLog::open(&Sink::Stderr, 0.0).is_err() && QueryLog::open(&Sink::Stderr, 1.5).is_err());
    }
}
