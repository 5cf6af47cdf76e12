#!/usr/bin/env bash
# Debian packages the test suite uses: chromium (the Swagger UI browser test drives it with Playwright;
# Playwright's own browser download is never used) and kubectl (`kubectl kustomize` renders the
# Kubernetes overlays; Debian's kubernetes-client, unless a kubectl is already installed). Installed only
# when missing, and only where apt-get can run (root on Debian, as on CI); elsewhere a note says what to
# install.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's ${missing[*]} for the tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "note: ${missing[*]} not installed; the browser and manifest tests need them" >&2
    echo "      (Debian/Ubuntu: sudo apt-get install ${missing[*]})" >&2
fi
