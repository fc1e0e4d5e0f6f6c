import pytest

from .shared_data import check_data_marks
from .threads import one_thread as single_thread


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_data(*parts): the test reads $ATTNKIT_DATA/<parts>; "
                            "skipped without it, failed in CI (see tests/shared_data.py)")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    check_data_marks(item)  # before the test's fixtures, which may read the data


@pytest.fixture(scope="module", name="one_thread")
def one_thread_fixture():
    """The module's tests and fixtures run on one torch thread (tests/threads.py)."""
    with single_thread():
        yield
