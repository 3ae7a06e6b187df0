//! The cache that survives restarts, against the lab on loopback: saved,
//! read back by a new resolver (aged by the downtime, every secure entry
//! verified again) so that cached names cost no upstream query and keep
//! their verdicts; and refused as a whole when the file is not candor's,
//! not authentic, foreign, of another format, or from the future.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use candor_resolver::{ManualClock, NetTransport, PersistError, Resolution, Resolver, key_path};

mod common;

use common::{Config, Duration, NOW, Name, RType, Rcode, Security, lab_and_config};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("candor-persist-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn qname(lab: &candor_lab::Lab, case: &str) -> Name {
    lab.cases.iter().find(|(c, _)| c.name == case).map(|(_, q)| q.clone()).unwrap()
}

/// The cases cached before the save: secure (plain, NXDOMAIN, a DNAME's
/// synthesised CNAME, a wildcard expansion) and insecure.
const CASES: [&str; 5] = ["valid", "nsec-nxdomain", "dname", "wildcard", "no-ds"];

type Net = Resolver<NetTransport, ManualClock>;

/// A resolver over the lab with `CASES` resolved and saved to `path`.
async fn saved(config: &Config, lab: &candor_lab::Lab, clock: &ManualClock, path: &Path) -> Vec<Resolution> {
    let r: Net = Resolver::new(config.clone(), NetTransport::new(), clock.clone());
    let mut first = Vec::new();
    for case in CASES {
        first.push(r.resolve(&qname(lab, case), RType::A).await);
    }
    let s = r.save_cache(path).unwrap();
    assert!(s.answers >= CASES.len() && s.cuts >= 3 && s.rrsets >= 1, "{s:?}");
    first
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_resolver_answers_from_the_saved_cache_with_the_same_verdicts_and_no_upstream_query() {
    let (lab, _running, config) = lab_and_config(71).await;
    let dir = scratch("roundtrip");
    let path = dir.join("cache.state");
    let clock = ManualClock::at(NOW);
    let first = saved(&config, &lab, &clock, &path).await;
    assert_eq!(first[0].security, Security::Secure);
    assert_eq!(first[1].rcode, Rcode::NXDOMAIN);
    assert_eq!(first[4].security, Security::Insecure(None));
    for p in [path.clone(), key_path(&path)] {
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600, "{}", p.display());
    }
    // Down for 100 s.
    clock.advance(Duration::from_secs(100));
    let r: Net = Resolver::new(config.clone(), NetTransport::new(), clock.clone());
    let back = r.restore_cache(&path).unwrap();
    assert_eq!((back.downtime, back.unverified, back.expired), (100, 0, 0), "{back:?}");
    assert!(back.answers >= CASES.len() && back.cuts >= 3, "{back:?}");
    for (case, before) in CASES.iter().zip(&first) {
        let (again, upstream) = r.resolve_costed(&qname(&lab, case), RType::A).await;
        assert_eq!(upstream, 0, "{case}: answered without asking");
        assert!(again.from_cache, "{case}");
        assert_eq!((again.rcode, &again.security), (before.rcode, &before.security), "{case}");
        let ttl = |x: &Resolution| x.answers.iter().chain(&x.authority).map(|rr| rr.ttl).min();
        assert_eq!(ttl(&again), ttl(before).map(|t| t - 100), "{case}: TTLs aged by the downtime");
    }
    // A name not cached in a zone whose cut came back: its servers and
    // keys are known, so only the question itself goes out.
    let valid = qname(&lab, "valid");
    let (other, upstream) = r.resolve_costed(&valid, RType::AAAA).await;
    assert!(matches!(other.security, Security::Secure), "{:?}", other.security);
    assert_eq!(upstream, 1, "no DNSKEY or DS asked again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_that_ran_out_while_down_are_dropped_and_a_wrong_clock_is_refused() {
    let (lab, _running, config) = lab_and_config(72).await;
    let dir = scratch("aged");
    let path = dir.join("cache.state");
    let clock = ManualClock::at(NOW);
    saved(&config, &lab, &clock, &path).await;
    // Saved "in the future": the local clock went back.
    let behind: Net = Resolver::new(config.clone(), NetTransport::new(), ManualClock::at(NOW - 3600));
    assert!(matches!(behind.restore_cache(&path), Err(PersistError::ClockBehind { .. })));
    // Down for two days: every TTL and signature is past.
    clock.advance(Duration::from_secs(2 * 86_400));
    let r: Net = Resolver::new(config.clone(), NetTransport::new(), clock.clone());
    let back = r.restore_cache(&path).unwrap();
    assert_eq!((back.answers, back.rrsets, back.cuts), (0, 0, 0), "{back:?}");
    assert!(back.expired >= CASES.len(), "{back:?}");
}

/// Flip one octet of `path` at `at` from its end.
fn flip(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    let i = bytes.len() - at;
    bytes[i] ^= 0x55;
    std::fs::write(path, bytes).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_is_not_authentic_private_or_ours_creates_no_entry() {
    let (lab, _running, config) = lab_and_config(73).await;
    let dir = scratch("refused");
    let path = dir.join("cache.state");
    let clock = ManualClock::at(NOW);
    saved(&config, &lab, &clock, &path).await;
    let original = std::fs::read(&path).unwrap();
    let fresh = || -> Net { Resolver::new(config.clone(), NetTransport::new(), clock.clone()) };
    let refused = |r: &Net, what: &str| {
        assert_eq!(r.cache().stats().entries, 0, "{what}: nothing was put in");
    };
    // One octet changed in the middle: the tag no longer matches.
    flip(&path, original.len() / 2);
    let r = fresh();
    assert!(matches!(r.restore_cache(&path), Err(PersistError::Tampered)));
    refused(&r, "tampered");
    // Readable by others.
    std::fs::write(&path, &original).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = fresh();
    let e = r.restore_cache(&path).unwrap_err();
    assert!(matches!(e, PersistError::Unsafe { .. }) && e.to_string().contains("mode 644"), "{e}");
    refused(&r, "mode");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    // Another key (the file of another installation).
    let key = std::fs::read(key_path(&path)).unwrap();
    std::fs::write(key_path(&path), [7u8; 32]).unwrap();
    assert!(matches!(fresh().restore_cache(&path), Err(PersistError::Tampered)));
    // No key at all.
    std::fs::remove_file(key_path(&path)).unwrap();
    assert!(matches!(fresh().restore_cache(&path), Err(PersistError::Unsafe { .. })));
    std::fs::write(key_path(&path), &key).unwrap();
    std::fs::set_permissions(key_path(&path), std::fs::Permissions::from_mode(0o600)).unwrap();
    // Other trust anchors (as a lab run's file meets a production start).
    let mut other = config.clone();
    other.anchors = candor_anchor::Anchors::iana_root();
    let foreign: Net = Resolver::new(other, NetTransport::new(), clock.clone());
    assert!(matches!(foreign.restore_cache(&path), Err(PersistError::Foreign)));
    // Another format, or not a cache file at all.
    let mut newer = original.clone();
    newer[9] = 9;
    std::fs::write(&path, &newer).unwrap();
    assert!(matches!(fresh().restore_cache(&path), Err(PersistError::Version(9))));
    std::fs::write(&path, b"; a zone file\n").unwrap();
    assert!(matches!(fresh().restore_cache(&path), Err(PersistError::NotACacheFile)));
    std::fs::write(&path, &original[..40]).unwrap();
    assert!(fresh().restore_cache(&path).is_err());
    // A symlink to it is not followed.
    std::fs::write(dir.join("real"), &original).unwrap();
    std::fs::set_permissions(dir.join("real"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let _ = std::fs::remove_file(&path);
    std::os::unix::fs::symlink(dir.join("real"), &path).unwrap();
    assert!(matches!(fresh().restore_cache(&path), Err(PersistError::Unsafe { .. })));
    // Nor is a FIFO waited on.
    std::fs::remove_file(&path).unwrap();
    assert!(Command::new("mkfifo").arg(&path).status().unwrap().success());
    let e = fresh().restore_cache(&path).unwrap_err();
    assert!(e.to_string().contains("not a regular file"), "{e}");
    // And the untouched file still loads.
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, &original).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let r = fresh();
    assert!(r.restore_cache(&path).unwrap().answers >= CASES.len());
    // No file: a first start.
    assert!(matches!(fresh().restore_cache(&dir.join("none")), Err(PersistError::Missing(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_secure_record_signed_again_with_the_files_key_is_still_not_believed() {
    let (lab, _running, config) = lab_and_config(74).await;
    let dir = scratch("forged");
    let path = dir.join("cache.state");
    let clock = ManualClock::at(NOW);
    let first = saved(&config, &lab, &clock, &path).await;
    // Whoever can write the state directory has the key too: change the
    // valid case's address and authenticate the file again.
    let addr = first[0]
        .answers
        .iter()
        .find_map(|rr| match &rr.data {
            candor_wire::RData::A(a) => Some(a.octets()),
            _ => None,
        })
        .unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.truncate(bytes.len() - 32);
    // Every copy of it (other cases may answer with the same address; an
    // insecure one among them is believed: the file's key is all that
    // vouches for insecure data).
    let at: Vec<usize> = bytes.windows(4).enumerate().filter(|(_, w)| *w == addr).map(|(i, _)| i).collect();
    assert!(!at.is_empty(), "the address is in the file");
    for i in at {
        bytes[i + 3] ^= 1;
    }
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &std::fs::read(key_path(&path)).unwrap());
    let tag = ring::hmac::sign(&key, &bytes);
    bytes.extend_from_slice(tag.as_ref());
    std::fs::write(&path, &bytes).unwrap();
    let r: Net = Resolver::new(config.clone(), NetTransport::new(), clock.clone());
    let back = r.restore_cache(&path).unwrap();
    assert!(back.unverified >= 1, "{back:?}");
    let (again, upstream) = r.resolve_costed(&qname(&lab, "valid"), RType::A).await;
    assert!(upstream > 0, "asked again, not answered from the forged entry");
    let data = |x: &Resolution| x.answers.iter().map(|rr| rr.data.clone()).collect::<Vec<_>>();
    assert_eq!(data(&again), data(&first[0]), "the real address");
    assert_eq!(again.security, Security::Secure);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_resolved_anew_before_the_restore_reaches_it_is_kept() {
    let (lab, _running, config) = lab_and_config(78).await;
    let dir = scratch("newer");
    let path = dir.join("cache.state");
    let clock = ManualClock::at(NOW);
    saved(&config, &lab, &clock, &path).await;
    clock.advance(Duration::from_secs(100));
    // Serving started before the restore: valid.test. is resolved anew.
    let r: Net = Resolver::new(config.clone(), NetTransport::new(), clock.clone());
    let fresh = r.resolve(&qname(&lab, "valid"), RType::A).await;
    let back = r.restore_cache(&path).unwrap();
    assert!(back.newer >= 2, "the answer and the cuts resolved anew: {back:?}");
    let again = r.resolve(&qname(&lab, "valid"), RType::A).await;
    let ttl = |x: &Resolution| x.answers.iter().map(|rr| rr.ttl).min();
    assert_eq!(ttl(&again), ttl(&fresh), "the fresh answer, not the saved one (100 s older)");
}
