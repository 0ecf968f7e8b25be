"""Accounting periods: a run of a client's sync is one calendar month of its books."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
SWEDISH_TIME = ZoneInfo("Europe/Stockholm")
# The sync task hands on its period under this key as soon as it knows it: the period report's link reads it,
# also when the checks then fail the task.
PERIOD_XCOM_KEY = "period"


class PeriodError(ValueError):
    """A period given by an operator that cannot be used."""


class LedgersNotReady(RuntimeError):
    """A ledger step ran before the one it depends on; the message names the step to run first.

    Here rather than in the ledger module: the DAG files' retry policy names it at every parse, and
    must not load pandas to do so."""


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    @classmethod
    def parse(cls, value: str) -> "Period":
        match = _PERIOD.match(str(value).strip())
        if not match:
            raise PeriodError(f"period {str(value)!r} is not a month: write YYYY-MM, e.g. 2025-12")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, day: dt.date) -> "Period":
        return cls(day.year, day.month)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        following = dt.date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return following - dt.timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def period_for_run(requested: object, interval_start: dt.datetime | None, today: dt.date,
                   backfill: bool = False) -> Period:
    """The operator's period if given; else the month the run's data interval covers; else last month.

    The sync DAGs' data intervals are calendar months in Swedish time, so a scheduled run, and each
    run of a backfill, is exactly one accounting period. A period that is missing, None or empty (the
    trigger form's empty field, a backfill without parameters) means the run's own month. A backfill
    given one period would sync that month once for every month of its range: it is refused.
    """
    own_month = Period.containing(interval_start.astimezone(SWEDISH_TIME).date()) if interval_start else None
    if requested is not None and str(requested).strip():
        period = Period.parse(requested)
        if backfill and own_month is not None and period != own_month:
            raise PeriodError(
                f"this backfill run is for {own_month}, but the period {period} was given: a backfill syncs the month "
                "of each of its runs, so leave the period empty (untick 'override existing parameters')")
        return period
    if own_month is not None:
        return own_month
    return Period.containing(today.replace(day=1) - dt.timedelta(days=1))
