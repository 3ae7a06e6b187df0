//! The real `candor` binary: subcommands, usage errors, honest stubs.

use std::process::Command;

fn candor(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_candor")).args(args).output().expect("run candor")
}

#[test]
fn usage_errors_exit_64() {
    for args in [&[][..], &["no-such-command"], &["verify-zone"], &["serve", "--listen", "not-an-address"], &["replay"]]
    {
        let out = candor(args);
        assert_eq!(out.status.code(), Some(64), "candor {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(!out.stderr.is_empty(), "candor {args:?} says why");
    }
}

#[test]
fn help_and_version_succeed() {
    let out = candor(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for sub in ["serve", "demo", "lab", "replay", "trace", "verify-zone"] {
        assert!(text.contains(sub), "help lists {sub}");
    }
    assert_eq!(candor(&["--version"]).status.code(), Some(0));
}

#[test]
fn replay_reports_unreadable_scenarios_and_fails() {
    let out = candor(&["replay", "/nonexistent/x.rpl"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("x.rpl: FAIL: cannot read"), "{text}");
    assert!(text.ends_with("0 passed, 1 failed, 0 skipped\n"), "{text}");
}

#[test]
fn lab_reports_bad_input_clearly() {
    let out = candor(&["lab", "--out", "unused", "--now", "yesterday"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--now yesterday: expected seconds since the epoch"));
    // An output path that is a file cannot hold the lab.
    let file = std::env::temp_dir().join(format!("candor-cli-file-{}", std::process::id()));
    std::fs::write(&file, "x").unwrap();
    let out = candor(&["lab", "--out", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write"), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_file(&file).unwrap();
}

#[test]
fn serve_reports_bad_configuration_clearly() {
    let out = candor(&["serve", "--listen", "127.0.0.1:0", "--root-hints", "/nonexistent/named.root"]);
    assert_eq!(out.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&out.stderr).contains("root hints /nonexistent/named.root"));
    let out = candor(&["serve", "--listen", "127.0.0.1:0", "--outbound-allow", "10.0.0.0/33"]);
    assert_eq!(out.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&out.stderr).contains("prefix length above 32"));
    let out = candor(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--no-rfc5011",
        "--control",
        "/tmp/candor-cli-nouser.sock",
        "--user",
        "no-such-user-here",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--user no-such-user-here: no such user"));
}

#[test]
fn the_documented_config_file_loads_and_bad_keys_are_named() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/candor.toml");
    let file = candor::config::load(&path).unwrap();
    assert_eq!(file.workers, Some(2));
    assert_eq!(file.budgets.as_ref().and_then(|b| b.nsec3_iterations), Some(50));
    // Every budget the file documents is the resolver's default.
    let mut cfg = candor_resolver::Config::new(vec![], candor_anchor::Anchors::empty());
    let defaults = cfg.clone();
    file.apply(&path, &mut cfg, 0).unwrap();
    assert_eq!(
        (cfg.max_queries, cfg.max_referrals, cfg.max_cnames, cfg.max_time, cfg.hash_budget, cfg.denial),
        (
            defaults.max_queries,
            defaults.max_referrals,
            defaults.max_cnames,
            defaults.max_time,
            defaults.hash_budget,
            defaults.denial
        )
    );
    assert_eq!(cfg.validator.budget, defaults.validator.budget);
    assert_eq!(file.minimal_responses, Some(true));
    assert!(cfg.minimal_responses && cfg.qname_minimisation);
    assert_eq!(file.aggressive_nsec, Some(true));
    assert_eq!(cfg.cache, defaults.cache);

    let dir = std::env::temp_dir().join(format!("candor-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "workers = 2\n\n[budgets]\nupstream-querys = 10\n").unwrap();
    let out = candor(&["serve", "--config", bad.to_str().unwrap(), "--listen", "127.0.0.1:0"]);
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 4") && err.contains("upstream-querys"), "{err}");
    std::fs::write(&bad, "log-level = \"chatty\"\n").unwrap();
    let out = candor(&["serve", "--config", bad.to_str().unwrap(), "--listen", "127.0.0.1:0"]);
    assert_eq!(out.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&out.stderr).contains("log-level: chatty"));
    // The switches this file documents as on are applied when turned off.
    let off = dir.join("off.toml");
    std::fs::write(&off, "aggressive-nsec = false\nipv6 = false\nminimal-responses = false\n").unwrap();
    let mut cfg = defaults.clone();
    candor::config::load(&off).unwrap().apply(&off, &mut cfg, 0).unwrap();
    assert!(!cfg.cache.aggressive_nsec && cfg.outbound.no_ipv6 && !cfg.minimal_responses);
    assert!(!cfg.outbound.permits("2001:503:ba3e::2:30".parse().unwrap()));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `candor replay` end to end on a scenario of our own (no corpus needed):
/// the canned root answers, the reply is compared, PASS; the same scenario
/// expecting another address fails and says why.
#[test]
fn replay_plays_a_scenario_and_reports_the_mismatch() {
    let scenario = "server:\n\tval-override-date: \"20250101000000\"\nstub-zone:\n\tname: \".\"\n\tstub-addr: 198.51.100.1\nCONFIG_END\nSCENARIO_BEGIN mini\nRANGE_BEGIN 0 100\n\tADDRESS 198.51.100.1\nENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR AA NOERROR\nSECTION QUESTION\nwww.example. IN A\nSECTION ANSWER\nwww.example. IN A 192.0.2.80\nENTRY_END\nRANGE_END\nSTEP 1 QUERY\nENTRY_BEGIN\nREPLY RD\nSECTION QUESTION\nwww.example. IN A\nENTRY_END\nSTEP 2 CHECK_ANSWER\nENTRY_BEGIN\nMATCH all\nREPLY QR RD RA NOERROR\nSECTION QUESTION\nwww.example. IN A\nSECTION ANSWER\nwww.example. IN A 192.0.2.80\nENTRY_END\nSCENARIO_END\n";
    let dir = std::env::temp_dir().join(format!("candor-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("mini.rpl");
    std::fs::write(&good, scenario).unwrap();
    let bad = dir.join("wrong.rpl");
    std::fs::write(
        &bad,
        scenario.replacen("IN A 192.0.2.80\nENTRY_END\nSCENARIO_END", "IN A 192.0.2.81\nENTRY_END\nSCENARIO_END", 1),
    )
    .unwrap();
    let out = candor(&["replay", good.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("mini.rpl: PASS") && text.ends_with("1 passed, 0 failed, 0 skipped\n"), "{text}");
    let out = candor(&["replay", good.to_str().unwrap(), bad.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("wrong.rpl: FAIL: step 2") && text.contains("192.0.2.81"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Write scenarios (`dialect/file.rpl`, text) to a fresh directory, run
/// `candor replay` on them in that order, and give its output lines and
/// exit status.
fn replay_scenarios(tag: &str, files: &[(&str, String)]) -> (Vec<String>, Option<i32>) {
    let dir = std::env::temp_dir().join(format!("candor-replay-{tag}-{}", std::process::id()));
    let mut paths = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        paths.push(path.to_string_lossy().into_owned());
    }
    let mut args = vec!["replay"];
    args.extend(paths.iter().map(String::as_str));
    let out = candor(&args);
    let _ = std::fs::remove_dir_all(&dir);
    (String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect(), out.status.code())
}

/// Deckard's dialect: CHECK_OUT_QUERY is ignored and REPLY steps are one-shot
/// answers used when no range is eligible (FORMAT.md §7), numbered at or
/// after the step being played; in Unbound's dialect they act on the
/// outstanding queries (see the next test).
#[test]
fn replay_plays_deckard_reply_steps_as_one_shot_answers() {
    let pool = "val-override-date: \"20250101000000\"\nstub-addr: 198.51.100.1\nCONFIG_END\nSCENARIO_BEGIN one-shot REPLY answers when no range is eligible\nRANGE_BEGIN 100 200\n\tADDRESS 198.51.100.1\nENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR AA NOERROR\nSECTION QUESTION\nwww.example. IN A\nSECTION ANSWER\nwww.example. IN A 192.0.2.99\nENTRY_END\nRANGE_END\nSTEP 1 QUERY\nENTRY_BEGIN\nREPLY RD\nSECTION QUESTION\nwww.example. IN A\nENTRY_END\nSTEP 2 CHECK_OUT_QUERY\nENTRY_BEGIN\nMATCH qname qtype\nSECTION QUESTION\nwww.example. IN A\nENTRY_END\nSTEP 3 REPLY\nENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR AA NOERROR\nSECTION QUESTION\nwww.example. IN A\nSECTION ANSWER\nwww.example. IN A 192.0.2.80\nENTRY_END\nSTEP 4 CHECK_ANSWER\nENTRY_BEGIN\nMATCH all\nREPLY QR RD RA NOERROR\nSECTION QUESTION\nwww.example. IN A\nSECTION ANSWER\nwww.example. IN A 192.0.2.80\nENTRY_END\nSCENARIO_END\n";
    // The same REPLY step placed before the query: not a candidate.
    let early = "val-override-date: \"20250101000000\"\nstub-addr: 198.51.100.1\nCONFIG_END\nSCENARIO_BEGIN one-shot REPLY answers when no range is eligible\nRANGE_BEGIN 100 200\n\tADDRESS 198.51.100.1\nENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR AA NOERROR\nSECTION QUESTION\nwww.example. IN A\nSECTION ANSWER\nwww.example. IN A 192.0.2.99\nENTRY_END\nRANGE_END\nSTEP 1 REPLY\nENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR AA NOERROR\nSECTION QUESTION\nwww.example. IN A\nSECTION ANSWER\nwww.example. IN A 192.0.2.80\nENTRY_END\nSTEP 2 QUERY\nENTRY_BEGIN\nREPLY RD\nSECTION QUESTION\nwww.example. IN A\nENTRY_END\nSTEP 3 CHECK_OUT_QUERY\nENTRY_BEGIN\nMATCH qname qtype\nSECTION QUESTION\nwww.example. IN A\nENTRY_END\nSTEP 4 CHECK_ANSWER\nENTRY_BEGIN\nMATCH all\nREPLY QR RD RA NOERROR\nSECTION QUESTION\nwww.example. IN A\nSECTION ANSWER\nwww.example. IN A 192.0.2.80\nENTRY_END\nSCENARIO_END\n";
    let files = [
        ("deckard/pool.rpl", pool.to_owned()),
        ("deckard/early.rpl", early.to_owned()),
        ("unbound/pool.rpl", pool.to_owned()),
    ];
    let (lines, status) = replay_scenarios("pool", &files);
    let text = lines.join("\n");
    assert_eq!(lines[0], "pool.rpl: PASS", "{text}");
    assert!(lines[1].starts_with("early.rpl: FAIL: step 4"), "a REPLY before the query is not used: {text}");
    // In Unbound's dialect the top-level stub-addr is no stub (Unbound
    // reads stub-zone clauses): the built-in root hints are asked, QNAME
    // minimisation (Unbound's default) sends example. NS first, and the
    // CHECK_OUT_QUERY for www.example. A finds no such query.
    assert!(
        lines[2].starts_with("pool.rpl: FAIL: step 2") && lines[2].contains("no outgoing query www.example. A"),
        "{text}"
    );
    assert_eq!(status, Some(1), "{text}");
}

/// Unbound's dialect: with CHECK_OUT_QUERY, REPLY or TIMEOUT steps, a query
/// no range answers stays outstanding: CHECK_OUT_QUERY checks it was sent,
/// REPLY answers the newest, and a range that becomes eligible at a later
/// step answers it then (FORMAT.md §7, U run loop).
#[test]
fn replay_holds_unbound_queries_for_later_steps() {
    let head = "server:\n\tval-override-date: \"20250101000000\"\n\tqname-minimisation: \"no\"\nstub-zone:\n\tname: \".\"\n\tstub-addr: 198.51.100.1\nCONFIG_END\nSCENARIO_BEGIN held queries\nRANGE_BEGIN 100 200\n\tADDRESS 198.51.100.1\nENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR AA NOERROR\nSECTION QUESTION\nlate.example. IN A\nSECTION ANSWER\nlate.example. IN A 192.0.2.77\nENTRY_END\nRANGE_END\n";
    let query = |n: u32, name: &str| {
        format!("STEP {n} QUERY\nENTRY_BEGIN\nREPLY RD\nSECTION QUESTION\n{name} IN A\nENTRY_END\n")
    };
    let sent = |n: u32, name: &str| {
        format!("STEP {n} CHECK_OUT_QUERY\nENTRY_BEGIN\nMATCH qname qtype\nSECTION QUESTION\n{name} IN A\nENTRY_END\n")
    };
    let check = |n: u32, name: &str, a: &str| {
        format!(
            "STEP {n} CHECK_ANSWER\nENTRY_BEGIN\nMATCH all\nREPLY QR RD RA NOERROR\nSECTION QUESTION\n{name} IN A\nSECTION ANSWER\n{name} IN A {a}\nENTRY_END\n"
        )
    };
    let reply = "STEP 3 REPLY\nENTRY_BEGIN\nREPLY QR AA NOERROR\nSECTION QUESTION\nwww.example. IN A\nSECTION ANSWER\nwww.example. IN A 192.0.2.80\nENTRY_END\n";
    let replied = format!(
        "{head}{}{}{reply}{}SCENARIO_END\n",
        query(1, "www.example."),
        sent(2, "www.example."),
        check(4, "www.example.", "192.0.2.80")
    );
    // Asked at step 1, answered when the range opens at step 100.
    let waited = format!(
        "{head}{}{}{}SCENARIO_END\n",
        query(1, "late.example."),
        sent(2, "late.example."),
        check(150, "late.example.", "192.0.2.77")
    );
    let never = format!("{head}{}{}SCENARIO_END\n", query(1, "www.example."), sent(2, "other.example."));
    let files = [("unbound/replied.rpl", replied), ("unbound/waited.rpl", waited), ("unbound/never.rpl", never)];
    let (lines, status) = replay_scenarios("hold", &files);
    let text = lines.join("\n");
    assert_eq!(lines[0], "replied.rpl: PASS", "{text}");
    assert_eq!(lines[1], "waited.rpl: PASS", "{text}");
    assert!(
        lines[2].starts_with("never.rpl: FAIL: step 2") && lines[2].contains("no outgoing query other.example. A"),
        "{text}"
    );
    assert_eq!(status, Some(1), "{text}");
}

/// Deckard's dialect looks only in the first eligible range (in file order)
/// and answers SERVFAIL itself when nothing there matches, even when a
/// later range would (FORMAT.md §5).
#[test]
fn replay_plays_deckard_ranges_first_eligible_only() {
    let range = |answer: &str| {
        format!(
            "RANGE_BEGIN 0 100\n\tADDRESS 198.51.100.1\nENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR AA NOERROR\nSECTION QUESTION\n{answer}. IN A\nSECTION ANSWER\n{answer}. IN A 192.0.2.7\nENTRY_END\nRANGE_END\n"
        )
    };
    let check = |rcode: &str, answer: &str| {
        format!(
            "STEP 1 QUERY\nENTRY_BEGIN\nREPLY RD\nSECTION QUESTION\nb.example. IN A\nENTRY_END\nSTEP 2 CHECK_ANSWER\nENTRY_BEGIN\nMATCH opcode qname rcode answer\nREPLY QR RD RA {rcode}\nSECTION QUESTION\nb.example. IN A\nSECTION ANSWER\n{answer}ENTRY_END\nSCENARIO_END\n"
        )
    };
    let head = "val-override-date: \"20250101000000\"\nstub-addr: 198.51.100.1\nquery-minimization: off\nCONFIG_END\nSCENARIO_BEGIN first eligible range only\n";
    let first_only = format!("{head}{}{}{}", range("a.example"), range("b.example"), check("SERVFAIL", ""));
    let answered = format!(
        "{head}{}{}{}",
        range("b.example"),
        range("a.example"),
        check("NOERROR", "b.example. IN A 192.0.2.7\n")
    );
    let files = [("deckard/first_only.rpl", first_only), ("deckard/answered.rpl", answered)];
    let (lines, _) = replay_scenarios("ranges", &files);
    let text = lines.join("\n");
    assert_eq!(lines[0], "first_only.rpl: PASS", "{text}");
    assert_eq!(lines[1], "answered.rpl: PASS", "{text}");
}
