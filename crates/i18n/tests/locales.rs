//! Every language has exactly the same messages and attributes: a key in one language only would
//! show English (the fallback) on a Swahili page, or a key's name.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use fluent_syntax::ast::{Entry, Pattern, PatternElement};
use fluent_syntax::parser;

fn locales_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("locales")
}

/// `file: key` and `file: key.attribute` of one language's folder, and the variables each uses.
fn keys_of(language: &str) -> BTreeMap<String, BTreeSet<String>> {
    let dir = locales_dir().join(language);
    let mut keys = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ftl"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .ftl files in {}", dir.display());
    for path in files {
        let source = std::fs::read_to_string(&path).unwrap();
        let resource = parser::parse(source.as_str())
            .unwrap_or_else(|(_, errors)| panic!("{} does not parse: {errors:?}", path.display()));
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        for entry in resource.body {
            let (id, value, attributes) = match entry {
                Entry::Message(m) => (m.id.name.to_owned(), m.value, m.attributes),
                Entry::Term(t) => (format!("-{}", t.id.name), Some(t.value), t.attributes),
                _ => continue,
            };
            let previous = keys.insert(format!("{file}: {id}"), variables(value.as_ref()));
            assert!(
                previous.is_none(),
                "{language}/{file}: {id} is defined twice"
            );
            for attribute in attributes {
                keys.insert(
                    format!("{file}: {id}.{}", attribute.id.name),
                    variables(Some(&attribute.value)),
                );
            }
        }
    }
    keys
}

fn variables(pattern: Option<&Pattern<&str>>) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for element in pattern.map(|p| p.elements.as_slice()).unwrap_or_default() {
        if let PatternElement::Placeable { expression } = element {
            let text = format!("{expression:?}");
            // `VariableReference { id: Identifier { name: "x" } }`
            for part in text.split("VariableReference").skip(1) {
                if let Some(name) = part.split('"').nth(1) {
                    names.insert(name.to_owned());
                }
            }
        }
    }
    names
}

fn difference(
    a: &BTreeMap<String, BTreeSet<String>>,
    b: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<String> {
    a.keys().filter(|k| !b.contains_key(*k)).cloned().collect()
}

#[test]
fn every_language_has_the_same_keys_and_attributes() {
    let en = keys_of("en");
    let sw = keys_of("sw");
    assert!(
        en.len() > 100,
        "the English messages look incomplete: {}",
        en.len()
    );
    let only_en = difference(&en, &sw);
    let only_sw = difference(&sw, &en);
    assert!(
        only_en.is_empty() && only_sw.is_empty(),
        "keys in one language only —\n  English only: {only_en:?}\n  Swahili only: {only_sw:?}"
    );
}

/// English passes a field's own words through with `$detail`; other languages may leave a
/// variable out, but never use one that the code does not pass (it would print as `{$x}`).
#[test]
fn no_language_uses_a_variable_english_does_not_know() {
    let en = keys_of("en");
    let sw = keys_of("sw");
    for (key, used) in &sw {
        let known = &en[key];
        let unknown: Vec<_> = used.difference(known).collect();
        assert!(
            unknown.is_empty(),
            "sw {key} uses {unknown:?}, which English does not"
        );
    }
}

#[test]
fn the_folder_of_each_language_exists_and_nothing_else() {
    let mut folders: Vec<String> = std::fs::read_dir(locales_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    assert_eq!(folders, ["en", "sw"]);
}

/// A test of the test: a key missing in one language is found.
#[test]
fn a_key_missing_in_one_language_is_reported() {
    let mut en = keys_of("en");
    let sw = keys_of("sw");
    en.insert("home.ftl: only-in-english".to_owned(), BTreeSet::new());
    assert_eq!(difference(&en, &sw), ["home.ftl: only-in-english"]);
}
