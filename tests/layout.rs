//! The house rules of `src/`, checked on the source text: no import loop between modules
//! (directly or around a ring), the core never imports `learn` or `web`, and the command line's
//! modules import only downwards.
#![cfg(not(target_arch = "wasm32"))] // native only: the browser tests are tests/web.rs

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The module path of a file relative to `root` (`head/mod.rs` → `head`, `web/store.rs` → `web::store`).
fn module(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap().with_extension("");
    let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let parts: Vec<&str> = parts.iter().map(String::as_str).filter(|p| *p != "mod").collect();
    parts.join("::")
}

/// Modules a file imports through `use <prefix>...` (and `use super::...` for children), as
/// the longest module path that exists.
fn imports(text: &str, own: &str, prefix: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let parent = own.rsplit_once("::").map_or("", |(p, _)| p);
    let mut out = BTreeSet::new();
    for line in text.lines().map(str::trim).filter(|l| l.starts_with("use ") || l.starts_with("pub use ")) {
        let path = line.trim_start_matches("pub ").trim_start_matches("use ");
        let path = if let Some(rest) = path.strip_prefix(prefix) {
            rest.to_owned()
        } else if let Some(rest) = path.strip_prefix("super::") {
            if parent.is_empty() {
                rest.to_owned()
            } else {
                format!("{parent}::{rest}")
            }
        } else {
            continue;
        };
        let segments: Vec<&str> =
            path.split("::").take_while(|s| s.chars().all(|c| c.is_alphanumeric() || c == '_')).collect();
        let target = (1..=segments.len()).rev().map(|n| segments[..n].join("::")).find(|m| known.contains(m));
        if let Some(t) = target.filter(|t| t != own && !own.starts_with(&format!("{t}::"))) {
            out.insert(t);
        }
    }
    out
}

fn graph(root: &Path, prefix: &str) -> BTreeMap<String, BTreeSet<String>> {
    let files = sources(root);
    let known: BTreeSet<String> = files.iter().map(|f| module(root, f)).collect();
    files
        .iter()
        .map(|f| {
            let own = module(root, f);
            let deps = imports(&std::fs::read_to_string(f).unwrap(), &own, prefix, &known);
            (own, deps)
        })
        .collect()
}

/// A cycle in the graph, if there is one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == node) {
            return Some(stack[i..].to_vec());
        }
        if !done.insert(node.to_owned()) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_library_has_no_import_loop_and_the_core_does_not_import_learn_or_web() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut g = graph(&root, "crate::");
    g.retain(|m, _| !m.starts_with("bin"));
    assert!(g.contains_key("gallery") && g["gallery"].contains("rule"), "the parser sees imports: {g:?}");
    assert_eq!(cycle(&g), None);
    for (module, deps) in &g {
        let core = !(module.starts_with("learn") || module.starts_with("web") || module == "lib");
        let upward: Vec<&String> = deps.iter().filter(|d| d.starts_with("learn") || d.starts_with("web")).collect();
        assert!(!core || upward.is_empty(), "core module {module} imports {upward:?}");
    }
}

#[test]
fn the_command_line_has_no_import_loop() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin/facegate");
    let g = graph(&root, "crate::");
    assert!(g["compare"].contains("args"), "the parser sees imports: {g:?}");
    assert_eq!(cycle(&g), None);
}

#[test]
fn a_loop_is_found() {
    let g: BTreeMap<String, BTreeSet<String>> = [("a", "b"), ("b", "c"), ("c", "a")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), BTreeSet::from([v.to_owned()])))
        .collect();
    assert_eq!(cycle(&g).map(|c| c.len()), Some(3));
}
