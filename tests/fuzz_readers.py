"""Fuzzing the readers of the files people hand us: `vouchers add` (CSV, JSON, SIE), `sie import` and
clients.yaml (config.load_clients).

Inputs are random bytes, mutations of real SIE files (../shared/corpus/sie/) and of the project's own
example files, and files made of random amounts, dates and texts. Each reader may accept a file or
refuse it with the project's own error; anything else escaping is a finding. `vouchers add` is run as
the command runs it, the file read and its drafts added to an outbox. A refused file must leave staging
as it was (nothing committed to it at all), and an accepted file must come back the same: the outbox
holds the drafts as read, drafts written out again as JSON read back equal, an imported year's SIE file,
written from staging, holds the same vouchers, and the clients read, written out again, read back equal.

The suite runs a bounded number of cases (test_fuzz_readers.py); `make fuzz` runs this file for a long
run and prints how many inputs each reader got and what escaped:

    .venv/bin/python tests/fuzz_readers.py --inputs 100000
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import sqlite3
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

from fortnox_etl.config import Client, ConfigError, load_clients
from fortnox_etl.export.outbox import Outbox, OutboxError
from fortnox_etl.period_end.sie_import import SieImportRefused, import_sie_file
from fortnox_etl.sie.reader import SieSyntaxError, parse_sie
from fortnox_etl.sie.writer import write_sie4
from fortnox_etl.staging.database import create_schema, create_staging_engine
from fortnox_etl.export.voucher_files import VoucherFileError, read_drafts

REPOSITORY = Path(__file__).resolve().parents[1]
CORPUS = REPOSITORY.parent / "shared" / "corpus" / "sie"
EXAMPLES = REPOSITORY / "examples"
ACME = Client("acme", "Acme Bygg & Montage AB", "556677-8899")

NASTY = [b"Infinity", b"NaN", b"1e30", b"-1e9", b"12345678901234567890", b"12345678901234567890123", b"1.500",
         b"1,500", b"1 234,50", b"\xc2\xa0", b"\f", b"\x0b", b"\x00", b"\x1c", b"\xe2\x80\xa8", b"\x85", b"\r", b"\n",
         b"\r\n", b'"', b'\\', b"{", b"}", b"{}", b"#VER", b"#TRANS", b"#RTRANS", b"#BTRANS", b"#KSUMMA", b"#RAR 0",
         b"#IB 0", b"#SIETYP 4", b"#ORGNR", b"\xef\xbb\xbf", b"\xff\xfe", b";", b",", b"\t", b"2025-W01-1",
         b"20251231", b"2025-12-31", b"[", b"]", b'{"a":', b"true", b"null", b"-", b"\xe5\xe4\xf6", b"\x86\x84\x94",
         b"\xc3\xa5", b"&a", b"*a", b"!!python/object", b"key: acme\n", b"- ", b": "]


def seeds() -> dict[str, list[bytes]]:
    """Real files to mutate, by the reader they are for: the corpus when it is beside the repository."""
    sie = [path.read_bytes() for path in sorted(CORPUS.glob("*.s[ei]"))] if CORPUS.is_dir() else []
    sie.append(_small_sie().encode("cp437"))
    tables = [path.read_bytes() for path in sorted(EXAMPLES.glob("*")) if path.suffix in (".csv", ".json")]
    return {"sie": sie, "tables": tables, "yaml": [(REPOSITORY / "config" / "clients.yaml").read_bytes()]}


def _small_sie() -> str:
    return ('#FLAGGA 0\n#FORMAT PC8\n#SIETYP 4\n#ORGNR 556677-8899\n#FNAMN "Acme"\n#RAR 0 20250101 20251231\n'
            '#KONTO 8910 "Skatt"\n#KONTO 2510 "Skatteskulder"\n#UB 0 2510 -5000.00\n#RES 0 8910 5000.00\n'
            '#VER A 1 20251231 "Skatt 2025"\n{\n#TRANS 8910 {} 5000.00\n#TRANS 2510 {} -5000.00\n}\n')


@st.composite
def mutated(draw, originals: list[bytes]) -> bytes:
    """A real file with a few changes: bytes flipped, nasty tokens put in, parts cut, lines repeated."""
    data = bytearray(draw(st.sampled_from(originals)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.integers(0, 5))
        if kind == 0 and data:
            data[min(at, len(data) - 1)] = draw(st.integers(0, 255))
        elif kind == 1:
            data[at:at] = draw(st.sampled_from(NASTY))
        elif kind == 2:
            data[at:at + draw(st.integers(1, 200))] = b""
        elif kind == 3:
            del data[at:]
        elif kind == 4:
            end = data.find(b"\n", at)
            data[at:at] = data[at:end + 1 if end >= 0 else len(data)] * draw(st.integers(1, 3))
        else:
            data[at:at] = draw(st.binary(max_size=40))
    return bytes(data)


amounts = st.one_of(
    st.decimals(min_value=-10**14, max_value=10**14, places=2, allow_nan=False, allow_infinity=False).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(-10**25, 10**25).map(str),
    st.from_regex(r"-?[0-9]{1,3}([ \u00a0][0-9]{3}){0,4}([.,][0-9]{1,4})?", fullmatch=True),
    st.text(max_size=12),
)
dates = st.one_of(st.dates().map(lambda day: day.isoformat()), st.text(max_size=12),
                  st.from_regex(r"[0-9]{4}-W[0-9]{2}-[0-9]", fullmatch=True), st.dates().map(lambda d: f"{d:%Y%m%d}"))
texts = st.text(max_size=30)


def _mostly(usual, odd):
    """Three draws in four of the usual kind: the odd kind in every field at once would leave nothing accepted."""
    return st.one_of(usual, usual, usual, odd)


@st.composite
def voucher_tables(draw) -> tuple[str, bytes]:
    """A CSV or JSON voucher file made of random amounts, dates, accounts and texts, in a random encoding; a
    voucher's second row mostly balances its first, so that some files are added whole."""
    accounts = _mostly(st.integers(1000, 9999).map(str), st.one_of(st.integers(0, 99999).map(str), texts))
    words = _mostly(st.sampled_from(["Skatt 2025", "Hyra januari", "Årets resultat"]), texts)
    row_texts = _mostly(st.just(""), texts)
    rows = []
    for number in range(1, draw(st.integers(1, 4)) + 1):
        amount = draw(amounts)
        rows.append((str(number), draw(st.sampled_from(["A", "B", "", "AB"])),
                     draw(_mostly(st.dates().map(lambda day: day.isoformat()), dates)), draw(words), draw(accounts),
                     amount, "", draw(row_texts)))
        rows.append((str(number), "", "", "", draw(accounts), "", draw(_mostly(st.just(amount), amounts)),
                     draw(row_texts)))
    if draw(st.booleans()):
        separator = draw(st.sampled_from([";", ",", "\t"]))
        lines = [separator.join(("voucher", "series", "date", "text", "account", "debit", "credit", "row_text"))]
        lines += [separator.join(row) for row in rows]
        content, suffix = "\r\n".join(lines) + "\r\n", ".csv"
    else:
        vouchers: dict[str, dict] = {}
        for number, series, date, text_, account, debit, credit, row_text in rows:
            voucher = vouchers.setdefault(number, {"series": series, "date": date, "text": text_, "rows": []})
            voucher["rows"].append({"account": account, "debit": debit, "credit": credit, "row_text": row_text})
        content, suffix = json.dumps({"vouchers": list(vouchers.values())}, ensure_ascii=False), ".json"
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "cp437", "latin-1"]))
    return suffix, content.encode(encoding, errors="replace")


@st.composite
def client_files(draw) -> bytes:
    entries = draw(st.lists(st.fixed_dictionaries({}, optional={
        "key": st.one_of(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), texts),
        "name": texts, "organisation_number": st.one_of(st.from_regex(r"[0-9]{6}-?[0-9]{4}", fullmatch=True), texts),
        "fiscal_year_start_month": st.one_of(st.integers(-2, 14), st.booleans(), texts),
        "tenant_id": st.one_of(st.integers(), texts, st.none())}), max_size=4))
    return yaml.safe_dump({"clients": entries}, allow_unicode=True).encode(
        draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"])), errors="replace")


FRESH_STAGING_EVERY = 200  # accepted imports


@dataclass
class Findings:
    """What the readers were given and what escaped them."""
    tried: Counter = field(default_factory=Counter)
    accepted: Counter = field(default_factory=Counter)
    escaped: list[str] = field(default_factory=list)

    def escape(self, reader: str, data: bytes, error: BaseException) -> None:
        self.escaped.append(f"{reader}: {type(error).__name__}: {str(error)[:200]} (input of {len(data):,} bytes, "
                            f"beginning {data[:60]!r})\n{traceback.format_exc()}")


class Readers:
    """The three readers, each given one input at a time; `findings` collects what happened."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.findings = Findings()
        self._databases = 0
        self._fresh_staging()

    def _fresh_staging(self) -> None:
        """A new, empty staging database in place of the last: the accepted imports' books, each under a client of
        its own, would otherwise pile up and slow every later import (0.9 GB and half the speed by 100,000 inputs)."""
        if self._databases:
            self.engine.dispose()
            self._watcher.close()
            for file in self.workdir.glob(f"{self._database().name}*"):  # with its write-ahead log
                file.unlink()
        self._databases += 1
        self.engine = create_staging_engine(make_url(f"sqlite:///{self._database()}"))
        create_schema(self.engine)
        # SQLite's data_version, read on a connection of its own, changes with every commit the readers'
        # connections make: a refusal must leave it as it was, so no table, row or value was touched.
        self._watcher = sqlite3.connect(self._database())

    def _database(self) -> Path:
        return self.workdir / f"staging{self._databases}.db"

    def vouchers_add(self, suffix: str, data: bytes) -> None:
        path = self.workdir / f"drafts{suffix}"
        path.write_bytes(data)
        self.findings.tried["vouchers add"] += 1
        # A SIE file's vouchers are read as those of the company it names, so that a mutated corpus file gets
        # past the #ORGNR check to its rows; a voucher without a series takes F, as --series gives one.
        says = re.search(rb'#ORGNR[ \t]+"?([^"\s]+)', data) if suffix == ".se" else None
        client = Client("acme", "Fuzz AB", says[1].decode("latin-1")) if says else ACME
        try:
            drafts = read_drafts(path, client, without_orgnr=True, series="F")
        except VoucherFileError:
            return
        except Exception as error:  # noqa: BLE001 (what escaped is the finding)
            self.findings.escape(f"vouchers add {suffix}", data, error)
            return
        client_key = f"v{sum(self.findings.tried.values())}"  # an outbox of its own: no draft is a duplicate
        before = self._staged()
        try:
            added = Outbox(self.engine, client_key).add(drafts, "fuzz")
        except OutboxError:
            assert self._staged() == before, "a refused vouchers add changed staging"
            return
        except Exception as error:  # noqa: BLE001
            self.findings.escape(f"vouchers add {suffix} (adding)", data, error)
            return
        self.findings.accepted["vouchers add"] += 1
        outbox = Outbox(self.engine, client_key).vouchers()
        assert [v.outbox_id for v in outbox] == added and [_outboxed(v) for v in outbox] == [
            _content(d) for d in drafts], "the outbox does not hold the drafts as read"
        if suffix in (".csv", ".json"):
            again = self.workdir / "again.json"
            again.write_text(json.dumps({"vouchers": [_as_json(draft) for draft in drafts]}, ensure_ascii=False),
                             encoding="utf-8")
            assert [_content(d) for d in read_drafts(again)] == [_content(d) for d in drafts], "not read back the same"

    def sie_import(self, data: bytes) -> None:
        number = sum(self.findings.tried.values())
        path = self.workdir / f"import{number}.se"
        path.write_bytes(data)
        self.findings.tried["sie import"] += 1
        client = ACME
        try:
            sie = parse_sie(data)
            start = sie.years.get(0, (None,))[0]
            client = Client(f"f{number}", "Fuzz AB", sie.header("#ORGNR") or ACME.organisation_number,
                            start.month if start else 1)
        except SieSyntaxError:
            pass
        except Exception as error:  # noqa: BLE001
            self.findings.escape("sie import (reading)", data, error)
            return
        before = self._staged()
        try:
            summary = import_sie_file(self.engine, client, path, imported_by="fuzz", without_orgnr=True)
        except SieImportRefused:
            assert self._staged() == before, "a refused import changed staging"
            return
        except Exception as error:  # noqa: BLE001
            self.findings.escape("sie import", data, error)
            return
        finally:
            path.unlink()
        self.findings.accepted["sie import"] += 1
        written = self.workdir / "written.se"
        write_sie4(self.engine, client.key, summary.financial_year_id, written)
        assert _vouchers(parse_sie(written.read_bytes())) == _vouchers(sie), "the year did not come back the same"
        if self.findings.accepted["sie import"] % FRESH_STAGING_EVERY == 0:
            self._fresh_staging()

    def clients_yaml(self, data: bytes) -> None:
        path = self.workdir / "clients.yaml"
        path.write_bytes(data)
        self.findings.tried["clients.yaml"] += 1
        try:
            clients = load_clients(path)
        except ConfigError:
            return
        except Exception as error:  # noqa: BLE001
            self.findings.escape("clients.yaml", data, error)
            return
        self.findings.accepted["clients.yaml"] += 1
        path.write_text(yaml.safe_dump({"clients": [
            {name: value for name, value in vars(client).items() if value is not None} for client in clients]},
            allow_unicode=True), encoding="utf-8")
        assert load_clients(path) == clients, "the clients read, written out again, did not read back the same"

    def _staged(self) -> int:
        return self._watcher.execute("PRAGMA data_version").fetchone()[0]


def _as_json(draft) -> dict:
    return {"series": draft.series, "date": draft.date.isoformat(), "text": draft.text, "rows": [
        {"account": row.account, "debit": f"{row.debit_ore / 100:.2f}", "credit": f"{row.credit_ore / 100:.2f}",
         "cost_center": row.cost_center, "project": row.project, "row_text": row.row_text} for row in draft.rows]}


def _content(draft) -> tuple:
    return (draft.series, draft.date, draft.text,
            [(r.account, r.debit_ore, r.credit_ore, r.cost_center, r.project, r.row_text) for r in draft.rows])


def _outboxed(voucher) -> tuple:
    return (voucher.voucher_series, voucher.transaction_date, voucher.description,
            [(r.account, r.debit_ore, r.credit_ore, r.cost_center, r.project, r.row_text) for r in voucher.rows])


def _vouchers(sie) -> list:
    return sorted((v.series, int(v.number), v.date, sorted((t.account, t.amount_ore) for t in v.counted()))
                  for v in sie.vouchers)


def strategies(material: dict[str, list[bytes]]):
    """Per reader, what it is given: random bytes, mutated real files and made-up files."""
    noise = st.binary(max_size=2000)
    return {
        "vouchers add": st.one_of(st.tuples(st.sampled_from([".csv", ".json", ".se"]), noise),
                                  st.tuples(st.sampled_from([".csv", ".json"]), mutated(material["tables"])),
                                  st.tuples(st.just(".se"), mutated(material["sie"])), voucher_tables()),
        "sie import": st.one_of(noise, mutated(material["sie"]), mutated(material["sie"])),
        "clients.yaml": st.one_of(noise, mutated(material["yaml"]), client_files()),
    }


def run(readers: Readers, inputs_per_reader: int, derandomize: bool = False) -> Findings:
    chosen = strategies(seeds())
    settings_ = settings(max_examples=inputs_per_reader, deadline=None, database=None, derandomize=derandomize,
                         suppress_health_check=list(HealthCheck))

    @settings_
    @given(chosen["vouchers add"])
    def vouchers_add(case):
        readers.vouchers_add(*case)

    @settings_
    @given(chosen["sie import"])
    def sie_import(data):
        readers.sie_import(data)

    @settings_
    @given(chosen["clients.yaml"])
    def clients_yaml(data):
        readers.clients_yaml(data)

    for target in (vouchers_add, sie_import, clients_yaml):
        try:
            target()
        except Exception as error:  # noqa: BLE001 (an assertion failed: hypothesis re-raises it once shrunk)
            readers.findings.escaped.append(f"{type(error).__name__}: {error}\n{traceback.format_exc()}")
    return readers.findings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000, help="inputs in all, shared by the three readers")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # the checks' findings on the imported books: not what this run reports
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as workdir:
        readers = Readers(Path(workdir))
        findings = run(readers, -(-args.inputs // 3))
    total = sum(findings.tried.values())
    print(f"fuzz: {total:,} inputs in {time.monotonic() - started:,.0f} s: "
          + ", ".join(f"{reader} {count:,} ({findings.accepted[reader]:,} accepted)"
                      for reader, count in findings.tried.items()))
    if not CORPUS.is_dir():
        print(f"fuzz: {CORPUS} is absent: SIE mutations were of a small file of ours only")
    if findings.escaped:
        print(f"fuzz: {len(findings.escaped)} finding(s):\n" + "\n".join(findings.escaped))
        return 1
    print("fuzz: nothing escaped: every input was read or refused with the reader's own error")
    return 0


if __name__ == "__main__":
    sys.exit(main())
