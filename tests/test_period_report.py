"""The period report: written by the sync's last step beside the SIE file, its numbers the staging
tables' numbers (checked against the SIE file of the same run), and a page that opens in a real browser."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from html import escape as escape_html
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import text

from fortnox_etl.export.outbox import Outbox
from fortnox_etl.export.posting import export_approved
from fortnox_etl.export.voucher_files import read_drafts
from fortnox_etl.period import Period
from fortnox_etl.period_end import client_steps
from fortnox_etl.period_end.checks import CHECKS, PeriodChecksFailed
from fortnox_etl.period_report import check_words
from fortnox_etl.period_report.amounts import kr
from fortnox_etl.sie.reader import read_sie

CHROMIUM = Path("/usr/bin/chromium")
CLOSING_FILE = Path(__file__).resolve().parents[1] / "examples" / "closing_vouchers_acme.csv"


class HandedOn:
    """What the sync task hands on through Airflow's XCom."""

    def __init__(self) -> None:
        self.pushed: dict[str, object] = {}

    def xcom_push(self, key: str, value: object) -> None:
        self.pushed[key] = value


def period_context(period: str, run_id: str = "manual__2026-12-06T03:00:00+00:00") -> dict:
    return {"params": {"period": period}, "data_interval_start": None, "ti": HandedOn(), "run_id": run_id}


def run_period(ctx, period: str, run_id: str = "manual__2026-12-06T03:00:00+00:00") -> tuple[dict, dict]:
    """The sync DAG's task without Airflow, its extract apart: what the extract found, what the task returns."""
    company = client_steps.extract_from_fortnox(ctx, period_context(period, run_id))
    return company, client_steps.close_period(ctx, company)


def cell(page: str, label: str, column: int = 0) -> str:
    """The text of a table row's amount cell, found by the row's first cell."""
    row = re.search(rf"<tr[^>]*><td>{re.escape(label)}</td>(.*?)</tr>", page, re.S)
    assert row, f"no row {label!r} in the report"
    return unescape(re.sub(r"<[^>]+>", "", re.findall(r"<td class='num'>(.*?)</td>", row.group(1))[column]))


@pytest.mark.parametrize("period", ["2025-06", "2025-12"])
def test_the_report_shows_the_numbers_of_the_sie_file_written_by_the_same_run(make_context, clients, period):
    acme = clients[0]
    ctx = make_context(acme)
    context = period_context(period)
    results = client_steps.sync_period(ctx, context)
    report = ctx.out_dir / "acme" / f"acme_rapport_{Period.parse(period).last_day}.html"
    assert results["period_report"] == str(report) and report.is_file()
    assert context["ti"].pushed == {"period": period} == {"period": results["period"]}, "the report link's period"
    page = report.read_text(encoding="utf-8")
    sie = read_sie(results["sie_file"])

    # The year's result is the result accounts' total, less its transfer to equity (8999) where booked.
    year_result = -sum(amount for (index, account), amount in sie.results.items()
                       if index == 0 and not account.startswith("899"))
    assert cell(page, "Årets resultat hittills") == kr(year_result) and year_result
    income = -sum(amount for (index, account), amount in sie.results.items() if index == 0 and account[0] == "3")
    assert cell(page, "3 Intäkter") == kr(income) and income > 0
    assets = sum(amount for (index, account), amount in sie.closing.items() if index == 0 and account[0] == "1")
    assert cell(page, "1 Tillgångar") == kr(assets)
    last_year_assets = sum(amount for (index, account), amount in sie.closing.items() if index == -1 and account[0] == "1")
    # Last year's column is last year on the same day: its closing balance only at the year's end.
    assert last_year_assets and (cell(page, "1 Tillgångar", 1) == kr(last_year_assets)) == period.endswith("12")
    # Swedish amounts: a non-breaking space between thousands, a decimal comma, the minus sign.
    assert re.search(r"\d{1,3}(\u00a0\d{3})+,\d\d\u00a0kr", page)
    # Opens offline: nothing to load (an SVG's xmlns names a namespace, it fetches nothing), no script.
    assert not re.search(r"""(src|href)=["']?(https?:|//)|url\((?!#)|@import|<link|<script""", page)
    assert page.count("<svg") == 3  # the monthly result and one chart per ledger


@pytest.mark.parametrize("staging", ["sqlite"], indirect=True)  # counted from the sandbox, not from staging
def test_the_report_counts_the_fortnox_requests_of_the_run_that_wrote_it(make_context, clients, companies, sandbox):
    ctx = make_context(clients[0])
    tenant = companies[0].spec.tenant_id

    def requests_so_far() -> int:
        return sum(count for path, count in sandbox.requests(tenant).items() if path.startswith("/3/"))

    run_period(ctx, "2025-12", run_id="scheduled__2026-01-01")  # an earlier run's requests are not this run's
    before = requests_so_far()
    report = Path(run_period(ctx, "2025-12", run_id="manual__2026-12-06T03:00:00+00:00")[1]["period_report"])
    made = requests_so_far() - before
    page = unescape(report.read_text(encoding="utf-8"))
    assert "Körning manual__2026-12-06T03:00:00+00:00" in page and "scheduled__2026-01-01" not in page
    total = re.search(r"<td colspan='2'>Summa för körningen</td><td class='num'>([^<]*)</td>", page)
    assert made > 3 and total.group(1) == f"{made:,}".replace(",", "\u00a0")


def test_a_period_with_errors_still_gets_its_report_with_the_errors_first(make_context, clients, caplog):
    acme = clients[0]
    ctx = make_context(acme)
    company, _ = run_period(ctx, "2025-12")
    with ctx.engine.begin() as db:  # a voucher row changed under the books: closing balance and result no longer add up
        db.execute(text("UPDATE sie_balances SET amount_ore = amount_ore + 100 WHERE client_key = 'acme' "
                        "AND balance_type = 'UB' AND account = '1930'"))
    report = ctx.out_dir / "acme" / "acme_rapport_2025-12-31.html"
    report.unlink()
    with pytest.raises(PeriodChecksFailed):
        client_steps.check_period(ctx, company)
    page = report.read_text(encoding="utf-8")
    badges = re.findall(r"<span class='badge (\w+)'>", page)
    assert badges[0] == "error" and badges.index("ok") > badges.index("error")
    assert page.count("Gör så här:") == sum(badge in ("error", "warning") for badge in badges)
    # Each finding in the accountant's Swedish, its amounts as she writes them; the task log keeps the operator's English.
    with ctx.engine.connect() as db:
        stored = db.execute(text("SELECT check_name, message, facts FROM check_results WHERE client_key = 'acme' "
                                 "AND period_end = '2025-12-31'")).all()
    closing = json.loads(next(facts for name, _, facts in stored if name == "closing_balances"))["found"][0]
    assert closing["account"] == "1930"
    assert (f"Konto 1930: utgående balans (UB) {kr(closing['closing'])} är inte ingående balans (IB) "
            f"{kr(closing['opening'])} plus årets transaktioner") in unescape(page)
    assert f"enligt verifikationerna, {kr(closing['closing'] - 100)} enligt Fortnox: skillnad {kr(100)}" in unescape(page)
    assert "account 1930: closing balance (UB)" in caplog.text
    assert not [message for _, message, _ in stored if escape_html(message) in page]  # no check speaks English



@pytest.mark.parametrize("staging", ["sqlite"], indirect=True)
def test_the_report_names_the_invoices_behind_a_ledger_difference_and_the_vouchers_the_export_posted(
        make_context, clients):
    ctx = make_context(clients[0])
    company, _ = run_period(ctx, "2025-12")
    outbox = Outbox(ctx.engine, "acme")  # the closing voucher an accountant adds, approved and posted by the export
    approved = outbox.add(read_drafts(CLOSING_FILE), "anna")
    outbox.approve(approved, "bertil")
    assert export_approved(ctx).posted == approved
    posted = outbox.voucher(approved[0])
    with ctx.engine.begin() as db:  # the largest open customer invoice gone from the ledger Fortnox gave
        lost, open_ore = db.execute(text("SELECT invoice_number, open_ore FROM ledger_open_items WHERE client_key = "
                                         "'acme' AND ledger = 'customer' ORDER BY open_ore DESC LIMIT 1")).one()
        db.execute(text("DELETE FROM raw_invoices WHERE client_key = 'acme' AND invoice_number = :n"), {"n": lost})
    client_steps.build_ledger_appendices(ctx, company)
    page = unescape(Path(client_steps.check_period(ctx, company)).read_text(encoding="utf-8"))

    assert f"Differens mot konto 1510: {kr(-open_ore)}" in page
    row = re.search(rf"<tr><td>{lost}</td><td>[^<]*</td><td class='num'>(.*?)</td><td>([^<]*)</td></tr>", page)
    assert row and kr(-open_ore) in row.group(1) and f"faktura {lost}" in row.group(2)
    assert f"Kundreskontran {kr(0)}" not in page and "skiljer sig från konto 1510" in page  # the check, in Swedish
    assert re.search(rf"<td>2025-12-31</td><td>{re.escape(posted.description)}</td>"
                     rf"<td>{posted.fortnox_series} {posted.fortnox_number}</td>", page)


def test_every_check_has_its_swedish_words_and_a_result_stored_without_facts_keeps_its_own():
    assert set(check_words.WORDS) == {check.name for check in CHECKS}
    assert check_words.in_swedish("unbalanced_vouchers", "failed", None) is None  # the page shows the stored words
    facts = json.dumps({"found": [{"series": "A", "number": 12, "day": "2025-03-04", "off": -4820000}]})
    assert check_words.in_swedish("unbalanced_vouchers", "failed", facts) == (
        "Verifikation A 12 (2025-03-04) balanserar inte: kredit överstiger debet med 48\u00a0200,00\u00a0kr.",
        ["Verifikation A 12 (2025-03-04) balanserar inte: kredit överstiger debet med 48\u00a0200,00\u00a0kr"])


@pytest.mark.parametrize("staging", ["sqlite"], indirect=True)  # the page is the same from either database
def test_the_report_opens_in_a_real_browser_offline(make_context, clients, tmp_path):
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium; .ci/run installs it)")
    ctx = make_context(clients[0])
    report = Path(run_period(ctx, "2025-12")[1]["period_report"])
    screenshot = tmp_path / "period-report.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="sv-SE", offline=True)
            page = context.new_page()
            requests = []
            page.on("request", lambda request: requests.append(request.url))
            page.goto(report.as_uri())
            assert page.title() == "Periodrapport Acme Bygg & Montage AB – december 2025"
            headings = page.locator("h2").all_inner_texts()
            assert [h.upper() for h in headings] == ["RESULTAT PER MÅNAD", "RESULTATRÄKNING", "BALANSRÄKNING",
                                                     "RESKONTROR", "KONTROLLER", "UNDERLAG"]
            charts = page.locator("svg")
            assert charts.count() == 3
            for index in range(3):
                box = charts.nth(index).bounding_box()
                assert box["width"] > 250 and box["height"] > 100  # drawn, not collapsed
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # nothing runs off the side
            assert requests == [report.as_uri()]  # nothing else was fetched
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert screenshot.stat().st_size > 50_000


@pytest.mark.parametrize("staging", ["sqlite"], indirect=True)
def test_a_report_that_cannot_be_written_leaves_the_checks_verdict_first(make_context, clients, caplog):
    ctx = make_context(clients[0])
    company, _ = run_period(ctx, "2025-12")
    report = ctx.out_dir / "acme" / "acme_rapport_2025-12-31.html"
    report.unlink()
    report.mkdir()  # a folder where the report goes: it cannot be written
    with pytest.raises(IsADirectoryError):  # books without errors: the report's own failure fails the task
        client_steps.check_period(ctx, company)
    assert "the period report for the period ending 2025-12-31 could not be written" in caplog.text
    assert not list(report.parent.glob("*.tmp"))
    with ctx.engine.begin() as db:
        db.execute(text("UPDATE sie_balances SET amount_ore = amount_ore + 100 WHERE client_key = 'acme' "
                        "AND balance_type = 'UB' AND account = '1930'"))
    with pytest.raises(PeriodChecksFailed):  # books with errors: those come first
        client_steps.check_period(ctx, company)


def test_parsing_the_dag_files_does_not_import_matplotlib():
    """The charts' library is imported when a report is written, never by the DAG processor (bench/dag_parse.py)."""
    dags = Path(__file__).resolve().parents[1] / "dags"
    probe = ("import sys\nfrom airflow.dag_processing.dagbag import DagBag\n"
             f"bag = DagBag({str(dags / 'fortnox_sync.py')!r})\n"
             "assert bag.dags and not bag.import_errors, bag.import_errors\n"
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'matplotlib', 'fortnox_etl'}), "
             "any(m.startswith('fortnox_etl.period_report') for m in sys.modules))\n")
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split("\n")
    assert found[-2] == "['fortnox_etl'] False"
