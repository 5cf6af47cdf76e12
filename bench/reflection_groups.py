"""Forming reflection groups: time to propose for 54 and 300 participants (the target: 300 in
under 2 seconds), beside a baseline measured in the same run.

    .venv/bin/python -m bench.reflection_groups

The baseline is the algorithm's own greedy start without the annealing (one pass that places each person
where they add least cost), so the ratio says what the search costs on top of the simplest sensible
division; the quality of both is printed too.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from collections.abc import Callable
from functools import partial

from services.enrollment.reflection import algorithm
from services.enrollment.reflection.algorithm import Constraints, Member, Scorer, plan_sizes, propose, quality

SECTORS = ["Bydel", "Etat", "Byrådsavdeling", "Foretak"]


def participants(n: int, seed: int) -> list[Member]:
    rng = random.Random(seed)  # noqa: S311 - synthetic data
    units = [(uuid.UUID(int=rng.getrandbits(128)), rng.choice(SECTORS)) for _ in range(max(1, n * 2 // 5))]
    return [Member(uuid.UUID(int=rng.getrandbits(128)), *rng.choice(units)) for _ in range(n)]


def greedy(members: list[Member], rules: Constraints) -> list[list[uuid.UUID]]:
    rng = random.Random(1)  # noqa: S311 - as propose does
    ordered = sorted(members, key=lambda m: m.person_id)
    return algorithm._greedy(ordered, plan_sizes(len(ordered), 5, 7), Scorer(ordered, rules), rng)


def timed(run: Callable[[], list[list[uuid.UUID]]], repeat: int = 5) -> tuple[float, list[list[uuid.UUID]]]:
    times, groups = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        groups = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), groups


def main() -> None:
    for n in (54, 300):
        members = participants(n, seed=n)
        first = propose(members, 5, 7, seed=1)
        # A second round: the first one's pairs are history, to be repeated as little as possible.
        met = {algorithm.pair(a, b): 1 for g in first for i, a in enumerate(g) for b in g[i + 1 :]}
        for label, rules in (("first round", Constraints()), ("second round", Constraints(history=met))):
            base, base_groups = timed(partial(greedy, members, rules))
            full, groups = timed(partial(propose, members, 5, 7, seed=2, constraints=rules))
            q, b = quality(groups, members, 5, 7, rules), quality(base_groups, members, 5, 7, rules)
            print(
                f"{n} participants, {label}: propose {full:.2f} s (median of 5), greedy start alone "
                f"{base:.3f} s, ratio {full / base:.0f}x; unit conflicts {len(q.unit_conflicts)} vs "
                f"{len(b.unit_conflicts)}, repeated pairs {len(q.repeated_pairs)} vs "
                f"{len(b.repeated_pairs)}, sector spread {q.sector_spread} vs {b.sector_spread}"
            )


if __name__ == "__main__":
    main()
