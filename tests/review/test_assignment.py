"""Judge assignment: coverage, balance and conflict of interest over random events."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review.assignment import AssignmentRefused, Candidate, Judge, assign, eligible, loads

AFFILIATIONS = ["서울캠퍼스", "부산캠퍼스", "광주캠퍼스", ""]


@st.composite
def events(draw: st.DrawFn) -> tuple[list[Candidate], list[Judge], int]:
    teams = [
        Candidate(i, f"팀{i}", draw(st.sampled_from(AFFILIATIONS)))
        for i in range(draw(st.integers(1, 25)))
    ]
    judges = []
    for j in range(draw(st.integers(1, 10))):
        conflicts = draw(st.frozensets(st.sampled_from([t.id for t in teams]), max_size=3))
        judges.append(
            Judge(100 + j, f"심사위원{j}", draw(st.sampled_from(AFFILIATIONS)), conflicts)
        )
    return teams, judges, draw(st.integers(1, 4))


@pytest.mark.slow  # 300 generated events
@settings(max_examples=300, deadline=None)
@given(events())
def test_coverage_balance_and_no_conflict(event: tuple) -> None:
    teams, judges, per_team = event
    by_id = {j.id: j for j in judges}
    possible = all(sum(eligible(j, t) for j in judges) >= per_team for t in teams)
    if not possible:
        with pytest.raises(AssignmentRefused, match="cannot get"):
            assign(teams, judges, per_team)
        return
    result = assign(teams, judges, per_team)
    assert set(result) == {t.id for t in teams}
    load = loads(result, judges)
    for team in teams:
        chosen = result[team.id]
        assert len(chosen) == len(set(chosen)) == per_team  # coverage, distinct judges
        assert all(eligible(by_id[j], team) for j in chosen)  # never a conflict of interest
    # Balance: a judge two or more above another holds no team the other could take.
    for busy in judges:
        for idle in judges:
            if load[busy.id] >= load[idle.id] + 2:
                for team in teams:
                    if busy.id in result[team.id]:
                        assert idle.id in result[team.id] or not eligible(idle, team)


def test_without_conflicts_loads_differ_by_at_most_one() -> None:
    teams = [Candidate(i, f"팀{i}", "A") for i in range(10)]
    judges = [Judge(100 + j, f"j{j}", "B") for j in range(4)]
    load = loads(assign(teams, judges, 3), judges)
    assert sum(load.values()) == 30 and max(load.values()) - min(load.values()) <= 1


def test_refusal_names_the_team_and_the_reason() -> None:
    teams = [Candidate(1, "알파", "서울캠퍼스"), Candidate(2, "베타", "부산캠퍼스")]
    judges = [
        Judge(10, "김", "서울캠퍼스"),  # same affiliation as 알파
        Judge(11, "이", "부산캠퍼스"),
        Judge(12, "박", "광주캠퍼스", frozenset({1})),  # declared a conflict with 알파
    ]
    with pytest.raises(AssignmentRefused) as refused:
        assign(teams, judges, 2)
    assert "without a conflict of interest: 알파 (1) (in parentheses" in str(refused.value)
    assert "베타" not in str(refused.value)
    # One each: 알파 can only have 이; 베타 takes the least loaded, lowest id (김).
    assert assign(teams, judges, 1) == {1: [11], 2: [10]}


def test_affiliation_match_ignores_case_and_spaces_but_not_blank() -> None:
    assert not eligible(Judge(1, "j", " Seoul "), Candidate(2, "t", "seoul"))
    assert eligible(Judge(1, "j", ""), Candidate(2, "t", ""))  # unknown is not a conflict


def test_refusal_lists_teams_with_the_judges_they_may_have() -> None:
    judges = [Judge(100, "j", "A")]
    few = [Candidate(1, "팀1", "A"), Candidate(2, "팀2", "B")]
    with pytest.raises(AssignmentRefused) as refused:
        assign(few, judges, 1)
    assert refused.value.english() == (
        "1 team(s) cannot get 1 judges without a conflict of interest: 팀1 (0) (in parentheses, "
        "how many judges each team may have). Add judges, or lower the number per team."
    )
    many = [Candidate(i, f"팀{i}", "A") for i in range(7)]
    with pytest.raises(AssignmentRefused) as refused:
        assign(many, judges, 1)
    assert refused.value.params["teams"] == "팀0 (0), 팀1 (0), 팀2 (0), 팀3 (0), 팀4 (0)"
    assert "팀4 (0) and 2 more (in parentheses" in refused.value.english()
