"""What each Fortnox resource of a load cost and brought: requests, rows, seconds, and the cursor
the next incremental run starts from. Stored per client, year (or period end) and resource."""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Connection, Engine, text

from fortnox_etl.fortnox.api import FortnoxApi
from fortnox_etl.period import SWEDISH_TIME
from fortnox_etl.staging.database import sql

T = TypeVar("T")
FULL, INCREMENTAL = "full", "incremental"
# Fortnox's clock and ours may differ a little; a voucher fetched twice costs nothing, one missed is lost.
CURSOR_MARGIN = dt.timedelta(minutes=5)


def cursor_at(moment: dt.datetime) -> str:
    """Fortnox's `lastmodified` for changes since `moment`: Swedish time to the minute, with a safety margin."""
    return (moment.astimezone(SWEDISH_TIME) - CURSOR_MARGIN).strftime("%Y-%m-%d %H:%M")


@dataclass
class ResourceStat:
    resource: str
    requests: int
    rows_loaded: int
    seconds: float
    next_cursor: str | None = None


@dataclass
class LoadStats:
    """Measures the requests and time of each resource fetched through one FortnoxApi."""
    api: FortnoxApi
    path: str = FULL  # the load's path, recorded on every resource it fetched
    resources: list[ResourceStat] = field(default_factory=list)

    def fetch(self, resource: str, call: Callable[[], T], rows: Callable[[T], int] = len,
              next_cursor: str | None = None) -> T:
        requests_before, started = self.api.requests_made, time.perf_counter()
        result = call()
        self.resources.append(ResourceStat(resource, self.api.requests_made - requests_before,
                                           rows(result), time.perf_counter() - started, next_cursor))
        return result

    @property
    def requests(self) -> int:
        return sum(stat.requests for stat in self.resources)

    def save(self, connection: Connection, load_id: str, client_key: str, financial_year_id: int | None = None,
             period_end: dt.date | None = None) -> None:
        """Record the resources in the caller's transaction, the one that stores their rows."""
        finished_at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        connection.execute(text(sql("load_stats/insert_load_resource")), [{
            "load_id": load_id, "client_key": client_key, "financial_year_id": financial_year_id,
            "period_end": period_end.isoformat() if period_end else None, "resource": stat.resource,
            "path": self.path, "requests": stat.requests, "rows_loaded": stat.rows_loaded,
            "seconds": round(stat.seconds, 3), "next_cursor": stat.next_cursor, "finished_at": finished_at,
        } for stat in self.resources])


@dataclass(frozen=True)
class VoucherCursor:
    since: str  # lastmodified
    loaded_at: str
    staged_vouchers: int


def voucher_cursor(connection: Connection, client_key: str, financial_year_id: int) -> VoucherCursor | None:
    row = connection.execute(text(sql("load_stats/select_voucher_cursor")),
                             {"client_key": client_key, "financial_year_id": financial_year_id}).first()
    return VoucherCursor(row.next_cursor, row.finished_at, int(row.staged_vouchers)) if row else None


def load_resources(engine: Engine, client_key: str) -> list[dict]:
    """The client's recorded resources, newest first."""
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(text(sql("load_stats/select_load_resources")),
                                                        {"client_key": client_key}).mappings()]
