"""Writing a client's period report: out/<client>/<client>_rapport_<period end>.html, beside the SIE file."""
from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from pathlib import Path

from sqlalchemy import Engine

from fortnox_etl.config import Client
from fortnox_etl.period_report.figures import RunRequests, read_figures
from fortnox_etl.period_report.page import render

log = logging.getLogger(__name__)


def report_file_name(client_key: str, period_end: dt.date) -> str:
    return f"{client_key}_rapport_{period_end.isoformat()}.html"


def report_path(out_dir: Path, client_key: str, period_end: dt.date) -> Path:
    return Path(out_dir) / client_key / report_file_name(client_key, period_end)


def write_period_report(engine: Engine, client: Client, out_dir: Path, period_end: dt.date,
                        run: RunRequests | None = None) -> Path:
    """Write (or replace) the report on the client's period from what staging holds for it; `run` names the
    sync run writing it, whose Fortnox requests the report counts (None: written outside a run, none counted)."""
    figures = read_figures(engine, client.key, client.name, client.organisation_number, period_end, run)
    page = render(figures, dt.datetime.now(dt.UTC))
    path = report_path(out_dir, client.key, period_end)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside and renamed over: a reader (the clients page) never sees half a report.
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False) as handle:
        handle.write(page)
    try:
        os.replace(handle.name, path)
    except OSError:
        os.unlink(handle.name)  # no half-way file left beside the reports
        raise
    log.info("client %s: period report for the period ending %s written to %s (result so far %s%s)",
             client.key, period_end, path, f"{-figures.result_ore / 100:,.2f} kr",
             f", {figures.requests:,} Fortnox requests in this run" if run else "")
    return path
