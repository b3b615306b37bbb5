//! Lists the migration files for `platform::migrations`, which embeds them with
//! `include_str!` (what `sqlx::migrate!` did, without compiling sqlx's macros and the
//! database drivers a second time for them). A new or changed migration file rebuilds
//! the crate.
use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // Read when the script runs, not baked in when it is compiled: a target directory
    // shared by two checkouts of the project runs one compiled script for both.
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest_dir).join("../migrations");
    // Cargo watches everything under a folder named here.
    println!("cargo:rerun-if-changed={}", root.display());
    let mut out = String::new();
    for (name, folder) in [("SQLITE", "sqlite"), ("POSTGRES", "postgres")] {
        let dir = root.join(folder);
        let mut files: Vec<(i64, String, String)> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .map(|entry| entry.expect("a migration folder entry").path())
            .filter(|path| path.is_file())
            .filter_map(|path| {
                let file = path.file_name()?.to_str()?.to_owned();
                // `<version>_<description>.sql`, as sqlx reads a migration folder.
                let (version, rest) = file.split_once('_')?;
                let description = rest.strip_suffix(".sql")?;
                assert!(
                    !description.ends_with(".up") && !description.ends_with(".down"),
                    "{file}: reversible migrations are not supported"
                );
                let version = version
                    .parse()
                    .unwrap_or_else(|_| panic!("{file}: the name must start with a number"));
                let path = path.canonicalize().expect("a migration's path");
                Some((
                    version,
                    description.replace('_', " "),
                    path.display().to_string(),
                ))
            })
            .collect();
        files.sort();
        writeln!(out, "pub(super) const {name}: &[(i64, &str, &str)] = &[").unwrap();
        for (version, description, path) in files {
            writeln!(
                out,
                "    ({version}, {description:?}, include_str!({path:?})),"
            )
            .unwrap();
        }
        writeln!(out, "];").unwrap();
    }
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("migrations.rs");
    std::fs::write(dest, out).expect("writing the migration list");
}
