"""Word to a person: each of the four events arrives by mail (a local SMTP server) and webhook (a local HTTP
receiver) with the client, the period, the operator's words and the link; without channels nothing is sent
and nothing fails; a connection close to expiry is told once a day; under Airflow the failure callback tells
a client task's final failure; under a real scheduler a failure its retry mends is not told, one that stays is
told once after its last try, and a sync whose checks found an error is told once, linking its report."""
from __future__ import annotations

import datetime as dt
import html
import json
import socket
import subprocess
import sys
import threading
import time
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from airflow_services import acme_for_airflow, airflow, running_airflow
from fortnox_etl.airflow_support import NOTIFY_ON_FAILURE, tell_if_expiring
from fortnox_etl.demo import DemoPaths, prepare_local_airflow
from fortnox_etl.fortnox.errors import FortnoxUnavailable, ReconnectNeeded
from fortnox_etl.period_end.checks import PeriodChecksFailed
from fortnox_etl.sandbox import sie_export

pytestmark = pytest.mark.airflow_services(seconds=200)

LOG_URL = "http://airflow.byran.se/dags/fortnox_sync__acme/runs/scheduled__2025-12/tasks/sync_period?try_number=4"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox():
    """A local SMTP server; the list holds each mail received, parsed."""
    received = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):
            received.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
            return "250 OK"

    controller = Controller(Keep(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, received
    controller.stop()


@pytest.fixture
def hook_receiver():
    """A local HTTP receiver; the list holds each JSON body posted."""
    received = []

    class Receive(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/fortnox", received
    server.shutdown()


def channel_variables(mailbox, hook_receiver) -> dict[str, str]:
    controller, _ = mailbox
    return {
        "AIRFLOW_CONN_FORTNOX_NOTIFY_SMTP": json.dumps({
            "conn_type": "smtp", "host": controller.hostname, "port": controller.port,
            "extra": {"to": "ekonomi@byran.se", "from_email": "airflow@byran.se", "disable_ssl": True,
                      "disable_tls": True, "retry_limit": 0, "timeout": 10}}),
        "AIRFLOW_CONN_FORTNOX_NOTIFY_WEBHOOK": json.dumps({"conn_type": "http", "host": hook_receiver[0]}),
    }


@pytest.fixture
def channels(mailbox, hook_receiver, monkeypatch):
    for name, value in channel_variables(mailbox, hook_receiver).items():
        monkeypatch.setenv(name, value)
    return mailbox[1], hook_receiver[1]


def failed_task_context(client, error, task_id="sync_period", dag_id="fortnox_sync__acme", period="2025-12"):
    """What Airflow hands on_failure_callback when a client's task has failed for good."""
    ti = SimpleNamespace(dag_id=dag_id, task_id=task_id, run_id="scheduled__2025-12", map_index=-1, try_number=4,
                         log_url=LOG_URL)
    return {"ti": ti, "task": SimpleNamespace(client=client), "exception": error, "params": {"period": period},
            "data_interval_start": None, "dag_run": SimpleNamespace(run_type="manual")}


def arrived(channels) -> tuple:
    mails, posts = channels
    assert len(mails) == 1 and len(posts) == 1, (mails, posts)
    mail, post = mails[0], posts[0]
    body = html.unescape(mail.get_body(("html",)).get_content())  # what the reader sees
    return mail, body, post


@pytest.mark.parametrize("error, event, headline, words", [
    (FortnoxUnavailable("client acme: Fortnox did not answer (503) after 5 tries; the run is retried later"),
     "task_failed", "a Fortnox task failed", "Fortnox did not answer (503) after 5 tries"),
    (ReconnectNeeded("client acme: the Fortnox refresh token was refused; the client must reconnect "
                     "('fortnox-etl connect acme')"),
     "reconnect_needed", "the Fortnox connection must be reconnected", "the client must reconnect"),
    (KeyError("company"), "task_failed", "a Fortnox task failed", "an unexpected fault of ours (KeyError)"),
])
def test_a_client_task_that_failed_for_good_is_told_by_mail_and_webhook(channels, clients, error, event, headline,
                                                                       words):
    acme = clients[0]
    NOTIFY_ON_FAILURE(failed_task_context(acme, error))  # as Airflow calls the on_failure_callback

    mail, body, post = arrived(channels)
    subject = f"[fortnox-etl] {acme.name} (acme), period 2025-12: {headline}"
    assert mail["subject"] == subject and mail["to"] == "ekonomi@byran.se"
    assert acme.name in body and "2025-12" in body and words in body and LOG_URL in body
    assert post["subject"] == subject and post["event"] == event
    assert (post["client_key"], post["client_name"], post["period"], post["link"]) == ("acme", acme.name, "2025-12",
                                                                                       LOG_URL)
    assert words in post["words"] and post["task_id"] == "sync_period"


def test_a_period_whose_checks_found_errors_links_to_the_periods_report(channels, clients):
    acme = clients[0]
    message = ("client acme, period 2025-12: 1 check found errors: voucher A 12 does not balance (debit 100,00 kr, "
               "credit 90,00 kr); correct it in Fortnox and run the period again")
    NOTIFY_ON_FAILURE(failed_task_context(acme, PeriodChecksFailed(message, [])))

    mail, body, post = arrived(channels)
    assert mail["subject"] == f"[fortnox-etl] {acme.name} (acme), period 2025-12: the period's checks found errors"
    assert post["event"] == "period_checks_failed" and post["words"] == message
    assert post["link"].startswith("file://") and post["link"].endswith("/acme/acme_rapport_2025-12-31.html")
    assert post["link"] in body and "voucher A 12 does not balance" in body


def test_without_channels_nothing_is_sent_and_nothing_fails(mailbox, hook_receiver, clients, monkeypatch):
    for name in ("AIRFLOW_CONN_FORTNOX_NOTIFY_SMTP", "AIRFLOW_CONN_FORTNOX_NOTIFY_WEBHOOK"):
        monkeypatch.delenv(name, raising=False)
    NOTIFY_ON_FAILURE(failed_task_context(clients[0], ReconnectNeeded("client acme: reconnect")))
    assert mailbox[1] == [] and hook_receiver[1] == []


def test_a_channel_that_cannot_send_is_a_warning_and_the_other_still_gets_it(channels, clients, monkeypatch, caplog):
    monkeypatch.setenv("AIRFLOW_CONN_FORTNOX_NOTIFY_SMTP", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": free_port(),  # nothing listens there
        "extra": {"to": "ekonomi@byran.se", "disable_ssl": True, "disable_tls": True, "retry_limit": 0}}))
    NOTIFY_ON_FAILURE(failed_task_context(clients[0], ReconnectNeeded("client acme: reconnect")))
    mails, posts = channels
    assert mails == [] and len(posts) == 1
    assert any(record.levelname == "WARNING" and "fortnox_notify_smtp" in record.getMessage()
               for record in caplog.records)


def test_a_connection_close_to_expiry_is_told_once_a_day(channels, make_context, clients):
    acme = clients[0]
    ctx = make_context(acme)
    expires = time.time() + 6 * 86400 + 600
    with ctx.engine.begin() as connection:
        connection.execute(text("UPDATE fortnox_tokens SET refresh_expires_at = :at WHERE client_key = 'acme'"),
                           {"at": expires})
    log_url = "http://airflow.byran.se/dags/fortnox_tokens/runs/scheduled__2026-12-06/tasks/renew/mapped/0?try_number=1"
    context = {"ti": SimpleNamespace(dag_id="fortnox_tokens", task_id="renew", log_url=log_url)}

    tell_if_expiring(ctx, context)
    tell_if_expiring(ctx, context)  # a retry, or a second run the same day

    mail, body, post = arrived(channels)
    assert mail["subject"] == f"[fortnox-etl] {acme.name} (acme): the Fortnox connection expires soon"
    assert post["event"] == "token_expiring" and post["period"] is None and post["link"] == log_url
    assert "expires in 6 days" in post["words"] and "fortnox-etl connect acme" in post["words"]
    assert "expires in 6 days" in body and log_url in body


def test_a_connection_good_for_longer_is_not_told(channels, make_context, clients):
    ctx = make_context(clients[0])  # just connected: good for 45 days
    tell_if_expiring(ctx, {"ti": SimpleNamespace(dag_id="fortnox_tokens", task_id="renew", log_url="x")})
    assert channels == ([], [])


def test_under_airflow_a_client_that_must_reconnect_is_told_once_by_the_failure_callback(
        sandbox, app, tmp_path, clients, mailbox, hook_receiver):
    paths = DemoPaths(airflow_home=tmp_path / "airflow", var_dir=tmp_path / "var", out_dir=tmp_path / "out")
    env = {**prepare_local_airflow(app, clients[:1], paths), **channel_variables(mailbox, hook_receiver)}
    airflow = [str(Path(sys.executable).with_name("airflow"))]
    subprocess.run([*airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    run = subprocess.run([*airflow, "dags", "test", "fortnox_tokens"], env=env, capture_output=True, text=True,
                         timeout=240)
    output = run.stdout + run.stderr

    posts = hook_receiver[1]
    assert [post["client_key"] for post in posts] == ["norrsken"], output[-4000:]  # acme's connection works
    [post] = posts
    assert post["event"] == "reconnect_needed" and post["dag_id"] == "fortnox_tokens" and post["task_id"] == "renew"
    assert post["words"] == "client norrsken is not connected to Fortnox: run 'fortnox-etl connect norrsken'"
    assert "/dags/fortnox_tokens/runs/" in post["link"] and "/tasks/renew/mapped/0" in post["link"]  # norrsken, the one handed on
    [mail] = mailbox[1]
    assert mail["subject"] == post["subject"] and "fortnox-etl connect norrsken" in mail.get_body(("html",)).get_content()


# A client's task in a DAG of the test's own: Airflow's callbacks on a failure that a retry mends and on one that
# stays, with a retry after one second instead of the sync's thirty.
PROBE_DAG = '''
import datetime as dt

from airflow.sdk import DAG, BaseOperator

from fortnox_etl.airflow_support import NOTIFY_ON_FAILURE
from fortnox_etl.config import Client
from fortnox_etl.fortnox.errors import FortnoxUnavailable


class ClientTask(BaseOperator):
    """Fails its first `failing_tries` tries as a sync's task fails when Fortnox does not answer."""

    def __init__(self, client, failing_tries, **kwargs):
        super().__init__(**kwargs)
        self.client, self.failing_tries = client, failing_tries

    def execute(self, context):
        if context["ti"].try_number <= self.failing_tries:
            raise FortnoxUnavailable(f"client acme: Fortnox did not answer (503) after 5 tries, try "
                                     f"{context['ti'].try_number} of {self.task_id}; the run is retried later")


with DAG("notify_probe", schedule=None, start_date=dt.datetime(2026, 1, 1), catchup=False,
         is_paused_upon_creation=False,
         default_args={"retries": 1, "retry_delay": dt.timedelta(seconds=1), "on_failure_callback": NOTIFY_ON_FAILURE}):
    acme = Client(key="acme", name="Acme Bygg & Montage AB", organisation_number="556677-8899")
    ClientTask(task_id="mended_by_its_retry", client=acme, failing_tries=1)
    ClientTask(task_id="failing_for_good", client=acme, failing_tries=2)
'''


def test_under_a_real_scheduler_only_final_failures_are_told_and_a_period_with_errors_once_with_its_report(
        tmp_path, metadata_database, mailbox, hook_receiver, monkeypatch):
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "fortnox_sync.py").symlink_to(Path(__file__).resolve().parents[1] / "dags" / "fortnox_sync.py")
    (dags / "notify_probe.py").write_text(PROBE_DAG, encoding="utf-8")
    with acme_for_airflow(tmp_path, metadata_database) as (sandbox, paths, env):
        # Fortnox's SIE export of the scheduled month's year (last month's) states a closing balance of 1930 one
        # krona off what its vouchers give: the SIE file (built from the vouchers) is sound, and the scheduled
        # month's checks find the error.
        company = next(iter(sandbox.state.companies.values()))
        scheduled_year = str((dt.date.today().replace(day=1) - dt.timedelta(days=1)).year)
        year_off = next(year["Id"] for year in company.financial_years if year["FromDate"].startswith(scheduled_year))
        balances = sie_export._balances

        def stated_one_krona_off(company, year_id, index, *rest):
            lines = balances(company, year_id, index, *rest)
            if year_id != year_off:
                return lines
            return [f"#UB 0 1930 {float(line.split()[3]) + 1:.2f}" if line.startswith("#UB 0 1930 ") else line
                    for line in lines]

        monkeypatch.setattr(sie_export, "_balances", stated_one_krona_off)
        env = {**env, **channel_variables(mailbox, hook_receiver), "AIRFLOW__CORE__DAGS_FOLDER": str(dags)}
        with running_airflow(env, tmp_path / "airflow-processes.log"):
            airflow(env, "dags", "trigger", "notify_probe")
            deadline = time.monotonic() + 240
            while len(hook_receiver[1]) < 2 and time.monotonic() < deadline:
                time.sleep(1)
            time.sleep(2)  # a third notice, were one wrongly sent with these, would have arrived by now

    posts = sorted(hook_receiver[1], key=lambda post: post["dag_id"])
    log = (tmp_path / "airflow-processes.log").read_text(errors="replace")[-3000:]
    assert [(post["dag_id"], post["task_id"], post["event"]) for post in posts] == [
        ("fortnox_sync__acme", "sync_period", "period_checks_failed"),
        ("notify_probe", "failing_for_good", "task_failed")], log
    told_period, told_failure = posts

    # The task that failed for good is told once, after its retry, with the log of that last try.
    assert "try 2 of failing_for_good" in told_failure["words"] and "try_number=2" in told_failure["link"]

    # The period whose checks found an error: client, period, the operator's words and the report beside the SIE file.
    period = told_period["period"]
    assert (told_period["client_key"], told_period["client_name"]) == ("acme", "Acme Bygg & Montage AB")
    assert period.startswith(f"{scheduled_year}-")
    assert "account 1930: our closing balance (UB)" in told_period["words"] and "Fortnox's" in told_period["words"]
    report = Path(told_period["link"].removeprefix("file://"))
    assert report.parent == paths.out_dir.resolve() / "acme" and report.name.startswith(f"acme_rapport_{period}-")
    assert "Konto 1930: utgående balans (UB)" in html.unescape(report.read_text(encoding="utf-8"))

    mails = sorted(mailbox[1], key=lambda mail: mail["subject"])
    assert [mail["subject"] for mail in mails] == sorted(post["subject"] for post in posts)
    assert all(post["link"] in html.unescape(mail.get_body(("html",)).get_content())
               for mail, post in zip(mails, sorted(posts, key=lambda post: post["subject"])))
