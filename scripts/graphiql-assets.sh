#!/usr/bin/env bash
# Rebuilds api/assets/graphiql from the npm packages pinned in scripts/graphiql/
# (package.json and package-lock.json): GraphiQL's production bundle and stylesheet,
# React's and ReactDOM's production UMD builds, and the licences of every package they
# bundle. The files are committed, so building siloscope needs no Node; run this only to
# change a version, then commit what it wrote.
set -euo pipefail
cd "$(dirname "$0")/.."

work=target/graphiql-assets
out=api/assets/graphiql
rm -rf "$work" && mkdir -p "$work"
cp scripts/graphiql/package.json scripts/graphiql/package-lock.json "$work/"
(cd "$work" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

mods="$work/node_modules"
mkdir -p "$out"
cp "$mods/graphiql/graphiql.min.js" "$mods/graphiql/graphiql.min.css" "$out/"
cp "$mods/react/umd/react.production.min.js" "$out/"
cp "$mods/react-dom/umd/react-dom.production.min.js" "$out/"

# One file with the name, version, licence and licence text of every installed package.
node - "$mods" > "$out/THIRD-PARTY-LICENSES.txt" <<'JS'
const fs = require("fs"), path = require("path");
const root = process.argv[2];
const dirs = [];
for (const name of fs.readdirSync(root).sort()) {
  if (name.startsWith(".")) continue;
  if (name.startsWith("@")) {
    for (const sub of fs.readdirSync(path.join(root, name)).sort()) dirs.push(path.join(root, name, sub));
  } else dirs.push(path.join(root, name));
}
console.log("Third-party software in siloscope's GraphiQL page (api/assets/graphiql).\n");
for (const dir of dirs) {
  const manifest = path.join(dir, "package.json");
  if (!fs.existsSync(manifest)) continue;
  const pkg = JSON.parse(fs.readFileSync(manifest, "utf8"));
  const file = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
  console.log("=".repeat(78));
  console.log(`${pkg.name} ${pkg.version} (${pkg.license || "see below"})`);
  console.log("=".repeat(78));
  console.log(file ? fs.readFileSync(path.join(dir, file), "utf8").trim() : "(no licence file in the package)");
  console.log();
}
JS
ls -l "$out"
