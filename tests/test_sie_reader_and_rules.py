"""The SIE reader and the format's rules, on hand-written files (the writer is tested through the sync)."""
import pytest

from fortnox_etl.sie.fields import amount, quote
from fortnox_etl.sie.reader import SieSyntaxError, detect_encoding, read_sie, split_fields
from fortnox_etl.sie.rules import account_order, bas_account_type, rule_violations

VALID = """#FLAGGA 0
#PROGRAM "Test" 1.0
#FORMAT PC8
#GEN 20260101
#SIETYP 4
#ORGNR 556677-8899
#FNAMN "Åkessons Bär & Bröd AB"
#RAR 0 20250101 20251231
#RAR -1 20240101 20241231
#KONTO 1930 "Företagskonto"
#KONTO 2099 "Årets resultat"
#KONTO 3001 "Försäljning inom Sverige, 25 % moms"
#IB 0 1930 1000.00
#IB 0 2099 -1000.00
#UB 0 1930 2250.50
#UB 0 2099 -1000.00
#UB -1 1930 1000
#UB -1 2099 -1000
#RES 0 3001 -1250.50
#VER A 1 20250115 "Kontantförsäljning"
{
#TRANS 1930 {} 1250.50
#TRANS 3001 {} -1250.50 "" "Försäljning"
#BTRANS 3001 {} -999.00
}
"""


def write(tmp_path, text: str, encoding: str = "cp437"):
    path = tmp_path / "file.se"
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return path


def test_valid_file_has_no_violations(tmp_path):
    sie = read_sie(write(tmp_path, VALID))
    assert rule_violations(sie) == []
    assert sie.header("#FNAMN") == "Åkessons Bär & Bröd AB"
    assert sie.closing[(0, "1930")] == 225050
    assert [t.kind for t in sie.vouchers[0].transactions] == ["TRANS", "TRANS", "BTRANS"]


@pytest.mark.parametrize("encoding", ["cp437", "utf-8", "cp1252"])
def test_encoding_is_detected_not_assumed(tmp_path, encoding):
    path = write(tmp_path, VALID, encoding)
    assert detect_encoding(path.read_bytes()) == encoding
    assert read_sie(path).accounts["1930"] == "Företagskonto"


@pytest.mark.parametrize("change, expected", [
    (("#TRANS 1930 {} 1250.50", "#TRANS 1930 {} 1250.00"), "voucher A 1 (2025-01-15, line 20) does not balance: off by -0.50 kr"),
    (("#UB 0 1930 2250.50", "#UB 0 1930 2250.00"), "account 1930: closing balance 2250.00 kr is not opening balance"),
    (("#RES 0 3001 -1250.50", "#RES 0 3001 -1250.00"), "account 3001: result -1250.00 kr is not the year's transactions"),
    (("#KONTO 3001 \"Försäljning inom Sverige, 25 % moms\"\n", ""), "accounts used but not declared with #KONTO: 3001"),
    (("#UB -1 1930 1000", "#UB -1 1930 900"), "account 1930: opening balance 1000.00 kr is not the previous year's"),
    (("#VER A 1 20250115", "#VER A 1 20260115"), "dated 2026-01-15, outside the financial year"),
])
def test_each_broken_rule_is_reported(tmp_path, change, expected):
    sie = read_sie(write(tmp_path, VALID.replace(*change)))
    assert any(expected in problem for problem in rule_violations(sie)), rule_violations(sie)


def test_duplicate_voucher_numbers_are_reported(tmp_path):
    voucher = VALID[VALID.index("#VER"):]
    doubled = VALID + voucher
    doubled = doubled.replace("#UB 0 1930 2250.50", "#UB 0 1930 3501.00").replace("#RES 0 3001 -1250.50", "#RES 0 3001 -2501.00")
    assert rule_violations(read_sie(write(tmp_path, doubled))) == ["voucher A 1 appears 2 times; numbers must be unique per series"]


def test_rtrans_counts_once(tmp_path):
    text = VALID.replace("#TRANS 1930 {} 1250.50", "#RTRANS 1930 {} 1250.50\n#TRANS 1930 {} 1250.50")
    sie = read_sie(write(tmp_path, text))
    assert [t.kind for t in sie.vouchers[0].counted()] == ["RTRANS", "TRANS"]
    assert rule_violations(sie) == []


def test_fields_with_tabs_quotes_and_objects():
    assert split_fields('#TRANS\t1930 {1 "100" 6 "P 12"}  -5 "" "Sa \\"hej\\""', 1) == [
        "#TRANS", "1930", ["1", "100", "6", "P 12"], "-5", "", 'Sa "hej"']


@pytest.mark.parametrize("line, reason", [
    ('#KONTO 1930 "Bank', "line 10: a quoted field is not closed"),
    ("#TRANS 1930 {1 \"2\" 100", "object list"),
    ("1930 Bank", "expected a #LABEL"),
    ("#IB 0 1930 12.345", "more than two decimals"),
    ('#KONTO 19A0 "Bank"', "line 10: account '19A0' is not an account number"),
    ("#KONTO 1" + "0" * 20 + ' "Bank"', "line 10: account '1" + "0" * 20 + "' is not an account number"),
    ("#TRANS 19.30 {} 1250.50", "line 22: account '19.30' is not an account number"),
    ("#TRANS {} 1930 1250.50", "line 22: #TRANS needs account"),
])
def test_bad_lines_are_reported_with_their_number(tmp_path, line, reason):
    text = VALID.replace('#KONTO 1930 "Företagskonto"', line) if "TRANS" not in line else VALID.replace(
        "#TRANS 1930 {} 1250.50", line)
    with pytest.raises(SieSyntaxError, match=reason) as error:
        read_sie(write(tmp_path, text))
    assert error.value.line_no > 0


STATISTICS = """#VER A 2 20250120 "Statistik"
{
#TRANS 0351 {} -100.00
#TRANS 0399 {} 100.00
}
#VER A 3 20250121 "Statistik, rättelse"
{
#TRANS 0351 {} 30.00 "" "\\"rättelse\\""
#TRANS 0399 {} -30.00
}
"""
CHART_WITH_LEADING_ZEROS = """#KONTO 3001 "Försäljning"
#KONTO 0027 "27"
#KONTO 0351 "Förs varor inom Sverige"
#KONTO 0399 "Fördelad försäljning"
#SRU 0351 0123
#SRU 1930 "7281 A\""""
RESULTS_OF_0351 = """#RES 0 3001 -1250.50
#RES 0 0351 -70.00
#RES 0 0399 70.00
#PSALDO 0 202501 0351 {} -70.00"""


def test_account_numbers_are_kept_as_written(tmp_path):
    """0351 is not 351 (another account, of another class): chart, balances and rows keep the number as the
    file writes it, rows read in bulk (voucher A 2) or line by line (A 3, with an escaped text), and so do
    #SRU codes. BAS has no class 0: such accounts are results, as the files that use them report them."""
    text = VALID.replace('#KONTO 3001 "Försäljning inom Sverige, 25 % moms"', CHART_WITH_LEADING_ZEROS).replace(
        "#RES 0 3001 -1250.50", RESULTS_OF_0351) + STATISTICS
    sie = read_sie(write(tmp_path, text))
    assert {"0027", "0351", "0399"} <= set(sie.accounts) and not {27, "27", 351, "351"} & set(sie.accounts)
    assert [[t.account for t in voucher.transactions] for voucher in sie.vouchers[1:]] == [["0351", "0399"]] * 2
    assert sie.results[(0, "0351")] == -7000 and sie.period_balances == {(0, "202501", "0351", ()): -7000}
    assert sie.sru == {"0351": ("0123",), "1930": ("7281 A",)}
    assert rule_violations(sie) == []


@pytest.mark.parametrize("account, expected", [
    ("1930", "T"), ("2440", "S"), ("3001", "I"), ("4010", "K"), ("7010", "K"), ("8310", "I"), ("8410", "K"),
    ("8999", "K"), ("0351", "K"), ("9900", "K"), ("797199", "K"), ("19", "T"),
])
def test_an_account_without_ktyp_takes_the_type_of_its_bas_class(account, expected):
    assert bas_account_type(account) == expected


def test_accounts_sort_in_numeric_order_though_they_are_text():
    assert sorted(["9999", "0351", "797199", "1930", "27", "0027"], key=account_order) == [
        "27", "0027", "0351", "1930", "9999", "797199"]


def test_unknown_labels_are_skipped(tmp_path):
    sie = read_sie(write(tmp_path, VALID.replace("#FORMAT PC8", "#FORMAT PC8\n#NYTTFALT 1 2 3")))
    assert rule_violations(sie) == []


def test_writer_fields_round_trip():
    name = 'Kund "Ö" AB \\ Co'
    assert split_fields(f"#X {quote(name)} {amount(-123456)} {amount(5)}", 1) == [
        "#X", name, "-1234.56", "0.05"]
