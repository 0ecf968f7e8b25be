"""The outbox through `fortnox-etl vouchers add/approve/reject/list`: drafts from CSV, JSON and SIE4
files, every bad line reported and nothing half-added, and the states each voucher goes through."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet

from fortnox_etl.cli import main
from fortnox_etl.export.outbox import APPROVED, DRAFT, POSTED, REJECTED, Outbox, OutboxError
from fortnox_etl.staging.database import create_staging_engine, staging_url
from test_cli_connect import connection_json

TAX_CSV = """voucher;series;date;text;account;debit;credit;cost_center;project;row_text
1;A;2025-12-31;Skatt på årets resultat;8910;123 456,00;;;;Beräknad skatt 2025
1;;;;2510;;123 456,00;;;
2;A;2025-12-31;Avsättning till periodiseringsfond;8811;250000;;;;
2;;;;2125;;250000;;;
"""


@pytest.fixture
def cli(staging, tmp_path, monkeypatch, capsys, clients):
    """Runs `fortnox-etl ...` against the test's staging database; returns (exit code, stdout, stderr)."""
    clients_file = tmp_path / "clients.yaml"
    clients_file.write_text(yaml.safe_dump({"clients": [
        {"key": c.key, "name": c.name, "organisation_number": c.organisation_number} for c in clients]}), encoding="utf-8")
    monkeypatch.setenv("AIRFLOW_CONN_FORTNOX_STAGING", connection_json(staging))
    monkeypatch.setenv("AIRFLOW_CONN_FORTNOX_APP", json.dumps({
        "conn_type": "http", "login": "app", "password": "secret",
        "extra": {"auth_url": "http://127.0.0.1:9/oauth-v1", "api_url": "http://127.0.0.1:9",
                  "redirect_uri": "http://127.0.0.1:9/callback"}}))
    monkeypatch.setenv("FORTNOX_ETL_TOKEN_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("FORTNOX_ETL_CLIENTS", str(clients_file))

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    run.outbox = lambda key="acme": Outbox(create_staging_engine(staging_url(staging)), key)
    return run


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_drafts_from_csv_are_added_approved_and_listed_with_who_and_when(cli, tmp_path):
    code, out, _ = cli("vouchers", "add", "acme", str(write(tmp_path, "closing.csv", TAX_CSV)), "--by", "anna")
    assert code == 0, out
    vouchers = cli.outbox().vouchers()
    assert [(v.description, v.state, v.voucher_series, str(v.transaction_date)) for v in vouchers] == [
        ("Skatt på årets resultat", DRAFT, "A", "2025-12-31"),
        ("Avsättning till periodiseringsfond", DRAFT, "A", "2025-12-31")]
    tax = vouchers[0]
    assert [(r.account, r.debit_ore, r.credit_ore, r.row_text) for r in tax.rows] == [
        (8910, 12345600, 0, "Beräknad skatt 2025"), (2510, 0, 12345600, None)]
    assert f"2 draft voucher(s) added to the outbox of acme from {tmp_path / 'closing.csv'}" in out
    assert f"fortnox-etl vouchers approve acme {tax.outbox_id} {vouchers[1].outbox_id}" in out

    code, out, _ = cli("vouchers", "approve", "acme", tax.outbox_id, "--by", "bertil")
    assert code == 0 and "approved for posting to acme's Fortnox by bertil" in out
    assert [v.state for v in cli.outbox().vouchers()] == [APPROVED, DRAFT]
    moves = [(m["outbox_id"], m["from_state"], m["to_state"], m["actor"]) for m in cli.outbox().transitions()]
    assert moves == [(tax.outbox_id, None, DRAFT, "anna"), (vouchers[1].outbox_id, None, DRAFT, "anna"),
                     (tax.outbox_id, DRAFT, APPROVED, "bertil")]

    code, out, _ = cli("vouchers", "list", "acme")
    lines = out.splitlines()
    assert lines[0].split() == ["id", "state", "series", "date", "text", "amount", "in", "Fortnox", "last", "change",
                                "reason"]
    assert tax.outbox_id in lines[1] and "approved" in lines[1] and "123 456.00" in lines[1] and "by bertil" in lines[1]
    assert "draft" in lines[2] and "250 000.00" in lines[2] and "by anna" in lines[2]


def test_a_file_with_bad_lines_reports_each_with_its_line_and_adds_nothing(cli, tmp_path):
    bad = TAX_CSV.replace("8910;123 456,00", "8910;12x").replace("2125;;250000", "2125;;240000")
    code, _, err = cli("vouchers", "add", "acme", str(write(tmp_path, "closing.csv", bad)))
    assert code == 2
    assert "line 2: debit '12x' is not an amount" in err
    assert cli.outbox().vouchers() == []

    unbalanced = TAX_CSV.replace("2125;;250000", "2125;;240000")
    code, _, err = cli("vouchers", "add", "acme", str(write(tmp_path, "closing.csv", unbalanced)))
    assert code == 2
    assert "nothing was added" in err and "closing.csv line 4: it does not balance: debit 250 000.00, credit 240 000.00" in err
    assert cli.outbox().vouchers() == [], "the good voucher of the file was not added either"


@pytest.mark.parametrize("rows, message", [
    ("1;A;2025-12-31;;8910;100;;;;\n1;;;;2510;;100;;;\n", "closing.csv line 2: its text is empty"),
    ("1;A;2025-12-31;Skatt;8910;100;;;;\n", "closing.csv line 2: it has 1 row; a voucher needs at least two"),
    ("1;A;2025-12-31;Skatt;8910;100;100;;;\n1;;;;2510;;0;;;\n",
     "line 2: give either a debit or a credit amount above zero"),
    ("1;A;2025-31-12;Skatt;8910;100;;;;\n1;;;;2510;;100;;;\n", "line 2: date '2025-31-12' is not a date (YYYY-MM-DD)"),
    ("1;A;2025-12-31;Skatt;8910;100;;;;\n1;B;;;2510;;100;;;\n", "line 3: series 'B' differs from the voucher's first row"),
    ("1;A;2025-12-31;Skatt;89100;100;;;;\n1;;;;2510;;100;;;\n", "line 2: account 89100 is not a four-digit account"),
])
def test_each_kind_of_bad_voucher_is_named(cli, tmp_path, rows, message):
    header = TAX_CSV.splitlines()[0] + "\n"
    code, _, err = cli("vouchers", "add", "acme", str(write(tmp_path, "closing.csv", header + rows)))
    assert code == 2 and message in err, err
    assert cli.outbox().vouchers() == []


def test_a_header_without_the_needed_columns_says_which_are_missing(cli, tmp_path):
    code, _, err = cli("vouchers", "add", "acme", str(write(tmp_path, "closing.csv", "voucher,date,account\n1,2025-12-31,8910\n")))
    assert code == 2 and "line 1: the header lacks the column(s) series, text, debit, credit" in err
    code, _, err = cli("vouchers", "add", "acme", str(write(tmp_path, "closing.csv", "vouchers\n")))
    assert code == 2 and "closing.csv line 1: expected a header of columns separated by semicolons" in err, err
    code, _, err = cli("vouchers", "add", "acme", str(write(tmp_path, "closing.csv", "")))
    assert code == 2 and err == "fortnox-etl: closing.csv is empty\n", err


def test_the_same_voucher_added_twice_is_refused_naming_the_one_in_the_outbox(cli, tmp_path):
    path = write(tmp_path, "closing.csv", TAX_CSV)
    assert cli("vouchers", "add", "acme", str(path))[0] == 0
    first = cli.outbox().vouchers()[0]
    code, _, err = cli("vouchers", "add", "acme", str(path))
    assert code == 2 and f"closing.csv line 2 is already in the outbox as {first.outbox_id} (draft)" in err
    assert len(cli.outbox().vouchers()) == 2


def test_drafts_from_json_and_its_bad_rows_by_voucher_and_row(cli, tmp_path):
    document = {"vouchers": [
        {"series": "A", "date": "2025-12-31", "text": "Överavskrivningar",
         "rows": [{"account": 8850, "debit": "40000.00", "credit": 0, "cost_center": "100"},
                  {"account": 2150, "debit": 0, "credit": 40000, "row_text": "Bokslutsdisposition"}]},
        {"series": "A", "date": "2025-12-31", "text": "Årets resultat",
         "rows": [{"account": 8999, "debit": 1000, "credit": 0}, {"account": 2099, "debit": 0, "credit": 1000}]},
    ]}
    code, out, err = cli("vouchers", "add", "acme", str(write(tmp_path, "closing.json", json.dumps(document))))
    assert code == 0, err
    first = cli.outbox().vouchers()[0]
    assert [(r.account, r.debit_ore, r.credit_ore, r.cost_center, r.row_text) for r in first.rows] == [
        (8850, 4000000, 0, "100", None), (2150, 0, 4000000, None, "Bokslutsdisposition")]

    document["vouchers"][1]["rows"][0]["account"] = "x"
    code, _, err = cli("vouchers", "add", "norrsken", str(write(tmp_path, "closing.json", json.dumps(document))))
    assert code == 2 and "voucher 2 row 1: account 'x' is not a number" in err
    code, _, err = cli("vouchers", "add", "norrsken", str(write(tmp_path, "broken.json", '{"vouchers": [\n  {"series": }')))
    assert code == 2 and "broken.json line 2: not valid JSON" in err
    assert cli.outbox("norrsken").vouchers() == []


def test_drafts_from_the_vouchers_of_a_sie4_closing_file(cli, tmp_path):
    sie = ('#FLAGGA 0\n#SIETYP 4\n#ORGNR 556677-8899\n#RAR 0 20250101 20251231\n#KONTO 8910 "Skatt"\n'
           '#KONTO 2510 "Skatteskuld"\n#VER A "" 20251231 "Skatt 2025"\n{\n#TRANS 8910 {1 "100"} 5000.00 "" "Skatt"\n'
           '#TRANS 2510 {} -5000.00\n}\n')
    code, _, err = cli("vouchers", "add", "acme", str(write(tmp_path, "bokslut.se", sie)))
    assert code == 0, err
    voucher = cli.outbox().vouchers()[0]
    assert (voucher.description, voucher.source) == ("Skatt 2025", "bokslut.se line 7")
    assert [(r.account, r.debit_ore, r.credit_ore, r.cost_center, r.row_text) for r in voucher.rows] == [
        (8910, 500000, 0, "100", "Skatt"), (2510, 0, 500000, None, None)]

    code, _, err = cli("vouchers", "add", "acme", str(write(
        tmp_path, "bokslut.se", sie.replace('{1 "100"}', '{7 "X"}'))))
    assert code == 2 and "line 9: objects of dimension 7 cannot be posted" in err


@pytest.mark.parametrize("account, answer", [
    ("0351", "line 9: account 0351 cannot be posted; Fortnox's accounts are numbers from 1000 to 9999, written "
             "without a leading zero"),
    ("797199", "line 9: account 797199 is not a four-digit account"),
])
def test_a_sie_row_on_an_account_fortnox_cannot_take_is_refused_as_written(cli, tmp_path, account, answer):
    """A payroll file (SIE 4I) booking on an account Fortnox has no such number for: 0351 read as a number would
    be 351, an account the file does not mean. The row is refused by its line and its account as written."""
    sie = (f'#FLAGGA 0\n#SIETYP 4I\n#ORGNR 556677-8899\n#KONTO 7010 "Löner"\n#KONTO {account} "Statistik"\n'
           f'#VER "" "" 20251225 "Lön december"\n{{\n#TRANS 7010 {{}} 30000.00\n#TRANS {account} {{}} -30000.00\n}}\n')
    code, _, err = cli("vouchers", "add", "acme", str(write(tmp_path, "lon-2025-12.si", sie)), "--series", "L")
    assert code == 2 and "lon-2025-12.si" in err and answer in err, err
    assert cli.outbox().vouchers() == []


def test_a_reason_or_name_typed_with_a_control_character_is_refused_and_nothing_changed(cli, tmp_path):
    cli("vouchers", "add", "acme", str(write(tmp_path, "closing.csv", TAX_CSV)))
    tax, _ = cli.outbox().vouchers()
    code, _, err = cli("vouchers", "reject", "acme", tax.outbox_id, "--reason", "fel\nbelopp")
    assert code == 2 and "nothing was changed: the reason 'fel\\nbelopp' holds a control character (such as a line " \
                          "break or tab); write it on one line" in err, err
    code, _, err = cli("vouchers", "approve", "acme", tax.outbox_id, "--by", "anna\x1b[31m")
    assert code == 2 and "the name 'anna\\x1b[31m' holds a control character" in err, err
    assert cli.outbox().voucher(tax.outbox_id).state == DRAFT
    code, _, err = cli("vouchers", "add", "acme", str(write(tmp_path, "more.csv", TAX_CSV)), "--by", "anna\f")
    assert code == 2 and "nothing was added: the name" in err, err


def test_approving_and_rejecting_only_from_the_right_states(cli, tmp_path):
    cli("vouchers", "add", "acme", str(write(tmp_path, "closing.csv", TAX_CSV)))
    tax, fund = cli.outbox().vouchers()
    code, _, err = cli("vouchers", "approve", "acme", tax.outbox_id, "ob-nosuchid")
    assert code == 2 and "client acme has no outbox voucher ob-nosuchid" in err
    assert cli.outbox().vouchers()[0].state == DRAFT, "all or none"
    assert cli("vouchers", "reject", "acme", fund.outbox_id, "--reason", "fel belopp", "--by", "anna")[0] == 0
    code, _, err = cli("vouchers", "approve", "acme", fund.outbox_id)
    assert code == 2 and f"{fund.outbox_id} is rejected, not draft or failed" in err
    assert cli.outbox().transitions()[-1]["note"] == "fel belopp"
    assert cli.outbox("norrsken").vouchers() == [], "another client's outbox is its own"
    with pytest.raises(OutboxError, match="cannot go from rejected to posted"):
        outbox = cli.outbox()
        with outbox.engine.begin() as connection:
            outbox.move(connection, fund.outbox_id, REJECTED, POSTED, "test")
