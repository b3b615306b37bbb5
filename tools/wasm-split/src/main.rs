//! `patio-wasm-split [--strip] <input.wasm> <pkg dir> <name>`: splits the browser's wasm (built
//! with `--emit-relocs`) at its `#[lazy]` points, as `cargo leptos --split` does, then
//! runs wasm-bindgen's library on the main module (what `wasm-bindgen --target web
//! --no-typescript --keep-lld-exports --no-demangle` does).
//!
//! Writes into the pkg directory `<name>.js` and `<name>_bg.wasm` (the main module and
//! its bindings), one `.wasm` file per chunk, the loader
//! `__wasm_split.______________________.js` (the name Leptos looks for; the placeholder
//! has the length of the hash that later replaces it) and `__wasm_split_manifest.json`,
//! which tells the server the chunks a lazily loaded page needs, for preload links.
//!
//! `--strip` (release builds) writes every file again without what the browser does not
//! run: the custom sections (function names, producers, target features) and unused
//! types. It also writes the code's indices in their shortest form: the split keeps
//! the five-byte ones the relocations need.

use std::path::PathBuf;

use eyre::{bail, Result, WrapErr};

const LOADER: &str = "__wasm_split.______________________.js";

fn main() -> Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let strip = args.first().is_some_and(|arg| arg == "--strip");
    if strip {
        args.remove(0);
    }
    let [input, pkg, name] = args.as_slice() else {
        bail!("usage: patio-wasm-split [--strip] <input.wasm> <pkg dir> <name>");
    };
    let wasm = std::fs::read(input).wrap_err_with(|| format!("reading {input}"))?;
    let pkg = PathBuf::from(pkg);
    let main_out = pkg.join(format!("{name}_split.wasm"));
    let main_module = format!("./{name}.js");
    let link_name = format!("./{LOADER}");
    let split = wasm_split_cli_support::transform({
        let mut options = wasm_split_cli_support::Options::new(&wasm);
        options.output_dir = &pkg;
        options.main_out_path = &main_out;
        options.main_module = &main_module;
        options.link_name = &link_name;
        options
    })?;
    // In name order: the map's own order changes from run to run, and the manifest's
    // file is named by its text (scripts/hash-site.mjs), so an unchanged build keeps it.
    let ordered: std::collections::BTreeMap<_, _> = split.prefetch_map.iter().collect();
    let manifest = serde_json::to_string_pretty(&ordered)?;
    std::fs::write(pkg.join("__wasm_split_manifest.json"), manifest)?;
    println!(
        "split {input}: {} chunks for {} lazy functions",
        split.split_modules.len(),
        split.prefetch_map.len()
    );
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&main_out)
        .out_name(name)
        .web(true)
        .map_err(|e| eyre::eyre!("{e:#}"))?
        .typescript(false)
        .keep_lld_exports(true)
        .demangle(false)
        .generate(&pkg)
        .map_err(|e| eyre::eyre!("wasm-bindgen: {e:#}"))?;
    std::fs::remove_file(&main_out).wrap_err("removing the split main module")?;
    if strip {
        for entry in std::fs::read_dir(&pkg)? {
            let path = entry?.path();
            if path.extension().is_some_and(|ext| ext == "wasm") {
                let wasm = std::fs::read(&path)?;
                let stripped =
                    rewritten(&wasm).wrap_err_with(|| format!("stripping {}", path.display()))?;
                std::fs::write(&path, stripped)?;
            }
        }
    }
    Ok(())
}

/// The module parsed and written again by walrus, without custom sections and with
/// whatever nothing exported reaches left out.
fn rewritten(wasm: &[u8]) -> Result<Vec<u8>> {
    let mut config = walrus::ModuleConfig::new();
    config
        .generate_name_section(false)
        .generate_producers_section(false);
    let mut module = config.parse(wasm).map_err(|e| eyre::eyre!("{e:#}"))?;
    walrus::passes::gc::run(&mut module);
    let ids: Vec<_> = module.customs.iter().map(|(id, _)| id).collect();
    for id in ids {
        module.customs.delete(id);
    }
    Ok(module.emit_wasm())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module with an exported function, a type nothing uses, function names, a
    /// producers section and a custom section of its own.
    fn module() -> Vec<u8> {
        let mut module = walrus::Module::default();
        module.types.add(&[walrus::ValType::F64], &[]);
        let mut answer =
            walrus::FunctionBuilder::new(&mut module.types, &[], &[walrus::ValType::I32]);
        answer.name("answer".into()).func_body().i32_const(42);
        let answer = answer.finish(vec![], &mut module.funcs);
        module.exports.add("answer", answer);
        module.producers.add_processed_by("rustc", "1.95.0");
        module.customs.add(walrus::RawCustomSection {
            name: "notes".into(),
            data: vec![7; 100],
        });
        module.emit_wasm()
    }

    #[test]
    fn drops_custom_sections_and_unused_types_and_keeps_the_code() {
        let before = module();
        let after = rewritten(&before).unwrap();
        assert!(
            after.len() < before.len(),
            "{} bytes, {} before",
            after.len(),
            before.len()
        );
        let text = String::from_utf8_lossy(&after);
        for gone in ["producers", "rustc", "notes"] {
            assert!(!text.contains(gone), "{gone} is still there");
        }
        let module = walrus::Module::from_buffer(&after).unwrap();
        let unused = |module: &walrus::Module| {
            let f64_param = |ty: &walrus::Type| ty.params() == [walrus::ValType::F64];
            module.types.iter().any(f64_param)
        };
        assert!(unused(&walrus::Module::from_buffer(&before).unwrap()));
        assert!(!unused(&module), "the unused type is still there");
        assert_eq!(module.customs.iter().count(), 0);
        let export = module.exports.iter().next().unwrap();
        assert_eq!(export.name, "answer");
        let function = module.funcs.iter().next().unwrap();
        assert_eq!(function.name, None, "the name section is gone");
        assert_eq!(module.funcs.iter().count(), 1);
        assert_eq!(rewritten(&after).unwrap(), after);
    }

    #[test]
    fn refuses_a_cut_off_module() {
        let module = module();
        assert!(rewritten(&module[..module.len() - 3]).is_err());
        assert!(rewritten(b"\0asx\x01\0\0\0").is_err());
    }
}
