"""The DAG files under Airflow itself: parsing, a real run of a client's sync, and no secret in any log."""
from __future__ import annotations

import copy
import json
import sqlite3
import time
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import CronDataIntervalTimetable

from fortnox_etl.demo import DemoPaths, prepare_local_airflow, run_airflow
from fortnox_etl.sie.reader import read_sie
from fortnox_etl.sie.rules import rule_violations

# Not Airflow's services, but a whole client sync through `airflow dags test`, some 100 s: among the long files.
pytestmark = pytest.mark.airflow_services(seconds=110)

DAGS = Path(__file__).resolve().parents[1] / "dags"
# The sync's one task and the tasks it waits for (none): README, "A thousand clients", says why one.
SYNC_TASKS = {"sync_period": set()}


@pytest.fixture
def three_clients(tmp_path, monkeypatch) -> list[str]:
    clients = tmp_path / "clients.yaml"
    clients.write_text("clients:\n" + "".join(
        f"  - {{key: c{i}, name: Kund {i} AB, organisation_number: '{number}'}}\n"
        for i, number in enumerate(["556677-8899", "559123-4561", "559012-3450"])), encoding="utf-8")
    monkeypatch.setenv("FORTNOX_ETL_CLIENTS", str(clients))
    return ["c0", "c1", "c2"]


def test_one_sync_dag_per_configured_client_parsed_without_connections(three_clients, monkeypatch):
    for variable in ("AIRFLOW_CONN_FORTNOX_STAGING", "AIRFLOW_CONN_FORTNOX_APP", "FORTNOX_ETL_TOKEN_KEY"):
        monkeypatch.delenv(variable, raising=False)
    started = time.monotonic()
    bag = DagBag(str(DAGS / "fortnox_sync.py"))
    assert bag.import_errors == {}
    assert time.monotonic() - started < 10
    assert sorted(bag.dags) == ["fortnox_sync__c0", "fortnox_sync__c1", "fortnox_sync__c2"]
    dag = bag.dags["fortnox_sync__c1"]
    assert {t.task_id for t in dag.tasks} == set(SYNC_TASKS)
    assert dag.params["period"] == ""


@pytest.mark.parametrize("dag_file, prefix, shown", [("fortnox_sync.py", "fortnox_sync__", "Fortnox sync"),
                                                     ("fortnox_export.py", "fortnox_export__", "Fortnox export")])
def test_the_dag_list_shows_each_clients_company_name_and_the_ids_stay_the_keys(three_clients, dag_file, prefix, shown):
    bag = DagBag(str(DAGS / dag_file))
    assert {dag_id: dag.dag_display_name for dag_id, dag in bag.dags.items()} == {
        f"{prefix}c{i}": f"Kund {i} AB: {shown}" for i in range(3)}


def test_what_only_a_person_can_mend_fails_at_once_and_what_time_mends_is_retried():
    from fortnox_etl.airflow_support import FORTNOX_RETRY_POLICY
    from fortnox_etl.fortnox.errors import FortnoxUnavailable, ReconnectNeeded
    from fortnox_etl.sie.reader import SieSyntaxError

    def action(error):
        return FORTNOX_RETRY_POLICY.evaluate(error, try_number=1, max_tries=3).action.value

    assert action(ReconnectNeeded("refresh token refused")) == "fail"
    assert action(SieSyntaxError(12, "a quoted field is not closed")) == "fail"
    assert action(FortnoxUnavailable("503")) == "retry"


def test_every_client_dag_has_the_sync_tasks_schedule_retries_and_validated_period(three_clients):
    from fortnox_etl.airflow_support import FORTNOX_RETRY_POLICY

    bag = DagBag(str(DAGS / "fortnox_sync.py"))
    assert bag.import_errors == {}
    for key in three_clients:
        dag = bag.dags[f"fortnox_sync__{key}"]
        assert {t.task_id: t.upstream_task_ids for t in dag.tasks} == SYNC_TASKS
        assert all(t.retries == 3 and t.retry_policy is FORTNOX_RETRY_POLICY for t in dag.tasks)
        assert dag.timetable == CronDataIntervalTimetable("0 0 1 * *", timezone="Europe/Stockholm")
        assert set(dag.tags) == {"fortnox", "sync", key} and "One run is one accounting period" in dag.doc_md
        params = copy.deepcopy(dag.params)  # setting a value validates it; the DAG's own params stay untouched
        for value in ("2025-12", "", None):  # the form's empty field, and a backfill's conf
            params["period"] = value
        assert dag.params["period"] == ""
        # Airflow 3.3's trigger form (ui/dist, `isRequired`) marks a param required when its schema has a type
        # without "null"; a required param left empty greys out the Backfill button.
        schema = dag.params.get_param("period").schema
        assert "type" not in schema or "null" in schema["type"], "the trigger form would mark the period required"
        assert "pattern" not in schema, "a bad period is explained by the run's first task, not as a JSON-schema error"


@pytest.mark.parametrize("bad", ["2025-13", "december", 202512])
def test_a_bad_period_fails_the_run_in_words_before_fortnox_is_asked(bad):
    from fortnox_etl.period import PeriodError
    from fortnox_etl.period_end import client_steps

    # No client context: the period is read before anything else is touched.
    with pytest.raises(PeriodError, match=f"period '{bad}' is not a month: write YYYY-MM, e.g. 2025-12"):
        client_steps.extract_from_fortnox(None, {"params": {"period": bad}, "data_interval_start": None})


def test_a_worker_running_one_task_builds_only_its_clients_dag(three_clients, monkeypatch):
    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", "fortnox_sync__c1")  # as Airflow sets it for a task
    assert sorted(DagBag(str(DAGS / "fortnox_sync.py")).dags) == ["fortnox_sync__c1"]


def test_a_bad_client_file_is_an_import_error_that_says_what_to_fix(tmp_path, monkeypatch):
    clients = tmp_path / "clients.yaml"
    clients.write_text("clients:\n  - {key: acme, name: Acme, organisation_number: '556677-8898'}\n", encoding="utf-8")
    monkeypatch.setenv("FORTNOX_ETL_CLIENTS", str(clients))
    errors = DagBag(str(DAGS / "fortnox_sync.py")).import_errors
    assert any("organisation number '556677-8898' is not valid" in message for message in errors.values())


@pytest.mark.parametrize("dag_file", ["fortnox_sync.py", "fortnox_export.py"])
@pytest.mark.parametrize("data, what_to_fix", [
    ("clients:\n  - {key: acme, name: Acme, organisation_number: '556677-8899'}\n".encode("utf-16-le"),
     "not a text file in UTF-8 (with or without a byte order mark), UTF-16 with a byte order mark, or "
     "Windows-1252 (it holds zero bytes"),
    (b"clients:\n  - key: acme\n    name: Acme\n    key: bygg\n    organisation_number: '556677-8899'\n",
     "line 2 and line 4 both set 'key'; keep one of them"),
])
def test_an_unreadable_client_file_is_an_import_error_naming_the_file_and_what_to_fix(tmp_path, monkeypatch, dag_file,
                                                                                       data, what_to_fix):
    clients = tmp_path / "clients.yaml"
    clients.write_bytes(data)
    monkeypatch.setenv("FORTNOX_ETL_CLIENTS", str(clients))
    errors = DagBag(str(DAGS / dag_file)).import_errors
    assert any(f"{clients}: {what_to_fix}" in message for message in errors.values()), errors


def test_airflow_runs_a_client_sync_and_no_secret_reaches_a_log(sandbox, app, tmp_path, clients, companies):
    paths = DemoPaths(airflow_home=tmp_path / "airflow", var_dir=tmp_path / "var", out_dir=tmp_path / "out")
    env = prepare_local_airflow(app, clients[:1], paths)
    key = env["FORTNOX_ETL_TOKEN_KEY"]
    period = companies[0].financial_years[-1]["ToDate"][:7]

    run_airflow(env, "db", "migrate")
    output = run_airflow(env, "dags", "test", f"fortnox_sync__{clients[0].key}", "-c", json.dumps({"period": period}))

    [sie_file] = (paths.out_dir / clients[0].key).glob("*.se")
    assert rule_violations(read_sie(sie_file)) == []
    [report] = (paths.out_dir / clients[0].key).glob("*_rapport_*.html")
    assert "period report for the period ending" in output
    # The task's extra link, kept by Airflow as its XCom when the task ended: the clients page's report route.
    with sqlite3.connect(paths.airflow_home / "airflow.db") as metadata:
        links = metadata.execute("SELECT task_id, value FROM xcom WHERE key = '_link_PeriodReportLink'").fetchall()
    assert [(task, json.loads(value)) for task, value in links] == [
        ("sync_period", f"/fortnox/reports/{clients[0].key}/{period}")]
    assert "rows now staged" in output and "passes every format check" in output, "operator-readable activity log"
    secrets = sandbox.state.issued_secrets() | {app.client_secret, key}
    assert len(secrets) > 3
    logs = [p for p in paths.airflow_home.rglob("*") if p.is_file() and p.suffix != ".db"]
    assert logs, "Airflow wrote logs"
    for log in logs:
        content = log.read_text(errors="replace")
        leaked = [name for name in secrets if name in content]
        assert not leaked, f"{log} contains a token or secret"
