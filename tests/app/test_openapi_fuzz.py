"""CI fuzz run of the whole REST API from its own OpenAPI document (issue 12, item 20).

Schemathesis generates requests for every documented operation — bodies, path and query
parameters, valid ones and deliberately invalid ones (its positive and negative modes) — and
sends them to a real production-mode server on PostgreSQL and Redis. No answer may be a 5xx.

``schemathesis`` is a locked test dependency (pyproject's ``test`` extra): a missing
package fails the import loudly, never skips.

Bounded: ``EXAMPLES`` cases per operation and mode (about 60 operations: a few hundred
requests, a couple of minutes on loopback), derandomized, so a CI run repeats and a failure
reproduces. Strategies are driven by Hypothesis directly rather than by Schemathesis' pytest
plugin, whose lazy fixture schemas read a pytest-internal attribute that pytest 9 removed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.actions import bearer
from tests.helpers import Proc, seed_env, server_in

EXAMPLES = 4


def test_no_request_makes_a_server_error(
    production_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(production_env, tmp_path)
    server = server_in(production_env, spawned, tmp_path, "web")
    schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json")
    schema.config.update(base_url=f"{server.url}/api/v1")
    headers = bearer(contest.staff_tokens["organizer"])
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40, "the document lost operations"
    failures: list[str] = []
    sent = 0

    for operation in operations:
        # The seeded event and task, so requests reach past the 404 of a random name (random
        # names are the negative mode's, and tests/app/test_bad_input.py's).
        named = set(re.findall(r"\{(\w+)\}", operation.path))
        fixed = {k: v for k, v in (("event", contest.event), ("task", contest.task)) if k in named}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(operation.as_strategy(generation_mode=mode, path_parameters=fixed))
            def call(case: Any) -> None:
                nonlocal sent
                response = case.call(headers=headers, timeout=30)
                sent += 1
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} query={case.query!r} "
                        f"body={getattr(case, 'body', None)!r:.200}: {response.status_code}"
                    )

            try:
                call()
            except Unsatisfiable:  # negative mode: nothing of this operation can be made invalid
                assert mode is GenerationMode.NEGATIVE, operation.path
    assert sent >= 200, sent
    assert not failures, "\n".join(failures[:20])
