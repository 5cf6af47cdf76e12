#!/usr/bin/env bash
# The CloudNativePG schema the manifest test validates the database Cluster against, from the npm registry
# (@kubernetes-models/cloudnative-pg: validators generated from CloudNativePG's CRDs), installed once under
# .data/validators so the test itself runs offline. Needs Node.js and npm (machines of this kind have
# them); without them a note says so and the manifest test fails with the same advice.
set -euo pipefail
cd "$(dirname "$0")/.."

target=.data/validators
package="@kubernetes-models/cloudnative-pg@2.0.0"
if [ -f "$target/node_modules/@kubernetes-models/cloudnative-pg/package.json" ]; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "note: npm is not installed; the CloudNativePG manifest validation needs it (Debian: apt-get install npm)" >&2
    exit 0
fi
mkdir -p "$target"
npm install --silent --no-save --no-audit --no-fund --prefix "$target" "$package" >/dev/null
cp deploy/validate-cnpg.mjs "$target/validate-cnpg.mjs"
echo "installed $package under $target"
