//! The server's metrics: the workers' tallies and the latency of whole
//! resolutions ([`crate::tally::ServerMetrics`], kept by [`Current`] so they outlive a
//! reload), read together with the resolver's counters and cache
//! figures into one [`Snapshot`], which renders as Prometheus text
//! (`metrics-listen`, through `prometheus-client`'s encoder) and as the
//! lines of `control stats`. Every label takes its values from a closed set
//! (rcodes, EDE codes, outcomes, failure kinds, budgets): no names, no
//! addresses.

use std::fmt::Write as _;
use std::sync::Arc;

use candor_resolver::{CacheStats, Clock, Counters, Transport, Upstream};
use candor_wire::Rcode;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

use crate::current::Current;
use crate::tally::{EDE_SLOTS, RCODE_SLOTS, Totals};

/// Everything the metrics show, read at one moment.
#[derive(Debug)]
pub struct Snapshot {
    /// The workers' tallies added up.
    pub totals: Totals,
    /// Whole resolutions: count, sum of seconds, cumulative buckets.
    pub resolutions: (u64, f64, Vec<(f64, u64)>),
    /// The resolver's counters (read as they are encoded).
    pub counters: Arc<Counters>,
    /// The cache's figures.
    pub cache: CacheStats,
    /// The cache's memory budget, in octets.
    pub cache_budget: u64,
    /// Questions that waited for an identical one under way.
    pub merged: u64,
    /// Resolutions under way.
    pub running: u64,
    /// Signature verifications performed.
    pub verifications: u64,
    /// Query-log lines queued and dropped (`None`: no query log).
    pub query_log: Option<(u64, u64)>,
    /// The zones whose signatures expire soonest, seconds left.
    pub expiring: Vec<(String, u64)>,
    /// The zones with the most validation failures in the last hour.
    pub bogus_zones: Vec<(String, u64)>,
    /// The servers that failed to answer most in the last hour.
    pub failing_servers: Vec<(String, u64)>,
}

impl Snapshot {
    /// Read everything now.
    pub fn read<T: Transport, C: Clock>(current: &Current<T, C>) -> Snapshot {
        let r = current.get();
        let m = current.metrics();
        let (merged, running) = r.merged_questions();
        let now = std::time::Instant::now();
        Snapshot {
            totals: m.totals(),
            resolutions: m.resolutions.snapshot(),
            counters: Arc::clone(r.counters()),
            cache: r.cache().stats(),
            cache_budget: r.config().cache.memory as u64,
            merged,
            running: running as u64,
            verifications: r.verifications(),
            query_log: m.query_log().map(crate::querylog::QueryLog::counts),
            expiring: r
                .expiring(EXPIRING_SHOWN)
                .into_iter()
                .map(|(z, exp)| (z.to_string(), candor_resolver::time_text::until(exp, r.unix_now()).max(0) as u64))
                .collect(),
            bogus_zones: m.failures.top.zones(now, TOP).into_iter().map(|(z, n)| (z.to_string(), n)).collect(),
            failing_servers: m.failures.top.servers(now, TOP).into_iter().map(|(a, n)| (a.to_string(), n)).collect(),
        }
    }

    /// The exposition: OpenMetrics as `prometheus-client` writes it, or
    /// (`openmetrics` false) the classic Prometheus text format 0.0.4 that
    /// `promtool check metrics` and older scrapers read. The two differ, for
    /// what is written here, in two ways only: a counter family is named
    /// with its `_total` suffix in 0.0.4 (OpenMetrics names the family
    /// without it), and OpenMetrics ends with `# EOF`.
    pub fn prometheus(self, openmetrics: bool) -> String {
        let mut registry = prometheus_client::registry::Registry::default();
        registry.register_collector(Box::new(self));
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        if openmetrics { out } else { classic(&out) }
    }

    /// `control stats`: one `name value` line per figure (labels folded
    /// into the name), or one JSON object.
    pub fn lines(&self, json: bool) -> Vec<String> {
        let mut pairs: Vec<(String, u64)> = Vec::new();
        let t = &self.totals;
        pairs.push(("queries-udp".into(), t.queries_udp));
        pairs.push(("queries-tcp".into(), t.queries_tcp));
        pairs.push(("queries-tls".into(), t.queries_tls));
        pairs.push(("queries-https".into(), t.queries_https));
        pairs.push(("queries-dropped".into(), t.dropped));
        for (i, n) in t.rcodes.iter().enumerate().filter(|(_, n)| **n > 0) {
            pairs.push((format!("responses-{}", rcode_label(i).to_lowercase()), *n));
        }
        pairs.push(("responses-ad".into(), t.ad));
        for (i, n) in t.edes.iter().enumerate().filter(|(_, n)| **n > 0) {
            pairs.push((format!("responses-ede-{}", ede_label(i)), *n));
        }
        pairs.push(("reply-cache-hits".into(), t.reply_hits));
        pairs.push(("stale-answers".into(), stale(t)));
        let c = &self.cache;
        pairs.extend([
            ("cache-entries".into(), c.entries),
            ("cache-bytes".into(), c.bytes),
            ("cache-answer-bytes".into(), c.answer_bytes),
            ("cache-rrsets".into(), c.rrsets),
            ("cache-rrset-bytes".into(), c.rrset_bytes),
            ("cache-budget".into(), self.cache_budget),
            ("cache-evictions".into(), c.evictions),
            ("cache-hits".into(), c.hits),
            ("cache-misses".into(), c.misses),
            ("rrset-hits".into(), c.rrset_hits),
            ("rrset-misses".into(), c.rrset_misses),
            ("questions-merged".into(), self.merged),
            ("prefetches".into(), self.counters.prefetches()),
            ("resolutions-running".into(), self.running),
            ("resolutions".into(), self.resolutions.0),
            ("verifications".into(), self.verifications),
        ]);
        for u in Upstream::ALL {
            pairs.push((format!("upstream-{}", u.label()), self.counters.upstream_count(u)));
        }
        for (verdict, kind, n) in self.counters.verdicts() {
            pairs.push((format!("verdict-{verdict}-{}", kind.map_or("none", |k| k.id())), n));
        }
        for (b, n) in self.counters.budget_trips().filter(|(_, n)| *n > 0) {
            pairs.push((format!("budget-trips-{}", b.id()), n));
        }
        if let Some((lines, dropped)) = self.query_log {
            pairs.push(("query-log-lines".into(), lines));
            pairs.push(("query-log-dropped".into(), dropped));
        }
        let lists = [("bogus-zone", &self.bogus_zones), ("failing-server", &self.failing_servers)];
        if json {
            let mut s = String::from("{");
            for (i, (k, v)) in pairs.iter().enumerate() {
                let _ = write!(s, "{}\"{k}\":{v}", if i > 0 { "," } else { "" });
            }
            // The last hour's most failing zones and servers, most first.
            for (name, list) in lists {
                let _ = write!(s, ",\"{name}s\":[");
                for (i, (what, n)) in list.iter().enumerate() {
                    let sep = if i > 0 { "," } else { "" };
                    let _ = write!(s, "{sep}{{\"{name}\":{},\"failures\":{n}}}", crate::why::json_string(what));
                }
                s.push(']');
            }
            s.push('}');
            vec![s]
        } else {
            let mut lines: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k} {v}")).collect();
            for (name, list) in lists {
                lines.extend(list.iter().map(|(what, n)| format!("{name} {what} {n}")));
            }
            lines
        }
    }
}

/// Zones and servers `control stats` lists as failing most.
const TOP: usize = 10;

/// Zones the expiry metric shows at most (a bounded label set).
const EXPIRING_SHOWN: usize = 10;

/// Stale answers sent: EDE 3 (Stale Answer) and 19 (Stale NXDOMAIN Answer).
fn stale(t: &Totals) -> u64 {
    t.edes.get(3).copied().unwrap_or(0) + t.edes.get(19).copied().unwrap_or(0)
}

/// OpenMetrics text made Prometheus 0.0.4 text (see [`Snapshot::prometheus`]).
fn classic(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> =
        openmetrics.lines().filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter")).collect();
    let mut out = String::with_capacity(openmetrics.len() + 32 * counters.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|p| {
            let rest = line.strip_prefix(p)?;
            let (name, tail) = rest.split_once(' ')?;
            counters.contains(name).then(|| format!("{p}{name}_total {tail}"))
        });
        out.push_str(renamed.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

/// The label of rcode slot `i` (the last holds every extended rcode).
fn rcode_label(i: usize) -> String {
    if i + 1 >= RCODE_SLOTS {
        return "EXTENDED".to_owned();
    }
    let r = Rcode(u16::try_from(i).unwrap_or(0));
    r.mnemonic().map_or_else(|| format!("RCODE{i}"), str::to_owned)
}

/// The label of EDE slot `i` (the last holds every higher code).
fn ede_label(i: usize) -> String {
    if i + 1 >= EDE_SLOTS { "other".to_owned() } else { i.to_string() }
}

type Enc<'a> = DescriptorEncoder<'a>;

/// One counter family: `name` (without `_total`), one series per label value.
fn counters(
    e: &mut Enc<'_>,
    name: &str,
    help: &str,
    label: &str,
    series: impl IntoIterator<Item = (String, u64)>,
) -> std::fmt::Result {
    let mut m = e.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (value, n) in series {
        let labels = [(label, value.as_str())];
        ConstCounter::new(n).encode(m.encode_family(&labels)?)?;
    }
    Ok(())
}

fn counter(e: &mut Enc<'_>, name: &str, help: &str, n: u64) -> std::fmt::Result {
    ConstCounter::new(n).encode(e.encode_descriptor(name, help, None, MetricType::Counter)?)
}

fn gauges(e: &mut Enc<'_>, name: &str, help: &str, label: &str, series: &[(&str, u64)]) -> std::fmt::Result {
    let mut m = e.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for (value, n) in series {
        let labels = [(label, *value)];
        ConstGauge::new(i64::try_from(*n).unwrap_or(i64::MAX)).encode(m.encode_family(&labels)?)?;
    }
    Ok(())
}

fn gauge(e: &mut Enc<'_>, name: &str, help: &str, n: u64) -> std::fmt::Result {
    ConstGauge::new(i64::try_from(n).unwrap_or(i64::MAX)).encode(e.encode_descriptor(
        name,
        help,
        None,
        MetricType::Gauge,
    )?)
}

fn histogram(
    e: &mut Enc<'_>,
    name: &str,
    help: &str,
    (count, sum, buckets): &(u64, f64, Vec<(f64, u64)>),
) -> std::fmt::Result {
    let mut m = e.encode_descriptor(name, help, None, MetricType::Histogram)?;
    // The encoder wants per-bucket counts; ours are cumulative.
    let mut per = Vec::with_capacity(buckets.len() + 1);
    let mut below = 0;
    for (bound, cumulative) in buckets {
        per.push((*bound, cumulative - below));
        below = *cumulative;
    }
    per.push((f64::MAX, count - below));
    m.encode_histogram::<prometheus_client::encoding::NoLabelSet>(*sum, *count, &per, None)
}

impl prometheus_client::collector::Collector for Snapshot {
    fn encode(&self, mut e: DescriptorEncoder<'_>) -> std::fmt::Result {
        let t = &self.totals;
        let e = &mut e;
        counters(
            e,
            "candor_queries",
            "Client queries done with (answered or dropped), by transport.",
            "transport",
            [
                ("udp".to_owned(), t.queries_udp),
                ("tcp".to_owned(), t.queries_tcp),
                ("tls".to_owned(), t.queries_tls),
                ("https".to_owned(), t.queries_https),
            ],
        )?;
        counter(e, "candor_queries_dropped", "Client queries that got no reply (malformed).", t.dropped)?;
        counters(
            e,
            "candor_responses",
            "Replies sent, by rcode.",
            "rcode",
            t.rcodes.iter().enumerate().filter(|(i, n)| **n > 0 || *i == 0).map(|(i, n)| (rcode_label(i), *n)),
        )?;
        counter(e, "candor_responses_authenticated", "Replies sent with AD set (validated as secure).", t.ad)?;
        counters(
            e,
            "candor_responses_ede",
            "Extended DNS Error options sent (RFC 8914), by info-code.",
            "code",
            t.edes.iter().enumerate().filter(|(_, n)| **n > 0).map(|(i, n)| (ede_label(i), *n)),
        )?;
        counter(
            e,
            "candor_reply_cache_hits",
            "Replies sent from a worker's cache of finished responses.",
            t.reply_hits,
        )?;
        counter(
            e,
            "candor_stale_answers",
            "Expired answers served because their refresh failed or took too long (RFC 8767; EDE 3 or 19).",
            stale(t),
        )?;
        let c = &self.cache;
        {
            let mut m = e.encode_descriptor(
                "candor_cache_lookups",
                "Client questions looked up in the answer cache, then (missed) in the RRset store.",
                None,
                MetricType::Counter,
            )?;
            for (cache, result, n) in [
                ("answers", "hit", c.hits),
                ("answers", "miss", c.misses),
                ("rrsets", "hit", c.rrset_hits),
                ("rrsets", "miss", c.rrset_misses),
            ] {
                ConstCounter::new(n).encode(m.encode_family(&[("cache", cache), ("result", result)])?)?;
            }
        }
        counters(
            e,
            "candor_upstream_queries",
            "Queries sent to authorities and upstreams, by outcome.",
            "outcome",
            Upstream::ALL.iter().map(|u| (u.label().to_owned(), self.counters.upstream_count(*u))),
        )?;
        histogram(
            e,
            "candor_upstream_rtt_seconds",
            "Round-trip time of upstream queries answered.",
            &self.counters.rtt.snapshot(),
        )?;
        histogram(
            e,
            "candor_resolution_seconds",
            "Time to answer client questions the caches could not answer.",
            &self.resolutions,
        )?;
        {
            let mut m = e.encode_descriptor(
                "candor_verdicts",
                "Resolutions by verdict and failure kind (none: no failure).",
                None,
                MetricType::Counter,
            )?;
            for (verdict, kind, n) in self.counters.verdicts() {
                let labels = [("verdict", verdict), ("kind", kind.map_or("none", |k| k.id()))];
                ConstCounter::new(n).encode(m.encode_family(&labels)?)?;
            }
        }
        counters(
            e,
            "candor_budget_trips",
            "Questions that ran out of a budget, by budget.",
            "budget",
            self.counters.budget_trips().map(|(b, n)| (b.id().to_owned(), n)),
        )?;
        gauge(e, "candor_resolutions_in_flight", "Resolutions under way.", self.running)?;
        counter(
            e,
            "candor_prefetches",
            "Answers refreshed ahead of their expiry (asked for in their last tenth).",
            self.counters.prefetches(),
        )?;
        counter(e, "candor_questions_merged", "Questions that waited for an identical one under way.", self.merged)?;
        counter(
            e,
            "candor_verifications",
            "Signature verifications performed (public-key operations).",
            self.verifications,
        )?;
        gauges(
            e,
            "candor_cache_entries",
            "Entries held: answers by question, RRsets by owner and type.",
            "cache",
            &[("answers", c.entries), ("rrsets", c.rrsets)],
        )?;
        let other = c.bytes.saturating_sub(c.answer_bytes + c.rrset_bytes);
        gauges(
            e,
            "candor_cache_bytes",
            "Estimated octets held, by part of the cache (other: denials and proofs).",
            "cache",
            &[("answers", c.answer_bytes), ("rrsets", c.rrset_bytes), ("other", other)],
        )?;
        gauge(e, "candor_cache_budget_bytes", "The cache's memory budget.", self.cache_budget)?;
        counter(e, "candor_cache_evictions", "Entries pushed out by capacity.", c.evictions)?;
        let mut m = e.encode_descriptor(
            "candor_rrsig_expiry_seconds",
            "Seconds until the earliest RRSIG expiration seen in the last day, for the zones expiring soonest.",
            None,
            MetricType::Gauge,
        )?;
        for (zone, left) in &self.expiring {
            let labels = [("zone", zone.as_str())];
            ConstGauge::new(i64::try_from(*left).unwrap_or(i64::MAX)).encode(m.encode_family(&labels)?)?;
        }
        if let Some((lines, dropped)) = self.query_log {
            counter(e, "candor_query_log_lines", "Query-log lines queued for writing.", lines)?;
            counter(e, "candor_query_log_dropped", "Query-log lines dropped: the writer was behind.", dropped)?;
        }
        Ok(())
    }
}
