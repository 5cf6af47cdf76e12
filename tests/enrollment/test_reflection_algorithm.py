"""The reflection-group algorithm on awkward inputs (pure: no database needed for the arithmetic)."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from itertools import combinations

import pytest

from services.enrollment.reflection.algorithm import (
    Constraints,
    Member,
    adjust,
    pair,
    plan_sizes,
    propose,
    quality,
)


def cohort(spec: list[tuple[str, int]], seed: int = 7, per_unit: int = 1) -> list[Member]:
    """Members by sector: (sector, count), each in a unit of their own unless `per_unit` > 1."""
    rng = random.Random(seed)
    members = []
    for sector, count in spec:
        units = [uuid.UUID(int=rng.getrandbits(128)) for _ in range((count + per_unit - 1) // per_unit)]
        members += [
            Member(uuid.UUID(int=rng.getrandbits(128)), units[i // per_unit], sector) for i in range(count)
        ]
    return members


@pytest.mark.parametrize(
    ("n", "sizes"),
    [(54, [6] * 9), (20, [7, 7, 6]), (23, [6, 6, 6, 5]), (8, [8]), (3, [3]), (7, [7]), (0, [])],
)
def test_sizes_stay_in_range_and_differ_by_at_most_one(n: int, sizes: list[int]) -> None:
    assert plan_sizes(n, 5, 7) == sizes


def test_the_same_input_and_seed_give_the_same_groups() -> None:
    members = cohort([("Bydel", 15), ("Etat", 30), ("Byrådsavdeling", 9)])
    first = propose(members, 5, 7, seed=3)
    assert propose(list(reversed(members)), 5, 7, seed=3) == first
    assert sorted(p for g in first for p in g) == sorted(m.person_id for m in members)
    assert any(propose(members, 5, 7, seed=s) != first for s in (4, 5, 6))


def test_a_realistic_cohort_meets_every_rule() -> None:
    members = cohort([("Bydel", 15), ("Etat", 30), ("Byrådsavdeling", 7), ("Foretak", 2)])
    groups = propose(members, 5, 7, seed=1)
    result = quality(groups, members, 5, 7)
    assert not result.unit_conflicts
    assert not result.size_violations
    # Every group mirrors the cohort: 15/54 of 6 is 1.7 leaders from districts, 30/54 of 6 is 3.3 from
    # agencies, so each group has one or two, and three or four.
    for sectors in result.sectors:
        assert sectors["Bydel"] in (1, 2)
        assert sectors["Etat"] in (3, 4)


def test_more_sectors_than_seats_spreads_one_of_each() -> None:
    members = cohort([(f"Sektor {i}", 1) for i in range(12)])
    result = quality(propose(members, 5, 7, seed=1), members, 5, 7)
    assert [sum(s.values()) for s in result.sectors] == [6, 6]
    assert all(set(s.values()) == {1} for s in result.sectors)


def test_one_dominant_sector_is_shared_evenly() -> None:
    members = cohort([("Bydel", 24), ("Etat", 4), ("Foretak", 2)])
    result = quality(propose(members, 5, 7, seed=2), members, 5, 7)
    districts = [s.get("Bydel", 0) for s in result.sectors]
    assert max(districts) - min(districts) <= 1
    assert all(s.get("Etat", 0) <= 1 and s.get("Foretak", 0) <= 1 for s in result.sectors)


def test_colleagues_are_separated_and_unavoidable_conflicts_are_reported() -> None:
    members = cohort([("Etat", 30)], per_unit=3)  # ten units of three, five groups of six
    assert not quality(propose(members, 5, 7, seed=1), members, 5, 7).unit_conflicts
    crowded = cohort([("Etat", 8)], per_unit=8) + cohort([("Bydel", 4)], seed=9)  # 8 colleagues, 2 groups
    result = quality(propose(crowded, 5, 7, seed=1), crowded, 5, 7)
    assert sorted(len(people) for _, _, people in result.unit_conflicts) == [4, 4]  # the least possible


@pytest.mark.parametrize(("people", "least"), [(36, 0), (30, 5)])
def test_earlier_rounds_are_repeated_as_little_as_possible(people: int, least: int) -> None:
    """36 in six groups of six can all meet new people; 30 in five groups of six cannot (six people
    from five earlier groups: at least one earlier pair in every group)."""
    members = cohort([("Bydel", 12), ("Etat", people - 12)])
    first = propose(members, 5, 7, seed=1)
    history = Counter(pair(a, b) for g in first for i, a in enumerate(sorted(g)) for b in sorted(g)[i + 1 :])
    rules = Constraints(history=dict(history))
    again = propose(members, 5, 7, seed=1, constraints=rules)
    assert len(quality(again, members, 5, 7, rules).repeated_pairs) == least
    assert len(quality(first, members, 5, 7, rules).repeated_pairs) == len(history)  # what it avoided


def test_pins_hold() -> None:
    members = cohort([("Bydel", 12), ("Etat", 12)], per_unit=2)
    a, b, c, _d = (m.person_id for m in members[:4])  # a, b colleagues; c, d colleagues
    rules = Constraints(together=frozenset({pair(a, b)}), apart=frozenset({pair(a, c)}))
    groups = propose(members, 5, 7, seed=1, constraints=rules)
    where = {p: i for i, g in enumerate(groups) for p in g}
    assert where[a] == where[b]
    assert where[a] != where[c]
    result = quality(groups, members, 5, 7, rules)
    assert result.pins_broken == []
    assert [people for _, _, people in result.unit_conflicts] == [
        sorted([a, b])
    ]  # the pin outweighs the unit


def test_three_hundred_participants() -> None:
    """A programme's full size (its time is measured by `bench.reflection_groups`, not here)."""
    rng = random.Random(300)
    units = [
        (uuid.UUID(int=rng.getrandbits(128)), rng.choice(["Bydel", "Etat", "Byråd", "Foretak"]))
        for _ in range(120)
    ]
    members = [Member(uuid.UUID(int=rng.getrandbits(128)), *rng.choice(units)) for _ in range(300)]
    groups = propose(members, 5, 7, seed=1)
    result = quality(groups, members, 5, 7)
    assert len(groups) == 50
    assert not result.unit_conflicts
    assert not result.size_violations


def test_late_changes_take_the_fewest_moves() -> None:
    members = cohort([("Bydel", 12), ("Etat", 12)])
    groups = propose(members, 5, 7, seed=1)  # four groups of six
    newcomer = Member(uuid.uuid4(), uuid.uuid4(), "Foretak")
    adjusted, changes = adjust(groups, [*members, newcomer], 5, 7)
    assert changes == [
        (newcomer.person_id, None, next(i for i, g in enumerate(adjusted) if newcomer.person_id in g))
    ]

    # Two leave the same group: it falls to four, below the minimum, and takes one member from another.
    leaving = set(groups[0][:2])
    staying = [m for m in members if m.person_id not in leaving]
    adjusted, changes = adjust(groups, staying, 5, 7)
    assert sorted((p, a, b) for p, a, b in changes if b is None) == sorted((p, 0, None) for p in leaving)
    moved = [c for c in changes if c[1] is not None and c[2] is not None]
    assert len(moved) == 1
    assert moved[0][2] == 0
    assert sorted(len(g) for g in adjusted) == [5, 5, 6, 6]

    # Every group full: a newcomer opens a group that is filled up to the minimum from the others.
    full = propose(cohort([("Etat", 28)]), 7, 7, seed=1)
    assert [len(g) for g in full] == [7, 7, 7, 7]
    everyone = [*cohort([("Etat", 28)]), newcomer]
    adjusted, changes = adjust(full, everyone, 5, 7)
    assert all(5 <= len(g) <= 7 for g in adjusted if g)
    assert len(changes) == 5  # the newcomer, and four who make the new group five


def test_agencies_that_have_met_are_put_together_as_little_as_possible() -> None:
    # 24 leaders of 24 agencies in one sector, in groups of 4; two thirds of all agency pairs have met.
    members = cohort([("Bydel", 24)], seed=11)
    units = sorted(m.org_unit_id for m in members if m.org_unit_id is not None)
    rng = random.Random(5)
    met = frozenset((a, b) for i, a in enumerate(units) for b in units[i + 1 :] if rng.random() < 2 / 3)

    unit_of = {m.person_id: m.org_unit_id for m in members if m.org_unit_id is not None}

    def met_pairs(groups: list[list[uuid.UUID]]) -> int:
        return sum(len({pair(unit_of[a], unit_of[b]) for a, b in combinations(g, 2)} & met) for g in groups)

    blind = [met_pairs(propose(members, 4, 4, seed)) for seed in range(5)]
    aware = [met_pairs(propose(members, 4, 4, seed, Constraints(agencies_met=met))) for seed in range(5)]
    # By chance a group of four holds four of its six pairs that met; knowing the history, far fewer.
    assert max(aware) < min(blind)
    assert sum(aware) <= sum(blind) / 2
    rules = Constraints(agencies_met=met)
    scored = quality(propose(members, 4, 4, 1, rules), members, 4, 4, rules)
    assert scored.unit_conflicts == []
    assert scored.agency_pairs_met == aware[1]
