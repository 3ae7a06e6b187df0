//! What `candor bench` prints and draws: a table per workload (answers
//! per second, latency percentiles, validations per second, CPU per
//! query, the kind of answers) and, with `--report`, the same as a chart
//! (SVG, or an HTML page holding the table and the chart).

use std::fmt::Write as _;
use std::path::Path;

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use crate::loadgen::{Measured, Outcome};

/// One workload's figures.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// The workload's name.
    pub name: &'static str,
    /// What the load generator measured.
    pub measured: Measured,
    /// The answer every query of the workload should get.
    pub expected: Outcome,
    /// Signature verifications per second (when the resolver tells).
    pub validations_per_s: Option<f64>,
    /// The resolver's CPU time per answered query, in microseconds
    /// (when its process is known).
    pub cpu_us_per_query: Option<f64>,
}

impl Row {
    /// Did (nearly) every answer have the expected kind?
    pub(crate) fn as_expected(&self) -> bool {
        matches!(self.measured.main_outcome(), Some((o, share)) if o == self.expected && share >= 0.99)
    }
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.digits$}"))
}

/// The table, one line per workload, with a header.
pub(crate) fn table(rows: &[Row]) -> String {
    let mut s = format!(
        "{:<16} {:>8} {:>6} {:>10} {:>8} {:>8} {:>9} {:>10} {:>9}  answers\n",
        "workload", "answered", "lost", "qps", "p50 ms", "p99 ms", "p99.9 ms", "valid./s", "cpu us/q"
    );
    for r in rows {
        let m = &r.measured;
        let outcome = match m.main_outcome() {
            Some((o, share)) if m.tcp > 0 => format!("{:.1}% {}, {} over TCP", share * 100.0, o.as_str(), m.tcp),
            Some((o, share)) => format!("{:.1}% {}", share * 100.0, o.as_str()),
            None => "none".to_owned(),
        };
        let flag = if r.as_expected() { String::new() } else { format!(" (expected {})", r.expected.as_str()) };
        let _ = writeln!(
            s,
            "{:<16} {:>8} {:>6} {:>10.0} {:>8} {:>8} {:>9} {:>10} {:>9}  {outcome}{flag}",
            r.name,
            m.latencies.len(),
            m.lost,
            m.qps(),
            opt(m.percentile_ms(0.5), 2),
            opt(m.percentile_ms(0.99), 2),
            opt(m.percentile_ms(0.999), 2),
            opt(r.validations_per_s, 0),
            opt(r.cpu_us_per_query, 1),
        );
    }
    s
}

/// Why the report could not be written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReportError {
    /// Drawing failed.
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    /// Writing the file failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

fn draw_err<E: std::fmt::Debug>(e: E) -> ReportError {
    ReportError::Draw(format!("{e:?}"))
}

const WIDTH: u32 = 1300;
const HEIGHT: u32 = 900;

/// The chart as SVG text: answers per second per workload (bars) above
/// the latency percentiles per workload (p50, p99, p99.9), both on log
/// scales.
pub(crate) fn svg(rows: &[Row], title: &str) -> Result<String, ReportError> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let root = root.titled(title, ("sans-serif", 22)).map_err(draw_err)?;
        let (top, bottom) = root.split_vertically(HEIGHT / 2 - 20);
        let n = rows.len().max(1);
        let names: Vec<&str> = rows.iter().map(|r| r.name).collect();
        let label = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) => names.get(*i).map_or_else(String::new, |s| (*s).to_owned()),
            _ => String::new(),
        };

        let qps: Vec<f64> = rows.iter().map(|r| r.measured.qps().max(1.0)).collect();
        let top_q = qps.iter().copied().fold(10.0, f64::max) * 2.0;
        let mut chart = ChartBuilder::on(&top)
            .caption("answers per second", ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d((0..n - 1).into_segmented(), (1.0..top_q).log_scale())
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&label)
            .x_label_style(("sans-serif", 12))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .y_desc("answers/s")
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(qps.iter().enumerate().map(|(i, q)| {
                let color = if rows.get(i).is_some_and(Row::as_expected) { BLUE } else { RED };
                Rectangle::new(
                    [(SegmentValue::Exact(i), 1.0), (SegmentValue::Exact(i + 1), *q)],
                    color.mix(0.6).filled(),
                )
            }))
            .map_err(draw_err)?;

        let pct = |r: &Row, q: f64| r.measured.percentile_ms(q).map(|v| v.max(0.001));
        let top_ms = rows.iter().filter_map(|r| pct(r, 0.999)).fold(1.0, f64::max) * 2.0;
        let low_ms = rows.iter().filter_map(|r| pct(r, 0.5)).fold(1.0, f64::min) / 2.0;
        let mut chart = ChartBuilder::on(&bottom)
            .caption("latency percentiles (ms): p50, p99, p99.9", ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d((0..n - 1).into_segmented(), (low_ms..top_ms).log_scale())
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&label)
            .x_label_style(("sans-serif", 12))
            .y_desc("ms")
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(rows.iter().enumerate().filter_map(|(i, r)| {
                let (lo, hi) = (pct(r, 0.5)?, pct(r, 0.999)?);
                Some(PathElement::new(vec![(SegmentValue::CenterOf(i), lo), (SegmentValue::CenterOf(i), hi)], BLACK))
            }))
            .map_err(draw_err)?;
        for (q, color, name) in [(0.5, GREEN, "p50"), (0.99, BLUE, "p99"), (0.999, RED, "p99.9")] {
            chart
                .draw_series(
                    rows.iter().enumerate().filter_map(|(i, r)| {
                        Some(Circle::new((SegmentValue::CenterOf(i), pct(r, q)?), 5, color.filled()))
                    }),
                )
                .map_err(draw_err)?
                .label(name)
                .legend(move |(x, y)| Circle::new((x, y), 5, color.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    Ok(out)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Write the report to `path`: an HTML page (the table and the chart)
/// when it ends in `.html` or `.htm`, the SVG chart otherwise.
pub(crate) fn write(path: &Path, rows: &[Row], title: &str) -> Result<(), ReportError> {
    let chart = svg(rows, title)?;
    let html = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("html") || e == "htm");
    let body = if html {
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{t}</title></head><body>\n<h1>{t}</h1>\n<pre>{}</pre>\n{chart}\n</body></html>\n",
            escape(&table(rows)),
            t = escape(title)
        )
    } else {
        chart
    };
    std::fs::write(path, body).map_err(|source| ReportError::Write { path: path.to_owned(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &'static str, outcomes: [usize; 4], expected: Outcome) -> Row {
        let measured = Measured {
            sent: 100,
            latencies: (1..=100).map(|i| i * 50).collect(),
            outcomes,
            lost: 0,
            elapsed: std::time::Duration::from_millis(100),
            tcp: 0,
        };
        Row { name, measured, expected, validations_per_s: Some(900.0), cpu_us_per_query: None }
    }

    #[test]
    fn a_workload_answered_otherwise_than_expected_is_flagged() {
        let rows = [row("ok", [100, 0, 0, 0], Outcome::Secure), row("odd", [0, 100, 0, 0], Outcome::Secure)];
        let t = table(&rows);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3, "{t}");
        assert!(lines[1].starts_with("ok ") && lines[1].ends_with("100.0% secure"), "{t}");
        assert!(lines[2].ends_with("100.0% insecure (expected secure)"), "{t}");
        // 100 answers in 0.1 s; p50 2.5 ms; CPU unknown.
        let f: Vec<&str> = lines[1].split_whitespace().collect();
        assert_eq!(&f[1..9], ["100", "0", "1000", "2.50", "4.95", "5.00", "900", "-"], "{t}");
        let svg = svg(&rows, "t").unwrap();
        let bars = |fill: &str| svg.lines().filter(|l| l.starts_with("<rect") && l.contains(fill)).count();
        assert_eq!((bars("fill=\"#0000FF\""), bars("fill=\"#FF0000\"")), (1, 1), "the odd one's bar is red");
    }

    #[test]
    fn html_holds_the_table_and_the_chart_svg_only_the_chart() {
        let dir = std::env::temp_dir().join(format!("candor-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let rows = [row("a<b", [100, 0, 0, 0], Outcome::Secure)];
        write(&dir.join("r.html"), &rows, "t & t").unwrap();
        write(&dir.join("r.svg"), &rows, "t").unwrap();
        let html = std::fs::read_to_string(dir.join("r.html")).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<title>t &amp; t</title>"), "{html}");
        assert!(html.contains("<pre>workload ") && html.contains("a&lt;b"), "{html}");
        assert_eq!(html.matches("<svg").count(), 1);
        let svg = std::fs::read_to_string(dir.join("r.svg")).unwrap();
        assert!(svg.starts_with("<svg") && !svg.contains("<pre>"));
        let e = write(&dir.join("missing/r.svg"), &rows, "t").unwrap_err();
        assert!(matches!(e, ReportError::Write { .. }), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
