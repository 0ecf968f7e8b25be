"""Which source a client-year's books came from: Fortnox (a sync) or a SIE4 file an operator imported.

Every import is recorded; the latest of a client-year is its active source. Vouchers may be
posted to Fortnox only for a year whose active source is Fortnox.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from fortnox_etl.staging.database import sql

FORTNOX = "fortnox"
FILE = "file"


@dataclass(frozen=True)
class ActiveSource:
    client_key: str
    financial_year_id: int
    source: str
    file_name: str | None
    without_orgnr: bool
    from_date: dt.date | None
    to_date: dt.date | None

    def __str__(self) -> str:
        year = (f"{_date(self.from_date):%Y-%m}..{_date(self.to_date):%Y-%m}" if self.from_date
                else f"year {self.financial_year_id}")
        return (f"{year} {self.source}" + (f" {self.file_name}" if self.file_name else "")
                + (" (imported --without-orgnr)" if self.without_orgnr else ""))


def record_import_source(connection: Connection, client_key: str, financial_year_id: int, source: str,
                         recorded_by: str, file_name: str | None = None, sha256: str | None = None,
                         without_orgnr: bool = False) -> None:
    """Record, in the caller's transaction, that the client-year's staged books now come from `source`.

    `without_orgnr`: the operator took a file that does not say whose books it holds as the client's.
    """
    connection.execute(text(sql("import_source/insert_import_source")), {
        "import_id": str(uuid.uuid4()), "client_key": client_key, "financial_year_id": financial_year_id,
        "source": source, "file_name": file_name, "sha256": sha256, "recorded_by": recorded_by,
        "without_orgnr": without_orgnr,
        # Microseconds: two imports of the same year in one second still have an order.
        "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
    })


def active_import_source(engine: Engine, client_key: str, financial_year_id: int) -> str | None:
    """'fortnox' or 'file' for the client-year's active source; None when nothing was ever imported."""
    with engine.connect() as connection:
        row = connection.execute(text(sql("import_source/select_active_source")),
                                 {"client_key": client_key, "financial_year_id": financial_year_id}).first()
    return row.source if row else None


def active_import_sources(engine: Engine) -> dict[str, list[ActiveSource]]:
    """Per client, the active source of each of its years with a recorded import, oldest year first."""
    sources: dict[str, list[ActiveSource]] = {}
    with engine.connect() as connection:
        for row in connection.execute(text(sql("import_source/select_active_sources"))).mappings():
            # SQLite hands the boolean back as 0 or 1.
            source = ActiveSource(**{**row, "without_orgnr": bool(row["without_orgnr"])})
            sources.setdefault(row["client_key"], []).append(source)
    return sources


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
