import pytest

from .shared_data import check_data_marks


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_data(*parts): the test reads $ATTNKIT_DATA/<parts>; "
                            "skipped without it, failed in CI (see tests/shared_data.py)")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    check_data_marks(item)  # before the test's fixtures, which may read the data
