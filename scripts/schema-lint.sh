#!/usr/bin/env bash
# Every type, field, argument, enum value and input field of schema.graphql has a
# description: graphql-schema-linter's description rules (npm, pinned in
# scripts/tools/package.json, installed under target/tools).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/tools
cp scripts/tools/package.json target/tools/
(cd target/tools && npm install --no-audit --no-fund --loglevel=error >/dev/null)
target/tools/node_modules/.bin/graphql-schema-linter \
  --rules types-have-descriptions,fields-have-descriptions,arguments-have-descriptions,enum-values-have-descriptions,input-object-values-have-descriptions \
  schema.graphql
