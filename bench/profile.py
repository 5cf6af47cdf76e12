"""Where a process spends the catalogue listing's time: py-spy samples it while wrk keeps it busy.

    .venv/bin/python -m bench.profile catalog|gateway [--seconds 10]

Starts the same fresh stack as `make bench` (embedded PostgreSQL, 2,000 offerings), loads the listing
with wrk through the chosen process (the catalogue directly, or the gateway in front of it), samples that
process with py-spy at 200 Hz and prints the functions by their own time and by inclusive time. Samples of
threads waiting on a queue and of the event loop waiting for I/O are shown as "idle". bench/README.md
summarises the results.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench.load import wrk
from bench.suite import prepare, start_postgres
from bench.volumes import LISTING_QUERY
from devtools import devkeys
from devtools.stack import running_stack

# Frames that mean "waiting", not working (py-spy cannot always tell an idle thread from a busy one).
IDLE = ("Runner.run (asyncio/runners.py", "_worker (concurrent/futures/thread.py")


def summarise(raw: Path, top: int) -> str:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        total += int(count)
        leaf = "idle" if frames[-1].startswith(IDLE) else frames[-1]
        own[leaf] += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
    lines = [f"{total} samples", "by own time:"]
    lines += [f"  {n / total:6.1%}  {name[:140]}" for name, n in own.most_common(top)]
    lines.append("by inclusive time (project code and libraries it calls):")
    wanted = (
        "services/",
        "gateway/",
        "sqlalchemy/",
        "httpx/",
        "aiohttp/",
        "fastapi/routing",
        "jwt/",
        "orjson",
    )
    chosen = [(name, n) for name, n in inclusive.most_common() if any(w in name for w in wanted)]
    lines += [f"  {n / total:6.1%}  {name[:140]}" for name, n in chosen[:top]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("target", choices=["catalog", "gateway"])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as scratch_dir:
        scratch = Path(scratch_dir)
        server, url = start_postgres(scratch / "pg")
        try:
            asyncio.run(prepare(url))
            keys = devkeys.ensure_dev_keys(scratch / "keys")
            auth = devkeys.trusting_settings(keys)
            user = "leder0001@oslo.kommune.no"
            headers = {
                "Authorization": "Bearer "
                + devkeys.mint_token(oid=devkeys.person_oid(user), email=user, directory=keys)
            }
            (scratch / "logs").mkdir()
            with running_stack(url, auth, scratch / "logs") as stack:
                target = (
                    f"{stack.url('catalog')}/offerings?{LISTING_QUERY}"
                    if args.target == "catalog"
                    else f"{stack.gateway}/api/v1/catalog/offerings?{LISTING_QUERY}"
                )
                wrk(target, seconds=2, connections=16, headers=headers)
                raw = scratch / "profile.raw"
                py_spy = str(Path(sys.executable).parent / "py-spy")
                pid = str(stack.processes[args.target].pid)
                command = [
                    py_spy, "record", "--format", "raw", "--rate", "200", "--duration", str(args.seconds),
                    "--pid", pid, "--output", str(raw),
                ]  # fmt: skip
                spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
                result = wrk(target, seconds=args.seconds, connections=16, headers=headers)
                spy.wait(timeout=60)
            print(f"{args.target}: {result.rate:.0f} requests/s while sampled (sampling slows it a little)")
            print(summarise(raw, args.top))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
