"""Every SIE4 record through staging: Fortnox's file equals ours, files round-trip, imports and their source.

Which records may differ between the sandbox's `/3/sie/4` file and ours: #PROGRAM (who wrote the file)
and #GEN (when). Everything else, every header, account, dimension, object, balance, period balance,
voucher and row, must be equal; only the order of records is free.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from sqlalchemy import text

from fortnox_etl import cli
from fortnox_etl.config import APP_CONN_ID, STAGING_CONN_ID, Client
from fortnox_etl.connections.status import client_statuses
from fortnox_etl.period_end import checks
from fortnox_etl.period_end.sie_file import write_sie_file
from fortnox_etl.period_end.sie_import import SieImportRefused, import_sie_file
from fortnox_etl.sandbox.generator import generate_company, sandbox_company
from fortnox_etl.sandbox.sie_export import sie_file
from fortnox_etl.sie.import_source import active_import_source
from fortnox_etl.sie.reader import SieFile, SieSyntaxError, parse_sie, read_sie
from fortnox_etl.sie.rules import account_order, is_balance_account, rule_violations
from fortnox_etl.sie.writer import SieDataMissing, SieRequestInvalid, write_sie4
from fortnox_etl.staging.database import create_schema, create_staging_engine, staging_url
from sync_helpers import run_sync, year_end

MAY_DIFFER = {"#PROGRAM", "#GEN"}


def records(sie: SieFile) -> dict[str, object]:
    """Every record of a read file by kind, without line numbers; #PROGRAM and #GEN left out."""
    def row(t):
        return (t.kind, t.account, t.pairs, t.amount_ore, t.text, Decimal(t.quantity).normalize() if t.quantity else None,
                t.date, t.sign)

    return {
        "headers": {label: [str(f) for f in fields] for label, fields in sie.labels.items() if label not in MAY_DIFFER},
        **{name: getattr(sie, name) for name in (
            "years", "accounts", "account_types", "sru", "units", "dimensions", "subdimensions", "objects", "opening",
            "closing", "results", "object_opening", "object_closing", "period_balances", "period_budgets")},
        "vouchers": sorted((v.series, int(v.number), v.date, v.text, v.registered, v.sign,
                            tuple(row(t) for t in v.transactions)) for v in sie.vouchers),
    }


def assert_same_records(ours: SieFile, theirs: SieFile) -> None:
    mine, other = records(ours), records(theirs)
    for kind in other:
        assert mine[kind] == other[kind], kind


def assert_period_changes_add_up(sie: SieFile) -> None:
    """#PSALDO is the period's change: a whole year's, without objects, add up to #UB 0 - #IB 0 or #RES 0."""
    start, end = sie.years[0]
    assert sie.header("#OMFATTN") == f"{end:%Y%m%d}", "a file of the whole year"
    changes: dict[int, int] = {}
    for (index, _, account, objects), ore in sie.period_balances.items():
        if index == 0 and not objects:
            changes[account] = changes.get(account, 0) + ore
    assert changes, "the file has #PSALDO"
    for account in set(changes) | {a for i, a in (*sie.closing, *sie.results) if i == 0}:
        if (0, account) in sie.results:
            expected = sie.results[(0, account)]
        else:
            expected = sie.closing.get((0, account), 0) - sie.opening.get((0, account), 0)
        assert changes.get(account, 0) == expected, account


def engine_of(staging):
    engine = create_staging_engine(staging_url(staging))
    create_schema(engine)
    return engine


def company_client(company) -> Client:
    info = company.company_information
    return Client(key=f"c{company.spec.tenant_id}", name=info["CompanyName"],
                  organisation_number=info["OrganizationNumber"],
                  fiscal_year_start_month=company.spec.fiscal_year_start_month)


# --- ours equals Fortnox's, over HTTP after a real sync ---


@pytest.mark.parametrize("client_index", [0, 1], ids=["calendar-year", "broken-year"])
def test_our_file_equals_the_sandboxs_own_sie_export(make_context, clients, companies, client_index):
    company = companies[client_index]
    ctx = make_context(clients[client_index])
    summary = run_sync(ctx, year_end(company))
    current = company.financial_years[-1]
    theirs = ctx.api().download("/3/sie/4", parse_sie, financialyear=current["Id"])
    ours = read_sie(summary.path)
    assert_same_records(ours, theirs)
    assert rule_violations(ours) == []
    assert_period_changes_add_up(ours)
    assert ours.object_opening == theirs.object_opening and ours.period_balances, "the records are really there"
    assert any(t.pairs for v in ours.vouchers for t in v.transactions), "rows carry their objects"
    assert {d for d, _ in ours.objects} == {1, 6} and ours.dimensions == {1: "Kostnadsställe", 6: "Projekt"}


def test_a_file_as_of_a_period_end_equals_fortnoxs_file_up_to_that_day(make_context, clients, companies):
    company = companies[1]  # broken year: July to June
    ctx = make_context(clients[1])
    run_sync(ctx, year_end(company))
    current = company.financial_years[-1]
    as_of = dt.date.fromisoformat(current["FromDate"]) + dt.timedelta(days=150)
    as_of = as_of.replace(day=1) - dt.timedelta(days=1)  # the last day of the fifth month
    year = {"id": current["Id"], "from_date": current["FromDate"], "to_date": current["ToDate"]}
    summary = write_sie_file(ctx, year, as_of=as_of)
    full_year = write_sie_file(ctx, year)
    assert summary.path.name.endswith(f"_per_{as_of:%Y%m%d}.se") and full_year.path.exists()
    assert not full_year.path.name.count("_per_"), "a whole year keeps its name"
    theirs = ctx.api().download("/3/sie/4", parse_sie, financialyear=current["Id"], todate=as_of.isoformat())
    ours = read_sie(summary.path)
    assert_same_records(ours, theirs)
    assert ours.header("#OMFATTN") == f"{as_of:%Y%m%d}"
    assert max(v.date for v in ours.vouchers) <= as_of < dt.date.fromisoformat(current["ToDate"])
    assert len(ours.vouchers) < len(read_sie(full_year.path).vouchers)
    assert rule_violations(ours) == []
    with pytest.raises(SieRequestInvalid, match="period's end"):
        write_sie_file(ctx, year, as_of=as_of - dt.timedelta(days=3))


def test_rows_whose_voucher_is_missing_are_refused_not_left_out_of_the_file(make_context, clients, companies):
    ctx = make_context(clients[0])
    summary = run_sync(ctx, year_end(companies[0]))
    current = companies[0].financial_years[-1]
    with ctx.engine.begin() as connection:
        series, number = connection.execute(text(
            "SELECT voucher_series, voucher_number FROM raw_vouchers WHERE client_key = 'acme' "
            "AND financial_year_id = :year ORDER BY voucher_series, voucher_number"), {"year": current["Id"]}).all()[5]
        connection.execute(text("DELETE FROM raw_vouchers WHERE client_key = 'acme' AND financial_year_id = :year "
                                "AND voucher_series = :series AND voucher_number = :number"),
                           {"year": current["Id"], "series": series, "number": number})
    with pytest.raises(SieDataMissing, match=f"rows of voucher {series} {number} .* but not the voucher itself"):
        write_sie4(ctx.engine, "acme", current["Id"], summary.path)


# --- SIE file -> staging -> SIE file ---


@pytest.mark.parametrize("which", ["S", "M", "broken-year"])
def test_a_sandbox_file_round_trips_through_staging(staging, clients, which, tmp_path):
    spec = sandbox_company(clients[1 if which == "broken-year" else 0], 1001)
    company = generate_company(dataclasses.replace(spec, size="M" if which == "M" else "S"))
    client = company_client(company)
    current = company.financial_years[-1]
    original = tmp_path / "fortnox.se"
    original.write_bytes(sie_file(company, current["Id"]))
    engine = engine_of(staging)

    summary = import_sie_file(engine, client, original, imported_by="test")
    written = write_sie4(engine, client.key, summary.financial_year_id, tmp_path / "ours.se", checksum=True)

    theirs, ours = read_sie(original), read_sie(written.path)
    assert_same_records(ours, theirs)
    assert ours.checksum is not None
    assert rule_violations(ours) == []
    assert_period_changes_add_up(ours)
    assert summary.vouchers == written.vouchers == len(company.vouchers[current["Id"]])
    assert len(ours.years) == 2 and any(index == -1 for index, *_ in ours.period_balances), "the comparatives too"


def test_a_files_own_period_balances_are_kept_and_checked_against_its_vouchers(make_context, clients, companies,
                                                                              tmp_path):
    client, company = clients[0], companies[0]
    ctx = make_context(client)
    current = company.financial_years[-1]
    lines = sie_file(company, current["Id"]).decode("cp437").split("\r\n")
    # One change without objects and one per object, each a krona off what the vouchers give.
    changed = [next(i for i, line in enumerate(lines) if line.startswith("#PSALDO 0 ") and " {} " in line),
               next(i for i, line in enumerate(lines) if line.startswith("#PSALDO 0 ") and " {6 " in line)]
    for i in changed:
        head, value = lines[i].rsplit(" ", 1)
        lines[i] = f"{head} {Decimal(value) + 1:.2f}"
    path = tmp_path / "own.se"
    path.write_bytes("\r\n".join(lines).encode("cp437"))

    summary = import_sie_file(ctx.engine, client, path, imported_by="test")
    written = write_sie4(ctx.engine, client.key, summary.financial_year_id, tmp_path / "ours.se")
    assert read_sie(written.path).period_balances == read_sie(path).period_balances

    period_end = dt.date.fromisoformat(current["ToDate"])
    result = {r.check: r for r in checks.run_checks(ctx, summary.financial_year_id, period_end)}["period_balances"]
    assert (result.severity, result.status) == ("error", "failed")
    assert len(result.details) == 2 and all("off by 1.00 kr" in line for line in result.details)
    _, _, period, account, objects = lines[changed[1]].split(" ", 5)[:5]
    assert any(f"account {account} object" in line and f"period {period[:4]}-{period[4:]}" in line
               for line in result.details)


def test_objects_of_every_dimension_are_staged_and_written_back(make_context, clients, companies, tmp_path):
    client, company = clients[0], companies[0]
    ctx = make_context(client)
    current = company.financial_years[-1]
    lines = sie_file(company, current["Id"]).decode("cp437").split("\r\n")
    # Dimensions other programs use (kostnadsbärare under 1, anställd, one of the user's) on rows in any
    # order, and balances per object of them, as the file states them.
    at = lines.index('#DIM 6 "Projekt"') + 1
    lines[at:at] = ['#UNDERDIM 2 "Kostnadsbärare" 1', '#OBJEKT 2 "K1" "Bärare"', '#DIM 7 "Anställd"',
                    '#OBJEKT 7 "E1" "Anna"', '#DIM 20 "Egen"', '#OBJEKT 20 "X" "Ett"',
                    '#OIB 0 1930 {20 "X"} 5.00', '#OUB 0 1930 {20 "X"} 5.00', '#OUB 0 7010 {7 "E1"} 100.00']
    first, second = [i for i, line in enumerate(lines) if line.startswith("#TRANS ") and ' {1 "' in line][:2]
    cost_center = lines[first].split('{1 "')[1].split('"')[0]
    lines[first] = lines[first].replace("} ", ' 2 "K1" 7 "E1"} ', 1)
    lines[second] = lines[second].replace('{1 "', '{20 "X" 1 "', 1)
    amount = lines[first].split("} ", 1)[1].split(" ", 1)[0]
    voucher_day = next(line for line in reversed(lines[:first]) if line.startswith("#VER")).split(" ")[3]
    account = lines[first].split(" ")[1]
    lines.insert(at, f'#PSALDO 0 {voucher_day[:6]} {account} {{7 "E1"}} {amount}')
    path = tmp_path / "dimensions.se"
    path.write_bytes("\r\n".join(lines).encode("cp437"))

    summary = import_sie_file(ctx.engine, client, path, imported_by="test")
    theirs = read_sie(path)
    for checksum in (False, True):  # PostgreSQL formats the vouchers itself only without a control sum
        written = write_sie4(ctx.engine, client.key, summary.financial_year_id, tmp_path / f"ours{checksum}.se",
                             checksum=checksum)
        ours = read_sie(written.path)
        assert_same_records(ours, theirs)
        assert ours.subdimensions == {2: ("Kostnadsbärare", 1)} and (7, "E1") in ours.objects
        rows = [t.pairs for v in ours.vouchers for t in v.transactions]
        assert (("1", cost_center), ("2", "K1"), ("7", "E1")) in rows
        assert any(pairs[0] == ("20", "X") and pairs[1][0] == "1" for pairs in rows if len(pairs) == 2)
    period_end = dt.date.fromisoformat(current["ToDate"])
    assert {r.check: r for r in checks.run_checks(ctx, summary.financial_year_id, period_end)}["period_balances"].passed


def test_a_files_identity_comes_back_as_written(staging, companies, tmp_path):
    company = companies[0]
    lines = sie_file(company, company.financial_years[-1]["Id"]).decode("cp437").split("\r\n")
    lines = [{"#ORGNR 556677-8899": "#ORGNR 556677-8899 2", '#FNR "1001"': '#FNR "0123"'}.get(line, line)
             for line in lines]
    at = lines.index("#KPTYP EUBAS97") + 1
    # A type that is not the BAS class's, a unit, and budgets of both years, with and without objects.
    lines[at:at] = ["#TAXAR 2026", "#VALUTA SEK", '#PROSA "Exporterat för test"', "#FTYP AB"]
    at = next(i for i, line in enumerate(lines) if line.startswith("#KTYP 2890 "))
    lines[at] = "#KTYP 2890 T"
    lines.insert(at, '#ENHET 4010 "st"')
    at = next(i for i, line in enumerate(lines) if line.startswith("#PSALDO "))
    lines[at:at] = ["#PBUDGET 0 202501 3001 {} -1000.00", '#PBUDGET 0 202502 3001 {1 "100"} -50.50',
                    "#PBUDGET -1 202401 3001 {} -900"]
    path = tmp_path / "identity.se"
    path.write_bytes("\r\n".join(lines).encode("cp437"))
    engine = engine_of(staging)

    summary = import_sie_file(engine, company_client(company), path, imported_by="test")
    written = write_sie4(engine, summary.client_key, summary.financial_year_id, tmp_path / "ours.se")
    ours, theirs = read_sie(written.path), read_sie(path)
    assert_same_records(ours, theirs)
    assert ours.labels["#ORGNR"] == ["556677-8899", "2"] and ours.header("#FNR") == "0123"
    assert ours.account_types["2890"] == "T" and ours.units == {"4010": "st"}
    assert len(ours.period_budgets) == 3


def test_books_that_do_not_add_up_are_imported_as_they_are_with_the_checks_findings(make_context, clients,
                                                                                    companies, tmp_path):
    client, company = clients[0], companies[0]
    ctx = make_context(client)
    current = company.financial_years[-1]
    lines = sie_file(company, current["Id"]).decode("cp437").split("\r\n")
    # As real books are: a closing balance and last year's not what the vouchers and this year's opening
    # say, an account and an object used without being declared.
    at = next(i for i, line in enumerate(lines) if line.startswith("#UB 0 1930 "))
    lines[at] = f"#UB 0 1930 {Decimal(lines[at].split()[-1]) + 10:.2f}"
    at = next(i for i, line in enumerate(lines) if line.startswith("#UB -1 1510 "))
    lines[at] = f"#UB -1 1510 {Decimal(lines[at].split()[-1]) - 5:.2f}"
    lines = [line for line in lines if not line.startswith(("#KONTO 6570 ", "#KTYP 6570 ", "#SRU 6570 "))
             and line != '#OBJEKT 1 "100" "Administration"']
    path = tmp_path / "as-they-are.se"
    path.write_bytes("\r\n".join(lines).encode("cp437"))

    summary = import_sie_file(ctx.engine, client, path, imported_by="test")
    findings = {finding.check: finding for finding in summary.findings}
    assert (findings["closing_balances"].severity, findings["opening_balances"].severity) == ("error", "error")
    assert "account 1930: closing balance (UB)" in findings["closing_balances"].message
    assert "account 1510: opening balance (IB)" in findings["opening_balances"].message
    assert findings["undeclared"].details == [
        "account 6570 is used but not declared (#KONTO); it was created without a name",
        "object '100' of dimension 1 is used but not declared (#OBJEKT)"]
    assert "loaded_counts" not in findings, "the import is the year's load"
    with ctx.engine.connect() as connection:
        stored = dict(connection.execute(text(
            "SELECT check_name, status FROM check_results WHERE client_key = :k AND financial_year_id = :y"),
            {"k": client.key, "y": summary.financial_year_id}).all())
    assert stored["closing_balances"] == stored["opening_balances"] == "failed"
    with pytest.raises(checks.PeriodChecksFailed):
        checks.gate(list(summary.findings))
    errors = sum(finding.severity == "error" for finding in summary.findings)
    assert client_statuses(ctx.engine, ctx.tokens(), clients)[0].checks == \
        f"{errors} errors for the period ending {current['ToDate']}", "status says the year is gated"

    # Nothing of the books is lost: they come back as the file has them, the account now declared.
    ours, theirs = read_sie(write_sie4(ctx.engine, client.key, summary.financial_year_id, tmp_path / "o.se").path), \
        read_sie(path)
    assert ours.accounts == {**theirs.accounts, "6570": ""}
    ours.accounts, ours.account_types, ours.sru = theirs.accounts, theirs.account_types, theirs.sru
    assert_same_records(ours, theirs)


# --- import: validation, one transaction, the recorded source ---


def staged_counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {table: connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()
                for table in ("raw_vouchers", "raw_voucher_rows", "raw_sie_balances", "sie_transactions", "import_sources")}


@pytest.mark.parametrize("change, expected", [
    (lambda t: t.replace("#ORGNR 556677-8899", "#ORGNR 559012-3450"), "559012-3450.*not of client"),
    (lambda t: t.replace("#KPTYP EUBAS97", '#KPTYP "EUBAS97'), r"line \d+: a quoted field is not closed"),
    # The file's own year: the sandbox's last year is the one holding today.
    (lambda t: re.sub(r"#PSALDO 0 (\d{4})01", r"#PSALDO 0 \g<1>13", t, count=1), r"line \d+: '\d{4}13' is not a period"),
    (lambda t: t.replace("\r\n}\r\n", '\r\n#TRANS 1930 {} 0.01\r\n}\r\n', 1),
     r"1 voucher\(s\) that cannot be taken over: voucher A 1 \(\S+, line \d+\) does not balance: off by 0.01 kr\."),
])
def test_a_bad_file_is_refused_and_nothing_is_written(staging, companies, tmp_path, change, expected):
    company = companies[0]
    content = change(sie_file(company, company.financial_years[-1]["Id"]).decode("cp437"))
    path = tmp_path / "bad.se"
    path.write_bytes(content.encode("cp437"))
    engine = engine_of(staging)
    with pytest.raises(SieImportRefused, match=expected) as refused:
        import_sie_file(engine, company_client(company), path)
    assert "Nothing was imported" in str(refused.value) or "nothing" in str(refused.value).lower()
    assert set(staged_counts(engine).values()) == {0}


def test_the_active_source_follows_imports_and_syncs(make_context, clients, companies, tmp_path):
    client, company = clients[0], companies[0]
    ctx = make_context(client)
    summary = run_sync(ctx, year_end(company))
    year_id = company.financial_years[-1]["Id"]
    assert active_import_source(ctx.engine, client.key, year_id) == "fortnox"

    # The bureau corrects the books elsewhere: one voucher fewer, and the balances to match.
    sie = read_sie(summary.path)
    dropped = sie.vouchers[-1]
    lines = summary.path.read_bytes().decode("cp437").split("\r\n")
    start = dropped.line_no - 1
    end = lines.index("}", start)
    corrected = lines[:start] + lines[end + 1:]
    for row in dropped.counted():
        sign = "#UB 0" if is_balance_account(sie, row.account) else "#RES 0"
        corrected = [_less(line, sign, row) for line in corrected]
    corrected = [line for line in corrected if not line.startswith(("#PSALDO", "#OIB", "#OUB"))]
    path = tmp_path / "corrected.se"
    path.write_bytes("\r\n".join(corrected).encode("cp437"))

    imported = import_sie_file(ctx.engine, client, path, imported_by="anna")
    assert imported.financial_year_id == year_id and imported.vouchers == len(sie.vouchers) - 1
    assert active_import_source(ctx.engine, client.key, year_id) == "file"
    with ctx.engine.connect() as connection:
        recorded = connection.execute(text(
            "SELECT file_name, sha256, recorded_by FROM import_sources WHERE source = 'file'")).one()
    assert tuple(recorded) == ("corrected.se", imported.sha256, "anna")
    status = client_statuses(ctx.engine, ctx.tokens(), clients)
    assert "file corrected.se" in status[0].import_source and "fortnox" in status[0].import_source
    assert status[1].import_source == "—"
    exported = write_sie4(ctx.engine, client.key, year_id, tmp_path / "again.se")
    assert exported.vouchers == imported.vouchers and rule_violations(read_sie(exported.path)) == []
    assert_period_changes_add_up(read_sie(exported.path))  # built from the vouchers: the file states none

    run_sync(ctx, year_end(company))
    assert active_import_source(ctx.engine, client.key, year_id) == "fortnox"
    assert active_import_source(ctx.engine, client.key, 999) is None


def _less(line: str, label: str, row) -> str:
    prefix = f"{label} {row.account} "
    if not line.startswith(prefix):
        return line
    ore = round(Decimal(line[len(prefix):]) * 100) - row.amount_ore
    return f"{prefix}{Decimal(ore) / 100:.2f}"


# --- the commands ---


def test_sie_export_and_import_commands(make_context, staging, app, clients, companies, tmp_path, monkeypatch, capsys):
    ctx = make_context(clients[0])
    run_sync(ctx, year_end(companies[0]))
    monkeypatch.setenv(f"AIRFLOW_CONN_{STAGING_CONN_ID.upper()}", json.dumps({
        "conn_type": staging.conn_type, "host": staging.host, "schema": staging.schema, "login": staging.login,
        "password": staging.password, "port": staging.port}))
    monkeypatch.setenv(f"AIRFLOW_CONN_{APP_CONN_ID.upper()}", json.dumps({
        "conn_type": "http", "login": app.client_id, "password": app.client_secret,
        "extra": {"auth_url": app.auth_url, "api_url": app.api_url, "redirect_uri": app.redirect_uri}}))
    monkeypatch.setenv("FORTNOX_ETL_TOKEN_KEY", ctx.token_key)
    start_year = int(companies[0].financial_years[-1]["FromDate"][:4])
    requests_before = ctx.api().requests_made

    out = tmp_path / "export.se"
    assert cli.main(["sie", "export", "acme", "--year", str(start_year), "-o", str(out), "--checksum"]) == 0
    assert read_sie(out).checksum is not None and rule_violations(read_sie(out)) == []
    assert "vouchers" in capsys.readouterr().out
    assert ctx.api().requests_made == requests_before

    folder = tmp_path / "exports"
    folder.mkdir()
    assert cli.main(["sie", "export", "acme", "--year", str(start_year), "-o", str(folder)]) == 0
    [written] = folder.iterdir()
    year = companies[0].financial_years[-1]
    assert written.name == f"acme_sie4_{year['FromDate'].replace('-', '')}-{year['ToDate'].replace('-', '')}.se"
    assert f"{written}: SIE4 file of acme" in capsys.readouterr().out
    assert rule_violations(read_sie(written)) == []
    assert cli.main(["sie", "export", "acme", "--year", str(start_year), "-o", str(out / "x.se")]) == 2
    assert f"{out / 'x.se'} cannot be written" in capsys.readouterr().err
    assert sorted(path.name for path in tmp_path.iterdir() if "partial" in path.name) == [], "no leftovers"

    assert cli.main(["sie", "export", "acme", "--year", "2019", "-o", str(tmp_path / "none.se")]) == 2
    assert "no financial year starting in 2019" in capsys.readouterr().err

    assert cli.main(["sie", "import", "acme", str(out)]) == 0
    assert "is now the import source of acme" in capsys.readouterr().out
    assert cli.main(["sie", "import", "norrsken", str(out)]) == 2
    assert "not of client norrsken" in capsys.readouterr().err
    assert cli.main(["status"]) == 0
    assert "file export.se" in capsys.readouterr().out


# --- #KSUMMA and files from other programs ---


def test_a_changed_file_fails_its_control_sum_with_the_line(staging, companies, tmp_path):
    company = companies[0]
    client = company_client(company)
    original = tmp_path / "fortnox.se"
    original.write_bytes(sie_file(company, company.financial_years[-1]["Id"]))
    engine = engine_of(staging)
    year_id = import_sie_file(engine, client, original).financial_year_id
    path = write_sie4(engine, client.key, year_id, tmp_path / "checked.se", checksum=True).path
    lines = path.read_bytes().decode("cp437").split("\r\n")
    assert lines[1] == "#KSUMMA" and lines[-2].startswith("#KSUMMA ")
    changed = next(i for i, line in enumerate(lines) if line.startswith("#TRANS"))
    lines[changed] = lines[changed].replace(" {", "  {", 1)  # spacing is not content: still valid
    assert read_sie(_write(tmp_path, lines)).checksum == int(lines[-2].split()[1])
    lines[changed] = lines[changed].replace("#TRANS ", "#TRANS 9", 1)  # another account
    with pytest.raises(SieSyntaxError, match="control sum") as error:
        read_sie(_write(tmp_path, lines))
    assert error.value.line_no == len(lines) - 1
    with pytest.raises(SieSyntaxError, match="no closing #KSUMMA"):
        read_sie(_write(tmp_path, lines[:-2] + [""]))


def _write(tmp_path, lines):
    path = tmp_path / "changed.se"
    path.write_bytes("\r\n".join(lines).encode("cp437"))
    return path


OTHER_PROGRAM = """#FLAGGA 0
#PROGRAM "Visma Administration" 2024.1
#FORMAT PC8
#SIETYP 4
#ORGNR 5566778899
#FNAMN "Åkessons Bär AB"
#RAR 0 20250101 20251231
#KONTO\t1930\t"Företagskonto"
#KONTO 3001 Försäljning
#KTYP 1930 t
#ENHET 3001 st
#DIM 1 "Kostnadsställe"
#UNDERDIM 21 "Avdelning" 1
#OBJEKT 1 10 "Lager"
#IB 0 1930 100,50
#UB 0 1930 200.50 0
#OIB 0 1930 {1 "10"} 0
#OUB 0 1930 {1 "10"} 100
#RES 0 3001 -100
#PSALDO 0 202501 3001 {} -100 2
#PBUDGET 0 202501 3001 {1 10} -90
#PBUDGET 0 202502 3001 -80
#NYPOST okänd "rad"
#VER A 1 20250105 Försäljning
{
#TRANS 1930 {1 "10"} 100
#TRANS 3001 {} -100 20250105 "" 2
}
"""


def test_files_from_other_programs_are_read_whole(tmp_path):
    path = tmp_path / "visma.se"
    path.write_bytes(OTHER_PROGRAM.replace("\n", "\r\n").encode("cp1252"))
    sie = read_sie(path)
    assert sie.encoding == "cp1252" and sie.accounts == {"1930": "Företagskonto", "3001": "Försäljning"}
    assert sie.account_types == {"1930": "T"} and sie.units == {"3001": "st"}
    assert sie.subdimensions == {21: ("Avdelning", 1)} and sie.objects == {(1, "10"): "Lager"}
    assert sie.opening[(0, "1930")] == 10050
    assert sie.object_closing == {(0, "1930", (("1", "10"),)): 10000}
    assert sie.period_balances == {(0, "202501", "3001", ()): -10000}
    assert sie.period_budgets == {(0, "202501", "3001", (("1", "10"),)): -9000, (0, "202502", "3001", ()): -8000}
    assert sie.vouchers[0].transactions[1].quantity == "2" and sie.vouchers[0].transactions[0].object(1) == "10"
    assert rule_violations(sie) == []
    undeclared = read_sie(_write(tmp_path, OTHER_PROGRAM.replace('#DIM 1 "Kostnadsställe"\n', "").split("\n")))
    assert rule_violations(undeclared) == ["dimensions used but not declared with #DIM: 1"]


@pytest.mark.parametrize("line, reason", [
    ("#OIB 0 1930 100", "#OIB needs year index, account, {objects} and amount"),
    ('#OUB 0 1930 {1} 100', "dimension and object pairs"),
    ("#PSALDO 0 2025 3001 {} -100", "'2025' is not a period"),
    ("#KSUMMA 123", "no empty #KSUMMA opened"),
    ("#DIM x", "#DIM needs dimension and name"),
])
def test_bad_records_are_reported_with_their_line(tmp_path, line, reason):
    lines = OTHER_PROGRAM.split("\n")
    lines.insert(10, line)
    with pytest.raises(SieSyntaxError, match=reason.replace("{", r"\{").replace("}", r"\}")) as error:
        read_sie(_write(tmp_path, lines))
    assert error.value.line_no == 11


def test_account_numbers_and_sru_codes_come_back_as_written(staging, companies, tmp_path):
    """0351 stays 0351 through import, staging and export, and #SRU codes stay as written (two for one
    account, as BL writes a code for each tax form). An account with a leading zero is a result account by
    its class (BAS has no class 0) and sorts among the four-digit ones; a six-digit one sorts after them and,
    declared T, is a balance account whatever its class."""
    company = companies[0]
    year_end = company.financial_years[-1]["ToDate"].replace("-", "")  # the sandbox's last year: the one holding today
    lines = sie_file(company, company.financial_years[-1]["Id"]).decode("cp437").split("\r\n")
    lines = [{"#SRU 1510 7251": '#SRU 1510 "7251 A"\r\n#SRU 1510 7653'}.get(line, line) for line in lines]
    at = lines.index("#KONTO 1220 \"Inventarier och verktyg\"")
    lines[at:at] = ['#KONTO 0027 "27"', '#KONTO 0351 "Förs varor inom Sverige"', "#SRU 0351 0123",
                    '#KONTO 0399 "Fördelad försäljning"', '#KONTO 797199 "Saknas vid import"', "#KTYP 797199 T"]
    at = next(i for i, line in enumerate(lines) if line.startswith("#PSALDO "))
    lines[at:at] = ["#IB 0 797199 100.00", "#UB 0 797199 100.00", "#UB -1 797199 100.00", "#RES 0 0351 -100.00",
                    "#RES 0 0399 100.00", f"#PSALDO 0 {year_end[:6]} 0351 {{}} -100.00",
                    f"#PSALDO 0 {year_end[:6]} 0399 {{}} 100.00"]
    at = len(lines) - 1 if lines[-1] == "" else len(lines)
    lines[at:at] = [f'#VER X 1 {year_end[:6]}30 "Statistik"', "{", "#TRANS 0351 {} -100.00", "#TRANS 0399 {} 100.00", "}"]
    path = tmp_path / "accounts.se"
    path.write_bytes("\r\n".join(lines).encode("cp437"))
    engine, client = engine_of(staging), company_client(company)

    summary = import_sie_file(engine, client, path, imported_by="test")
    written = write_sie4(engine, summary.client_key, summary.financial_year_id, tmp_path / "ours.se")
    ours, theirs = read_sie(written.path), read_sie(path)
    assert {account: ours.account_types[account] for account in ("0027", "0351", "797199")} == {
        "0027": "K", "0351": "K", "797199": "T"}
    ours.account_types = {a: kind for a, kind in ours.account_types.items() if a in theirs.account_types}
    assert_same_records(ours, theirs)
    text_written = written.path.read_bytes().decode("cp437")
    declared = re.findall(r"^#KONTO (\S+)", text_written, re.MULTILINE)
    assert declared == sorted(declared, key=account_order) and declared[:3] == ["0027", "0351", "0399"]
    assert declared[-1] == "797199"
    for record in ("#TRANS 0351 {} -100.00", "#SRU 0351 0123", '#SRU 1510 "7251 A"\r\n#SRU 1510 7653',
                   "#UB 0 797199 100.00", "#RES 0 0351 -100.00"):
        assert f"\r\n{record}" in text_written, record
    assert [(r.check, r.message) for r in summary.findings if r.severity == checks.ERROR] == [], "the books add up"
