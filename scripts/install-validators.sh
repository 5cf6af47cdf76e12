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
# runs on, and the project's own environment must stay what production runs. Its packages are those
# scripts/validators/python-client.txt pins with their hashes (`make lock` renews it), installed again
# only when that file changes.
generator=.data/tools/openapi-python-client
pins=scripts/validators/python-client.txt
uv=.data/tools/uv/bin/uv
if [ ! -x "$generator/bin/openapi-python-client" ] || ! cmp -s "$pins" "$generator/pins.txt"; then
    rm -rf "$generator"
    "$uv" venv --quiet --python python3 "$generator"
    "$uv" pip install --quiet --require-hashes --python "$generator/bin/python" -r "$pins"
    cp "$pins" "$generator/pins.txt"
    echo "installed openapi-python-client as $pins pins it under $generator"
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
