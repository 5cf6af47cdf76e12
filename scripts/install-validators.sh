#!/usr/bin/env bash
# Tools the tests use offline, installed once under .data/: openapi-python-client (client test), and npm
# packages under .data/validators (scripts/validators/package.json, locked in package-lock.json):
# - @kubernetes-models/cloudnative-pg: validators generated from CloudNativePG's CRDs (manifest test);
# - openapi-typescript and typescript: TypeScript types generated from openapi/openapi.json and a small
#   program compiled against them (client test).
# Needs Node.js and npm (machines of this kind have them); without them a note says so and those tests
# fail with the same advice.
set -euo pipefail
cd "$(dirname "$0")/.."

# openapi-python-client in a virtual environment of its own: it pins httpx below the version the gateway
# runs on, and the project's own environment must stay what production runs.
generator=.data/tools/openapi-python-client
# (sed reads all of pip's output: `grep -q` would stop early, and under pipefail pip's broken pipe would
# make an installed generator look missing.)
installed=$("$generator/bin/pip" show openapi-python-client 2>/dev/null | sed -n 's/^Version: //p' || true)
if [ ! -x "$generator/bin/openapi-python-client" ] || [ "$installed" != "0.29.1" ]; then
    python3 -m venv "$generator"
    "$generator/bin/pip" install --quiet "openapi-python-client==0.29.1"
    echo "installed openapi-python-client 0.29.1 under $generator"
fi

target=.data/validators
# The npm tools at exactly the versions scripts/validators/package-lock.json pins (with their integrity
# hashes), installed again only when that lock changes.
lock=scripts/validators/package-lock.json
mkdir -p "$target"
cp deploy/validate-cnpg.mjs "$target/validate-cnpg.mjs"
if [ -f "$target/package-lock.json" ] && cmp -s "$lock" "$target/package-lock.json" && [ -d "$target/node_modules" ]; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "note: npm is not installed; the manifest and client tests need it (Debian: apt-get install npm)" >&2
    exit 0
fi
cp scripts/validators/package.json "$lock" "$target/"
npm ci --silent --no-audit --no-fund --prefix "$target" >/dev/null
echo "installed the npm tools scripts/validators/package-lock.json pins under $target"
