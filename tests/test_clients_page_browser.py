"""The clients page inside Airflow, driven in a real browser (Debian's Chromium through Playwright): an operator
logs in, finds the clients, connects one through Fortnox's consent page, runs a month for two clients and
sees both runs succeed. And what Airflow's permissions keep from whom: no page without a login, a viewer sees
but cannot trigger or connect, a form from another site does nothing. Screenshots go to the test's folder."""
from __future__ import annotations

import datetime

import pytest
import requests
from playwright.sync_api import expect

from airflow_services import (
    api_url,
    bearer_token,
    running_airflow,
    services_environment,
    wait_until,
    with_logins,
)
from browser import chromium_page
from fortnox_etl.config import Client
from fortnox_etl.demo import DemoPaths, prepare_local_airflow, sandbox_app
from fortnox_etl.export.outbox import Outbox
from fortnox_etl.export.voucher_files import read_drafts
from fortnox_etl.fortnox.token_store import TOKEN_KEY_VARIABLE
from fortnox_etl.sandbox.generator import CompanySpec, generate_company, years_through
from fortnox_etl.sandbox.running import RunningSandbox
from fortnox_etl.staging.database import create_staging_engine
from test_export_dag import CLOSING_FILE

pytestmark = pytest.mark.airflow_services(seconds=90)

ACME = Client("acme", "Acme Bygg & Montage AB", "556677-8899")
NORRSKEN = Client("norrsken", "Norrskens Café & Bageri AB", "559123-4561")
FJORD = Client("fjord", "Fjord Konsult AB", "556123-4567")  # not connected: connected in the browser
USERS = {"anna": ("admin", "anna-pw-1"), "ville": ("viewer", "ville-pw-1")}
PERIOD = "2026-11"


def test_an_operator_connects_a_client_and_runs_a_month_for_two_from_the_clients_page(tmp_path, metadata_database):
    companies = [generate_company(CompanySpec(tenant_id=tenant, organisation_number=client.organisation_number,
                                              name=client.name, first_year=2025,
                                              years=years_through(2025, 1, datetime.date.today())))
                 for tenant, client in enumerate((ACME, NORRSKEN, FJORD), start=1001)]
    clients_file = tmp_path / "clients.yaml"
    clients_file.write_text("clients:\n" + "".join(
        f"  - {{key: {c.key}, name: {c.name!r}, organisation_number: '{c.organisation_number}'}}\n"
        for c in (ACME, NORRSKEN, FJORD)), encoding="utf-8")
    paths = DemoPaths(airflow_home=tmp_path / "airflow", var_dir=tmp_path / "var", out_dir=tmp_path / "out")
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with RunningSandbox(companies) as sandbox:
        local = prepare_local_airflow(sandbox_app(sandbox.base_url), [ACME, NORRSKEN], paths)
        env = with_logins({**services_environment(local, metadata_database), "FORTNOX_ETL_CLIENTS": str(clients_file)},
                          tmp_path, USERS)
        assert env[TOKEN_KEY_VARIABLE]
        with running_airflow(env, tmp_path / "airflow-processes.log"):
            base = api_url(env)
            check_who_may_do_what(env, base)
            with chromium_page() as page:
                log_in(page, base, "anna")
                page.get_by_role("link", name="Clients").first.click()
                frame = page.frame_locator("iframe")
                rows = frame.locator("#clients tbody tr")
                rows.first.wait_for()
                assert rows.count() == 3
                assert "never connected" in row(frame, "fjord").inner_text()
                assert "connected" in row(frame, "acme").inner_text()
                page.screenshot(path=shots / "1-clients.png")

                # Connect fjord: Fortnox's consent page in the whole window, then back on the clients page.
                row(frame, "fjord").get_by_role("button", name="Connect").click()
                page.wait_for_url(f"{sandbox.base_url}/**")
                page.screenshot(path=shots / "2-consent.png")
                page.select_option("#tenant_id", value="1003")
                page.get_by_role("button", name="Godkänn").click()
                page.wait_for_url(f"{base}/plugin/clients")
                frame = page.frame_locator("iframe")
                expect(frame.locator(".notice")).to_contain_text("Fjord Konsult AB is connected to Fortnox")
                assert "never connected" not in row(frame, "fjord").inner_text()
                page.screenshot(path=shots / "3-connected.png")

                # A month for two clients.
                for key in ("acme", "norrsken"):
                    row(frame, key).locator("input.pick").check()
                frame.locator("input[name=period]").fill(PERIOD)
                frame.get_by_role("button", name="Run for selected").click()
                expect(frame.locator(".notice")).to_contain_text(f"Period {PERIOD} started for 2 clients: acme, norrsken.")
                page.screenshot(path=shots / "4-started.png")

                runs = manual_runs(env, base)
                assert sorted(runs) == ["fortnox_sync__acme", "fortnox_sync__norrsken"], runs
                assert all(run["conf"] == {"period": PERIOD} and run["note"].startswith(f"period {PERIOD}")
                           for run in runs.values())
                wait_until(lambda: all(state == "success" for state in run_states(env, base, runs)),
                           f"both {PERIOD} runs to succeed (Airflow's log: {tmp_path / 'airflow-processes.log'})", 600)
                scheduled = requests.get(f"{base}/api/v2/dags/fortnox_sync__acme/dagRuns",
                                         params={"run_type": "scheduled"}, headers=admin_api(env), timeout=30).json()
                assert [run["note"] for run in scheduled["dag_runs"]] == [f"period {PERIOD} (scheduled)"], \
                    "the plugin's listener notes the period of the runs the scheduler starts"

                # The closing voucher an accountant added meanwhile waits for approval.
                Outbox(create_staging_engine(str(paths.staging_db)), "acme").add(read_drafts(CLOSING_FILE), "anna")
                page.reload()
                frame = page.frame_locator("iframe")
                for key in ("acme", "norrsken"):
                    text = row(frame, key).inner_text()
                    assert PERIOD in text and "success" in text and "15 passed" in text, text
                check_the_period_report(env, base, runs, page, frame, shots)
                frame = page.frame_locator("iframe")
                waiting = row(frame, "acme").get_by_role("link", name="1 draft waiting")
                assert waiting.get_attribute("href") == "/required_actions"
                frame.locator("#sort").select_option("name")
                page.screenshot(path=shots / "6-done.png", full_page=True)

                # Two months again for one client, as Airflow's backfill does.
                row(frame, "norrsken").get_by_role("button", name="Backfill…").click()
                frame.locator("#backfill-dialog input[name=from_period]").fill("2026-09")
                frame.locator("#backfill-dialog input[name=to_period]").fill("2026-10")
                page.screenshot(path=shots / "7-backfill.png")
                frame.get_by_role("button", name="Start backfill").click()
                expect(frame.locator(".notice")).to_contain_text(
                    "Backfill of Norrskens Café & Bageri AB started: 2 months (2026-09, 2026-10).")

                # Disconnecting asks first.
                row(frame, "fjord").get_by_role("button", name="Disconnect").click()
                expect(frame.locator("#disconnect-dialog")).to_contain_text("Disconnect Fjord Konsult AB?")
                frame.locator("#disconnect-dialog").get_by_role("button", name="Disconnect").click()
                expect(frame.locator(".notice")).to_contain_text(
                    "Client fjord: the refresh token is revoked at Fortnox and our tokens are deleted.")
                assert "never connected" in row(frame, "fjord").inner_text()


def check_who_may_do_what(env: dict, base: str) -> None:
    """No login, no page; a viewer sees the page but can neither trigger nor connect; a form from elsewhere does nothing."""
    assert requests.get(f"{base}/fortnox/clients", timeout=30).status_code == 401
    assert requests.post(f"{base}/fortnox/run", data={"period": PERIOD, "scope": "all"}, timeout=30).status_code == 401
    assert requests.get(f"{base}/fortnox/callback", params={"state": "x", "code": "y"}, timeout=30).status_code == 401
    assert requests.get(f"{base}/fortnox/reports/acme/{PERIOD}", timeout=30).status_code == 401

    viewer = {"Authorization": f"Bearer {bearer_token(env, 'ville', USERS['ville'][1])}"}
    page = requests.get(f"{base}/fortnox/clients", headers=viewer, timeout=30)
    assert page.status_code == 200 and page.text.count('<tr data-key="') == 3
    assert "You may not trigger DAG runs" in page.text and "You may not edit connections" in page.text
    ran = requests.post(f"{base}/fortnox/run", data={"period": PERIOD, "scope": "all"}, headers=viewer, timeout=30)
    assert ran.status_code == 403, ran.text
    connected = requests.post(f"{base}/fortnox/connect", data={"client": "fjord"}, headers=viewer, allow_redirects=False,
                              timeout=30)
    assert connected.status_code == 403, connected.text
    backfilled = requests.post(f"{base}/fortnox/backfill", headers=viewer, timeout=30,
                               data={"client": "acme", "from_period": "2026-01", "to_period": "2026-02"})
    assert backfilled.status_code == 403, backfilled.text

    # Anna's login cookie sent along by a page of another site (no bearer token: the browser's ambient login).
    admin_cookie = {"_token": bearer_token(env, "anna", USERS["anna"][1])}
    forged = requests.post(f"{base}/fortnox/run", data={"period": PERIOD, "scope": "all"}, cookies=admin_cookie,
                           headers={"Origin": "https://evil.example"}, allow_redirects=False, timeout=30)
    assert forged.status_code == 403 and "nothing was done" in forged.text
    same_origin_without_token = requests.post(f"{base}/fortnox/run", data={"period": PERIOD, "scope": "all"},
                                              cookies=admin_cookie, headers={"Origin": base}, allow_redirects=False,
                                              timeout=30)
    assert same_origin_without_token.status_code == 403
    assert manual_runs(env, base) == {}, "nothing refused was run"


def check_the_period_report(env: dict, base: str, runs: dict[str, dict], page, frame, shots) -> None:
    """Each synced period's report: linked from the client's row and from the sync task's extra link, served to a
    user who may read the DAG, to no one else."""
    link = row(frame, "acme").get_by_role("link", name=f"report {PERIOD}")
    assert link.get_attribute("href") == f"/fortnox/reports/acme/{PERIOD}"
    run_id = runs["fortnox_sync__acme"]["dag_run_id"]
    extra = requests.get(f"{base}/api/v2/dags/fortnox_sync__acme/dagRuns/{run_id}/taskInstances/sync_period/links",
                         headers=admin_api(env), timeout=30)
    assert extra.status_code == 200, extra.text
    assert extra.json()["extra_links"] == {"Periodrapport": f"/fortnox/reports/acme/{PERIOD}"}
    viewer = {"Authorization": f"Bearer {bearer_token(env, 'ville', USERS['ville'][1])}"}
    served = requests.get(f"{base}/fortnox/reports/acme/{PERIOD}", headers=viewer, timeout=30)
    assert served.status_code == 200 and "<title>Periodrapport Acme Bygg &amp; Montage AB" in served.text
    assert requests.get(f"{base}/fortnox/reports/acme/{PERIOD}", timeout=30).status_code == 401
    missing = requests.get(f"{base}/fortnox/reports/acme/2024-01", headers=viewer, timeout=30)
    assert missing.status_code == 404 and "run the period (fortnox_sync__acme)" in missing.text
    with page.expect_popup() as opened:
        link.click()
    report = opened.value
    report.wait_for_load_state()
    assert report.title().startswith("Periodrapport Acme Bygg & Montage AB")
    report.screenshot(path=shots / "5-report.png", full_page=True)
    report.close()


def log_in(page, base: str, user: str) -> None:
    page.goto(f"{base}/")
    page.locator("input[name=username]").fill(user)
    page.locator("input[name=password]").fill(USERS[user][1])
    page.locator("input[name=password]").press("Enter")
    page.get_by_role("link", name="Clients").first.wait_for()


def row(frame, key: str):
    return frame.locator(f'#clients tbody tr[data-key="{key}"]')


def admin_api(env: dict) -> dict:
    return {"Authorization": f"Bearer {bearer_token(env, 'anna', USERS['anna'][1])}"}


def manual_runs(env: dict, base: str) -> dict[str, dict]:
    """The sync runs triggered by hand (from the page), by DAG."""
    answer = requests.get(f"{base}/api/v2/dags/~/dagRuns", params={"run_type": "manual", "dag_id_pattern": "fortnox_sync%"},
                          headers=admin_api(env), timeout=30)
    assert answer.status_code == 200, answer.text
    return {run["dag_id"]: run for run in answer.json()["dag_runs"]}


def run_states(env: dict, base: str, runs: dict[str, dict]) -> list[str]:
    headers = admin_api(env)
    states = [requests.get(f"{base}/api/v2/dags/{dag_id}/dagRuns/{run['dag_run_id']}", headers=headers,
                           timeout=30).json()["state"] for dag_id, run in runs.items()]
    assert "failed" not in states, states
    return states

