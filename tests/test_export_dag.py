"""The export DAG under Airflow: its tasks, and with a real scheduler and API server, a sync that leaves drafts
waiting triggers the export, drafts approved in the UI (human-in-the-loop) and every approved voucher posted."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from pathlib import Path

import pytest
import requests
from airflow.dag_processing.dagbag import DagBag

from airflow_services import acme_for_airflow, api_session, api_url, running_airflow, wait_until
from fortnox_etl.airflow_support import VoucherExportOperator
from fortnox_etl.connections import token_upkeep
from fortnox_etl.export import approval
from fortnox_etl.export.outbox import APPROVED, DRAFT, POSTED, DraftRow, Outbox
from fortnox_etl.export.voucher_files import read_drafts
from fortnox_etl.extract import sync
from fortnox_etl.fortnox.token_store import TOKEN_KEY_VARIABLE
from fortnox_etl.period import Period
from fortnox_etl.staging.database import create_schema, create_staging_engine
from sandbox_helpers import app_connection

pytestmark = pytest.mark.airflow_services(seconds=140)

DAGS = Path(__file__).resolve().parents[1] / "dags"
CLOSING_FILE = Path(__file__).resolve().parents[1] / "examples" / "closing_vouchers_acme.csv"


def test_every_client_has_an_export_dag_run_by_its_sync_that_asks_before_posting():
    bag = DagBag(str(DAGS / "fortnox_export.py"))
    assert bag.import_errors == {}
    dag = bag.dags["fortnox_export__acme"]
    [export] = dag.tasks
    assert export.task_id == "approve_and_post_vouchers" and export.client.key == "acme"
    # Airflow's form shows the default option as the primary button; a timeout's default approves nothing.
    assert export.options == ["Approve", "Reject"] and export.defaults == ["Approve"]
    assert export.subject == "Post draft vouchers to the Fortnox of Acme Bygg & Montage AB?"
    assert export.response_timeout == dt.timedelta(days=3)
    assert [asset.uri for asset in dag.timetable.asset_condition.objects] == ["fortnox://vouchers-waiting/acme"]
    sync_dag = DagBag(str(DAGS / "fortnox_sync.py")).dags["fortnox_sync__acme"]
    assert [alias.name for task in sync_dag.tasks for alias in task.outlets] == ["fortnox_after_sync__acme"], \
        "the sync names the asset (through its alias) only when vouchers wait: tests/test_celery_workers.py"


def test_a_worker_running_an_export_builds_only_its_clients_dag(monkeypatch):
    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", "fortnox_export__norrsken")  # as Airflow sets it for a task
    assert sorted(DagBag(str(DAGS / "fortnox_export.py")).dags) == ["fortnox_export__norrsken"]


class ShownDrafts:
    """Airflow's task instance as the answered task sees it: the drafts its question showed, from XCom."""

    def __init__(self, outbox_ids: list[str]) -> None:
        self.outbox_ids = outbox_ids

    def xcom_pull(self, task_ids: str, key: str) -> list[str]:
        assert (task_ids, key) == ("approve_and_post_vouchers", "shown_drafts")
        return self.outbox_ids


def answer(option: str, per_draft: dict | None = None) -> dict:
    return {"chosen_options": [option], "params_input": per_draft or {}, "responded_at": dt.datetime.now(dt.UTC),
            "responded_by_user": {"id": "7", "name": "anna"}, "timedout": False}


def no_answer_in_time(per_draft: dict) -> dict:
    """What Airflow 3.3's scheduler resumes the task with when the response timeout passes: the defaults, no one."""
    return {"chosen_options": ["Approve"], "params_input": per_draft, "responded_at": dt.datetime.now(dt.UTC),
            "responded_by_user": None, "timedout": True}


def test_the_answered_export_posts_what_is_approved_and_reject_leaves_the_drafts(
        make_context, clients, staging, app, monkeypatch):
    ctx = make_context(clients[0])
    token_upkeep.keep_tokens_alive(ctx)
    for year in sync.extract_company(ctx, Period.parse("2025-12"))["years"]:
        sync.extract_financial_year(ctx, year)
    # The task finds its connections as in Airflow: from the environment.
    for settings in (staging, app_connection(app)):
        monkeypatch.setenv(f"AIRFLOW_CONN_{settings.conn_id.upper()}", json.dumps({
            "conn_type": settings.conn_type, "host": settings.host, "schema": settings.schema,
            "login": settings.login, "password": settings.password, "port": settings.port, "extra": settings.extra}))
    monkeypatch.setenv(TOKEN_KEY_VARIABLE, ctx.token_key)
    outbox = Outbox(ctx.engine, "acme")
    [shown] = outbox.add(read_drafts(CLOSING_FILE), "anna")
    [by_command] = outbox.add([dataclasses.replace(d, text="Årets resultat", rows=(
        DraftRow(8999, 100000, 0), DraftRow(2099, 0, 100000))) for d in read_drafts(CLOSING_FILE)], "anna")
    outbox.approve([by_command], "bertil")
    [second] = outbox.add([dataclasses.replace(d, text="Periodiseringsfond 2025", rows=(
        DraftRow(8811, 50000, 0), DraftRow(2125, 0, 50000))) for d in read_drafts(CLOSING_FILE)], "anna")
    export = VoucherExportOperator(task_id="approve_and_post_vouchers", client=clients[0])

    timed_out = export.execute_complete({"ti": ShownDrafts([shown])}, no_answer_in_time({shown: "Approve"}))
    assert timed_out["posted"] == [by_command], "no one answered: nothing approved, what was approved by command posted"
    rejected = export.execute_complete({"ti": ShownDrafts([shown])}, answer("Reject", {shown: "Approve"}))
    assert rejected["posted"] == [], "the Reject button approves none"
    assert {v.outbox_id: v.state for v in outbox.vouchers()} == {shown: DRAFT, second: DRAFT, by_command: POSTED}

    some = export.execute_complete({"ti": ShownDrafts([shown, second])}, answer("Approve", {shown: "Approve",
                                                                                            second: "Reject"}))
    assert some["posted"] == [shown] and outbox.voucher(shown).state == POSTED and outbox.voucher(second).state == DRAFT
    assert next(m["actor"] for m in outbox.transitions()
                if m["outbox_id"] == shown and m["to_state"] == APPROVED) == "anna (Airflow UI)"
    again = export.execute_complete({"ti": ShownDrafts([shown, second])}, answer("Approve", {shown: "Approve",
                                                                                             second: "Approve"}))
    assert again["posted"] == [second], "nothing is posted twice"
    assert {v.state for v in outbox.vouchers()} == {POSTED}
    assert export.execute({"ti": ShownDrafts([])}) == {"posted": [], "found": [], "failed": []}, \
        "with no drafts it posts straight away, here nothing"


def test_the_approval_form_names_the_company_and_asks_about_each_draft(make_context, clients):
    ctx = make_context(clients[0], connect=False)
    create_schema(ctx.engine)
    outbox = Outbox(ctx.engine, "acme")
    assert approval.drafts_to_approve(ctx.engine, clients[0]) is None
    [first] = outbox.add(read_drafts(CLOSING_FILE), "anna")
    [second] = outbox.add([dataclasses.replace(d, text="Periodiseringsfond 2025") for d in read_drafts(CLOSING_FILE)],
                          "anna")
    form = approval.drafts_to_approve(ctx.engine, clients[0])
    assert form["ids"] == [first, second]
    assert "**Acme Bygg & Montage AB** (556677-8899, client acme)" in form["body"]
    assert form["choices"] == {first: f"{first} (A 2025-12-31 'Skatt på årets resultat 2025', 48 200.00 kr)",
                               second: f"{second} (A 2025-12-31 'Periodiseringsfond 2025', 48 200.00 kr)"}
    assert approval.chosen_for_approval([first, second], {first: "Reject", second: "Approve"}) == [second]
    assert approval.chosen_for_approval([first, second], {}) == [first, second], "the form's default"


def test_after_a_sync_drafts_wait_for_approval_in_the_ui_and_are_posted_with_those_approved_by_command(
        tmp_path, metadata_database):
    with acme_for_airflow(tmp_path, metadata_database) as (sandbox, paths, env):
        outbox = Outbox(create_staging_engine(str(paths.staging_db)), "acme")
        [draft_id] = outbox.add(read_drafts(CLOSING_FILE), "anna")
        [rejected_id] = outbox.add([dataclasses.replace(outbox_draft, text="Periodiseringsfond 2025", rows=(
            DraftRow(8811, 50000, 0), DraftRow(2125, 0, 50000))) for outbox_draft in read_drafts(CLOSING_FILE)], "anna")
        [approved_id] = outbox.add([dataclasses.replace(outbox_draft, text="Årets resultat", rows=(
            DraftRow(8999, 100000, 0), DraftRow(2099, 0, 100000))) for outbox_draft in read_drafts(CLOSING_FILE)], "anna")
        outbox.approve([approved_id], "bertil")  # as `fortnox-etl vouchers approve` does
        # One answer: the first draft approved, the second rejected (it stays a draft).
        per_draft = {draft_id: "Approve", rejected_id: "Reject"}
        with running_airflow(env, tmp_path / "airflow-processes.log"):
            api = api_session(env)
            [request] = wait_until(lambda: unanswered_questions(api, env), "the export to ask for approval")
            assert draft_id in request["body"] and "| 8910 | 48 200.00 |" in request["body"]
            assert "Acme Bygg & Montage AB" in request["subject"] and "Acme Bygg & Montage AB" in request["body"]
            assert approved_id not in request["body"], "only drafts are asked about"
            assert set(request["params"]) == {draft_id, rejected_id}
            assert request["params"][rejected_id]["schema"]["enum"] == ["Approve", "Reject"]
            assert request["defaults"] == ["Approve"], "Approve is the form's primary button"
            assert {v.outbox_id: v.state for v in outbox.vouchers()} == {
                draft_id: DRAFT, rejected_id: DRAFT, approved_id: APPROVED}
            approve_once_parked(api, env, request, per_draft)

            def posted() -> bool:
                # An answer that still races Airflow 3.3's executor (README, Known limits) costs the task a
                # retry, which asks again: answered as the operator would.
                for asked_again in unanswered_questions(api, env):
                    approve_once_parked(api, env, asked_again, per_draft)
                return {v.outbox_id: v.state for v in outbox.vouchers()} == {
                    draft_id: POSTED, rejected_id: DRAFT, approved_id: POSTED}

            wait_until(posted, "the approved vouchers to be posted")
            [responder] = {question["responded_by_user"]["name"] for question in questions(api, env)
                           if question["response_received"]}
        approver = next(m["actor"] for m in outbox.transitions() if m["outbox_id"] == draft_id and m["to_state"] == APPROVED)
        assert approver == f"{responder} (Airflow UI)", "recorded under the name of the user who answered"
        with sandbox.state.books_lock:
            booked = {v["VoucherNumber"]: v["Description"] for year in sandbox.state.companies[1001].vouchers.values()
                      for v in year if "fortnox-etl outbox id" in (v.get("Comments") or "")}
        assert booked == {outbox.voucher(draft_id).fortnox_number: "Skatt på årets resultat 2025",
                          outbox.voucher(approved_id).fortnox_number: "Årets resultat"}, "each posted once"
        post_logs = "".join(log.read_text() for log in (tmp_path / "airflow" / "logs").rglob(
            "task_id=approve_and_post_vouchers/attempt=*.log"))
        assert f"client acme: voucher {draft_id} (A 2025-12-31 'Skatt på årets resultat 2025', 48 200.00 kr) " \
               f"posted to Fortnox as A {outbox.voucher(draft_id).fortnox_number}" in post_logs


def questions(api: requests.Session, env: dict) -> list[dict]:
    return api.get(f"{api_url(env)}/api/v2/dags/~/dagRuns/~/hitlDetails",
                   params={"dag_id_pattern": "fortnox_export__acme"}).json()["hitl_details"]


def unanswered_questions(api: requests.Session, env: dict) -> list[dict]:
    return [question for question in questions(api, env) if not question["response_received"]]


def approve_once_parked(api: requests.Session, env: dict, question: dict, per_draft: dict) -> None:
    """Approve as a person does: once the question is parked and read (an answer within seconds of the
    question, before the worker that asked has exited, races Airflow 3.3's executor)."""
    instance = question["task_instance"]
    task_url = (f"{api_url(env)}/api/v2/dags/{instance['dag_id']}/dagRuns/{instance['dag_run_id']}"
                f"/taskInstances/{instance['task_id']}")
    wait_until(lambda: api.get(task_url).json()["state"] == "awaiting_input", "the question to be parked")
    time.sleep(5)
    response = api.patch(f"{task_url}/{instance['map_index']}/hitlDetails",
                         json={"chosen_options": ["Approve"],
                               "params_input": {key: per_draft[key] for key in question["params"]}})
    assert response.status_code == 200, response.text
