"""The last failed task per client and DAG: kept, replaced by the next failure, never duplicated."""
from __future__ import annotations

import json
import logging
from types import SimpleNamespace

import pytest

from fortnox_etl.airflow_support import failures_in_words
from fortnox_etl.fortnox.errors import ReconnectNeeded
from fortnox_etl.period import PeriodError
from fortnox_etl.staging.database import create_schema, create_staging_engine, staging_url
from fortnox_etl.staging.task_errors import TaskError, last_task_errors, record_task_error


def test_a_later_failure_of_the_same_dag_replaces_the_earlier_and_other_dags_keep_theirs(staging):
    staging_engine = create_staging_engine(staging_url(staging))
    create_schema(staging_engine)
    first = TaskError("acme", "fortnox_sync__acme", "manual__1", "sync_period", -1, 1,
                      "Fortnox refused the refresh token: the client must reconnect", "2026-12-01T08:00:00+00:00")
    record_task_error(staging_engine, first)
    record_task_error(staging_engine, TaskError("acme", "fortnox_tokens", "scheduled__1", "renew", 3, 2,
                                                "client acme is not connected", "2026-12-02T08:00:00+00:00"))
    later = TaskError("acme", "fortnox_sync__acme", "manual__2", "sync_period", -1, 1, "2 errors for 2026-11",
                      "2026-12-03T08:00:00+00:00")
    record_task_error(staging_engine, later)
    found = last_task_errors(staging_engine)
    assert list(found) == ["acme"]
    assert [error.dag_id for error in found["acme"]] == ["fortnox_sync__acme", "fortnox_tokens"]
    assert found["acme"][0] == later


def as_airflow_connection(settings) -> str:
    """The connection as Airflow reads it from an AIRFLOW_CONN_ variable."""
    fields = {"conn_type": settings.conn_type, "host": settings.host, "schema": settings.schema,
              "login": settings.login, "password": settings.password, "port": settings.port}
    return json.dumps({name: value for name, value in fields.items() if value is not None})


def failed_task(client_key: str, error: Exception, try_number: int = 1) -> Exception:
    """What escapes a client's task that raised `error`, as Airflow's task runner would receive it."""
    ti = SimpleNamespace(dag_id=f"fortnox_sync__{client_key}", run_id="scheduled__2026-11-01", task_id="sync_period",
                         map_index=-1, try_number=try_number)  # the fields of Airflow's task instance that are read
    with pytest.raises(type(error)) as raised:
        with failures_in_words(client_key, {"ti": ti}):
            raise error
    return raised.value


def test_a_failing_client_task_keeps_the_operators_words_and_logs_them_last(staging, monkeypatch, caplog):
    monkeypatch.setenv("AIRFLOW_CONN_FORTNOX_STAGING", as_airflow_connection(staging))
    engine = create_staging_engine(staging_url(staging))
    create_schema(engine)
    caplog.set_level(logging.INFO)
    error = ReconnectNeeded("client acme: Fortnox refused the refresh token: the client must reconnect "
                            "('fortnox-etl connect acme')")
    assert failed_task("acme", error, try_number=2) is error, "the task's own error goes on, for the retry policy"
    [kept] = last_task_errors(engine)["acme"]
    assert (kept.dag_id, kept.run_id, kept.task_id, kept.map_index, kept.try_number, kept.message) == (
        "fortnox_sync__acme", "scheduled__2026-11-01", "sync_period", -1, 2, str(error))
    assert (caplog.records[-1].levelname, caplog.records[-1].getMessage()) == ("ERROR", str(error))


def test_an_unexpected_fault_says_it_is_ours_and_where_its_details_are(staging, monkeypatch, caplog):
    monkeypatch.setenv("AIRFLOW_CONN_FORTNOX_STAGING", as_airflow_connection(staging))
    engine = create_staging_engine(staging_url(staging))
    create_schema(engine)
    caplog.set_level(logging.INFO)
    failed_task("acme", ZeroDivisionError("division by zero"))
    message = last_task_errors(engine)["acme"][0].message
    assert message == ("client acme: the task stopped on an unexpected fault of ours (ZeroDivisionError), not on "
                       "anything you can mend: the details are in the traceback that follows this line in the task's "
                       "log; report it to the developers with that log")
    assert caplog.records[-1].getMessage() == message


def test_a_failure_to_record_never_hides_the_tasks_own_error(tmp_path, monkeypatch, caplog):
    missing_folder = tmp_path / "no such folder" / "staging.db"
    monkeypatch.setenv("AIRFLOW_CONN_FORTNOX_STAGING", json.dumps({"conn_type": "sqlite", "host": str(missing_folder)}))
    caplog.set_level(logging.INFO)
    error = PeriodError("period '2025-13' is not a month: write YYYY-MM, e.g. 2025-12")
    assert failed_task("acme", error) is error
    assert "this failure could not be kept for the clients page" in caplog.text
    assert (caplog.records[-1].levelname, caplog.records[-1].getMessage()) == ("ERROR", str(error))
