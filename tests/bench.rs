//! `candor bench`, run briefly as a user would: it builds the lab,
//! starts a resolver, runs the chosen workloads and prints one row per
//! workload; `--report` draws them. Checked: the structure of what it
//! prints and draws, and the kind of answers each workload got (the
//! numbers themselves are the benchmark's business, not a test's).

use std::process::Command;

fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

const CHOSEN: [(&str, &str); 5] = [
    ("cached", "secure"),
    ("signed-alg13", "secure"),
    ("nxdomain-nsec3", "secure"),
    ("bogus", "servfail"),
    ("attack-keytrap", "servfail"),
];

#[test]
fn bench_runs_its_workloads_and_draws_them() {
    let dir = std::env::temp_dir().join(format!("candor-bench-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("report.svg");
    let workloads: Vec<&str> = CHOSEN.iter().map(|(w, _)| *w).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_candor"))
        .args(["bench", "--names", "60", "--duration", "0.5", "--concurrency", "4", "--block", "127.62.0.0"])
        .args(["--lab-port", &free_port().to_string(), "--workloads", &workloads.join(",")])
        .arg("--report")
        .arg(&svg)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");

    // A header, then one row per workload in the order asked.
    let lines: Vec<&str> = stdout.lines().collect();
    let header = lines.iter().position(|l| l.starts_with("workload ")).expect(&stdout);
    for col in ["answered", "lost", "qps", "p50 ms", "p99 ms", "p99.9 ms", "valid./s", "cpu us/q", "answers"] {
        assert!(lines[header].contains(col), "{}", lines[header]);
    }
    for (i, (name, kind)) in CHOSEN.iter().enumerate() {
        let row = lines.get(header + 1 + i).expect(&stdout);
        let f: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(f[0], *name, "{stdout}");
        let answered: usize = f[1].parse().expect(row);
        assert!(answered > 0, "{row}");
        // qps and the three percentiles are numbers; so are the
        // verifications and CPU of a resolver the bench started itself.
        for v in &f[3..9] {
            assert!(v.parse::<f64>().is_ok(), "{row}");
        }
        assert!(row.contains(&format!("100.0% {kind}")), "{row}");
        assert!(!row.contains("expected"), "{row}");
    }
    // Distinct signed names cost one verification each; the cached name none.
    let verifs = |name: &str| -> f64 {
        let row = lines.iter().find(|l| l.starts_with(&format!("{name} "))).unwrap();
        row.split_whitespace().nth(7).unwrap().parse().unwrap()
    };
    assert!(verifs("signed-alg13") > 0.0, "{stdout}");
    assert_eq!(verifs("cached"), 0.0, "{stdout}");

    // The chart: an SVG with every workload named under its bar and in
    // the latency panel, and a bar per workload.
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"), "{}", &text[..200.min(text.len())]);
    for (name, _) in CHOSEN {
        assert_eq!(text.matches(&format!("\n{name}\n</text>")).count(), 2, "{name} labels");
    }
    assert!(text.contains("answers per second") && text.contains("latency percentiles"));
    let bars = text.lines().filter(|l| l.starts_with("<rect") && l.contains("fill=\"#0000FF\"")).count();
    assert_eq!(bars, CHOSEN.len(), "one blue bar per workload answered as expected");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bench_refuses_what_it_cannot_run() {
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_candor")).arg("bench").args(args).output().unwrap();
    let out = run(&["--workloads", "cached,nonsense"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no workload \"nonsense\""));
    for bad in [&["--duration", "0"][..], &["--concurrency", "0"], &["--names", "0"], &["--server-pid", "1"]] {
        assert_eq!(run(bad).status.code(), Some(64), "{bad:?}");
    }
    let out = run(&["--list"]);
    assert!(out.status.success());
    let list = String::from_utf8_lossy(&out.stdout);
    for w in ["cached", "signed-alg8", "signed-alg15", "nxdomain-nsec", "attack-cname"] {
        assert!(list.lines().any(|l| l.starts_with(w)), "{list}");
    }
}
