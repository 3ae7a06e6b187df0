//! The external conformance suite: every portable scenario of
//! ../shared/rpl (INDEX.tsv) is replayed against the real resolver and
//! response shaping, and the results must equal the pinned ones in
//! testdata/replay-expected.tsv, in both directions: a regression and an
//! unrecorded fix both fail. `CANDOR_REPLAY_BLESS=1` rewrites the file
//! after a deliberate change (review its diff).

use std::collections::BTreeMap;
use std::path::PathBuf;

use candor_replay::{Outcome, Tier};

/// Where build.rs found the shared corpora.
fn shared() -> PathBuf {
    PathBuf::from(env!("CANDOR_SHARED_DIR"))
}

fn pinned_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/replay-expected.tsv")
}

fn word(o: &Outcome) -> (&'static str, String) {
    match o {
        Outcome::Pass => ("PASS", String::new()),
        Outcome::Fail(why) => ("FAIL", why.replace(['\t', '\n'], " ")),
        Outcome::Unsupported(what) => ("UNSUPPORTED", what.replace(['\t', '\n'], " ")),
    }
}

#[test]
#[cfg_attr(not(candor_shared), ignore = "needs the shared corpora (CANDOR_SHARED, default ../shared): see README")]
fn portable_scenarios_match_the_pinned_results() {
    let rpl = shared().join("rpl");
    let index = std::fs::read_to_string(rpl.join("INDEX.tsv")).expect("INDEX.tsv");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut results: BTreeMap<String, (String, &'static str, String, bool)> = BTreeMap::new();
    for line in index.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let (file, origin, topic, portable) = (f[0], f[1], f[2], f[5]);
        if portable != "yes" {
            continue;
        }
        let path = rpl.join(origin).join(file);
        let outcome = rt.block_on(candor::replay::play(&path, Tier::Recommended));
        let lenient = rt.block_on(candor::replay::play(&path, Tier::Lenient)) == Outcome::Pass;
        let (w, why) = word(&outcome);
        results.insert(format!("{origin}/{file}"), (topic.to_owned(), w, why, lenient));
    }
    assert!(results.len() >= 400, "{} portable scenarios found", results.len());

    // Per topic, for the record: the recommended tier (pinned) and the lenient one.
    let mut topics: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for (topic, w, _, lenient) in results.values() {
        let t = topics.entry(topic.as_str()).or_default();
        t.2 += 1;
        t.0 += usize::from(*w == "PASS");
        t.1 += usize::from(*lenient);
    }
    for (topic, (pass, lenient, all)) in &topics {
        eprintln!("replay {topic}: {pass} of {all} pass (lenient tier: {lenient})");
    }

    let mut text = String::from("scenario\tresult\treason\n");
    for (name, (_, w, why, _)) in &results {
        text.push_str(&format!("{name}\t{w}\t{why}\n"));
    }
    if std::env::var_os("CANDOR_REPLAY_BLESS").is_some() {
        std::fs::write(pinned_path(), &text).unwrap();
        return;
    }
    let pinned = std::fs::read_to_string(pinned_path()).expect("testdata/replay-expected.tsv");
    let pinned: BTreeMap<&str, &str> = pinned
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').collect::<Vec<_>>().get(..2).map(|f| (f[0], f[1])))
        .collect();
    let mut diffs = Vec::new();
    for (name, (_, w, why, _)) in &results {
        match pinned.get(name.as_str()) {
            Some(p) if p == w => {}
            Some(p) => diffs.push(format!("{name}: pinned {p}, now {w} {why}")),
            None => diffs.push(format!("{name}: not pinned, now {w} {why}")),
        }
    }
    for name in pinned.keys() {
        if !results.contains_key(*name) {
            diffs.push(format!("{name}: pinned but no longer portable"));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} scenarios differ from testdata/replay-expected.tsv (CANDOR_REPLAY_BLESS=1 to accept a deliberate change):\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

/// Scenarios that fail must fail for a stated reason, and the pinned file
/// names one for each.
#[test]
fn every_pinned_failure_has_a_reason() {
    let pinned = std::fs::read_to_string(pinned_path()).expect("testdata/replay-expected.tsv");
    for l in pinned.lines().skip(1) {
        let f: Vec<&str> = l.split('\t').collect();
        assert_eq!(f.len(), 3, "{l}");
        assert!(matches!(f[1], "PASS" | "FAIL" | "UNSUPPORTED"), "{l}");
        assert!(f[1] == "PASS" || !f[2].trim().is_empty(), "no reason given: {l}");
    }
}

/// Every scenario pinned as failing or unsupported has its cause written
/// down in testdata/replay-causes.tsv (the candor behaviour or the
/// scenario assumption behind it, by hand), and no passing one does: a
/// fix has to retire its cause, a new failure has to be explained.
#[test]
fn every_failure_has_a_written_cause() {
    let pinned = std::fs::read_to_string(pinned_path()).expect("testdata/replay-expected.tsv");
    let failing: std::collections::BTreeSet<&str> = pinned
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t'))
        .filter(|(_, rest)| !rest.starts_with("PASS"))
        .map(|(name, _)| name)
        .collect();
    let path = pinned_path().with_file_name("replay-causes.tsv");
    let causes = std::fs::read_to_string(&path).expect("testdata/replay-causes.tsv");
    let mut explained = std::collections::BTreeSet::new();
    for l in causes.lines().skip(1) {
        let f: Vec<&str> = l.split('\t').collect();
        assert!(f.len() == 3 && !f[1].is_empty() && !f[2].is_empty(), "cause line needs scenario, cause and why: {l}");
        assert!(
            failing.contains(f[0]),
            "{}: a cause is written for a scenario that passes (or is not in the corpus)",
            f[0]
        );
        assert!(explained.insert(f[0]), "{}: two causes", f[0]);
    }
    let unexplained: Vec<&&str> = failing.iter().filter(|n| !explained.contains(**n)).collect();
    assert!(unexplained.is_empty(), "failing without a written cause in {}: {unexplained:?}", path.display());
}

/// The corpus as crypto vectors: every RRSIG in the answer and authority
/// sections of an expected reply that carries AD (a signature the scenario expects to
/// validate) verifies, at the scenario's override date, with a DNSKEY of
/// its signer found in the scenario, under the legacy policy (DSA,
/// RSASHA1, small RSA keys). Signatures nobody here made.
#[test]
#[cfg_attr(not(candor_shared), ignore = "needs the shared corpora (CANDOR_SHARED, default ../shared): see README")]
fn signatures_the_scenarios_expect_to_validate_verify() {
    use candor_crypto::{Policy, PublicKey, RING, key_tag, verify_rrsig};
    use candor_wire::{RData, RType};

    let rpl = shared().join("rpl");
    let index = std::fs::read_to_string(rpl.join("INDEX.tsv")).expect("INDEX.tsv");
    let (mut verified, mut scenarios) = (0, 0);
    let mut by_algorithm: BTreeMap<u8, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for line in index.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let (file, origin) = (f[0], f[1]);
        let path = rpl.join(origin).join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let Ok(sc) = candor_replay::parse(&text, candor::replay::dialect_of(&path)) else { continue };
        let Some(now) = sc
            .values("val-override-date")
            .chain(sc.values("val-override-timestamp"))
            .find_map(|v| candor_wire::parse_timestamp(v).or_else(|| v.parse().ok()))
            .filter(|t| *t > 0)
        else {
            continue;
        };
        // Every DNSKEY the scenario's servers hold.
        let keys: Vec<(candor_wire::Name, candor_wire::Dnskey)> = sc
            .ranges
            .iter()
            .flat_map(|r| r.entries.iter())
            .flat_map(|e| e.sections.iter().flatten())
            .filter_map(|r| match &r.data {
                RData::Dnskey(k) => Some((r.owner.clone(), k.clone())),
                _ => None,
            })
            .collect();
        let mut counted = false;
        for step in sc.steps.iter().filter(|s| s.kind == "CHECK_ANSWER") {
            let Some(e) = &step.entry else { continue };
            if !e.has_reply("AD") {
                continue;
            }
            for (section, r) in e.sections[..2].iter().flat_map(|s| s.iter().map(move |r| (s, r))) {
                let RData::Rrsig(sig) = &r.data else { continue };
                let rrset: Vec<_> =
                    section.iter().filter(|x| x.owner == r.owner && x.rtype() == sig.type_covered).cloned().collect();
                if rrset.is_empty() || sig.type_covered == RType::RRSIG {
                    continue;
                }
                let ok = keys.iter().any(|(owner, k)| {
                    *owner == sig.signer
                        && key_tag(k) == sig.key_tag
                        && k.algorithm == sig.algorithm
                        && PublicKey::from_dnskey(k, Policy::LEGACY)
                            .is_ok_and(|p| verify_rrsig(&rrset, sig, &sig.signer, k, &p, now as u64, &RING).is_ok())
                });
                if ok {
                    verified += 1;
                    *by_algorithm.entry(sig.algorithm.0).or_default() += 1;
                    counted = true;
                } else {
                    failures.push(format!(
                        "{origin}/{file} step {}: {} {} RRSIG {} alg {}",
                        step.n, r.owner, sig.type_covered, sig.key_tag, sig.algorithm.0
                    ));
                }
            }
        }
        scenarios += usize::from(counted);
    }
    eprintln!(
        "{verified} RRSIGs verified from {scenarios} scenarios ({by_algorithm:?} by algorithm); {} did not",
        failures.len()
    );
    // The legacy algorithms are really exercised: DSA (3), RSASHA1 (5, 7).
    for alg in [3, 5, 7, 8] {
        assert!(by_algorithm.get(&alg).is_some_and(|n| *n > 10), "algorithm {alg}: {by_algorithm:?}");
    }
    assert!(verified > 400, "only {verified} signatures checked");
    assert!(failures.is_empty(), "{} expected-valid signatures fail:\n{}", failures.len(), failures.join("\n"));
}
