"""The search relevance set (`search_relevance.toml`): queries a leader types, the demo offerings each must
find among its first results, and precision and recall over what the search answers."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

RELEVANCE_SET = Path(__file__).with_name("search_relevance.toml")


@dataclass(frozen=True)
class Case:
    q: str
    find: tuple[str, ...]  # titles that must be among the first results
    also: tuple[str, ...]  # titles the query may rightly return as well

    @property
    def first(self) -> int:
        """How many of the first results must hold every title in `find`."""
        return max(3, len(self.find))

    def misses(self, titles: Sequence[str]) -> list[str]:
        """The titles of `find` not among the first results."""
        return [title for title in self.find if title not in titles[: self.first]]


@dataclass(frozen=True)
class Score:
    precision: float  # share of the results that are relevant (find or also), averaged over the queries
    recall: float  # share of `find` anywhere in the results, averaged over the queries
    found_first: float  # share of the queries with every title of `find` among the first results


def load(path: Path = RELEVANCE_SET) -> list[Case]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    offerings: dict[str, str] = data["offerings"]
    return [
        Case(
            q=entry["q"],
            find=tuple(offerings[key] for key in entry["find"]),
            also=tuple(offerings[key] for key in entry.get("also", [])),
        )
        for entry in data["query"]
    ]


def score(answers: Sequence[tuple[Case, Sequence[str]]]) -> Score:
    """Macro-averaged precision and recall; a query that returns nothing has precision 0."""
    precision = recall = found_first = 0.0
    for case, titles in answers:
        relevant = {*case.find, *case.also}
        precision += sum(title in relevant for title in titles) / len(titles) if titles else 0.0
        recall += sum(title in titles for title in case.find) / len(case.find)
        found_first += not case.misses(titles)
    count = len(answers) or 1
    return Score(precision / count, recall / count, found_first / count)
