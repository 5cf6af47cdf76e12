"""Clients generated from the committed contract: openapi-python-client and openapi-typescript run
without a warning, and a small typed program compiles against each (mypy --strict, tsc --strict)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.contract import OPENAPI_DIR
from services.kernel.settings import REPO_ROOT

CLIENTS = REPO_ROOT / "tests" / "clients"
NODE_BIN = REPO_ROOT / ".data" / "validators" / "node_modules" / ".bin"
ADVICE = "run `make install` (the generators under .data: scripts/install-validators.sh)"


def run(command: list[str], cwd: Path) -> str:
    done = subprocess.run(  # noqa: S603 - tools of this repository, fixed arguments
        command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


@pytest.mark.slow
def test_the_python_client_generates_without_warnings_and_a_program_type_checks(tmp_path: Path) -> None:
    generator = REPO_ROOT / ".data" / "tools" / "openapi-python-client" / "bin" / "openapi-python-client"
    assert generator.exists(), ADVICE
    output = run(
        [
            str(generator), "generate", "--path", str(OPENAPI_DIR / "openapi.json"),
            "--output-path", str(tmp_path / "ledelse_client"), "--meta", "none",
            "--config", str(CLIENTS / "openapi-python-client.yaml"),
        ],
        tmp_path,
    )  # fmt: skip
    assert "warning" not in output.lower(), output
    shutil.copy(CLIENTS / "uses_client.py", tmp_path / "uses_client.py")
    checked = run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--follow-imports=silent",
            "uses_client.py",
        ],
        tmp_path,
    )
    assert "Success" in checked


@pytest.mark.slow
def test_the_typescript_types_generate_without_warnings_and_a_program_compiles(tmp_path: Path) -> None:
    assert (NODE_BIN / "openapi-typescript").exists(), ADVICE
    output = run(
        [
            str(NODE_BIN / "openapi-typescript"),
            str(OPENAPI_DIR / "openapi.json"),
            "-o",
            str(tmp_path / "api.d.ts"),
        ],
        tmp_path,
    )
    assert "warn" not in output.lower(), output
    shutil.copy(CLIENTS / "uses_types.ts", tmp_path / "uses_types.ts")
    env_path = os.pathsep.join([str(NODE_BIN), os.environ.get("PATH", "")])
    done = subprocess.run(  # noqa: S603 - the pinned compiler, fixed arguments
        [
            str(NODE_BIN / "tsc"), "--noEmit", "--strict", "--target", "es2022", "--module", "esnext",
            "--moduleResolution", "bundler", "uses_types.ts",
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "PATH": env_path},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
