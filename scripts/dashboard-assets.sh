#!/usr/bin/env bash
# Rebuilds api/assets/dashboard from the dashboard's sources (api/dashboard/) with the
# npm packages pinned in api/dashboard/package.json and package-lock.json: esbuild
# bundles and minifies the page's script (with uPlot) and stylesheet, and the licences
# of what the bundle contains are written beside them (the page itself,
# api/dashboard/index.html, is embedded as it is). The built files are
# committed, so building siloscope needs no Node; run this after changing the sources,
# then commit what it wrote.
set -euo pipefail
cd "$(dirname "$0")/.."

work=target/dashboard-assets
out=api/assets/dashboard
rm -rf "$work" && mkdir -p "$work"
cp -r api/dashboard/package.json api/dashboard/package-lock.json api/dashboard/src "$work/"
(cd "$work" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

mkdir -p "$out"
esbuild="$work/node_modules/.bin/esbuild"
"$esbuild" "$work/src/main.js" --bundle --minify --format=iife --target=es2020 \
  --legal-comments=none --log-level=warning --outfile="$out/dashboard.js"
"$esbuild" "$work/src/style.css" --bundle --minify --log-level=warning --outfile="$out/dashboard.css"

# The licences of the packages the bundle contains (esbuild only builds it).
{
  echo "Third-party software in siloscope's dashboard page (api/assets/dashboard)."
  echo
  for package in uplot; do
    dir="$work/node_modules/$package"
    version=$(node -p "require('./$dir/package.json').version")
    licence=$(node -p "require('./$dir/package.json').license")
    printf '%s\n%s %s (%s)\n%s\n' "$(printf '=%.0s' {1..78})" "$package" "$version" "$licence" "$(printf '=%.0s' {1..78})"
    cat "$dir"/LICENSE*
    echo
  done
} > "$out/THIRD-PARTY-LICENSES.txt"
ls -l "$out"
