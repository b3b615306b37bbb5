//! Compiles the translations in `locales/` (English, the default, and Bahasa Indonesia)
//! into the `i18n` module: one function per key, so a missing or misspelt key fails the
//! build where it is used, and a key or `{{ variable }}` that one language lacks fails it
//! here.

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::Value;

/// The languages, the default first: (code, file).
const LOCALES: [&str; 2] = ["en", "id"];

/// A module of keys: texts, and nested modules.
#[derive(Default)]
struct Module {
    texts: BTreeMap<String, Vec<String>>,
    modules: BTreeMap<String, Module>,
}

fn variables(text: &str) -> Vec<String> {
    let mut vars: Vec<String> = text
        .split("{{")
        .skip(1)
        .filter_map(|rest| rest.split_once("}}"))
        .map(|(name, _)| name.trim().to_owned())
        .collect();
    vars.sort();
    vars.dedup();
    vars
}

fn add(module: &mut Module, value: &Value, path: &str, locale: usize) -> Result<(), String> {
    let Value::Object(map) = value else {
        return Err(format!("{path}: expected an object of texts"));
    };
    for (key, value) in map {
        let here = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        match value {
            Value::Object(_) => add(
                module.modules.entry(key.clone()).or_default(),
                value,
                &here,
                locale,
            )?,
            Value::String(text) if !text.trim().is_empty() => {
                let texts = module.texts.entry(key.clone()).or_default();
                if texts.len() != locale {
                    return Err(format!(
                        "{here}: not in every language before {}",
                        LOCALES[locale]
                    ));
                }
                texts.push(text.clone());
            }
            other => return Err(format!("{here}: expected text, found {other}")),
        }
    }
    Ok(())
}

fn check(module: &Module, path: &str) -> Result<(), String> {
    for (key, texts) in &module.texts {
        if texts.len() != LOCALES.len() {
            return Err(format!(
                "{path}{key}: missing in {}.json",
                LOCALES[texts.len()]
            ));
        }
        let first = variables(&texts[0]);
        for (locale, text) in LOCALES.iter().zip(texts) {
            if variables(text) != first {
                return Err(format!(
                    "{path}{key}: {locale}.json uses other {{{{ variables }}}}"
                ));
            }
        }
    }
    for (name, inner) in &module.modules {
        check(inner, &format!("{path}{name}."))?;
    }
    Ok(())
}

fn emit(module: &Module, depth: usize, out: &mut String) {
    let locale = format!("{}Locale", "super::".repeat(depth + 1));
    for (key, texts) in &module.texts {
        let _ = writeln!(
            out,
            "pub fn {key}(locale: {locale}) -> &'static str {{ match locale {{"
        );
        for (code, text) in LOCALES.iter().zip(texts) {
            let _ = writeln!(out, "{locale}::{code} => {text:?},");
        }
        let _ = writeln!(out, "}} }}");
    }
    for (name, inner) in &module.modules {
        let _ = writeln!(out, "pub mod {name} {{");
        emit(inner, depth + 1, out);
        let _ = writeln!(out, "}}");
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    let mut keys = Module::default();
    for (i, code) in LOCALES.iter().enumerate() {
        let file = format!("locales/{code}.json");
        println!("cargo::rerun-if-changed={file}");
        let value: Value = serde_json::from_str(&std::fs::read_to_string(&file)?)
            .map_err(|e| format!("{file}: {e}"))?;
        add(&mut keys, &value, "", i).map_err(|e| format!("{file}: {e}"))?;
    }
    check(&keys, "")?;
    let mut out = String::from("pub mod keys {\n");
    emit(&keys, 0, &mut out);
    out.push_str("}\n");
    let path =
        PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?).join("texts.rs");
    std::fs::write(path, out)?;
    Ok(())
}
