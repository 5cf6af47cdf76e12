#!/usr/bin/env bash
# Debian packages the test suite uses: chromium (the Swagger UI browser test drives it with Playwright;
# Playwright's own browser download is never used). Installed only when missing, and only where apt-get
# can run (root on Debian, as on CI); elsewhere a note says what to install.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser test"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
else
    echo "note: chromium is not installed; the Swagger UI browser test is skipped outside CI" >&2
    echo "      (Debian/Ubuntu: sudo apt-get install chromium)" >&2
fi
