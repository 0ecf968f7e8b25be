"""A period's SIE file: the client's SIE tables rebuilt from staging, the SIE4 file of the period's
financial year written from them as of the period's end, and read back against the format's rules."""
from __future__ import annotations

import datetime as dt
import logging
from contextlib import ExitStack
from pathlib import Path

from fortnox_etl.fortnox.client_context import ClientContext
from fortnox_etl.sie.reader import read_sie
from fortnox_etl.sie.rules import rule_violations
from fortnox_etl.sie.staging import build_sie_client, build_sie_year
from fortnox_etl.sie.writer import SieSummary, write_sie4, year_to_date
from fortnox_etl.staging.books_lease import BooksLease

log = logging.getLogger(__name__)


class SieFileInvalid(ValueError):
    """The SIE file breaks the rules of the format; the message lists how."""


def sie_file_name(client_key: str, start: dt.date, end: dt.date, as_of: dt.date | None = None) -> str:
    """The year's file; one as of a date before the year's end names it, so period files do not overwrite each other."""
    as_of_part = f"_per_{as_of:%Y%m%d}" if as_of and as_of < end else ""
    return f"{client_key}_sie4_{start:%Y%m%d}-{end:%Y%m%d}{as_of_part}.se"


def sie_path(ctx: ClientContext, start: dt.date, end: dt.date, as_of: dt.date | None = None) -> Path:
    return ctx.out_dir / ctx.client.key / sie_file_name(ctx.client.key, start, end, as_of)


def build_sie_tables(ctx: ClientContext, years: list[dict]) -> None:
    """Rebuild the client's SIE tables for the given years from staging, all in one transaction, holding the
    years' books leases: an import rebuilds them too."""
    key = ctx.client.key
    with ExitStack() as leases:
        held = [leases.enter_context(BooksLease(ctx.engine, key, year["from_date"], f"the sync of client {key}"))
                for year in sorted(years, key=lambda year: year["from_date"])]  # always in one order: no deadlock
        with ctx.engine.begin() as connection:
            for lease in held:
                lease.hold(connection)
            build_sie_client(connection, key)
            for year in years:
                build_sie_year(connection, key, year["id"])
    log.info("client %s: SIE tables rebuilt for %s", key,
             " and ".join(f"{year['from_date']}..{year['to_date']}" for year in years))


def write_sie_file(ctx: ClientContext, year: dict, as_of: dt.date | None = None) -> SieSummary:
    """Write the SIE4 file of one financial year ({"id", "from_date", "to_date"}) from the SIE tables.

    `as_of` (a period's last day; default the year's end) limits vouchers and balances to that day.
    """
    start, end = dt.date.fromisoformat(year["from_date"]), dt.date.fromisoformat(year["to_date"])
    as_of = year_to_date(end, as_of)
    # Read out of staging under the year's books lease: an import cannot rebuild the year halfway through the file.
    with BooksLease(ctx.engine, ctx.client.key, year["from_date"], f"the SIE file of client {ctx.client.key}"):
        summary = write_sie4(ctx.engine, ctx.client.key, year["id"], sie_path(ctx, start, end, as_of), as_of=as_of)
    log.info("client %s: SIE4 file for %s..%s as of %s written to %s: %s accounts, %s vouchers, %s transactions",
             ctx.client.key, start, end, as_of, summary.path, f"{summary.accounts:,}", f"{summary.vouchers:,}",
             f"{summary.transactions:,}")
    return summary


def check_sie_file(client_key: str, path: Path) -> None:
    """Read the written file back and fail if it breaks any rule of the SIE 4 format."""
    problems = rule_violations(read_sie(Path(path)))
    if problems:
        for problem in problems:
            log.error("client %s: %s", client_key, problem)
        raise SieFileInvalid(f"client {client_key}: the SIE4 file {path} breaks {len(problems)} rule(s); first: {problems[0]}")
    log.info("client %s: the SIE4 file passes every format check (vouchers balance, balances add up, accounts declared)",
             client_key)
