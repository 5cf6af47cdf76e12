"""The documentation stands alone: a short README, and every link in it and in docs/ leads to a file of
this repository."""

from __future__ import annotations

import re
from pathlib import Path

from services.kernel.settings import REPO_ROOT

DOCUMENTS = [REPO_ROOT / "README.md", REPO_ROOT / "bench" / "README.md", REPO_ROOT / "deploy" / "README.md"]
DOCUMENTS += sorted((REPO_ROOT / "docs").rglob("*.md"))
OUTSIDE = "../" + "shared"  # spelled in two parts, so this file does not name it
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_the_readme_is_a_short_front_page_with_the_two_commands_first() -> None:
    readme = (REPO_ROOT / "README.md").read_text().splitlines()
    assert len(readme) <= 150
    first_block = readme.index("```sh")
    assert readme[first_block + 1].startswith("make run")
    assert readme[first_block + 2].startswith("make test")


def test_every_relative_link_leads_to_a_file_here() -> None:
    broken = []
    for document in DOCUMENTS:
        for target in LINK.findall(document.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (document.parent / target).resolve().exists():
                broken.append(f"{document.relative_to(REPO_ROOT)}: {target}")
    assert broken == []


def test_nothing_points_outside_the_repository() -> None:
    outside = [
        str(path.relative_to(REPO_ROOT))
        for path in [*DOCUMENTS, *Path(REPO_ROOT).glob("*/**/*.py")]
        if ".venv" not in path.parts and ".data" not in path.parts and OUTSIDE in path.read_text()
    ]
    assert outside == []
