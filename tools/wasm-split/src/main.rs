//! `patio-wasm-split [--strip] [--whole] <input.wasm> <pkg dir> <name>`: splits the browser's wasm (built
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
//!
//! Last, each part's file takes in the small chunks the part needs (`with_small_chunks`):
//! a page then loads its part in one request rather than in twenty of a few hundred bytes.
//!
//! `--whole` takes a wasm that is not split (the Access Tokens page's own,
//! `frontend-tokens`): its bindings and its module only, stripped with `--strip`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use eyre::{bail, Result, WrapErr};

const LOADER: &str = "__wasm_split.______________________.js";

fn main() -> Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut flag = |name: &str| {
        let given = args.iter().any(|arg| arg == name);
        args.retain(|arg| arg != name);
        given
    };
    let strip = flag("--strip");
    let whole = flag("--whole");
    let [input, pkg, name] = args.as_slice() else {
        bail!("usage: patio-wasm-split [--strip] [--whole] <input.wasm> <pkg dir> <name>");
    };
    let pkg = PathBuf::from(pkg);
    if whole {
        bindgen(Path::new(input), name, &pkg)?;
        if strip {
            strip_file(&pkg.join(format!("{name}_bg.wasm")))?;
        }
        return Ok(());
    }
    let wasm = std::fs::read(input).wrap_err_with(|| format!("reading {input}"))?;
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
    println!(
        "split {input}: {} chunks for {} lazy functions",
        split.split_modules.len(),
        split.prefetch_map.len()
    );
    bindgen(&main_out, name, &pkg)?;
    std::fs::remove_file(&main_out).wrap_err("removing the split main module")?;
    if strip {
        for entry in std::fs::read_dir(&pkg)? {
            let path = entry?.path();
            if path.extension().is_some_and(|ext| ext == "wasm") {
                strip_file(&path)?;
            }
        }
    }
    // In name order: the map's own order changes from run to run, and the manifest's
    // file is named by its text (scripts/hash-site.mjs), so an unchanged build keeps it.
    let mut parts: BTreeMap<String, Vec<String>> = split.prefetch_map.into_iter().collect();
    with_small_chunks(&pkg, &mut parts)?;
    let manifest = serde_json::to_string_pretty(&parts)?;
    std::fs::write(pkg.join("__wasm_split_manifest.json"), manifest)?;
    Ok(())
}

/// Runs wasm-bindgen's library on a main module: `<name>.js` and `<name>_bg.wasm` in `pkg`.
fn bindgen(module: &Path, name: &str, pkg: &Path) -> Result<()> {
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(module)
        .out_name(name)
        .web(true)
        .map_err(|e| eyre::eyre!("{e:#}"))?
        .typescript(false)
        .keep_lld_exports(true)
        .demangle(false)
        .generate(pkg)
        .map_err(|e| eyre::eyre!("wasm-bindgen: {e:#}"))
}

/// Writes a wasm file again without what the browser does not run (`rewritten`).
fn strip_file(path: &Path) -> Result<()> {
    let wasm = std::fs::read(path)?;
    let stripped = rewritten(&wasm).wrap_err_with(|| format!("stripping {}", path.display()))?;
    std::fs::write(path, stripped)?;
    Ok(())
}

/// A chunk under this size travels in the file of each part that needs it. The chunks
/// of this wasm are either under 16 KiB or over 32 KiB; the large ones are shared by
/// several parts and fetched once.
const SMALL_CHUNK: usize = 16 * 1024;

/// Loading from a part's file, added to the loader: `fetchOnce` fetches a file once (again
/// after a failure, as the loader's `makeLoad` does), `fromPart` instantiates one module
/// of it, and a small chunk's `makeSharedLoad` instantiates it once, from the file of
/// whichever part asked first.
const PART_RUNTIME: &str = r#"function fetchOnce(url) {
    let fetching = undefined;
    return () => {
        if (fetching === undefined) {
            const thisFetch = fetch(url).then((response) => {
                if (!response.ok) throw new Error(`${url}: ${response.status}`);
                return response.arrayBuffer();
            });
            thisFetch.catch(() => {
                if (fetching === thisFetch) fetching = undefined;
            });
            fetching = thisFetch;
        }
        return fetching;
    };
}
function fromPart(part, offset, length) {
    return () => {
        const src = part().then((bytes) => new Uint8Array(bytes, offset, length));
        src.catch(() => {});
        return async (imports) => WRAP(WebAssembly.instantiate(await src, imports));
    };
}
function makeSharedLoad() {
    let loading = undefined;
    return (fetcher) => {
        if (loading === undefined) {
            const thisLoad = fetcher()(getSharedImports());
            thisLoad.catch(() => {
                if (loading === thisLoad) loading = undefined;
            });
            loading = thisLoad;
        }
        return loading;
    };
}
"#;

/// Appends to each part's file (`split_<part>.wasm`) the chunks under `SMALL_CHUNK` the part
/// needs, after the part's own module, and rewrites the loader to take them from there:
/// the page's preload links (the manifest) then name the part's file and the large chunks
/// only. A small chunk shared by several parts is in each of their files, and its own file
/// is gone.
///
/// The loader is wasm_split_cli_support's, rewritten where it fetches: each piece replaced
/// is written here as that library writes it, and one it does not find fails the build.
fn with_small_chunks(pkg: &Path, parts: &mut BTreeMap<String, Vec<String>>) -> Result<()> {
    let loader_path = pkg.join(LOADER);
    let mut loader = std::fs::read_to_string(&loader_path).wrap_err("reading the loader")?;
    // A debug build's loader checks each instantiation with the library's `debugWrap`.
    let wrap = if loader.contains("async function debugWrap(") {
        "debugWrap"
    } else {
        ""
    };
    let fetcher = |stem: &str| {
        format!(
            "() => {{\n    const src = fetch(new URL(\"./{stem}.wasm\", import.meta.url));\n    \
             src.catch(() => {{}});\n    return async (imports) => \
             {wrap}(WebAssembly.instantiateStreaming(src, imports));\n}}\n"
        )
    };
    // Each chunk is looked at once: its size, and the bytes of a small one, which several
    // parts' files take.
    let mut chunk_bytes: BTreeMap<&str, Option<Vec<u8>>> = BTreeMap::new();
    let mut small = BTreeSet::new();
    let mut files = Vec::new();
    for (part, stems) in parts.iter() {
        let own = format!("split_{part}");
        // A part with nothing of its own has no file to hold its chunks.
        let Some((last, chunks)) = stems.split_last() else {
            continue;
        };
        if *last != own {
            continue;
        }
        let own_path = pkg.join(format!("{own}.wasm"));
        let mut file = std::fs::read(&own_path).wrap_err_with(|| format!("reading {own}"))?;
        let own_length = file.len();
        let mut deps = Vec::new();
        for stem in chunks {
            let bytes = match chunk_bytes.entry(stem) {
                std::collections::btree_map::Entry::Occupied(known) => known.into_mut(),
                std::collections::btree_map::Entry::Vacant(new) => {
                    let path = pkg.join(format!("{stem}.wasm"));
                    let size = std::fs::metadata(&path)
                        .wrap_err_with(|| format!("reading {stem}"))?
                        .len();
                    let bytes = (size < SMALL_CHUNK as u64)
                        .then(|| std::fs::read(&path))
                        .transpose()
                        .wrap_err_with(|| format!("reading {stem}"))?;
                    new.insert(bytes)
                }
            };
            if let Some(chunk) = bytes {
                let offset = file.len();
                file.extend_from_slice(chunk);
                deps.push(format!(
                    "() => __{stem}(fromPart(__part_{part}, {offset}, {}))",
                    chunk.len()
                ));
                small.insert(stem.clone());
            } else {
                deps.push(format!("__{stem}"));
            }
        }
        let was: Vec<String> = chunks.iter().map(|stem| format!("__{stem}")).collect();
        replace_once(
            &mut loader,
            &format!(
                "export const __wasm_split_load_{part} = wrapAsyncCb(makeLoad({}, [{}]));",
                fetcher(&own),
                was.join(", ")
            ),
            &format!(
                "const __part_{part} = fetchOnce(new URL(\"./{own}.wasm\", import.meta.url));\n\
                 export const __wasm_split_load_{part} = \
                 wrapAsyncCb(makeLoad(fromPart(__part_{part}, 0, {own_length}), [{}]));",
                deps.join(", ")
            ),
        )?;
        files.push((own_path, file));
    }
    for stem in &small {
        replace_once(
            &mut loader,
            &format!("const __{stem} = makeLoad({}, []);", fetcher(stem)),
            &format!("const __{stem} = makeSharedLoad();"),
        )?;
    }
    // The helpers go after the library's own, before the first loader.
    let Some(at) = ["\n/* ", "\nexport const "]
        .iter()
        .filter_map(|first| loader.find(first))
        .min()
    else {
        bail!("the loader loads nothing");
    };
    if !loader[..at].contains("function makeLoad(") {
        bail!("the loader has no makeLoad before its first loader");
    }
    loader.insert_str(at + 1, &PART_RUNTIME.replace("WRAP", wrap));
    // Written once the whole loader is: a loader the rewrite does not fit changes nothing.
    for (path, file) in files {
        std::fs::write(path, file)?;
    }
    for stem in &small {
        std::fs::remove_file(pkg.join(format!("{stem}.wasm")))?;
    }
    for stems in parts.values_mut() {
        stems.retain(|stem| !small.contains(stem));
    }
    std::fs::write(&loader_path, loader)?;
    Ok(())
}

/// Replaces the one occurrence of `from` in `text`, or fails if there is not exactly one.
fn replace_once(text: &mut String, from: &str, to: &str) -> Result<()> {
    match text.match_indices(from).count() {
        1 => {
            *text = text.replacen(from, to, 1);
            Ok(())
        }
        n => bail!("the loader has {n} copies of {from:?}, not one"),
    }
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

    /// The library's loader for two chunks and three parts (`c` has no module of its own),
    /// written as wasm_split_cli_support 0.2.4 writes it.
    fn loader(fetch: impl Fn(&str) -> String) -> String {
        format!(
            "import {{ initSync }} from \"./patio.js\";\n\n\
             function makeLoad(fetcher, deps) {{ /* the library's */ }}\n\
             /* a, b */\nconst __chunk_1 = makeLoad({}, []);\n\
             /* a */\nconst __chunk_2 = makeLoad({}, []);\n\
             export const __wasm_split_load_c = wrapAsyncCb(makeLoad(() => async (_imp) => ({{}}), []));\n\
             export const __wasm_split_load_b = wrapAsyncCb(makeLoad({}, [__chunk_1]));\n\
             export const __wasm_split_load_a = wrapAsyncCb(makeLoad({}, [__chunk_1, __chunk_2]));\n",
            fetch("chunk_1"),
            fetch("chunk_2"),
            fetch("split_b"),
            fetch("split_a"),
        )
    }

    fn library_fetcher(stem: &str) -> String {
        format!(
            "() => {{\n    const src = fetch(new URL(\"./{stem}.wasm\", import.meta.url));\n    \
             src.catch(() => {{}});\n    return async (imports) => \
             (WebAssembly.instantiateStreaming(src, imports));\n}}\n"
        )
    }

    fn pkg_with(loader: &str) -> (PathBuf, BTreeMap<String, Vec<String>>) {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let pkg = std::env::temp_dir().join(format!(
            "patio-wasm-split-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&pkg);
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join(LOADER), loader).unwrap();
        for (stem, byte, length) in [
            ("chunk_1", 1, 100),
            ("chunk_2", 2, SMALL_CHUNK),
            ("split_a", 3, 300),
            ("split_b", 4, 400),
        ] {
            std::fs::write(pkg.join(format!("{stem}.wasm")), vec![byte; length]).unwrap();
        }
        let stems = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
        let parts = BTreeMap::from([
            ("a".into(), stems(&["chunk_1", "chunk_2", "split_a"])),
            ("b".into(), stems(&["chunk_1", "split_b"])),
            ("c".into(), vec![]),
        ]);
        (pkg, parts)
    }

    #[test]
    fn small_chunks_travel_in_the_files_of_the_parts_that_need_them() {
        let (pkg, mut parts) = pkg_with(&loader(library_fetcher));
        with_small_chunks(&pkg, &mut parts).unwrap();

        let file = |stem: &str| std::fs::read(pkg.join(format!("{stem}.wasm"))).ok();
        assert_eq!(file("split_a"), Some([vec![3; 300], vec![1; 100]].concat()));
        assert_eq!(file("split_b"), Some([vec![4; 400], vec![1; 100]].concat()));
        assert_eq!(file("chunk_1"), None, "the small chunk's own file is gone");
        assert_eq!(
            file("chunk_2"),
            Some(vec![2; SMALL_CHUNK]),
            "a large chunk stays"
        );
        assert_eq!(parts["a"], ["chunk_2", "split_a"]);
        assert_eq!(parts["b"], ["split_b"]);
        assert!(parts["c"].is_empty());

        let js = std::fs::read_to_string(pkg.join(LOADER)).unwrap();
        for expected in [
            "const __chunk_1 = makeSharedLoad();",
            "const __part_a = fetchOnce(new URL(\"./split_a.wasm\", import.meta.url));",
            "export const __wasm_split_load_a = wrapAsyncCb(makeLoad(fromPart(__part_a, 0, 300), \
             [() => __chunk_1(fromPart(__part_a, 300, 100)), __chunk_2]));",
            "export const __wasm_split_load_b = wrapAsyncCb(makeLoad(fromPart(__part_b, 0, 400), \
             [() => __chunk_1(fromPart(__part_b, 400, 100))]));",
            "export const __wasm_split_load_c = wrapAsyncCb(makeLoad(() => async (_imp) => ({}), []));",
            &format!("const __chunk_2 = makeLoad({}, []);", library_fetcher("chunk_2")),
        ] {
            assert!(js.contains(expected), "{expected}\nis not in\n{js}");
        }
        // The helpers come after the library's, before the first loader uses them.
        let at = |needle: &str| js.find(needle).unwrap();
        assert!(at("function makeLoad(") < at("function fetchOnce("));
        assert!(at("function makeSharedLoad(") < at("/* a, b */"));
        assert!(!js.contains("WRAP"));
        std::fs::remove_dir_all(pkg).unwrap();
    }

    #[test]
    fn a_loader_in_another_form_fails_the_build_and_changes_no_file() {
        let other = |stem: &str| format!("() => fetchSomehow(\"./{stem}.wasm\")");
        let (pkg, mut parts) = pkg_with(&loader(other));
        let error = with_small_chunks(&pkg, &mut parts).unwrap_err();
        assert!(format!("{error}").contains("not one"), "{error}");
        assert_eq!(
            std::fs::read(pkg.join("split_a.wasm")).unwrap(),
            vec![3; 300]
        );
        assert!(pkg.join("chunk_1.wasm").exists());
        std::fs::remove_dir_all(pkg).unwrap();
    }

    #[test]
    fn refuses_a_cut_off_module() {
        let module = module();
        assert!(rewritten(&module[..module.len() - 3]).is_err());
        assert!(rewritten(b"\0asx\x01\0\0\0").is_err());
    }
}
