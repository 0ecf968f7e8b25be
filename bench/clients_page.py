"""The clients page with 1,000 clients, from a warm API server (target: under 1 second).

A real Airflow API server with the plugin, a SQLite metadata database with the 1,000 clients' DAGs
serialized and a run of each client's sync (started from the page itself: "Run for all", 1,000 runs;
their states then set to a mix of done, failed and waiting), and a staging database (SQLite) holding what
a bureau's month-end holds: every client's connection, a year of check results (12 periods x 15 checks,
some failed), closing vouchers in every state, a failed task for a tenth of the clients, import sources.
The page is fetched a few times to warm the server, then timed over 10 requests as the browser asks for it
(the login cookie); the server's own share is its Server-Timing header (Airflow's side, staging, rendering).
`--screenshot <png>` also saves the page as Airflow's UI shows it (docs/images/clients-page.png).
Figures: out/bench/clients_page.json (clients, median and max seconds, server median, page size, and
the time "Run for all" took for 1,000 runs).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sandbox_client import write_figures  # noqa: E402

from fortnox_etl.config import PROJECT_ROOT  # noqa: E402
from fortnox_etl.staging.database import create_schema, create_staging_engine  # noqa: E402

CLIENTS = 1000
TIMED_REQUESTS = 10
TARGET_SECONDS = 1.0
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
NOW = time.time()
CHECKS = ["unbalanced_vouchers", "closing_balances", "result_balances", "opening_balances", "fortnox_balances",
          "period_balances", "organisation_number", "loaded_counts", "voucher_number_gaps", "vouchers_without_rows",
          "ledger_control_accounts", "year_end_closing", "object_list", "undeclared", "dimension_objects"]


NAMES = ["Acme Bygg & Montage", "Norrskens Café & Bageri", "Fjord Konsult", "Kvarnens Bageri", "Vasa Måleri",
         "Österlens Trädgård", "Björkens Elteknik", "Stigs Åkeri", "Hälsinge Snickeri", "Lunds Tandvård",
         "Sjöbods Fisk", "Granens Redovisning", "Älvdalens Sågverk", "Strandhotellet i Ystad", "Tornets Arkitekter",
         "Ekens Förskola", "Malmens Mekaniska", "Rönnens Blommor", "Backens VVS", "Solbackens Gård"]


def client_name(index: int) -> str:
    base = NAMES[index % len(NAMES)]
    return f"{base} AB" if index < len(NAMES) else f"{base} {index // len(NAMES) + 1} AB"


def organisation_number(index: int) -> str:
    """A valid Swedish organisation number (Luhn check digit) for the index-th client."""
    digits = f"556{index:06d}"
    total = 0
    for position, digit in enumerate(map(int, digits)):
        doubled = digit * (2 if position % 2 == 0 else 1)
        total += doubled - 9 if doubled > 9 else doubled
    return f"{digits[:6]}-{digits[6:]}{(10 - total % 10) % 10}"


def seed_staging(engine, keys: list[str]) -> None:
    rng = random.Random(7)
    tokens, checks, outbox, errors, sources, years = [], [], [], [], [], []
    for index, key in enumerate(keys):
        if index % 25 != 24:  # a few never connected
            tokens.append({"client_key": key, "tenant_id": 1000 + index, "service_account": index % 50 == 3,
                           "scope": "bookkeeping", "access_token_enc": "x", "access_expires_at": int(NOW) + 3600,
                           "refresh_token_enc": "x", "refresh_expires_at": int(NOW + rng.uniform(-1, 45) * 86400),
                           "connected_at": int(NOW) - 86400,
                           "last_error": f"client {key}: Fortnox refused the refresh token; reconnect" if index % 40 == 5 else None})
        for month in range(1, 13):
            period_end = (dt.date(2026, month % 12 + 1, 1) - dt.timedelta(days=1)) if month < 12 else dt.date(2026, 12, 31)
            for check in CHECKS:
                # Errors fail the period's run (a tenth of the clients, as their runs below); warnings come anywhere.
                failed = (index % 10 == 0 and month == 11 and check in CHECKS[:2]) or (check in CHECKS[8:] and rng.random() < 0.02)
                checks.append({"client_key": key, "financial_year_id": 2026, "period_end": period_end, "check_name": check,
                               "severity": "warning" if check in CHECKS[8:] else "error",
                               "status": "failed" if failed else "passed", "passed": not failed,
                               "message": f"{check.replace('_', ' ')}: {'3 vouchers differ' if failed else 'agrees'}",
                               "details": "", "checked_at": "2026-12-01T06:00:00+00:00"})
        for number, state in enumerate(rng.sample(["draft", "approved", "posted", "posted", "failed", "rejected"],
                                                  rng.randint(0, 4))):
            outbox.append({"outbox_id": f"ob-{index:05d}{number}", "client_key": key, "voucher_series": "A",
                           "transaction_date": dt.date(2026, 11, 30), "description": "Skatt", "source": "bench.csv",
                           "content_sha256": f"{index}-{number}", "state": state, "created_at": "2026-12-01T06:00:00",
                           "created_by": "bench"})
        if index % 10 == 0:
            errors.append({"client_key": key, "dag_id": f"fortnox_sync__{key}", "run_id": "manual__2026-12-01T06:00:00+00:00",
                           "task_id": "sync_period", "map_index": -1, "try_number": 1,
                           "message": f"client {key}: 2 errors for the period ending 2026-11-30; correct the books in "
                                      "Fortnox and run the period again", "failed_at": "2026-12-01T06:10:00+00:00"})
        years.append({"client_key": key, "financial_year_id": 2026, "from_date": dt.date(2026, 1, 1),
                      "to_date": dt.date(2026, 12, 31), "load_id": "l", "loaded_at": "x"})
        sources.append({"import_id": f"i{index}", "client_key": key, "financial_year_id": 2026,
                        "source": "file" if index % 30 == 0 else "fortnox", "file_name": "supplied.se" if index % 30 == 0 else None,
                        "recorded_by": "bench", "recorded_at": "2026-12-01T06:00:00"})
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO fortnox_tokens (client_key, tenant_id, service_account, scope, access_token_enc, access_expires_at,"
            " refresh_token_enc, refresh_expires_at, connected_at, last_error) VALUES (:client_key, :tenant_id,"
            " :service_account, :scope, :access_token_enc, :access_expires_at, :refresh_token_enc, :refresh_expires_at,"
            " :connected_at, :last_error)"), tokens)
        connection.execute(text(
            "INSERT INTO check_results (client_key, financial_year_id, period_end, check_name, severity, status, passed,"
            " message, details, checked_at) VALUES (:client_key, :financial_year_id, :period_end, :check_name, :severity,"
            " :status, :passed, :message, :details, :checked_at)"), checks)
        connection.execute(text(
            "INSERT INTO outbox_vouchers (outbox_id, client_key, voucher_series, transaction_date, description, source,"
            " content_sha256, state, created_at, created_by) VALUES (:outbox_id, :client_key, :voucher_series,"
            " :transaction_date, :description, :source, :content_sha256, :state, :created_at, :created_by)"), outbox)
        connection.execute(text(
            "INSERT INTO task_errors VALUES (:client_key, :dag_id, :run_id, :task_id, :map_index, :try_number, :message,"
            " :failed_at)"), errors)
        connection.execute(text(
            "INSERT INTO raw_financial_years (client_key, financial_year_id, from_date, to_date, load_id, loaded_at)"
            " VALUES (:client_key, :financial_year_id, :from_date, :to_date, :load_id, :loaded_at)"), years)
        connection.execute(text(
            "INSERT INTO import_sources (import_id, client_key, financial_year_id, source, file_name, recorded_by,"
            " recorded_at) VALUES (:import_id, :client_key, :financial_year_id, :source, :file_name, :recorded_by,"
            " :recorded_at)"), sources)


def screenshot(base: str, token: str, path: Path) -> None:
    """The page as an operator sees it in Airflow's UI (Debian's Chromium), e.g. for the README."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1500, "height": 900}, timezone_id="Europe/Stockholm")
        context.add_cookies([{"name": "_token", "value": token, "url": base}])
        page = context.new_page()
        page.goto(f"{base}/plugin/clients")
        page.frame_locator("iframe").locator("#clients tbody tr").first.wait_for(timeout=60_000)
        page.screenshot(path=path)
        browser.close()
    print(f"  screenshot: {path}")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="clients_page_"))
    keys = [f"client{index:04d}" for index in range(CLIENTS)]
    clients_file = folder / "clients.yaml"
    clients_file.write_text("clients:\n" + "".join(
        f"  - {{key: {key}, name: '{client_name(index)}', organisation_number: '{organisation_number(index)}'}}\n"
        for index, key in enumerate(keys)), encoding="utf-8")
    staging_file = folder / "staging.db"
    engine = create_staging_engine(str(staging_file))
    create_schema(engine)
    seed_staging(engine, keys)
    passwords = folder / "passwords.json"
    passwords.write_text(json.dumps({"anna": "bench-pw"}))
    port = free_port()
    env = {**os.environ, "AIRFLOW_HOME": str(folder / "airflow"), "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
           "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{folder / 'airflow.db'}",
           "AIRFLOW__API__HOST": "127.0.0.1", "AIRFLOW__API__PORT": str(port), "AIRFLOW__API__WORKERS": "1",
           "AIRFLOW__API_AUTH__JWT_SECRET": "bench-secret", "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "anna:admin",
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords), "FORTNOX_ETL_CLIENTS": str(clients_file),
           "AIRFLOW__CORE__MAX_MAP_LENGTH": "10000",
           "AIRFLOW_CONN_FORTNOX_STAGING": json.dumps({"conn_type": "sqlite", "host": str(staging_file)}),
           "AIRFLOW_CONN_FORTNOX_APP": json.dumps({"conn_type": "http", "login": "id", "password": "secret"})}
    base = f"http://127.0.0.1:{port}"
    print(f"clients page: {CLIENTS:,} clients; migrating Airflow's database and serializing their DAGs ...", flush=True)
    for command in (["db", "migrate"], ["dags", "reserialize"]):
        subprocess.run([AIRFLOW, *command], env=env, check=True, capture_output=True)
    with open(folder / "api-server.log", "w") as log:
        server = subprocess.Popen([AIRFLOW, "api-server"], env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        for _ in range(240):
            try:
                if requests.get(f"{base}/api/v2/monitor/health", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        token = requests.post(f"{base}/auth/token", json={"username": "anna", "password": "bench-pw"}, timeout=10).json()
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        started = time.perf_counter()
        run_all = requests.post(f"{base}/fortnox/run", data={"period": "2026-11", "scope": "all"}, headers=bearer,
                                allow_redirects=False, timeout=600)
        run_all_seconds = time.perf_counter() - started
        assert run_all.status_code == 303, run_all.text[:2000]
        metadata = create_engine(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
        with metadata.begin() as connection:
            runs = connection.execute(text("SELECT COUNT(*) FROM dag_run WHERE dag_id LIKE 'fortnox_sync__%'")).scalar()
            # As the staging above: a tenth of the clients' runs failed (client keys ending in 0), some still run.
            connection.execute(text("UPDATE dag_run SET state = CASE WHEN dag_id LIKE '%0' THEN 'failed' WHEN dag_id LIKE "
                                    "'%5' THEN 'running' ELSE 'success' END, start_date = CURRENT_TIMESTAMP, end_date = "
                                    "CASE WHEN dag_id LIKE '%5' THEN NULL ELSE CURRENT_TIMESTAMP END"))
        cookies = {"_token": token["access_token"]}
        page = None
        for _ in range(3):  # warm: the first requests import and cache what every later one uses
            page = requests.get(f"{base}/fortnox/clients", cookies=cookies, headers={"Accept": "text/html"}, timeout=60)
            assert page.status_code == 200, page.text[:2000]
        seconds, timings = [], []
        for _ in range(TIMED_REQUESTS):
            started = time.perf_counter()
            page = requests.get(f"{base}/fortnox/clients", cookies=cookies, headers={"Accept": "text/html"}, timeout=60)
            seconds.append(time.perf_counter() - started)
            timings.append({name: float(dur) / 1000
                           for name, dur in re.findall(r"(\w+);dur=([\d.]+)", page.headers["Server-Timing"])})
        rows = page.text.count('<tr data-key="')
        assert rows == CLIENTS, f"{rows} rows on the page"
        if "--screenshot" in sys.argv:
            screenshot(base, token["access_token"], Path(sys.argv[sys.argv.index("--screenshot") + 1]))
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
        shutil.rmtree(folder, ignore_errors=True)
    figures = {"clients": CLIENTS, "sync_runs": runs, "requests": TIMED_REQUESTS,
               "median_seconds": round(statistics.median(seconds), 3), "max_seconds": round(max(seconds), 3),
               **{f"server_{part}_median_seconds": round(statistics.median(timing[part] for timing in timings), 3)
                  for part in ("page", "airflow", "staging", "render")}, "page_kb": round(len(page.content) / 1024),
               "run_for_all_seconds": round(run_all_seconds, 1), "target_seconds": TARGET_SECONDS}
    path = write_figures("clients_page", figures)
    print(f"clients page with {CLIENTS:,} clients ({runs:,} sync runs in Airflow, a year of checks each), warm server:")
    print(f"  median     {figures['median_seconds']:.3f} s  (target under {TARGET_SECONDS:g} s)")
    print(f"  max        {figures['max_seconds']:.3f} s over {TIMED_REQUESTS} requests")
    print(f"  server     {figures['server_page_median_seconds']:.3f} s median (its Server-Timing): Airflow's side "
          f"(client file, permissions, runs) {figures['server_airflow_median_seconds']:.3f} s, staging "
          f"{figures['server_staging_median_seconds']:.3f} s, rendering {figures['server_render_median_seconds']:.3f} s")
    print(f"  page       {figures['page_kb']:,} KB of HTML")
    print(f"  'Run for all' made {runs:,} runs in {run_all_seconds:.1f} s")
    print(f"  figures: {path}")


if __name__ == "__main__":
    main()
