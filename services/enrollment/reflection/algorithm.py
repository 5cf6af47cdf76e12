"""Dividing participants into reflection groups: what is optimised, and how.

The programme wants reflection groups composed across agencies and sectors (DOMAIN.md); a consultant
did it by hand in a spreadsheet. The rules, in order of weight (a heavier one is never traded for any
amount of a lighter one at the sizes this runs at: at most a few hundred people):

1. **Pins** a coordinator sets (`together` kept in one group, `apart` never in one): weight 10,000 per
   broken pin.
2. **No two members from the same org unit** in a group: 1,000 per pair of colleagues.
3. **As few repeated pairings** from earlier confirmed rounds as possible: 10 per pair per earlier time
   together (people who met before learn less from each other).
4. **Sectors spread as evenly as the numbers allow**: each group should mirror the whole cohort's sector
   mix. Its cost is the sum over sectors of (members from the sector − group size × the sector's share
   of all participants)²: zero when a group is a miniature of the cohort, and growing fast when one
   sector crowds a group. This also handles "more sectors than seats" (a group cannot hold every
   sector, and the cost then only asks that no sector be doubled while another is missing) and "one
   dominant sector" (its share is large, so its members are expected in every group).

**Sizes** are fixed first (`plan_sizes`): the number of groups whose even split lies within the
requested range and is closest to its middle; the remainder is spread one each, so sizes differ by at
most one (for 20 people and 5 to 7: 6, 7, 7 rather than 5, 5, 5, 5). When no count fits (8 people and
5 to 7), the count whose sizes fall least outside the range is taken, and the quality reports it.

**Search**: a greedy start (people whose unit has the most participants are placed first, each into
the group where they add least cost), then simulated annealing over swaps of two people in different
groups and moves between groups whose sizes differ by one (so the sizes stay as planned). A group's
cost is recomputed from its few members, so a step costs microseconds. The number of steps is fixed by
the number of participants, not by the clock, and every random choice comes from `random.Random(seed)`
over participants sorted by id: the same input and seed always give the same groups.

**Late changes** (`adjust`): after confirmation, people who left are taken out, newcomers each go to
the group where they add least cost among those below the minimum (or, when none is, those with
room; when every group is full, a new one), and a group that still falls below the minimum takes the
one member whose move costs least from a group above it (or is shared out among groups with room when
none can give): the fewest moves that restore the sizes, never a reshuffle.
"""

from __future__ import annotations

import math
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

W_PIN = 10_000
W_UNIT = 1_000
W_REPEAT = 10
# Two agencies whose leaders have met before (in a group or session): a small push towards new pairs.
W_AGENCIES_MET = 2
W_SECTOR = 1.0
UNKNOWN_SECTOR = "(ukjent)"

Pair = tuple[uuid.UUID, uuid.UUID]


def pair(a: uuid.UUID, b: uuid.UUID) -> Pair:
    return (a, b) if a < b else (b, a)


@dataclass(frozen=True)
class Member:
    person_id: uuid.UUID
    org_unit_id: uuid.UUID | None
    sector: str | None


@dataclass(frozen=True)
class Constraints:
    together: frozenset[Pair] = frozenset()
    apart: frozenset[Pair] = frozenset()
    history: Mapping[Pair, int] = field(default_factory=dict)  # pair -> earlier rounds grouped together
    agencies_met: frozenset[Pair] = frozenset()  # pairs of org units (in id order) whose leaders have met


def _size_misfit(n: int, groups: int, smallest: int, largest: int) -> int:
    q, r = divmod(n, groups)
    sizes = [q + 1] * r + [q] * (groups - r)
    return sum(max(0, smallest - s) + max(0, s - largest) for s in sizes)


def plan_sizes(n: int, smallest: int, largest: int) -> list[int]:
    """Group sizes for n people, each within [smallest, largest] where possible, differing by at most 1."""
    if n == 0:
        return []
    middle = (smallest + largest) / 2
    feasible = [g for g in range(1, n + 1) if _size_misfit(n, g, smallest, largest) == 0]
    if feasible:
        groups = min(feasible, key=lambda g: (abs(n / g - middle), g))
    else:
        groups = min(
            range(1, n + 1), key=lambda g: (_size_misfit(n, g, smallest, largest), abs(n / g - middle))
        )
    q, r = divmod(n, groups)
    return [q + 1] * r + [q] * (groups - r)


class Scorer:
    """The cost of a group, from its members alone (lower is better)."""

    def __init__(self, members: Iterable[Member], constraints: Constraints) -> None:
        self.members = {m.person_id: m for m in members}
        n = len(self.members) or 1
        sectors = Counter(self.sector(p) for p in self.members)
        self.share = {s: c / n for s, c in sectors.items()}
        self.links: dict[uuid.UUID, dict[uuid.UUID, float]] = defaultdict(dict)
        for (a, b), times in constraints.history.items():
            self._link(a, b, W_REPEAT * times)
        for a, b in constraints.apart:
            self._link(a, b, W_PIN)
        for a, b in constraints.together:
            self._link(a, b, -W_PIN)
        self.constraints = constraints

    def _link(self, a: uuid.UUID, b: uuid.UUID, weight: float) -> None:
        if a in self.members and b in self.members and a != b:
            self.links[a][b] = self.links[a].get(b, 0) + weight
            self.links[b][a] = self.links[b].get(a, 0) + weight

    def sector(self, person_id: uuid.UUID) -> str:
        return self.members[person_id].sector or UNKNOWN_SECTOR

    def group_cost(self, group: Sequence[uuid.UUID]) -> float:
        units = Counter(self.members[p].org_unit_id for p in group)
        cost = sum(W_UNIT * c * (c - 1) / 2 for unit, c in units.items() if unit is not None and c > 1)
        if self.constraints.agencies_met:
            known = sorted(unit for unit in units if unit is not None)
            cost += W_AGENCIES_MET * sum(
                1 for a, b in combinations(known, 2) if (a, b) in self.constraints.agencies_met
            )
        sectors = Counter(self.sector(p) for p in group)
        size = len(group)
        cost += W_SECTOR * sum((sectors.get(s, 0) - size * share) ** 2 for s, share in self.share.items())
        members = set(group)
        for p in group:
            for q, weight in self.links.get(p, {}).items():
                if q in members and p < q:
                    cost += weight
        return cost

    def total(self, groups: Sequence[Sequence[uuid.UUID]]) -> float:
        together = sum(1 for a, b in self.constraints.together if a in self.members and b in self.members)
        return W_PIN * together + sum(self.group_cost(g) for g in groups)


def _greedy(
    members: Sequence[Member], sizes: list[int], scorer: Scorer, rng: random.Random
) -> list[list[uuid.UUID]]:
    unit_sizes = Counter(m.org_unit_id for m in members)
    order = sorted(members, key=lambda m: (-unit_sizes[m.org_unit_id], rng.random()))
    groups: list[list[uuid.UUID]] = [[] for _ in sizes]
    costs = [0.0 for _ in sizes]
    for member in order:
        best, best_delta = -1, math.inf
        for index, group in enumerate(groups):
            if len(group) >= sizes[index]:
                continue
            delta = scorer.group_cost([*group, member.person_id]) - costs[index]
            if delta < best_delta:
                best, best_delta = index, delta
        groups[best].append(member.person_id)
        costs[best] += best_delta
    return groups


def _anneal(
    groups: list[list[uuid.UUID]], scorer: Scorer, rng: random.Random, steps: int
) -> list[list[uuid.UUID]]:
    if len(groups) < 2:
        return groups
    costs = [scorer.group_cost(g) for g in groups]
    best, best_total = [g[:] for g in groups], sum(costs)
    total = best_total
    start, end = 2.0, 0.01
    for step in range(steps):
        temperature = start * (end / start) ** (step / steps)
        a, b = rng.sample(range(len(groups)), 2)
        first, second = groups[a], groups[b]
        i = rng.randrange(len(first))
        if len(first) == len(second) + 1 and rng.random() < 0.3:
            new_first = first[:i] + first[i + 1 :]
            new_second = [*second, first[i]]
        else:
            j = rng.randrange(len(second))
            new_first, new_second = first[:], second[:]
            new_first[i], new_second[j] = second[j], first[i]
        cost_first, cost_second = scorer.group_cost(new_first), scorer.group_cost(new_second)
        delta = cost_first + cost_second - costs[a] - costs[b]
        if delta <= 0 or rng.random() < math.exp(-delta / temperature):
            groups[a], groups[b] = new_first, new_second
            costs[a], costs[b] = cost_first, cost_second
            total += delta
            if total < best_total - 1e-9:
                best, best_total = [g[:] for g in groups], total
    return best


def steps_for(n: int) -> int:
    return min(30_000, 100 * n + 2_000)


def propose(
    members: Sequence[Member], smallest: int, largest: int, seed: int, constraints: Constraints | None = None
) -> list[list[uuid.UUID]]:
    """Groups for these members (each list sorted by person id; groups in order of their first member)."""
    constraints = constraints or Constraints()
    members = sorted(members, key=lambda m: m.person_id)
    if not members:
        return []
    rng = random.Random(seed)  # noqa: S311 - reproducible groups, not a secret
    scorer = Scorer(members, constraints)
    sizes = plan_sizes(len(members), smallest, largest)
    groups = _anneal(_greedy(members, sizes, scorer, rng), scorer, rng, steps_for(len(members)))
    return sorted((sorted(g) for g in groups), key=lambda g: g[0])


Change = tuple[uuid.UUID, int | None, int | None]  # person, from group index, to group index


def adjust(
    groups: list[list[uuid.UUID]],
    members: Sequence[Member],
    smallest: int,
    largest: int,
    constraints: Constraints | None = None,
) -> tuple[list[list[uuid.UUID]], list[Change]]:
    """The smallest change to confirmed groups after people joined or left (see the module text).
    Group indexes in changes refer to the list given; a group left empty stays in the list, empty."""
    scorer = Scorer(members, constraints or Constraints())
    present = {m.person_id for m in members}
    groups = [list(g) for g in groups]
    changes: list[Change] = []
    for index, group in enumerate(groups):
        for person in [p for p in group if p not in present]:
            group.remove(person)
            changes.append((person, index, None))
    placed = {p for g in groups for p in g}
    for person in sorted(present - placed):
        # A group below the minimum first: each newcomer placed there is one move fewer later.
        short = [i for i, g in enumerate(groups) if 0 < len(g) < smallest]
        room = short or [i for i, g in enumerate(groups) if len(g) < largest]
        if not room:
            # Every group is full: a new group, which the repair below fills up to the minimum.
            groups.append([])
            room = [len(groups) - 1]
        target = min(
            room, key=lambda i: (scorer.group_cost([*groups[i], person]) - scorer.group_cost(groups[i]), i)
        )
        groups[target].append(person)
        changes.append((person, None, target))
    while True:
        short = [i for i, g in enumerate(groups) if 0 < len(g) < smallest]
        if not short:
            break
        needy = min(short, key=lambda i: (len(groups[i]), i))
        donors = [i for i, g in enumerate(groups) if len(g) > smallest and i != needy]
        if donors:
            options = [
                (
                    scorer.group_cost([*groups[needy], p])
                    + scorer.group_cost([q for q in groups[d] if q != p])
                    - scorer.group_cost(groups[needy])
                    - scorer.group_cost(groups[d]),
                    d,
                    p,
                )
                for d in donors
                for p in groups[d]
            ]
            _, donor, person = min(options, key=lambda o: (o[0], o[1], o[2]))
            groups[donor].remove(person)
            groups[needy].append(person)
            changes.append((person, donor, needy))
            continue
        others = [i for i, g in enumerate(groups) if i != needy and g]
        spare = sum(largest - len(groups[i]) for i in others)
        if not others or spare < len(groups[needy]):
            break  # nothing can fix it: reported as a size violation
        for person in sorted(groups[needy]):
            room = [i for i in others if len(groups[i]) < largest]
            target = min(
                room,
                key=lambda i: (scorer.group_cost([*groups[i], person]) - scorer.group_cost(groups[i]), i),
            )
            groups[target].append(person)
            changes.append((person, needy, target))
        groups[needy] = []
    return groups, changes


@dataclass(frozen=True)
class Quality:
    cost: float
    unit_conflicts: list[tuple[int, uuid.UUID, list[uuid.UUID]]]
    pins_broken: list[tuple[str, Pair]]
    repeated_pairs: list[tuple[int, Pair, int]]
    size_violations: list[tuple[int, int]]
    sectors: list[dict[str, int]]
    sector_spread: float
    agency_pairs_met: int = 0


def quality(
    groups: Sequence[Sequence[uuid.UUID]],
    members: Sequence[Member],
    smallest: int,
    largest: int,
    constraints: Constraints | None = None,
) -> Quality:
    """How good a division is, rule by rule (group numbers are indexes into `groups`)."""
    constraints = constraints or Constraints()
    scorer = Scorer(members, constraints)
    where = {p: i for i, g in enumerate(groups) for p in g}
    conflicts = []
    repeated = []
    for index, group in enumerate(groups):
        units: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for p in group:
            unit = scorer.members[p].org_unit_id
            if unit is not None:
                units[unit].append(p)
        conflicts += [(index, unit, sorted(people)) for unit, people in units.items() if len(people) > 1]
        ordered = sorted(group)
        repeated += [
            (index, (a, b), constraints.history[(a, b)])
            for i, a in enumerate(ordered)
            for b in ordered[i + 1 :]
            if constraints.history.get((a, b))
        ]
    broken = [
        ("together", p)
        for p in sorted(constraints.together)
        if p[0] in where and where[p[0]] != where.get(p[1])
    ]
    broken += [
        ("apart", p) for p in sorted(constraints.apart) if p[0] in where and where[p[0]] == where.get(p[1])
    ]
    sizes = [(i, len(g)) for i, g in enumerate(groups) if g and not smallest <= len(g) <= largest]
    sectors = [dict(sorted(Counter(scorer.sector(p) for p in g).items())) for g in groups]
    spread = sum(
        sum((counts.get(s, 0) - len(g) * share) ** 2 for s, share in scorer.share.items())
        for g, counts in zip(groups, sectors, strict=True)
    )
    met = 0
    for group in groups:
        present = sorted({u for p in group if (u := scorer.members[p].org_unit_id) is not None})
        met += sum(1 for a, b in combinations(present, 2) if (a, b) in constraints.agencies_met)
    return Quality(
        agency_pairs_met=met,
        cost=round(scorer.total(groups), 3),
        unit_conflicts=conflicts,
        pins_broken=broken,
        repeated_pairs=repeated,
        size_violations=sizes,
        sectors=sectors,
        sector_spread=round(spread, 3),
    )
