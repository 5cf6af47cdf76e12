"""The container image's recipe and the compose stack, read as a platform engineer would.

No container engine runs on this machine kind (`docker build` needs one), so the image is not built
here; these tests check what the files promise: stages, user, command, health checks, start order,
roles and the one published port.
"""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import yaml

from services.kernel.settings import REPO_ROOT
from services.roles import role_of

APP_SERVICES = ("catalog", "enrollment", "feedback")


def stages() -> dict[str, list[str]]:
    """Instructions per build stage of the Dockerfile (continuation lines joined)."""
    text = (REPO_ROOT / "deploy" / "Dockerfile").read_text()
    lines = [
        line
        for line in re.sub(r"\\\n\s*", " ", text).splitlines()
        if line.strip() and not line.startswith("#")
    ]
    result: dict[str, list[str]] = {}
    current = ""
    for line in lines:
        if line.startswith("FROM "):
            current = line.split(" AS ")[-1].strip() if " AS " in line else line
            result[current] = []
        elif current:
            result[current].append(line)
    return result


def test_the_image_is_multi_stage_non_root_and_without_build_tools() -> None:
    built = stages()
    assert list(built) == ["build", "runtime"]
    runtime = built["runtime"]
    assert not any("apt-get install" in line or "pip install" in line for line in runtime)
    assert any(line.startswith("COPY --from=build /opt/venv") for line in runtime)
    user = next(line for line in runtime if line.startswith("USER "))
    assert user.split()[1].split(":")[0] not in ("0", "root")
    assert 'ENTRYPOINT ["python", "-m", "services.cli"]' in runtime
    assert any(line.startswith("HEALTHCHECK") for line in runtime)
    assert any("APP_ENV=production" in line for line in runtime)
    ignored = (REPO_ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", ".data", "tests"} <= set(ignored)


def test_the_image_installs_exactly_what_the_lock_pins_and_no_development_group() -> None:
    build = stages()["build"]
    installs = [line for line in build if "pip install" in line or "uv sync" in line]
    assert installs[0] == 'RUN pip install "uv==${UV_VERSION}"'
    assert all("--locked --no-dev" in line for line in installs[1:])
    assert len(installs) == 3
    assert any(line.startswith("COPY pyproject.toml uv.lock") for line in build)
    copied = {line.split()[1] for line in build if line.startswith("COPY ") and "./" in line}
    assert not copied & {"devtools", "tests", "bench"}  # development tooling stays out of the image
    compose: dict[str, Any] = yaml.safe_load((REPO_ROOT / "deploy" / "compose.yaml").read_text())
    assert compose["x-app"]["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}


def test_the_makefile_installs_from_the_lock_with_the_uv_the_image_uses() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    pinned = re.search(r"^UV_VERSION := (\S+)$", makefile, re.MULTILINE)
    assert pinned is not None
    assert f"ARG UV_VERSION={pinned.group(1)}" in (REPO_ROOT / "deploy" / "Dockerfile").read_text()
    assert "sync --locked" in makefile


def test_the_image_command_selects_the_process() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "services.cli", "serve", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "{catalog,enrollment,feedback,gateway}" in shown
    migrate = subprocess.run(
        [sys.executable, "-m", "services.cli", "migrate", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--roles" in migrate


def test_compose_starts_in_order_with_health_checks_and_one_published_port() -> None:
    compose: dict[str, Any] = yaml.safe_load((REPO_ROOT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "migrate", *APP_SERVICES, "gateway"}
    assert int(services["postgres"]["image"].split(":")[1]) >= 16
    assert services["migrate"]["command"] == ["migrate", "--roles"]
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in APP_SERVICES:
        service = services[name]
        assert service["command"] == ["serve", name]
        assert service["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
        assert "/readyz" in " ".join(service["healthcheck"]["test"])
        assert service["environment"]["DATABASE_URL"].startswith(f"postgresql://{role_of(name)}:")
        assert "ports" not in service
    gateway = services["gateway"]
    assert gateway["ports"] == ["8000:8000"]
    assert {n: c["condition"] for n, c in gateway["depends_on"].items()} == dict.fromkeys(
        APP_SERVICES, "service_healthy"
    )
    published = [name for name, service in services.items() if "ports" in service]
    assert published == ["gateway"]
    for name in (*APP_SERVICES, "gateway", "migrate"):
        assert services[name]["read_only"] is True
        assert services[name]["cap_drop"] == ["ALL"]
