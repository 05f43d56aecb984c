"""The task_outbox fixture: a test-mode TaskManager per test, configured by
ini options or a config file, with assertions and in-process delivery."""

from __future__ import annotations

import asyncio
import json
import textwrap

import pytest

from queuekeeper.client.taskoutbox import TaskOutbox
from tests.client.webapps import AsgiWorker, WsgiWorker

pytest_plugins = ["pytester"]


def test_the_fixture_is_a_test_mode_manager_with_the_default_settings(
    task_outbox: TaskOutbox,
) -> None:
    tm = task_outbox.manager

    assert tm.test_mode
    assert (tm.project, tm.location, tm.base_url) == (
        "test-project",
        "us-central1",
        "http://localhost",
    )
    task_outbox.assert_nothing_enqueued()
    tm.run("emails", "/welcome", payload={"user_id": "1"}, name="only-once")
    task_outbox.assert_enqueued("emails", "/welcome", count=1)


def test_each_test_gets_a_new_manager(task_outbox: TaskOutbox) -> None:
    # The task name of the test before is free again: nothing is shared.
    task_outbox.assert_nothing_enqueued()
    task_outbox.manager.run("emails", "/welcome", name="only-once")


def test_the_fixture_delivers_to_wsgi_and_asgi_applications(
    task_outbox: TaskOutbox,
) -> None:
    task_outbox.manager.run("emails", "/welcome")

    [wsgi] = task_outbox.deliver_wsgi(WsgiWorker("unused"))
    task_outbox.manager.run("emails", "/again")
    [asgi] = asyncio.run(task_outbox.deliver_asgi(AsgiWorker("unused")))

    # No auth_key by default: the workers' key check refuses the task.
    assert (wsgi.status, asgi.status) == (403, 403)
    assert "X-API-Key" in json.loads(asgi.body)["error"]


APPLICATION_TEST = """
    from queuekeeper.webhook import (
        headers_from_environ, parse_task_headers, require_api_key,
    )


    def app(environ, start_response):
        headers = headers_from_environ(environ)
        require_api_key(headers, "{key}")
        attempt = parse_task_headers(headers)
        start_response("204 No Content", [])
        return [attempt.queue_name.encode()]


    def test_app(task_outbox):
        tm = task_outbox.manager
        tm.run("emails", "/welcome", payload={"user_id": "1"})
        [response] = task_outbox.deliver_wsgi(app)
        assert (response.status, response.body) == (204, b"emails")
        print("SEEN", tm.project, tm.location, tm.base_url, response.task.url)
"""


def run_application_test(
    pytester: pytest.Pytester, ini: str, key: str = "k3y-from-ini"
) -> pytest.RunResult:
    """An application's test run by pytest in a process of its own."""
    pytester.makeini(textwrap.dedent(ini))
    pytester.makepyfile(textwrap.dedent(APPLICATION_TEST).replace("{key}", key))
    return pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider")


def test_ini_options_configure_the_fixtures_manager(pytester: pytest.Pytester) -> None:
    result = run_application_test(
        pytester,
        """
        [pytest]
        queuekeeper_project = my-project
        queuekeeper_location = europe-west1
        queuekeeper_base_url = https://api.example.com/v1
        queuekeeper_auth_key = k3y-from-ini
        """,
    )

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*SEEN my-project europe-west1 https://api.example.com/v1 "
            "https://api.example.com/v1/welcome*"
        ]
    )


def test_a_config_file_configures_it_and_ini_options_win(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEBHOOK_API_KEY", "k3y-from-env")
    pytester.mkdir("config")
    pytester.path.joinpath("config", "tasks.yaml").write_text(
        textwrap.dedent(
            """\
            task_manager:
              project: file-project
              location: asia-east1
              base_url: https://file.example.com
              auth_key: "${WEBHOOK_API_KEY}"
            """
        )
    )

    result = run_application_test(
        pytester,
        """
        [pytest]
        queuekeeper_config = config/tasks.yaml
        queuekeeper_location = europe-west4
        """,
        key="k3y-from-env",
    )

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*SEEN file-project europe-west4 https://file.example.com *"]
    )


def test_a_bad_setting_fails_the_test_that_asks_for_the_fixture(
    pytester: pytest.Pytester,
) -> None:
    result = run_application_test(
        pytester,
        """
        [pytest]
        queuekeeper_base_url = api.example.com
        """,
    )

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*ConfigError*must start with http*"])
