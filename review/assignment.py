"""Assigning judges to teams: coverage, balance, no conflict of interest (SPEC §5).

Every team in review gets ``per_team`` distinct judges, none of whom shares the team's
affiliation or declared a conflict with it. Loads are then balanced by moving single
assignments from a busier judge to a less busy one while that helps: at the end no judge
carries two or more teams above another unless the conflicts forbid every such move.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from core.errors import TranslatableError


@dataclass(frozen=True)
class Judge:
    id: int
    name: str
    affiliation: str = ""
    conflicts: frozenset[int] = field(default_factory=frozenset)  # declared: team ids


@dataclass(frozen=True)
class Candidate:
    """A team in review."""

    id: int
    name: str
    affiliation: str = ""


class AssignmentRefused(TranslatableError, ValueError):
    """Some team cannot reach the required number of judges; the message says which, why."""


def _same(a: str, b: str) -> bool:
    return bool(a.strip()) and a.strip().casefold() == b.strip().casefold()


def eligible(judge: Judge, team: Candidate) -> bool:
    """No conflict of interest: another affiliation, and none declared."""
    return team.id not in judge.conflicts and not _same(judge.affiliation, team.affiliation)


def assign(
    teams: Sequence[Candidate], judges: Sequence[Judge], per_team: int = 3
) -> dict[int, list[int]]:
    """Team id → sorted judge ids; raises ``AssignmentRefused`` when coverage is impossible."""
    if per_team < 1:
        raise AssignmentRefused("Each team needs at least one judge.")
    pool = {t.id: [j.id for j in judges if eligible(j, t)] for t in teams}
    short = [t for t in teams if len(pool[t.id]) < per_team]
    if short:
        # Names and counts only: "팀A (1), 팀B (0)"; the sentence around them is a template.
        listed = ", ".join(f"{t.name} ({len(pool[t.id])})" for t in short[:5])
        if len(short) > 5:
            raise AssignmentRefused(
                "%(count)d team(s) cannot get %(per_team)d judges without a conflict of "
                "interest: %(teams)s and %(more)d more (in parentheses, how many judges "
                "each team may have). Add judges, or lower the number per team.",
                count=len(short),
                per_team=per_team,
                teams=listed,
                more=len(short) - 5,
            )
        raise AssignmentRefused(
            "%(count)d team(s) cannot get %(per_team)d judges without a conflict of "
            "interest: %(teams)s (in parentheses, how many judges each team may have). "
            "Add judges, or lower the number per team.",
            count=len(short),
            per_team=per_team,
            teams=listed,
        )
    load = {j.id: 0 for j in judges}
    chosen: dict[int, set[int]] = {}
    # The most constrained teams choose first; each takes the least loaded judges it may have.
    for team in sorted(teams, key=lambda t: (len(pool[t.id]), t.id)):
        picks = sorted(pool[team.id], key=lambda j: (load[j], j))[:per_team]
        chosen[team.id] = set(picks)
        for j in picks:
            load[j] += 1
    _balance(chosen, pool, load)
    return {team_id: sorted(js) for team_id, js in chosen.items()}


def _balance(chosen: dict[int, set[int]], pool: dict[int, list[int]], load: dict[int, int]) -> None:
    """Move assignments from judges two or more above another while any move is allowed.

    Each move lowers the sum of squared loads, so this ends.
    """
    moved = True
    while moved:
        moved = False
        for team_id in sorted(chosen):
            for busy in sorted(chosen[team_id], key=lambda j: (-load[j], j)):
                idle = [
                    j
                    for j in pool[team_id]
                    if j not in chosen[team_id] and load[j] + 2 <= load[busy]
                ]
                if idle:
                    target = min(idle, key=lambda j: (load[j], j))
                    chosen[team_id].discard(busy)
                    chosen[team_id].add(target)
                    load[busy] -= 1
                    load[target] += 1
                    moved = True
                    break


def loads(assignment: dict[int, Iterable[int]], judges: Sequence[Judge]) -> dict[int, int]:
    """How many teams each judge has."""
    count = {j.id: 0 for j in judges}
    for judge_ids in assignment.values():
        for j in judge_ids:
            count[j] += 1
    return count
