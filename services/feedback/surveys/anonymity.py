"""Which unit and sector a released response may name, so that no report can single anyone out.

The threshold `k` (FEEDBACK_ANONYMITY_THRESHOLD, default 5, never below 3) says how many answers a
group needs before its results show more than a count. Suppressing small groups in each report is not
enough on its own: a report for a sector minus the reports for all but one of its units gives the last
unit, however small (a difference attack). So the guarantee is built into the data instead.

When a survey closes, its responses are tagged, level by level, as the statistics offices do with
complementary suppression:

1. A survey with fewer than `k` answers releases nothing: its ballots are destroyed unread
   (`service.close`).
2. A sector is named only if at least `k` responses come from it. If the responses in unnamed sectors
   number between 1 and `k - 1`, the smallest named sector is unnamed too, until that remainder is 0
   or at least `k` (or no sector is named).
3. Within a named sector, a unit is named by the same rule: at least `k` responses, and the sector's
   responses without a unit name are 0 or at least `k`.
4. Then per question, within each group of the partition: if between 1 and `k - 1` of the group's
   responses answer a question (an optional one, a free text), those answers are removed from the
   group (`drop_rare_answers`), so every question, too, has 0 or at least `k` answers in every group.

Every report selects whole groups of this partition (a survey's unit groups, its sector remainders, its
unnamed remainder), and each such group holds 0 or at least `k` responses, and 0 or at least `k`
answers to each question. A report that contains another differs from it by a union of whole groups,
so the difference also holds 0 or at least `k` of each: no subtraction isolates fewer than `k` people
or one person's comment.

What a ballot says of its origin before the survey closes is limited too: the unit the respondent
claims only where at least `k` of the survey's credential holders are in it, else the sector on the
same terms, else nothing (`answering/service.py`).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

K = TypeVar("K", str, uuid.UUID)
Origin = tuple[uuid.UUID | None, str | None]  # (org unit, sector) of one response


def _keep_large(counts: Counter[K], total: int, k: int) -> set[K]:
    """Names whose count reaches k, dropping the smallest until the rest is 0 or at least k."""
    kept = {name for name, count in counts.items() if count >= k}
    rest = total - sum(counts[name] for name in kept)
    while 0 < rest < k and kept:
        smallest = min(kept, key=lambda name: (counts[name], str(name)))
        kept.discard(smallest)
        rest += counts[smallest]
    return kept


def generalise(origins: Sequence[Origin], k: int) -> list[Origin]:
    """The (unit, sector) each response may carry, in the order given."""
    if len(origins) < k:
        return [(None, None)] * len(origins)
    sectors: Counter[str] = Counter(sector for _, sector in origins if sector is not None)
    named_sectors = _keep_large(sectors, len(origins), k)
    named_units: set[uuid.UUID] = set()
    for sector in named_sectors:
        units: Counter[uuid.UUID] = Counter(u for u, s in origins if s == sector and u is not None)
        named_units |= _keep_large(units, sectors[sector], k)
    return [
        (
            unit if sector in named_sectors and unit in named_units else None,
            sector if sector in named_sectors else None,
        )
        for unit, sector in origins
    ]


def drop_rare_answers(
    tagged: Sequence[tuple[Origin, dict[str, Any]]], k: int
) -> list[tuple[Origin, dict[str, Any]]]:
    """The responses with each question's answers removed from every group (same origin) where fewer
    than `k` (but some) responses answer it; in the order given."""
    answered: dict[Origin, Counter[str]] = defaultdict(Counter)
    for origin, answers in tagged:
        answered[origin].update(answers.keys())
    rare = {origin: {q for q, n in counts.items() if n < k} for origin, counts in answered.items()}
    return [
        (origin, {q: a for q, a in answers.items() if q not in rare[origin]}) for origin, answers in tagged
    ]
