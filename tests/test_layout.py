"""The feature layout the build enforces beyond the import contracts: statements are written in a
feature's data modules (repository, and the enrolment feature's listings and lookups) or in the
consumers that keep a read model in step, services and endpoints call them; and modules stay short."""

from __future__ import annotations

import ast
from pathlib import Path

from services.kernel.settings import REPO_ROOT

DATA_MODULES = {"repository", "listings", "lookups", "consumers", "models"}
# What builds or runs a statement: SQLAlchemy's statement constructors, and running one on a session.
BUILDERS = {"select", "insert", "update", "delete", "text", "func", "or_", "and_", "literal"}
RUNNERS = {"execute", "scalar", "scalars", "stream"}


def _feature_modules() -> list[Path]:
    services = REPO_ROOT / "services"
    return sorted(
        path
        for service in ("catalog", "enrollment", "feedback")
        for path in (services / service).glob("*/*.py")
        if path.parent.name != "migrations" and path.stem not in DATA_MODULES
    )


def _statements_in(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
            "sqlalchemy",
            "sqlmodel",
        ):
            found += [f"imports {a.name}" for a in node.names if a.name in BUILDERS]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RUNNERS:
            found.append(f"line {node.lineno}: .{node.func.attr}()")
    return found


def test_services_and_endpoints_leave_statements_to_the_data_modules() -> None:
    offenders = {
        str(path.relative_to(REPO_ROOT)): found
        for path in _feature_modules()
        if (found := _statements_in(path))
    }
    assert offenders == {}


def test_the_check_sees_a_statement(tmp_path: Path) -> None:
    """The rule above would pass on nothing; here it is shown to catch both forms."""
    probe = tmp_path / "service.py"
    probe.write_text(
        "from sqlmodel import select\nasync def f(session):\n    await session.execute(select(1))\n"
    )
    assert _statements_in(probe) == ["imports select", "line 3: .execute()"]


def test_no_module_outgrows_what_one_reader_holds() -> None:
    """A module past 400 lines is split along its seams (the enrolment feature shows how)."""
    long = {
        str(path.relative_to(REPO_ROOT)): lines
        for root in ("services", "gateway")
        for path in (REPO_ROOT / root).rglob("*.py")
        if "migrations" not in path.parts and (lines := len(path.read_text().splitlines())) > 400
    }
    assert long == {}
