//! The architecture of ../shared/DESIGN.md, checked from `cargo metadata`
//! and the sources, so it cannot rot quietly:
//! 1. the crate graph points down only: each crate's normal dependencies
//!    on other candor crates stay within what it may know;
//! 2. `server`, `resolver` and everything below them never depend on `lab`
//!    or `replay` as normal dependencies, directly or through another crate
//!    (dev-dependencies are fine);
//! 3. no two modules of one crate import each other, directly or round a
//!    longer circle (a module is a source file; the crate root, which only
//!    declares and re-exports, is left out);
//! 4. no source file under any `src/` is over 800 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// Each workspace crate's normal dependencies on other candor crates, by
/// directory name (`crates/resolver` is "resolver", `bins/candor` "candor").
fn crate_graph() -> BTreeMap<String, BTreeSet<String>> {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let short = |name: &str| name.strip_prefix("candor-").unwrap_or(name).to_owned();
    let mut graph = BTreeMap::new();
    for pkg in meta["packages"].as_array().unwrap() {
        let name = short(pkg["name"].as_str().unwrap());
        let deps = pkg["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"].is_null())
            .filter_map(|d| d["name"].as_str())
            .filter(|n| n.starts_with("candor-"))
            .map(short)
            .collect();
        graph.insert(name, deps);
    }
    graph
}

#[test]
fn the_crate_graph_points_down_only() {
    let allowed: &[(&str, &[&str])] = &[
        ("wire", &[]),
        ("crypto", &["wire"]),
        ("denial", &["wire"]),
        ("anchor", &["wire", "crypto"]),
        ("resolver", &["wire", "crypto", "denial", "anchor"]),
        ("server", &["wire", "resolver"]),
        ("lab", &["wire", "crypto"]),
        ("replay", &["wire", "crypto", "anchor", "resolver"]),
        ("candor", &["wire", "crypto", "denial", "anchor", "resolver", "server", "lab", "replay"]),
    ];
    let graph = crate_graph();
    for (name, deps) in &graph {
        let (_, ok) = allowed
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("crate {name} is not in the design's crate list"));
        for dep in deps {
            assert!(ok.contains(&dep.as_str()), "{name} must not depend on candor-{dep}");
        }
    }
    let names: BTreeSet<&str> = graph.keys().map(String::as_str).collect();
    let design: BTreeSet<&str> = allowed.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, design, "the workspace has exactly the design's crates");
}

#[test]
fn the_serving_path_never_links_test_infrastructure() {
    let graph = crate_graph();
    for start in ["server", "resolver"] {
        // Everything `start` links, directly or through other crates.
        let mut seen = BTreeSet::new();
        let mut todo = vec![start.to_owned()];
        while let Some(c) = todo.pop() {
            for d in graph.get(&c).into_iter().flatten() {
                if seen.insert(d.clone()) {
                    todo.push(d.clone());
                }
            }
        }
        for banned in ["lab", "replay"] {
            assert!(!seen.contains(banned), "{start} links candor-{banned} (only a dev-dependency may)");
        }
    }
}

/// Every `.rs` file below `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(sources(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The `src/` directories of the workspace's crates and binaries.
fn src_dirs() -> Vec<PathBuf> {
    let root = root();
    let mut dirs = Vec::new();
    for group in ["crates", "bins"] {
        for e in std::fs::read_dir(root.join(group)).unwrap() {
            let src = e.unwrap().path().join("src");
            if src.is_dir() {
                dirs.push(src);
            }
        }
    }
    dirs.sort();
    assert!(dirs.len() >= 9, "every crate's src/ was found: {dirs:?}");
    dirs
}

/// The module path of a source file relative to its crate's `src/`
/// (`iterator/mod.rs` and `iterator.rs` are both `["iterator"]`; the crate
/// root is `[]`).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") || !parts.is_empty() && stem != "mod" {
        parts.push(stem.to_owned());
    }
    parts
}

/// The code of a file without comments and without its `#[cfg(test)]`
/// tail (a test module's imports are not part of the architecture).
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// The paths a file names: its `use` declarations (braces expanded) and
/// every `crate::`, `super::` or `self::` path in its code.
fn named_paths(code: &str) -> Vec<String> {
    fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
        let tree = tree.trim();
        if let Some(open) = tree.find('{') {
            let head = format!("{prefix}{}", &tree[..open]);
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let mut depth = 0;
            let mut start = 0;
            for (i, ch) in inner.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&head, &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            expand(&head, &inner[start..], out);
        } else if !tree.is_empty() {
            out.push(format!("{prefix}{tree}"));
        }
    }
    let mut out = Vec::new();
    for stmt in code.split(';') {
        let s = stmt.trim_start();
        let s = s.strip_prefix("pub(crate) ").or_else(|| s.strip_prefix("pub ")).unwrap_or(s);
        if let Some(tree) = s.strip_prefix("use ") {
            expand("", &tree.split_whitespace().collect::<String>(), &mut out);
        }
    }
    for start in ["crate::", "super::", "self::"] {
        let mut rest = code;
        while let Some(i) = rest.find(start) {
            let before = rest[..i].chars().last();
            let tail = &rest[i..];
            let end = tail.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(tail.len());
            if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                out.push(tail[..end].to_owned());
            }
            rest = &tail[end.max(1)..];
        }
    }
    out
}

/// The deepest module (source file) a path leads into, from `module`.
fn target(modules: &BTreeSet<Vec<String>>, module: &[String], path: &str) -> Option<Vec<String>> {
    let mut segs = path.split("::").filter(|s| !s.is_empty());
    let mut at: Vec<String> = match segs.next()? {
        "crate" => Vec::new(),
        "self" => module.to_vec(),
        "super" => module.get(..module.len().checked_sub(1)?)?.to_vec(),
        _ => return None, // another crate
    };
    for s in segs {
        match s {
            "super" => {
                at.pop();
            }
            "self" => {}
            s => {
                let mut next = at.clone();
                next.push(s.to_owned());
                if !modules.contains(&next) {
                    break;
                }
                at = next;
            }
        }
    }
    Some(at)
}

/// Strongly connected groups of more than one module, each sorted.
fn circles(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<String>> {
    let reach = |from: &Vec<String>| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(m) = todo.pop() {
            for n in edges.get(&m).into_iter().flatten() {
                if seen.insert(n.clone()) {
                    todo.push(n.clone());
                }
            }
        }
        seen
    };
    let mut found = BTreeSet::new();
    for m in edges.keys() {
        let from_m = reach(m);
        let group: BTreeSet<String> =
            from_m.iter().filter(|n| reach(n).contains(m)).map(|n| format!("crate::{}", n.join("::"))).collect();
        if group.len() > 1 {
            found.insert(group.into_iter().collect::<Vec<_>>());
        }
    }
    found.into_iter().collect()
}

#[test]
fn no_two_modules_of_a_crate_import_each_other() {
    let mut problems = Vec::new();
    for src in src_dirs() {
        let files = sources(&src);
        let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(&src, f)).collect();
        let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
        for f in &files {
            let module = module_of(&src, f);
            if module.is_empty() {
                continue; // the crate root: declarations and re-exports
            }
            let code = code_of(&std::fs::read_to_string(f).unwrap());
            for path in named_paths(&code) {
                if let Some(t) = target(&modules, &module, &path)
                    && t != module
                    && !t.is_empty()
                {
                    edges.entry(module.clone()).or_default().insert(t);
                }
            }
        }
        for c in circles(&edges) {
            problems.push(format!("{}: {}", src.display(), c.join(" <-> ")));
        }
    }
    assert!(problems.is_empty(), "modules that import each other:\n{}", problems.join("\n"));
}

#[test]
fn the_cycle_check_sees_a_cycle() {
    // The check above must be able to fail: two modules naming each other.
    let modules: BTreeSet<Vec<String>> =
        [vec!["a".to_owned()], vec!["a".to_owned(), "b".to_owned()]].into_iter().collect();
    let a = vec!["a".to_owned()];
    let ab = vec!["a".to_owned(), "b".to_owned()];
    let paths_a = named_paths(&code_of("use self::b::{X, Y};\nfn f() {}\n// use crate::zzz;"));
    let paths_b = named_paths(&code_of("use super::Z;\n#[cfg(test)]\nmod tests { use crate::q; }"));
    let mut edges = BTreeMap::new();
    for p in paths_a {
        edges.entry(a.clone()).or_insert_with(BTreeSet::new).insert(target(&modules, &a, &p).unwrap());
    }
    for p in paths_b {
        edges.entry(ab.clone()).or_insert_with(BTreeSet::new).insert(target(&modules, &ab, &p).unwrap());
    }
    assert_eq!(circles(&edges), vec![vec!["crate::a".to_owned(), "crate::a::b".to_owned()]]);
    edges.remove(&ab);
    assert!(circles(&edges).is_empty());
}

#[test]
fn no_source_file_is_over_800_lines() {
    let mut big = Vec::new();
    for src in src_dirs() {
        for f in sources(&src) {
            let n = std::fs::read_to_string(&f).unwrap().lines().count();
            if n > 800 {
                big.push(format!("{} ({n} lines)", f.display()));
            }
        }
    }
    assert!(big.is_empty(), "split these by what they own:\n{}", big.join("\n"));
}
