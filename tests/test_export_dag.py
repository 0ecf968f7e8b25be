"""The export DAG under Airflow: its tasks, a run that posts an approved voucher and logs it, and drafts
approved in the UI (human-in-the-loop) through the API, with a real scheduler."""
from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import requests
from airflow.dag_processing.dagbag import DagBag

from airflow_services import api_url, running_airflow, services_environment
from fortnox_etl.demo import DemoPaths, activity_lines, prepare_local_airflow, run_airflow, sandbox_app
from fortnox_etl.outbox import DRAFT, POSTED, Outbox
from fortnox_etl.sandbox.generator import CompanySpec, generate_company
from fortnox_etl.sandbox.running import RunningSandbox
from fortnox_etl.config import Client
from fortnox_etl.staging.database import create_staging_engine
from fortnox_etl.voucher_files import read_drafts

DAGS = Path(__file__).resolve().parents[1] / "dags"
CLOSING_FILE = Path(__file__).resolve().parents[1] / "examples" / "closing_vouchers_acme.csv"
ACME = Client(key="acme", name="Acme Bygg & Montage AB", organisation_number="556677-8899")


def test_every_client_has_an_export_dag_run_by_its_sync_with_an_approval_step():
    bag = DagBag(str(DAGS / "fortnox_export.py"))
    assert bag.import_errors == {}
    dag = bag.dags["fortnox_export__acme"]
    assert {t.task_id: t.upstream_task_ids for t in dag.tasks} == {
        "approve_drafts": set(), "post_approved_vouchers": {"approve_drafts"}}
    approval = dag.get_task("approve_drafts")
    assert approval.options == ["Approve", "Reject"] and approval.defaults == ["Reject"]
    assert approval.response_timeout == dt.timedelta(days=3)
    assert dag.get_task("post_approved_vouchers").trigger_rule == "none_failed", "posts CLI-approved vouchers too"
    assert [asset.uri for asset in dag.timetable.asset_condition.objects] == ["fortnox://books/acme"]
    sync_dag = DagBag(str(DAGS / "fortnox_sync.py")).dags["fortnox_sync__acme"]
    assert [asset.uri for task in sync_dag.tasks for asset in task.outlets] == ["fortnox://books/acme"], \
        "the sync announces the client's books when its period is done"


def test_the_export_dag_posts_an_approved_closing_voucher_and_logs_it(sandbox, app, tmp_path, clients, companies):
    paths = DemoPaths(airflow_home=tmp_path / "airflow", var_dir=tmp_path / "var", out_dir=tmp_path / "out")
    env = prepare_local_airflow(app, clients[:1], paths)
    run_airflow(env, "db", "migrate")
    run_airflow(env, "dags", "test", "fortnox_sync__acme", "-c", json.dumps({"period": "2025-12"}))
    outbox = Outbox(create_staging_engine(str(paths.staging_db)), "acme")
    [voucher_id] = outbox.add(read_drafts(CLOSING_FILE), "anna")
    outbox.approve([voucher_id], "bertil")

    output = run_airflow(env, "dags", "test", "fortnox_export__acme")
    voucher = outbox.voucher(voucher_id)
    assert voucher.state == POSTED
    lines = activity_lines(output, "acme")
    assert "client acme: no draft vouchers wait for approval; nothing is asked in the UI" in lines
    assert any(line.startswith(f"client acme: voucher {voucher_id} (A 2025-12-31 'Skatt på årets resultat 2025', "
                               f"48 200.00 kr) posted to Fortnox as A {voucher.fortnox_number}") for line in lines), lines
    with sandbox.state.books_lock:
        booked = [v for v in sandbox.state.companies[1001].vouchers[2] if voucher_id in (v.get("Comments") or "")]
    assert [(v["VoucherNumber"], v["Description"]) for v in booked] == [(voucher.fortnox_number,
                                                                         "Skatt på årets resultat 2025")]


def test_drafts_wait_for_approval_in_the_airflow_ui_after_a_sync_and_are_then_posted(tmp_path, metadata_database):
    # Books through 2026: the sync's own latest month (2026-10) runs as soon as the scheduler starts.
    company = generate_company(CompanySpec(tenant_id=1001, organisation_number=ACME.organisation_number,
                                           name=ACME.name, first_year=2025, years=2))
    clients_file = tmp_path / "clients.yaml"
    clients_file.write_text(f"clients:\n  - {{key: acme, name: {ACME.name!r}, organisation_number: "
                            f"'{ACME.organisation_number}'}}\n", encoding="utf-8")
    paths = DemoPaths(airflow_home=tmp_path / "airflow", var_dir=tmp_path / "var", out_dir=tmp_path / "out")
    with RunningSandbox([company]) as sandbox:
        local = prepare_local_airflow(sandbox_app(sandbox.base_url), [ACME], paths)
        outbox = Outbox(create_staging_engine(str(paths.staging_db)), "acme")
        [draft_id] = outbox.add(read_drafts(CLOSING_FILE), "anna")
        env = {**services_environment(local, metadata_database), "FORTNOX_ETL_CLIENTS": str(clients_file)}
        with running_airflow(env, tmp_path / "airflow-processes.log"):
            api = api_session(env)
            waiting = wait_until(lambda: [d for d in api.get(f"{api_url(env)}/api/v2/dags/~/dagRuns/~/hitlDetails",
                                                                params={"dag_id_pattern": "fortnox_export__acme"}
                                                                ).json()["hitl_details"]
                                          if not d["response_received"]], "the export to ask for approval")
            [request] = waiting
            assert draft_id in request["body"] and "| 8910 | 48 200.00 |" in request["body"]
            assert outbox.voucher(draft_id).state == DRAFT, "nothing is posted before someone approves"
            instance = request["task_instance"]
            answer = api.patch(f"{api_url(env)}/api/v2/dags/{instance['dag_id']}/dagRuns/{instance['dag_run_id']}"
                               f"/taskInstances/{instance['task_id']}/{instance['map_index']}/hitlDetails",
                               json={"chosen_options": ["Approve"], "params_input": {}})
            assert answer.status_code == 200, answer.text
            wait_until(lambda: outbox.voucher(draft_id).state == POSTED, "the approved draft to be posted")
        approver = next(m["actor"] for m in outbox.transitions() if m["to_state"] == "approved")
        assert approver.endswith("(Airflow UI)")
        with sandbox.state.books_lock:
            booked = [v for year in sandbox.state.companies[1001].vouchers.values() for v in year
                      if draft_id in (v.get("Comments") or "")]
        assert [v["VoucherNumber"] for v in booked] == [outbox.voucher(draft_id).fortnox_number]


def api_session(env: dict) -> requests.Session:
    session = requests.Session()
    token = requests.get(f"{api_url(env)}/auth/token", timeout=10).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def wait_until(probe, what: str, seconds: float = 300):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(2)
    raise AssertionError(f"gave up waiting for {what} after {seconds:.0f} s")
