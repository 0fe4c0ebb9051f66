"""The rules page shows the event's own numbers, in Korean by default."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.helpers import Contest


def test_rules_page(client: FlaskClient, contest: Contest) -> None:
    page = client.get(f"/events/{contest.event}/rules").get_data(as_text=True)
    assert "순위 산정 방법" in page and "roc_auc (높을수록 좋음)" in page
    assert "<td>20</td>" in page  # the task's daily limit
    english = client.get(f"/events/{contest.event}/rules?lang=en").get_data(as_text=True)
    assert "How ranking works" in english
    assert client.get("/events/nope/rules").status_code == 404
