"""A missing optional dependency or program skips a test, except in CI, where it fails."""

import pytest

from .unavailable import require_module, require_program


@pytest.mark.parametrize("ci, outcome", [("true", pytest.fail.Exception),
                                         ("false", pytest.skip.Exception),
                                         (None, pytest.skip.Exception)])
def test_missing_modules_and_programs_skip_outside_ci_and_fail_in_ci(ci, outcome,
                                                                      monkeypatch):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="attnkit_no_such_module.*pip install it"):
        require_module("attnkit_no_such_module", "pip install it")
    with pytest.raises(outcome, match="attnkit-no-such-program not found on PATH; apt-get"):
        require_program("attnkit-no-such-program", install="apt-get install it")


def test_present_ones_are_returned(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert require_module("json", "-").dumps([1]) == "[1]"
    assert require_program("attnkit-no-such-program", "sh", install="-").endswith("/sh")
