//! `patio-wasm-split <input.wasm> <pkg dir> <name>`: splits the browser's wasm (built
//! with `--emit-relocs`) at its `#[lazy]` points, as `cargo leptos --split` does.
//!
//! Writes into the pkg directory `<name>_split.wasm` (the main module, for
//! wasm-bindgen), one `.wasm` file per chunk, the loader
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
    let manifest = serde_json::to_string_pretty(&split.prefetch_map)?;
    std::fs::write(pkg.join("__wasm_split_manifest.json"), manifest)?;
    println!(
        "split {input}: {} chunks for {} lazy functions",
        split.split_modules.len(),
        split.prefetch_map.len()
    );
    Ok(())
}
