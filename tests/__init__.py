import pytest

# Asserts in the shared helpers are rewritten too: they explain themselves when they fail,
# and tests/conftest.py counts them (a parametrised case that asserts nothing fails).
pytest.register_assert_rewrite("tests.helpers", "tests.actions", "tests.metric_cases")
