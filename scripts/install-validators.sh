#!/usr/bin/env bash
# Tools the tests use offline, installed once under .data/: openapi-python-client (client test), and npm
# packages under .data/validators:
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
if [ ! -x "$generator/bin/openapi-python-client" ] || ! "$generator/bin/pip" show openapi-python-client 2>/dev/null | grep -q "^Version: 0.29.1$"; then
    python3 -m venv "$generator"
    "$generator/bin/pip" install --quiet "openapi-python-client==0.29.1"
    echo "installed openapi-python-client 0.29.1 under $generator"
fi

target=.data/validators
packages=(
    "@kubernetes-models/cloudnative-pg@2.0.0"
    "openapi-typescript@7.13.0"
    "typescript@5.9.3"
)
missing=()
for package in "${packages[@]}"; do
    name="${package%@*}"
    version="${package##*@}"
    manifest="$target/node_modules/$name/package.json"
    if [ ! -f "$manifest" ] || ! grep -q "\"version\": \"$version\"" "$manifest"; then
        missing+=("$package")
    fi
done
cp deploy/validate-cnpg.mjs "$target/validate-cnpg.mjs" 2>/dev/null || true
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "note: npm is not installed; the manifest and client tests need it (Debian: apt-get install npm)" >&2
    exit 0
fi
mkdir -p "$target"
# All at once: a later `npm install` into the same prefix without --save would drop the earlier ones.
npm install --silent --no-save --no-audit --no-fund --prefix "$target" "${packages[@]}" >/dev/null
cp deploy/validate-cnpg.mjs "$target/validate-cnpg.mjs"
echo "installed ${packages[*]} under $target"
