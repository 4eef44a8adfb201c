//! The shape of the code: no import circles between the backend's top-level modules, nor
//! between the business areas in `services/`. A circle means a helper without a neutral
//! home (time, audit, errors, state); give it one instead of importing across.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Helpers every area may use from `services` itself without depending on an area.
const NEUTRAL: &[&str] = &[
    "self",
    "Actor",
    "ServiceError",
    "FieldError",
    "corrupt",
    "rfc3339",
    "csv_cell",
    "csv_record",
    "audit_change",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `app`, `graphql`, … or `services::dispatch` for a file; and whether its `super` is
/// `services`.
fn module_of(root: &Path, path: &Path) -> Option<(String, bool)> {
    let relative = path.strip_prefix(root).ok()?.with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|p| ["mod", "lib", "main"].contains(&p.as_str()))
    {
        parts.pop();
    }
    let first = parts.first()?.clone();
    if first == "services" && parts.len() >= 2 {
        // `services/x.rs` and `services/x/mod.rs` both have `services` as `super`.
        let parent_is_services = parts.len() == 2;
        return Some((format!("services::{}", parts[1]), parent_is_services));
    }
    Some((first, false))
}

fn identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The first path segment of each item of a `{a, b::c, D}` group.
fn group_heads(text: &str) -> Vec<&str> {
    let Some(end) = text.find('}') else {
        return Vec::new();
    };
    text[1..end]
        .split(',')
        .map(|item| identifier(item.trim()))
        .filter(|name| !name.is_empty())
        .collect()
}

fn is_area(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase()) && !NEUTRAL.contains(&name)
}

fn dependencies(code: &str, parent_is_services: bool) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if rest.starts_with('{') {
            found.extend(group_heads(rest).into_iter().map(str::to_owned));
            continue;
        }
        let top = identifier(rest);
        let after = &rest[top.len()..];
        if top == "services" {
            if let Some(inner) = after.strip_prefix("::") {
                if inner.starts_with('{') {
                    for name in group_heads(inner) {
                        if is_area(name) {
                            found.insert(format!("services::{name}"));
                        }
                    }
                } else {
                    let name = identifier(inner);
                    if is_area(name) {
                        found.insert(format!("services::{name}"));
                    }
                }
            }
        } else if !top.is_empty() {
            found.insert(top.to_owned());
        }
    }
    if parent_is_services {
        for (at, _) in code.match_indices("super::") {
            let rest = &code[at + "super::".len()..];
            let names = if rest.starts_with('{') {
                group_heads(rest)
            } else {
                let name = identifier(rest);
                if rest[name.len()..].starts_with("::") {
                    vec![name]
                } else {
                    Vec::new()
                }
            };
            for name in names {
                if is_area(name) {
                    found.insert(format!("services::{name}"));
                }
            }
        }
    }
    found
}

/// The strongly connected components of more than one module (Tarjan).
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a str) {
        let i = w.index.len();
        w.index.insert(v, i);
        w.low.insert(v, i);
        w.stack.push(v);
        let edges = w.edges;
        for next in edges.get(v).into_iter().flatten() {
            let next = next.as_str();
            if !w.index.contains_key(next) {
                visit(w, next);
                let low = w.low[v].min(w.low[next]);
                w.low.insert(v, low);
            } else if w.stack.contains(&next) {
                let low = w.low[v].min(w.index[next]);
                w.low.insert(v, low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut component = Vec::new();
            while let Some(top) = w.stack.pop() {
                component.push(top.to_owned());
                if top == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                w.found.push(component);
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v.as_str()) {
            visit(&mut walk, v);
        }
    }
    walk.found
}

#[test]
fn the_backend_has_no_import_circles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some((module, parent_is_services)) = module_of(&root, file) else {
            continue;
        };
        let text = std::fs::read_to_string(file).expect("source");
        // Unit tests may reach anywhere.
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
        let deps = dependencies(code, parent_is_services);
        let entry = edges.entry(module.clone()).or_default();
        entry.extend(deps.into_iter().filter(|d| *d != module));
    }
    assert!(
        edges.contains_key("services::dispatch") && edges["graphql"].contains("state"),
        "the scan found no dependencies: {edges:?}"
    );
    let found = circles(&edges);
    let described: Vec<String> = found
        .iter()
        .map(|c| {
            let arrows: Vec<String> = c
                .iter()
                .map(|m| {
                    let to: Vec<&String> = edges[m].iter().filter(|t| c.contains(t)).collect();
                    format!("{m} -> {to:?}")
                })
                .collect();
            arrows.join("; ")
        })
        .collect();
    assert!(found.is_empty(), "import circles: {described:#?}");
}

#[test]
fn a_circle_is_found_when_there_is_one() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.insert("a".into(), ["b".to_owned()].into());
    edges.insert("b".into(), ["c".to_owned()].into());
    edges.insert("c".into(), ["a".to_owned(), "d".to_owned()].into());
    edges.insert("d".into(), BTreeSet::new());
    assert_eq!(circles(&edges), vec![vec!["a", "b", "c"]]);
    let deps = dependencies(
        "use crate::{graphql, rest};\nuse super::{accounts, ServiceError};\nuse crate::services::{dispatch::x, corrupt};",
        true,
    );
    assert_eq!(
        deps.into_iter().collect::<Vec<_>>(),
        [
            "graphql",
            "rest",
            "services::accounts",
            "services::dispatch"
        ]
    );
}

/// The browser talks to the server only through `frontend/src/api/`: every operation is a
/// `.graphql` file that exactly one typed function includes, and no page builds a request,
/// an operation string or an untyped JSON value itself.
#[test]
fn the_browser_calls_typed_functions_only() {
    let frontend = Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend");
    let mut code = Vec::new();
    sources(&frontend.join("src"), &mut code);
    let mut operations = Vec::new();
    fn graphql_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                graphql_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "graphql") {
                out.push(path);
            }
        }
    }
    graphql_files(&frontend.join("graphql"), &mut operations);
    assert!(
        !operations.is_empty(),
        "no operations under frontend/graphql"
    );

    let mut problems = Vec::new();
    let mut included: BTreeMap<String, usize> = BTreeMap::new();
    for path in &code {
        let text = std::fs::read_to_string(path).expect("source");
        let name = path
            .strip_prefix(&frontend)
            .unwrap_or(path)
            .display()
            .to_string();
        let in_api = name.starts_with("src/api/");
        for piece in text.split("include_str!(\"").skip(1) {
            let Some(target) = piece.split('"').next() else {
                continue;
            };
            let resolved = path
                .parent()
                .map(|dir| dir.join(target))
                .and_then(|p| p.canonicalize().ok());
            match resolved {
                Some(file) if file.extension().is_some_and(|e| e == "graphql") => {
                    if !in_api {
                        problems.push(format!("{name}: includes {target} outside src/api/"));
                    }
                    *included.entry(file.display().to_string()).or_default() += 1;
                }
                Some(_) => {}
                None => problems.push(format!("{name}: includes {target}, which does not exist")),
            }
        }
        if in_api {
            continue;
        }
        // The documentation page renders the OpenAPI document, an arbitrary JSON document
        // (examples are free JSON), so it alone reads `serde_json::Value`; it calls no API.
        let reads_documents = name == "src/pages/docs/openapi.rs";
        let mut forbidden = vec![
            "json!",
            "api::graphql",
            "api::field",
            "api::post",
            "api::get",
            "\"query ",
            "\"mutation ",
            "\"{ ",
            "Request::",
        ];
        if !reads_documents {
            forbidden.push("serde_json");
        }
        for needle in forbidden {
            if text.contains(needle) {
                problems.push(format!("{name}: contains `{needle}`"));
            }
        }
    }
    for path in &operations {
        let key = path
            .canonicalize()
            .expect("canonical path")
            .display()
            .to_string();
        match included.get(&key) {
            Some(1) => {}
            Some(n) => problems.push(format!("{key}: included by {n} functions")),
            None => problems.push(format!("{key}: no typed function includes it")),
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
