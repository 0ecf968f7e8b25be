"""The clients page as HTML: the rows of `overview` through one Jinja2 template, rendered on the server."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from fortnox_etl.clients_page.overview import FLAGS, ClientRow, SyncRun, swedish_time
from fortnox_etl.period import SWEDISH_TIME, Period

_TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                         autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
# Worst first: what an operator must act on comes to the top of the list.
_RANK = ["reconnect", "run_failed", "check_errors", "expiring", "never", "drafts", "ok"]
_RUN_BADGES = {"success": "b-ok", "failed": "b-bad", "running": "b-info", "queued": "b-gray"}
_OUTBOX_BADGES = {"posted": "b-ok", "approved": "b-info", "posting": "b-info", "failed": "b-bad", "rejected": "b-gray"}


@dataclass(frozen=True)
class Notice:
    text: str
    failed: bool = False


@dataclass(frozen=True)
class PageContext:
    user_name: str
    prefix: str  # where the plugin's app is served, e.g. /fortnox
    ui: str  # the Airflow UI's root, ending in /
    csrf: str
    may_run: bool
    may_connect: bool
    clients_file: str
    notice: Notice | None = None


def render_clients_page(rows: list[ClientRow], context: PageContext, now: dt.datetime | None = None) -> str:
    now = (now or dt.datetime.now(dt.UTC)).astimezone(SWEDISH_TIME)
    counts = {flag: sum(flag in row.flags for row in rows) for flag in FLAGS}
    return _TEMPLATES.get_template("clients.html").render(
        rows=rows, flags=FLAGS, counts=counts, now=now.strftime("%Y-%m-%d %H:%M"), default_period=last_month(now.date()),
        rank=_rank, state_badge=lambda state: _RUN_BADGES.get(state, "b-gray"),
        outbox_badge=lambda state: _OUTBOX_BADGES.get(state, "b-gray"), run_words=_run_words, swedish=swedish_time,
        own_words=_without_client,
        **context.__dict__)


def last_month(today: dt.date) -> str:
    """The period a month-end morning usually runs: the month before today's."""
    return str(Period.containing(today.replace(day=1) - dt.timedelta(days=1)))


def _rank(row: ClientRow) -> int:
    return min(_RANK.index(flag) for flag in row.flags)


def _without_client(message: str, client_key: str) -> str:
    """A message without its leading "client acme: ": on the client's own row it says nothing more."""
    prefix = f"client {client_key}: "
    return message[len(prefix)].upper() + message[len(prefix) + 1:] if message.startswith(prefix) else message


def _run_words(run: SyncRun) -> str:
    kind = {"manual": "by hand", "scheduled": "scheduled", "backfill": "backfill"}.get(run.run_type, run.run_type)
    if run.ended_at:
        return f"{kind}, ended {swedish_time(run.ended_at)}"
    if run.started_at:
        return f"{kind}, started {swedish_time(run.started_at)}"
    return f"{kind}, waiting to start"
