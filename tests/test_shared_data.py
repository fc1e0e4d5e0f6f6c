"""Missing shared data skips a test, except in CI, where it fails and names the file."""

from types import SimpleNamespace

import pytest

from .shared_data import check_data_marks, data_file, needs_data


@pytest.fixture
def data(tmp_path, monkeypatch):
    (tmp_path / "moses").mkdir()
    (tmp_path / "moses" / "test.csv.gz").write_bytes(b"")
    monkeypatch.setenv("ATTNKIT_DATA", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    return tmp_path


def marked(*parts: str) -> SimpleNamespace:
    """A stand-in for a collected test carrying `needs_data(*parts)`."""
    mark = needs_data(*parts).mark
    return SimpleNamespace(iter_markers=lambda name: [mark] if name == mark.name else [])


def test_a_present_file_is_found_and_its_mark_lets_the_test_run(data):
    assert data_file("moses", "test.csv.gz") == data / "moses" / "test.csv.gz"
    check_data_marks(marked("moses", "test.csv.gz"))


def test_a_missing_file_skips_the_test_and_names_the_file(data):
    with pytest.raises(pytest.skip.Exception, match=r"moses/train\.csv\.gz not found"):
        check_data_marks(marked("moses", "train.csv.gz"))


@pytest.mark.parametrize("value", ["true", "false", "1"])
def test_in_ci_a_missing_file_fails_the_test_and_names_the_file(data, monkeypatch, value):
    monkeypatch.setenv("CI", value)
    ci = value == "true"  # what GitHub Actions and GitLab CI export
    outcome = pytest.fail.Exception if ci else pytest.skip.Exception
    with pytest.raises(outcome, match=r"moses/train\.csv\.gz not found under \$ATTNKIT_DATA"):
        check_data_marks(marked("moses", "train.csv.gz"))


def test_in_ci_an_unset_or_wrong_data_folder_fails_too(data, monkeypatch):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("ATTNKIT_DATA", str(data / "nowhere"))
    with pytest.raises(pytest.fail.Exception, match=r"missing in CI .*nowhere is not a folder"):
        data_file("moses", "test.csv.gz")
    monkeypatch.delenv("ATTNKIT_DATA")
    with pytest.raises(pytest.fail.Exception, match="set ATTNKIT_DATA"):
        data_file("moses", "test.csv.gz")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="set ATTNKIT_DATA"):
        data_file("moses", "test.csv.gz")
