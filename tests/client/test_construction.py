"""Constructing a TaskManager: clear errors for what it cannot work with,
one lazily built client, and a clear end after close()."""

from __future__ import annotations

import pytest

from queuekeeper import QueueOptions, TaskManager
from queuekeeper.emulator import Emulator
from queuekeeper.errors import ClientClosedError, ConfigError, QueuekeeperError
from tests.client.conftest import MakeManager


@pytest.mark.parametrize(
    ("base_url", "complaint"),
    [
        ("", "empty"),
        ("api.example.com", "must start with http:// or https://"),
        ("ftp://api.example.com", "must start with http:// or https://"),
        ("https://", "has no host"),
        ("https:///path", "has no host"),
        ("https://api.example.com:99999", "not a valid URL"),
        ("https://api.example.com/?x=1", "query or fragment"),
        ("https://api.example.com/#top", "query or fragment"),
        ("https://user:pw@api.example.com", "user name or password"),
        ("https://api.example.com/my path", "whitespace"),
        ("https://api.example.com\n", "whitespace"),
    ],
)
def test_a_malformed_base_url_is_refused_at_construction(
    base_url: str, complaint: str
) -> None:
    with pytest.raises(ConfigError, match=complaint):
        TaskManager(project="p", location="europe-west1", base_url=base_url)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("project", "my project"),
        ("project", ""),
        ("location", "Europe-West1"),
        ("auth_key", ""),
        ("auth_key", "two\nlines"),
    ],
)
def test_a_bad_project_location_or_auth_key_is_refused(
    make_manager: MakeManager, field: str, value: str
) -> None:
    with pytest.raises(ConfigError, match=field):
        make_manager(**{field: value})


@pytest.mark.parametrize(
    "timing", [{"call_timeout": 0}, {"retry_deadline": -1}, {"call_timeout": -5}]
)
def test_timeouts_that_cannot_work_are_refused(
    make_manager: MakeManager, timing: dict[str, float]
) -> None:
    with pytest.raises(ConfigError, match="call_timeout"):
        make_manager(**timing)


def test_an_auth_key_error_never_shows_the_key(make_manager: MakeManager) -> None:
    with pytest.raises(ConfigError) as raised:
        make_manager(auth_key="secret\nsecond-line")

    assert "secret" not in str(raised.value)


@pytest.mark.parametrize("attempts", [-1, "unlimited"])
def test_unlimited_attempts_are_minus_one(attempts: int | str) -> None:
    options = QueueOptions(max_attempts=attempts)  # type: ignore[arg-type]

    assert options.max_attempts == -1
    assert options.settings() == {"retry_config.max_attempts": -1}


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"max_attempts": 0}, "use 1 for no retries"),
        ({"max_attempts": -2}, "out of range"),
        ({"max_dispatches_per_second": 0}, "out of range"),
        ({"max_dispatches_per_second": 501}, "out of range"),
        ({"max_concurrent_dispatches": 5001}, "out of range"),
    ],
)
def test_queue_options_outside_the_apis_range_are_refused(
    options: dict[str, float], complaint: str
) -> None:
    with pytest.raises(ConfigError, match=complaint):
        QueueOptions(**options)  # type: ignore[arg-type]


def test_the_repr_names_the_settings_but_never_the_auth_key(
    make_manager: MakeManager,
) -> None:
    tm = make_manager(auth_key="do-not-print-me", test_mode=True)

    assert "do-not-print-me" not in repr(tm)
    assert "auth_key=<set>" in repr(tm)


def test_no_client_is_built_before_the_first_call(make_manager: MakeManager) -> None:
    # An address nothing listens on: building a client would fail.
    tm = make_manager(emulator_host="127.0.0.1:9")

    tm.close()


def test_an_unreachable_emulator_is_a_clear_error_on_first_use(
    make_manager: MakeManager,
) -> None:
    tm = make_manager(emulator_host="127.0.0.1:9")

    with pytest.raises(QueuekeeperError, match="cannot reach a Cloud Tasks emulator"):
        tm.run("q", "/p")


def test_calls_after_close_fail_clearly(
    own_emulator: Emulator, make_manager: MakeManager
) -> None:
    tm = make_manager(emulator_host=own_emulator)
    tm.run("q", "/p")
    tm.close()

    with pytest.raises(ClientClosedError):
        tm.run("q", "/p")
    with pytest.raises(ClientClosedError):
        tm.list_queues()
    tm.close()  # a second close is harmless


def test_the_context_manager_closes(
    own_emulator: Emulator, make_manager: MakeManager
) -> None:
    with make_manager(emulator_host=own_emulator) as tm:
        tm.create_queue("q")

    with pytest.raises(ClientClosedError):
        tm.get_queue("q")


def test_one_manager_serves_many_threads(
    own_emulator: Emulator, make_manager: MakeManager
) -> None:
    import threading

    tm = make_manager(emulator_host=own_emulator)
    tm.create_queue("q")

    def send() -> None:
        for _ in range(20):
            tm.run("q", "/p")

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert own_emulator.call_counts["CreateTask"] == 80
