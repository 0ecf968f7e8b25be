"""`fortnox-etl vouchers add` of the CSV and JSON files people make: the encodings and amount forms
their tools write are read, and everything that might be misread gets a plain answer naming its line,
with nothing added."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from test_outbox import TAX_CSV, cli, write  # noqa: F401 (cli is a fixture)

HEADER = "voucher;series;date;text;account;debit;credit;cost_center;project;row_text\n"


def one_voucher(amount: str, text: str = "Täst") -> str:
    return HEADER + f"1;A;2025-12-31;{text};8910;{amount};;;;\n1;;;;2510;;{amount};;;\n"


def add(cli, tmp_path, name: str, content: bytes | str):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return cli("vouchers", "add", "acme", str(path))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_excel_files_in_every_encoding_it_saves_are_read(cli, tmp_path, encoding):
    code, _, err = add(cli, tmp_path, "closing.csv", one_voucher("100").encode(encoding))
    assert code == 0, err
    assert [v.description for v in cli.outbox().vouchers()] == ["Täst"]


@pytest.mark.parametrize("content", [
    one_voucher("100").encode("utf-16-le"),  # UTF-16 without its byte order mark
    one_voucher("100").encode("cp1252") + b"\x81",  # a byte Windows-1252 does not have
    bytes(range(256)) * 4,
])
def test_other_encodings_are_refused_naming_those_read(cli, tmp_path, content):
    code, _, err = add(cli, tmp_path, "closing.csv", content)
    assert code == 2
    assert err.startswith("fortnox-etl: closing.csv is not a text file in UTF-8 (with or without a byte order mark), "
                          "UTF-16 with a byte order mark, or Windows-1252"), err
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert cli.outbox().vouchers() == []


@pytest.mark.parametrize("amount, debit, credit", [
    ("1234,50", 123450, 0), ("1 234,50", 123450, 0), ("1\u00a0234,50", 123450, 0), ("1234.50", 123450, 0),
    ("1 234 567,5", 123456750, 0), ("-1234,50", 0, 123450), ("9 999 999 999 999,99", 999999999999999, 0)])
def test_amounts_as_accountants_write_them(cli, tmp_path, amount, debit, credit):
    code, _, err = add(cli, tmp_path, "closing.csv", one_voucher(amount))
    assert code == 0, err
    assert [(r.debit_ore, r.credit_ore) for r in cli.outbox().vouchers()[0].rows] == [(debit, credit), (credit, debit)]


@pytest.mark.parametrize("amount, answer", [
    ("1.500", "line 2: debit '1.500' is ambiguous (a thousands separator, or three decimals?): "
              "write 1500 or 1500,00 for 1 500 kronor, and at most two decimals"),
    ("1,500", "line 2: debit '1,500' is ambiguous"),
    ("1e9", "line 2: debit '1e9' is written with an exponent; write the amount in full, such as 1234,50"),
    ("NaN", "line 2: debit 'NaN' is not an amount"),
    ("Infinity", "line 2: debit 'Infinity' is not an amount"),
    ("12,345", "line 2: debit '12,345' is ambiguous"),
    ("0,001", "line 2: debit 0,001 has more than two decimals"),
    ("1234,567", "line 2: debit 1234,567 has more than two decimals"),
    ("12345678901234567890", "line 2: debit 12345678901234567890 is more than Fortnox takes "
                             "(at most 9 999 999 999 999,99 kr)"),
    ("1.234,50", "line 2: debit '1.234,50' is not an amount; write it as 1234,50, 1 234,50 or 1234.50"),
])
def test_amounts_that_might_be_misread_are_refused_with_their_line(cli, tmp_path, amount, answer):
    code, _, err = add(cli, tmp_path, "closing.csv", one_voucher(amount))
    assert code == 2 and f"  {answer}" in err, err
    assert "Traceback" not in err and cli.outbox().vouchers() == []


def test_a_row_with_more_or_fewer_fields_than_the_header_is_named(cli, tmp_path):
    shifted = "voucher,series,date,text,account,debit,credit\n1,A,2025-12-31,Hyra,5010,100,75,\n1,,,,1930,,100\n"
    code, _, err = add(cli, tmp_path, "closing.csv", shifted)
    assert code == 2 and err == (
        "fortnox-etl: closing.csv: nothing was added; 1 problem(s):\n"
        "  line 2: 8 fields where the header has 7; quote a field that holds a ',' "
        "(a decimal comma in a comma-separated file: \"100,75\")\n"), err
    code, _, err = add(cli, tmp_path, "closing.csv", HEADER + "1;A;2025-12-31;Hyra;5010;100\n1;;;;1930;;100;;;\n")
    assert code == 2 and "  line 2: 6 fields where the header has 10" in err, err
    assert cli.outbox().vouchers() == []


def test_a_quoted_decimal_comma_in_a_comma_file_is_read(cli, tmp_path):
    quoted = 'voucher,series,date,text,account,debit,credit\n1,A,2025-12-31,Hyra,5010,"100,75",\n1,,,,1930,,"100,75"\n'
    code, _, err = add(cli, tmp_path, "closing.csv", quoted)
    assert code == 0, err
    assert [r.debit_ore + r.credit_ore for r in cli.outbox().vouchers()[0].rows] == [10075, 10075]


@pytest.mark.parametrize("name, content, answer", [
    ("closing.csv", one_voucher("100", '"Hyra\fjanuari"'),
     "line 2: text holds a control character (such as a line break or tab), which a voucher cannot carry"),
    ("closing.csv", one_voucher("100", '"Hyra\njanuari"'), "line 2: text holds a control character"),
    ("closing.json", json.dumps([{"series": "A", "date": "2025-12-31", "text": "Hyra\u000cjanuari", "rows": [
        {"account": 5010, "debit": 100}, {"account": 1930, "credit": 100}]}]),
     "voucher 1: text holds a control character"),
])
def test_control_characters_are_refused_on_input(cli, tmp_path, name, content, answer):
    code, _, err = add(cli, tmp_path, name, content)
    assert code == 2 and f"  {answer}" in err, err
    assert cli.outbox().vouchers() == []


def test_an_unclosed_quote_is_named_as_such(cli, tmp_path):
    code, _, err = add(cli, tmp_path, "closing.csv", HEADER + '1;A;2025-12-31;"Skatt;8910;100;;;;\n1;;;;2510;;100;;;\n')
    assert code == 2 and "  line 2: a quote (\") opened in this line is not closed, so the field runs on to line 3; " \
                          "close it, or remove the quote\n" in err, err


def test_a_row_problem_names_its_own_line_once(cli, tmp_path):
    code, _, err = add(cli, tmp_path, "c10.csv", HEADER + "1;A;2025-12-31;T;8910;100;;;;\n1;;;;251;;100;;;\n")
    assert code == 2 and "  c10.csv line 3: account 251 is not a four-digit account\n" in err, err
    assert "line 2: line 3" not in err


JSON_VOUCHER = {"series": "A", "date": "2025-12-31", "text": "Årets resultat",
                "rows": [{"account": 8999, "debit": 1000, "credit": 0}, {"account": "2099", "debit": 0, "credit": "1 000,00"}]}


@pytest.mark.parametrize("change, answer", [
    ({"series": ["A"]}, "voucher 1: series must be a text in quotes, not [\"A\"]"),
    ({"series": 1}, "voucher 1: series must be a text in quotes, not the number 1"),
    ({"text": {"x": 1}}, "voucher 1: text must be a text in quotes, not {\"x\": 1}"),
    ({"text": [[[[[["deep"]]]]], 2.5]}, "voucher 1: text must be a text in quotes, not [[[[…]]], 2.5]"),
    ({"date": "2025-W01-1"}, "voucher 1: date '2025-W01-1' is not a date (YYYY-MM-DD)"),
    ({"date": "20251231"}, "voucher 1: date '20251231' is not a date (YYYY-MM-DD)"),
    ({"comment": "x"}, "voucher 1: 'comment' is not read; the fields are date, rows, series, text"),
    ({"rows": [{"account": True, "debit": 1000}, JSON_VOUCHER["rows"][1]]}, "voucher 1 row 1: account true is not a number"),
    ({"rows": [{"account": 8999, "debit": 1e20}, JSON_VOUCHER["rows"][1]]},
     "voucher 1 row 1: debit '1e+20' is written with an exponent"),
    ({"rows": [{"account": 8999, "debit": float("nan")}, JSON_VOUCHER["rows"][1]]}, "voucher 1 row 1: debit 'NaN' is not an amount"),
    ({"rows": [{"account": 8999, "debit": [1000]}, JSON_VOUCHER["rows"][1]]},
     "voucher 1 row 1: debit must be a number or a text such as \"1 234,50\", not [1000]"),
    ({"rows": [{"account": 8999, "debit": 1000, "row_text": 5}, JSON_VOUCHER["rows"][1]]},
     "voucher 1 row 1: row_text must be a text in quotes, not the number 5"),
    ({"rows": [{"account": 8999, "debet": 1000}, JSON_VOUCHER["rows"][1]]},
     "voucher 1 row 1: 'debet' is not read; the fields are account, cost_center, credit, debit, project, row_text"),
])
def test_json_fields_have_exact_types(cli, tmp_path, change, answer):
    code, _, err = add(cli, tmp_path, "closing.json", json.dumps({"vouchers": [{**JSON_VOUCHER, **change}]}))
    assert code == 2 and f"  {answer}" in err, err
    assert cli.outbox().vouchers() == []


def test_a_json_field_given_twice_is_refused_not_the_last_kept(cli, tmp_path):
    content = json.dumps({"vouchers": [JSON_VOUCHER]}).replace('"debit": 1000,', '"debit": 1000, "debit": 10,')
    code, _, err = add(cli, tmp_path, "closing.json", content)
    assert code == 2 and err == "fortnox-etl: closing.json: an object gives 'debit' more than once (1000 and 10); " \
                                "keep one of them\n", err
    assert cli.outbox().vouchers() == []


def test_json_amounts_as_numbers_or_texts(cli, tmp_path):
    rows = [{"account": 8999, "debit": 1000.5}, {"account": "2099", "credit": "1 000,50"},
            {"account": 8999, "debit": "-2,25"}, {"account": 2099, "debit": 2.25}]
    content = json.dumps({"vouchers": [{**JSON_VOUCHER, "rows": rows}]}).replace("1000.5", "1000.500")
    code, _, err = add(cli, tmp_path, "closing.json", content)
    assert code == 0, err
    assert [(r.account, r.debit_ore, r.credit_ore) for r in cli.outbox().vouchers()[0].rows] == [
        (8999, 100050, 0), (2099, 0, 100050), (8999, 0, 225), (2099, 225, 0)]


@pytest.mark.parametrize("name, content, answer", [
    ("closing.json", "[" * 100_000, "fortnox-etl: closing.json: nested too deeply to be a voucher file"),
    ("closing.csv", one_voucher("100", "x" * 200_000), "  line 2: a field is longer than 131 072 characters"),
    ("closing.json", "", "fortnox-etl: closing.json is empty"),
    ("closing.csv", " \r\n", "fortnox-etl: closing.csv is empty"),
])
def test_files_that_break_the_reading_itself_get_a_plain_answer(cli, tmp_path, name, content, answer):
    code, _, err = add(cli, tmp_path, name, content)
    assert code == 2 and answer in err and "Traceback" not in err, err


def test_an_unexpected_error_is_one_plain_line_naming_the_file_and_where_the_details_are(cli, tmp_path, monkeypatch):
    def fault(*args, **kwargs):
        raise ZeroDivisionError("a fault of ours")

    monkeypatch.setattr("fortnox_etl.cli.read_drafts", fault)
    path = tmp_path / "closing.csv"
    path.write_text(TAX_CSV, encoding="utf-8")
    code, out, err = cli("vouchers", "add", "acme", str(path))
    assert code == 3 and out == ""
    [line] = err.splitlines()
    assert line.startswith(f"fortnox-etl: an unexpected error while reading {path}, a fault of fortnox-etl; "
                           "the details are in "), line
    details = Path(line.split("the details are in ")[1].split(": send")[0])
    assert "ZeroDivisionError: a fault of ours" in details.read_text(encoding="utf-8")
    details.unlink()


@pytest.mark.parametrize("command", [("vouchers", "add", "acme", "closing.csv"), ("vouchers", "list", "acme")])
def test_an_unexpected_error_reading_the_client_file_names_that_file(cli, tmp_path, monkeypatch, command):
    def fault(*args, **kwargs):
        raise ZeroDivisionError("a fault of ours")

    (tmp_path / "closing.csv").write_text(TAX_CSV, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("fortnox_etl.config.yaml.load", fault)
    code, out, err = cli(*command)
    assert code == 3 and out == ""
    [line] = err.splitlines()
    clients_file = os.environ["FORTNOX_ETL_CLIENTS"]
    assert line.startswith(f"fortnox-etl: an unexpected error while reading {clients_file}, a fault of fortnox-etl; "
                           "the details are in "), line
    details = Path(line.split("the details are in ")[1].split(": send")[0])
    assert "ZeroDivisionError: a fault of ours" in details.read_text(encoding="utf-8")
    details.unlink()


def test_the_example_files_are_read_as_the_same_tax_voucher():
    """The examples are what make fuzz mutates, and what a person copies: both must be read."""
    from fortnox_etl.config import Client
    from fortnox_etl.export.voucher_files import read_drafts

    examples = Path(__file__).resolve().parents[1] / "examples"
    acme = Client("acme", "Acme Bygg & Montage AB", "556677-8899")
    [from_csv] = read_drafts(examples / "closing_vouchers_acme.csv", acme)
    tax, audit = read_drafts(examples / "closing_vouchers_acme.json", acme)
    assert [(r.account, r.debit_ore, r.credit_ore, r.row_text) for r in from_csv.rows] == [
        (r.account, r.debit_ore, r.credit_ore, r.row_text) for r in tax.rows] == [
        (8910, 4_820_000, 0, "Beräknad bolagsskatt 20,6 %"), (2510, 0, 4_820_000, "Skatteskuld")]
    assert (from_csv.text, from_csv.date) == (tax.text, tax.date)
    assert [(r.account, r.debit_ore, r.credit_ore, r.cost_center, r.project) for r in audit.rows] == [
        (6420, 1_850_000, 0, "ADM", "12"), (2990, 0, 1_850_000, None, None)]
