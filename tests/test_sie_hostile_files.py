"""SIE files as people hand them over: the encodings their programs write are read, control
characters in texts are tolerated, and a file that is empty, not SIE, cut short, without line breaks
or with an amount outside SIE's rules gets a plain answer naming the cause (or the line), from
`sie import` and `vouchers add` alike, with nothing imported or added."""
from __future__ import annotations

import subprocess
import sys

import pytest

from fortnox_etl.sie.reader import SieSyntaxError, parse_sie
from test_outbox import cli  # noqa: F401 (a fixture)

ACME = """#FLAGGA 0
#FORMAT PC8
#SIETYP 4
#ORGNR 556677-8899
#FNAMN "Acme Bygg & Montage AB"
#RAR 0 20250101 20251231
#KONTO 8910 "Skatt på årets resultat"
#KONTO 2510 "Skatteskulder"
#UB 0 2510 -5000.00
#RES 0 8910 5000.00
#VER A 1 20251231 "Skatt {text}"
{
#TRANS 8910 {} {amount}
#TRANS 2510 {} -5000.00
}
"""


def acme(amount: str = "5000.00", text: str = "2025") -> str:
    return ACME.replace("{amount}", amount).replace("{text}", text)


def handed_over(tmp_path, content: bytes, name: str = "acme.se"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("encoding", ["cp437", "utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_every_encoding_programs_write_is_imported(cli, tmp_path, encoding):
    code, out, err = cli("sie", "import", "acme", str(handed_over(tmp_path, acme().replace("\n", "\r\n").encode(encoding))))
    assert code == 0, err
    assert "1 vouchers" in out and "2 transactions" in out


def test_a_form_feed_in_a_voucher_text_is_read_as_a_space():
    """Fortnox's export carries what was posted to it: `Hyra\\fjanuari` must not stop a client's syncs."""
    sie = parse_sie(acme(text="Hyra\fjanuari\x0b\x1c\u2028x").encode("utf-8"))
    assert sie.vouchers[0].text == "Skatt Hyra januari   x"
    assert [t.amount_ore for t in sie.vouchers[0].transactions] == [500000, -500000]


AS_A_WHOLE = "Nothing was imported; export the file again"


@pytest.mark.parametrize("content, answer", [
    (b"", "the file is empty"),
    (b" \r\n\r\n", "the file is empty"),
    (b"voucher;series;date\r\n1;A;2025-12-31\r\n", "this is not a SIE file: it begins 'voucher;series;date"),
    (bytes(range(256)) * 64, "this is not a SIE file: it begins"),
    (acme().encode("utf-16-le"), "this is not a SIE file: it holds zero bytes, as a binary file or UTF-16 without a "
                                 "byte order mark does; SIE files are read in CP437 (PC8), UTF-8 (with or without a "
                                 "byte order mark), Windows-1252 or UTF-16 with a byte order mark"),
    (b"#FLAGGA 0 " + b"x" * 3_000_000, "this is not a SIE file: it has no line breaks (a line longer than 100 000 "
                                       "characters begins it)"),
    (b"\xef\xbb\xbf#FLAGGA 0\n#FNAMN \"\xe5\"\n", "the file is not valid UTF-8 (invalid continuation byte), though it "
                                                  "begins as such"),
])
def test_a_file_that_cannot_be_sie_is_named_as_such_before_its_contents_are_checked(cli, tmp_path, content, answer):
    path = handed_over(tmp_path, content)
    code, _, err = cli("sie", "import", "acme", str(path))
    assert code == 2 and err.startswith(f"fortnox-etl: {path}: {answer}") and err.rstrip().endswith(AS_A_WHOLE), err
    assert "#ORGNR" not in err and len(err.splitlines()) == 1
    code, _, err = cli("vouchers", "add", "acme", str(path))
    assert code == 2 and err.startswith(f"fortnox-etl: acme.se") and "Traceback" not in err, err
    assert cli.outbox().vouchers() == []


@pytest.mark.parametrize("cut", [-3, -30])
def test_a_file_cut_short_inside_a_voucher_says_so(cli, tmp_path, cut):
    path = handed_over(tmp_path, acme().encode("cp437")[:cut])
    code, _, err = cli("sie", "import", "acme", str(path))
    assert code == 2 and f"{path}, line 11: the file ends inside voucher A 1, which is never closed with '}}': it was " \
                          "cut short" in err, err


@pytest.mark.parametrize("amount, answer", [
    ("Infinity", "line 13: 'Infinity' is not an amount (SIE writes amounts as -1234.50)"),
    ("NaN", "line 13: 'NaN' is not an amount"),
    ("1e30", "line 13: amount '1e30' has an exponent; SIE writes amounts in full, as -1234.50"),
    ("12345678901234567890", "line 13: amount 12345678901234567890 is beyond any company's books (at most "
                             "9999999999999.99)"),
    ("5000.001", "line 13: amount 5000.001 has more than two decimals"),
    ("1 000", "line 13: #TRANS needs"),  # no thousands separators in SIE: "1" is the amount, "000" a date
    ("+5000", "line 13: '+5000' is not an amount"),
])
def test_amounts_outside_sies_rules_are_refused_naming_the_line(cli, tmp_path, amount, answer):
    path = handed_over(tmp_path, acme(amount).encode("cp437"))
    code, _, err = cli("sie", "import", "acme", str(path))
    assert code == 2 and "Traceback" not in err, err
    if amount != "1 000":
        assert f"{path}, {answer}" in err, err
    code, _, err = cli("vouchers", "add", "acme", str(path))
    assert code == 2 and "Traceback" not in err, err


def test_a_voucher_number_of_23_digits_is_refused_not_an_overflow(cli, tmp_path):
    path = handed_over(tmp_path, acme().replace("#VER A 1 ", "#VER A 12345678901234567890123 ").encode("cp437"))
    code, _, err = cli("sie", "import", "acme", str(path))
    assert code == 2 and f"{path}, line 11: voucher number 12345678901234567890123 is larger than any voucher number " \
                          "(at most 9 digits)" in err, err


def test_a_50_mb_line_is_refused_without_holding_it(tmp_path):
    path = tmp_path / "long.se"
    with path.open("wb") as file:
        file.write(b"#FLAGGA 0\r\n#NYTTFALT ")
        for _ in range(50):
            file.write(b"x" * 1_000_000)
        file.write(b"\r\n")
    # A path is streamed (the sync's files); the bytes are what `sie import` and `vouchers add` read, held once.
    for source in ("Path(sys.argv[1])", "Path(sys.argv[1]).read_bytes()"):
        probe = ("import resource, sys\nfrom fortnox_etl.sie.reader import parse_sie, SieSyntaxError\n"
                 f"from pathlib import Path\nsource = {source}\n"
                 "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
                 "try:\n    parse_sie(source)\nexcept SieSyntaxError as error:\n    print(error)\n"
                 "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n")
        result = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, check=True)
        message, grown_mb = result.stdout.splitlines()
        assert message == ("line 2: a line longer than 100 000 characters; no SIE record is that long: the file is "
                           "damaged or not a SIE file")
        assert int(grown_mb) < 30, f"reading the file from {source} grew the process by {grown_mb} MB"


def test_reader_errors_name_the_whole_file_without_a_line():
    with pytest.raises(SieSyntaxError) as error:
        parse_sie(b"")
    assert (error.value.line_no, str(error.value)) == (None, "the file is empty")


def test_our_sie_files_carry_no_control_characters_from_the_books(cli, tmp_path, staging):
    """What a user typed into Fortnox (`Hyra\\fjanuari`) is staged as Fortnox has it, and written as spaces,
    by the portable writer (SQLite) and where PostgreSQL formats the voucher records."""
    from sqlalchemy import text

    from fortnox_etl.staging.database import create_staging_engine, staging_url

    assert cli("sie", "import", "acme", str(handed_over(tmp_path, acme().encode("cp437"))))[0] == 0
    engine = create_staging_engine(staging_url(staging))
    with engine.begin() as connection:
        connection.execute(text("UPDATE raw_vouchers SET description = :text WHERE client_key = 'acme'"),
                           {"text": "Hyra\fjanuari\x1e\u2028\x85"})
        connection.execute(text("UPDATE raw_voucher_rows SET transaction_information = :text, cost_center = :cc "
                                "WHERE client_key = 'acme'"), {"text": "rad\vett\r\n\"två\"\\", "cc": "K\f1"})
    engine.dispose()
    written = tmp_path / "out.se"
    code, _, err = cli("sie", "export", "acme", "--year", "2025", "-o", str(written))
    assert code == 0, err
    content = written.read_bytes().decode("cp437")
    assert not any(char in content for char in "\f\v\x1e\x85\u2028"), content
    voucher = parse_sie(written.read_bytes()).vouchers[0]
    assert voucher.text == "Hyra januari   "
    assert [(t.text, t.object(1)) for t in voucher.transactions] == [('rad ett  "två"\\', "K 1")] * 2


def test_a_file_cut_at_a_line_boundary_before_its_vouchers_does_not_replace_the_years_books(cli, tmp_path):
    whole = acme().replace("\n", "\r\n").encode("cp437")
    assert cli("sie", "import", "acme", str(handed_over(tmp_path, whole, "whole.se")))[0] == 0
    before_vouchers = whole[:whole.index(b"#VER")]
    path = handed_over(tmp_path, before_vouchers, "cut.se")
    code, _, err = cli("sie", "import", "acme", str(path))
    assert code == 2 and err == (
        f"fortnox-etl: {path} holds no vouchers, where the staged year 2025-01-01..2025-12-31 has 1: the file seems "
        "cut short. Nothing was imported; export the file again, or, if the year truly has no vouchers, import it "
        "with --empty-year\n"), err
    code, out, _ = cli("status")
    assert "whole.se" in out, "the whole file is still the year's import source"

    nothing_booked = handed_over(tmp_path, whole[:whole.index(b"#UB")], "empty.se")
    code, out, err = cli("sie", "import", "acme", str(nothing_booked), "--empty-year")
    assert code == 0 and "0 vouchers" in out, err


def test_a_file_cut_after_its_header_is_refused_even_for_a_year_never_staged(cli, tmp_path):
    whole = acme().encode("cp437")
    path = handed_over(tmp_path, whole[:whole.index(b"#UB")], "cut.se")
    code, _, err = cli("sie", "import", "acme", str(path))
    assert code == 2 and err == (
        f"fortnox-etl: {path} ends before its balances and vouchers: it holds neither, as a file cut short after its "
        "header does. Nothing was imported; export the file again, or, if the year truly is empty, import it with "
        "--empty-year\n"), err


def test_a_voucher_without_rows_is_imported_with_a_finding_of_the_period_checks(cli, tmp_path):
    with_empty = acme().replace("#VER A 1", '#VER A 2 20251231 "Tom"\n{\n}\n#VER A 1')
    code, out, err = cli("sie", "import", "acme", str(handed_over(tmp_path, with_empty.encode("cp437"))))
    assert code == 0, err
    findings = [line for line in out.splitlines() if line.endswith("[vouchers_without_rows]")]
    assert len(findings) == 1 and findings[0].startswith("warning: ") and "voucher A 2 (2025-12-31) has no rows" in findings[0], out


def test_a_form_feed_typed_into_fortnox_does_not_break_the_clients_sync(make_context, clients, companies, sandbox):
    """Fortnox's SIE export gives back `Hyra\\fjanuari` as it was typed; the sync reads it, and writes it as a space."""
    from sync_helpers import run_sync, year_end

    company = sandbox.state.companies[companies[0].spec.tenant_id]  # the books the sandbox serves
    voucher = company.vouchers[company.financial_years[-1]["Id"]][0]
    row = voucher["VoucherRows"][0]
    typed = voucher["Description"], row.get("TransactionInformation")
    voucher["Description"], row["TransactionInformation"] = "Hyra\fjanuari", "rad\x0bett"
    try:
        summary = run_sync(make_context(clients[0]), year_end(company))
    finally:
        voucher["Description"], row["TransactionInformation"] = typed
    written = summary.path.read_bytes()
    assert b"\f" not in written and b"\x0b" not in written
    sie = parse_sie(written)
    [read] = [v for v in sie.vouchers if (v.series, v.number) == (voucher["VoucherSeries"], str(voucher["VoucherNumber"]))]
    assert read.text == "Hyra januari" and read.transactions[0].text == "rad ett"


def test_a_file_whose_previous_year_overlaps_its_year_is_refused_naming_both_years(cli, tmp_path):
    overlapping = acme().replace("#RAR 0 20250101 20251231", "#RAR 0 20250101 20251231\n#RAR -1 20240101 20250131")
    path = handed_over(tmp_path, overlapping.encode("cp437"))
    code, _, err = cli("sie", "import", "acme", str(path))
    assert code == 2 and err == (
        f"fortnox-etl: {path}: its previous year 2024-01-01..2025-01-31 (#RAR -1) does not end before its year "
        "2025-01-01..2025-12-31 (#RAR 0) begins. Nothing was imported; export the file again\n"), err
    code, out, _ = cli("status")
    assert "acme.se" not in out
