"""The clients page without Airflow: each client's row from the client file and staging, the page rendered
from it, and the guard that keeps forms to the user's own page. (Under Airflow, in a real browser:
test_clients_page_browser.py.)"""
from __future__ import annotations

import datetime as dt

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from fortnox_etl.clients_page import guard
from fortnox_etl.clients_page.overview import ClientRuns, SyncRun, client_rows
from fortnox_etl.clients_page.page import Notice, PageContext, render_clients_page
from fortnox_etl.config import Client
from fortnox_etl.export.outbox import Outbox
from fortnox_etl.export.voucher_files import read_drafts
from fortnox_etl.fortnox import oauth
from fortnox_etl.fortnox.token_store import TokenStore
from fortnox_etl.period import Period
from fortnox_etl.period_report.report import report_path
from fortnox_etl.sie.import_source import record_import_source
from fortnox_etl.staging.database import create_schema, create_staging_engine, run_sql, staging_url
from fortnox_etl.staging.task_errors import TaskError, record_task_error
from test_export_dag import CLOSING_FILE

NOW = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)
DAY = 24 * 3600
CLIENTS = [Client("acme", "Acme Bygg & Montage AB", "556677-8899"), Client("norrsken", "Norrsken Café AB", "559001-2345"),
           Client("fjord", "Fjord Konsult AB", "556123-4567"), Client("lapp", "Lappland Taxi AB", "556987-6543"),
           Client("stat", "Stationen AB", "556555-1111", tenant_id=77)]


def grant(refresh_days: float | None) -> oauth.TokenGrant:
    return oauth.TokenGrant(access_token="a", access_expires_at=int(NOW.timestamp()) + 3600, refresh_token="r",
                            refresh_expires_at=int(NOW.timestamp() + refresh_days * DAY) if refresh_days else None,
                            scope="bookkeeping", tenant_id=1)


def run(key: str, state: str, period: str, ended: dt.datetime = NOW) -> SyncRun:
    return SyncRun(f"fortnox_sync__{key}", f"manual__{period}", state, Period.parse(period), "manual",
                   ended - dt.timedelta(minutes=10), ended if state != "running" else None)


@pytest.fixture
def engine(staging):
    engine = create_staging_engine(staging_url(staging))
    create_schema(engine)
    tokens = TokenStore(engine, Fernet.generate_key().decode(), oauth.FortnoxApp("id", "secret"),
                        clock=NOW.timestamp)
    tokens.save_grant("acme", grant(44.5))
    tokens.save_grant("norrsken", grant(6.2))
    tokens.save_grant("fjord", grant(30))
    tokens.save_grant("stat", grant(None), service_account=True)
    with engine.begin() as connection:
        connection.execute(text("UPDATE fortnox_tokens SET last_error = :e WHERE client_key = 'fjord'"),
                           {"e": "client fjord: Fortnox refused the refresh token (the integration was removed in Fortnox);"
                                 " reconnect with 'fortnox-etl connect fjord'"})
        connection.execute(text("INSERT INTO raw_financial_years VALUES ('acme', 7, '2026-01-01', '2026-12-31', NULL, NULL,"
                                " 'l', 'x')"))
        record_import_source(connection, "acme", 7, "file", "anna", file_name="acme-2026.se")
        for name, severity, status, message in [
                ("unbalanced_vouchers", "error", "failed", "voucher A 12 does not balance: 100.00 kr more debit than credit"),
                ("voucher_number_gaps", "warning", "failed", "series A skips number 14"),
                ("closing_balances", "error", "passed", "closing balances agree")]:
            run_sql(connection, "checks/insert_result", client_key="acme", financial_year_id=7, period_end=dt.date(2026, 11, 30),
                    check_name=name, severity=severity, status=status, passed=status == "passed", message=message,
                    details="", facts=None, checked_at="2026-12-06T07:00:00+00:00")
        run_sql(connection, "checks/insert_result", client_key="norrsken", financial_year_id=3,
                period_end=dt.date(2026, 11, 30), check_name="closing_balances", severity="error", status="passed",
                passed=True, message="ok", details="", facts=None, checked_at="2026-12-06T07:00:00+00:00")
    Outbox(engine, "acme").add(read_drafts(CLOSING_FILE), "anna")
    record_task_error(engine, TaskError("acme", "fortnox_sync__acme", "manual__acme", "sync_period", -1, 2,
                                        "client acme: 1 error for the period ending 2026-11-30: voucher A 12 does not balance",
                                        "2026-12-06T07:01:00+00:00"))
    return engine


def test_each_client_shows_its_connection_days_left_source_period_checks_vouchers_and_last_error(engine):
    runs = {"acme": ClientRuns(run("acme", "failed", "2026-11"), run("acme", "success", "2026-10", ended=NOW - dt.timedelta(days=30))),
            "norrsken": ClientRuns(run("norrsken", "success", "2026-11"), run("norrsken", "success", "2026-11"))}
    rows = {row.client.key: row for row in client_rows(engine, CLIENTS, runs, now=NOW)}
    assert list(rows) == [client.key for client in CLIENTS], "one row per client, in the client file's order"

    acme = rows["acme"]
    assert (acme.connection, acme.days_left, acme.expiring) == ("connected", 44, False)
    assert acme.import_source == "file acme-2026.se"
    assert [c.message for c in acme.checks.errors] == ["voucher A 12 does not balance: 100.00 kr more debit than credit"]
    assert [c.message for c in acme.checks.warnings] == ["series A skips number 14"] and acme.checks.checks == 3
    assert acme.outbox == {"draft": 1}
    assert acme.last_error.task_id == "sync_period" and acme.last_error.try_number == 2
    assert acme.flags == ["run_failed", "check_errors", "drafts"]

    assert (rows["norrsken"].days_left, rows["norrsken"].expiring, rows["norrsken"].flags) == (6, True, ["expiring"])
    assert rows["norrsken"].checks.failed == () and rows["norrsken"].import_source == "not synced yet"
    assert rows["fjord"].connection == "reconnect" and "integration was removed" in rows["fjord"].connection_reason
    assert rows["fjord"].flags == ["reconnect"]
    assert (rows["lapp"].connection, rows["lapp"].flags, rows["lapp"].runs.latest) == ("never", ["never"], None)
    assert (rows["stat"].connection, rows["stat"].days_left, rows["stat"].flags) == ("service_account", None, ["ok"])

    later = NOW + dt.timedelta(days=45)
    assert client_rows(engine, CLIENTS[:1], {}, now=later)[0].connection_reason == "the refresh token has expired"


def test_a_failure_a_later_success_or_a_working_connection_has_mended_is_no_longer_the_last_error(engine):
    def failed(dag_id: str, at: dt.datetime) -> TaskError:
        return TaskError("norrsken", dag_id, "r", "t", -1, 1, f"{dag_id} failed", at.isoformat())

    renewal = failed("fortnox_tokens", NOW - dt.timedelta(hours=3))
    record_task_error(engine, renewal)
    record_task_error(engine, failed("fortnox_sync__norrsken", NOW - dt.timedelta(hours=2)))
    sync_mended = ClientRuns(run("norrsken", "success", "2026-11"), run("norrsken", "success", "2026-11"))
    assert client_rows(engine, CLIENTS[1:2], {"norrsken": sync_mended}, now=NOW)[0].last_error is None, (
        "the sync succeeded after it failed, and the connection works")
    sync_failed_last = ClientRuns(run("norrsken", "failed", "2026-11"),
                                  run("norrsken", "success", "2026-10", ended=NOW - dt.timedelta(days=30)))
    assert client_rows(engine, CLIENTS[1:2], {"norrsken": sync_failed_last}, now=NOW)[0].last_error.dag_id == (
        "fortnox_sync__norrsken")
    with engine.begin() as connection:
        connection.execute(text("UPDATE fortnox_tokens SET last_error = 'refused' WHERE client_key = 'norrsken'"))
    assert client_rows(engine, CLIENTS[1:2], {"norrsken": sync_mended}, now=NOW)[0].last_error == renewal, (
        "the connection still does not work")


def test_the_page_shows_every_client_readably_and_offers_actions_only_to_whom_may(engine):
    runs = {"acme": ClientRuns(run("acme", "failed", "2026-11"), run("acme", "success", "2026-10", ended=NOW - dt.timedelta(days=30)))}
    rows = client_rows(engine, CLIENTS, runs, now=NOW)
    context = PageContext(user_name="anna", prefix="/fortnox", ui="/", csrf="tok", may_run=True, may_connect=True,
                          clients_file="config/clients.yaml", notice=Notice("Period 2026-11 started for 2 clients."))
    page = render_clients_page(rows, context, now=NOW)
    assert page.count('<tr data-key="') == 5
    assert "Acme Bygg &amp; Montage AB" in page and "556677-8899" in page, "names escaped, organisation numbers shown"
    assert "voucher A 12 does not balance: 100.00 kr more debit than credit" in page
    assert 'href="/dags/fortnox_sync__acme/runs/manual__acme/tasks/sync_period?try_number=2"' in page
    assert ">1 error for the period ending 2026-11-30: voucher A 12 does not balance<" in page, \
        "the last error without the client's key in front, on the client's own row"
    assert 'href="/required_actions"' in page and "1 draft waiting" in page
    assert "must reconnect" in page and "never connected" in page and "service account" in page
    assert "last done: 2026-10" in page and "2026-12-06 09:00" in page, "times in Swedish time"
    assert 'class="days flag"' in page and "in 6 days" in page
    assert "Period 2026-11 started for 2 clients." in page and 'value="2026-11"' in page, "last month by default"
    assert page.count('name="csrf" value="tok"') == 4 and " disabled" not in page

    viewer = render_clients_page(rows, PageContext(**{**context.__dict__, "may_run": False, "may_connect": False}), now=NOW)
    assert viewer.count("You may not trigger DAG runs") == 2 + len(rows)
    assert "You may not edit connections" in viewer


def test_a_row_links_the_report_of_its_latest_run_or_else_of_the_last_done(engine, tmp_path):
    runs = {"acme": ClientRuns(run("acme", "failed", "2026-11"), run("acme", "success", "2026-10", ended=NOW - dt.timedelta(days=30))),
            "norrsken": ClientRuns(run("norrsken", "success", "2026-11"), run("norrsken", "success", "2026-11"))}
    out = tmp_path / "out"
    for key, period_end in (("acme", dt.date(2026, 10, 31)), ("acme", dt.date(2026, 11, 30)),
                            ("norrsken", dt.date(2026, 10, 31))):
        report_path(out, key, period_end).parent.mkdir(parents=True, exist_ok=True)
        report_path(out, key, period_end).write_text("<!DOCTYPE html>", encoding="utf-8")
    rows = {row.client.key: row for row in client_rows(engine, CLIENTS, runs, now=NOW, out_dir=out)}
    assert rows["acme"].report == Period.parse("2026-11"), "a failed run with errors has its report too"
    assert rows["norrsken"].report is None, "no report of the period shown: no link to another period's"
    report_path(out, "acme", dt.date(2026, 11, 30)).unlink()
    rows = {row.client.key: row for row in client_rows(engine, CLIENTS, runs, now=NOW, out_dir=out)}
    assert rows["acme"].report == Period.parse("2026-10")
    context = PageContext(user_name="anna", prefix="/fortnox", ui="/", csrf="tok", may_run=True, may_connect=True,
                          clients_file="config/clients.yaml", notice=None)
    page = render_clients_page(list(rows.values()), context, now=NOW)
    assert page.count('class="report"') == 1 and 'href="/fortnox/reports/acme/2026-10"' in page


def test_a_form_from_another_site_or_session_or_user_is_refused():
    secret, session_id = "s3cret", guard.new_session_id()
    token = guard.form_token(secret, session_id, "anna")
    own = "http://127.0.0.1:8080"
    guard.check_form(secret, session_id, "anna", token, own, None, own)
    guard.check_form(secret, session_id, "anna", token, None, f"{own}/fortnox/clients", own)
    for session, user, sent, origin, referer in [
            (session_id, "anna", token, "https://evil.example", None), (session_id, "anna", token, None, None),
            (session_id, "anna", token, "null", "https://evil.example/x"), (guard.new_session_id(), "anna", token, own, None),
            (session_id, "ville", token, own, None), (session_id, "anna", None, own, None), (None, "anna", token, own, None)]:
        with pytest.raises(guard.Refused):
            guard.check_form(secret, session, user, sent, origin, referer, own)


def test_a_notice_is_shown_only_as_the_page_signed_it():
    value = guard.signed("s3cret", Notice("Acme Bygg AB is connected.", False))
    assert guard.unsigned("s3cret", value) == Notice("Acme Bygg AB is connected.", False)
    payload, mac = value.rsplit(".", 1)
    forged = guard.signed("other", Notice("Call 0900-123 456 to renew your licence", False))
    assert guard.unsigned("s3cret", forged) is None and guard.unsigned("s3cret", payload + ".x") is None
