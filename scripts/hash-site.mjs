// Names every file of the site's pkg folder by its content (cargo-leptos' hash-files
// layout) and lists the hashes in <site>/hash.txt, where Leptos and the server read them;
// browsers may then keep each file for a year. Usage: node scripts/hash-site.mjs <site>
//
// With a split wasm (tools/wasm-split) there is more to name than patio.js, patio_bg.wasm,
// patio.css and the Access Tokens page's patio_tokens.js and patio_tokens_bg.wasm: each chunk, the loader that fetches the chunks and the manifest the
// server reads. Their names point at each other, so they are named in order:
//   1. each chunk by its bytes; the loader and the manifest then name the new files;
//   2. patio.js by its text together with the loader's (which covers every chunk name);
//   3. the loader by its text once it names that patio.js;
//   4. patio_bg.wasm and patio.js name the loader: its placeholder of 22 underscores
//      becomes a hash of 22 digits, so the bytes of the wasm keep their length.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const site = process.argv[2];
if (!site) {
  console.error('usage: node scripts/hash-site.mjs <site>');
  process.exit(2);
}
const pkg = join(site, 'pkg');
const LOADER = '__wasm_split.______________________.js';
const MANIFEST = '__wasm_split_manifest.json';

const hash = (data, length = 20) => createHash('sha256').update(data).digest('hex').slice(0, length);
const read = (name) => readFileSync(join(pkg, name));
const write = (name, data) => writeFileSync(join(pkg, name), data);

// Replaces every occurrence of `from` by `to` (of the same length) in a buffer.
function replaceSameLength(buffer, from, to) {
  const needle = Buffer.from(from);
  const value = Buffer.from(to);
  if (needle.length !== value.length) throw new Error(`${from} and ${to} differ in length`);
  let count = 0;
  for (let at = buffer.indexOf(needle); at !== -1; at = buffer.indexOf(needle, at + value.length)) {
    value.copy(buffer, at);
    count += 1;
  }
  return count;
}

const hashes = {};
const split = existsSync(join(pkg, LOADER));
let loader = split ? read(LOADER).toString() : '';
let manifest = split ? JSON.parse(read(MANIFEST).toString()) : null;

// 1. The chunks.
if (split) {
  const renamed = {};
  for (const name of readdirSync(pkg)) {
    if (!name.endsWith('.wasm') || name === 'patio_bg.wasm' || name === 'patio_tokens_bg.wasm') continue;
    const stem = name.slice(0, -'.wasm'.length);
    const named = `${stem}.${hash(read(name))}`;
    renameSync(join(pkg, name), join(pkg, `${named}.wasm`));
    renamed[stem] = named;
  }
  loader = loader.replace(/"\.\/([A-Za-z0-9_]+)\.wasm"/g, (whole, stem) => {
    if (!renamed[stem]) throw new Error(`the loader names ${stem}.wasm, which is not in ${pkg}`);
    return `"./${renamed[stem]}.wasm"`;
  });
  for (const [lazy, stems] of Object.entries(manifest)) {
    manifest[lazy] = stems.map((stem) => {
      if (!renamed[stem]) throw new Error(`the manifest names ${stem}, which is not in ${pkg}`);
      return renamed[stem];
    });
  }
}

// 2. patio.js, by its own text and the loader's.
const js = read('patio.js');
hashes.js = hash(Buffer.concat([js, Buffer.from(loader)]));

// 3. The loader, once it imports that patio.js; and the manifest.
let loaderName = null;
if (split) {
  const main = '"./patio.js"';
  if (!loader.includes(main)) throw new Error(`the loader does not import ${main}`);
  loader = loader.replaceAll(main, `"./patio.${hashes.js}.js"`);
  hashes.split = hash(loader, 22);
  loaderName = `__wasm_split.${hashes.split}.js`;
  rmSync(join(pkg, LOADER));
  write(loaderName, loader);
  const manifestText = JSON.stringify(manifest, null, 2);
  hashes.manifest = hash(manifestText);
  rmSync(join(pkg, MANIFEST));
  write(`__wasm_split_manifest.${hashes.manifest}.json`, manifestText);
}

// 4. patio.js and patio_bg.wasm name the loader.
const wasm = read('patio_bg.wasm');
if (split) {
  replaceSameLength(js, LOADER, loaderName);
  if (replaceSameLength(wasm, LOADER, loaderName) === 0) {
    throw new Error(`patio_bg.wasm does not import ${LOADER}`);
  }
}
hashes.wasm = hash(wasm);
rmSync(join(pkg, 'patio.js'));
rmSync(join(pkg, 'patio_bg.wasm'));
write(`patio.${hashes.js}.js`, js);
write(`patio.${hashes.wasm}.wasm`, wasm);

// The Access Tokens page's own wasm and its bindings (`frontend-tokens`), which name
// nothing else.
const tokensJs = read('patio_tokens.js');
const tokensWasm = read('patio_tokens_bg.wasm');
hashes['tokens-js'] = hash(tokensJs);
hashes['tokens-wasm'] = hash(tokensWasm);
rmSync(join(pkg, 'patio_tokens.js'));
rmSync(join(pkg, 'patio_tokens_bg.wasm'));
write(`patio_tokens.${hashes['tokens-js']}.js`, tokensJs);
write(`patio_tokens.${hashes['tokens-wasm']}.wasm`, tokensWasm);

const css = read('patio.css');
hashes.css = hash(css);
rmSync(join(pkg, 'patio.css'));
write(`patio.${hashes.css}.css`, css);

writeFileSync(
  join(site, 'hash.txt'),
  Object.entries(hashes)
    .map(([kind, value]) => `${kind}: ${value}\n`)
    .join(''),
);
