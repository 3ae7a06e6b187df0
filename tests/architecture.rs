//! The crate graph points down only (../shared/DESIGN.md): each crate's
//! normal dependencies on other candor crates stay within what it may know.

use std::collections::BTreeSet;
use std::path::PathBuf;

/// The candor crates named in the `[dependencies]` table of a manifest.
fn normal_deps(manifest: &str) -> BTreeSet<String> {
    let mut in_deps = false;
    let mut out = BTreeSet::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps && let Some(name) = line.split(['.', ' ', '=']).next().filter(|n| n.starts_with("candor-")) {
            out.insert(name.to_owned());
        }
    }
    out
}

#[test]
fn dependencies_point_down_only() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let allowed: &[(&str, &[&str])] = &[
        ("wire", &[]),
        ("crypto", &["candor-wire"]),
        ("denial", &["candor-wire"]),
        ("anchor", &["candor-wire", "candor-crypto"]),
        ("resolver", &["candor-wire", "candor-crypto", "candor-denial", "candor-anchor"]),
        ("lab", &["candor-wire", "candor-crypto"]),
        ("replay", &["candor-wire", "candor-crypto", "candor-anchor", "candor-resolver"]),
    ];
    let mut seen = 0;
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let (_, ok) = allowed
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("crates/{name} is not in the design's crate list"));
        for dep in normal_deps(&manifest) {
            assert!(ok.contains(&dep.as_str()), "crates/{name} must not depend on {dep}");
        }
        seen += 1;
    }
    assert_eq!(seen, allowed.len(), "every crate of the design exists");
}
