//! `patio-wasm-split <input.wasm> <pkg dir> <name>`: splits the browser's wasm (built
//! with `--emit-relocs`) at its `#[lazy]` points, as `cargo leptos --split` does, then
//! runs wasm-bindgen's library on the main module (what `wasm-bindgen --target web
//! --no-typescript --keep-lld-exports --no-demangle` does).
//!
//! Writes into the pkg directory `<name>.js` and `<name>_bg.wasm` (the main module and
//! its bindings), one `.wasm` file per chunk, the loader
//! `__wasm_split.______________________.js` (the name Leptos looks for; the placeholder
//! has the length of the hash that later replaces it) and `__wasm_split_manifest.json`,
//! which tells the server the chunks a lazily loaded page needs, for preload links.

use std::path::PathBuf;

use eyre::{bail, Result, WrapErr};

const LOADER: &str = "__wasm_split.______________________.js";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, pkg, name] = args.as_slice() else {
        bail!("usage: patio-wasm-split <input.wasm> <pkg dir> <name>");
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
    Ok(())
}
