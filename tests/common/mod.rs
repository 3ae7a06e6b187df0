//! Shared helpers for the end-to-end suites.

#![allow(dead_code)]

use std::path::PathBuf;

/// The shared corpora directory, found by `bins/candor/build.rs`
/// (`CANDOR_SHARED`, default `../shared` beside the checkout). Tests that
/// call this carry `#[cfg_attr(not(candor_shared), ignore = ...)]`, so they
/// only run when it exists.
pub(crate) fn shared() -> PathBuf {
    let dir = env!("CANDOR_SHARED_DIR");
    assert!(!dir.is_empty(), "shared corpora not found at build time; set CANDOR_SHARED and rebuild");
    PathBuf::from(dir)
}

/// The workspace's `testdata/` directory.
pub(crate) fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}
