#!/usr/bin/env bash
# Debian packages `make bench` drives: wrk (the load generator) and nginx-light (the C reverse proxy the
# gateway is compared with). Installed only when missing and only where apt-get can run (root on Debian);
# elsewhere a note says what to install. The benchmark starts its own nginx on a loopback port; the
# package's own service is not started or needed.
set -euo pipefail

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's ${missing[*]} for the benchmarks"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "error: ${missing[*]} not installed (Debian/Ubuntu: sudo apt-get install ${missing[*]})" >&2
    exit 1
fi
