"""Each client's row of the clients page, from the client file, staging (a handful of queries for every client
at once, no token decrypted) and the sync runs Airflow's side of the page found."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from dataclasses import dataclass, field

from sqlalchemy import Engine, bindparam, text

from fortnox_etl.config import OUT_DIR, Client
from fortnox_etl.period import SWEDISH_TIME, Period
from fortnox_etl.period_report.report import report_path
from fortnox_etl.sie.import_source import active_import_sources
from fortnox_etl.staging.database import sql
from fortnox_etl.staging.task_errors import TaskError, last_task_errors

DAY = 24 * 3600
# Airflow's daily upkeep renews a connection 10 days before its refresh token expires; from then on it shows.
EXPIRY_WARNING_DAYS = 10
SYNC_DAG_PREFIX = "fortnox_sync__"
TOKENS_DAG_ID = "fortnox_tokens"

CONNECTED, RECONNECT, NEVER, SERVICE_ACCOUNT, RENEWAL_FAILED = (
    "connected", "reconnect", "never", "service_account", "renewal_failed")
CONNECTION_WORDS = {CONNECTED: "connected", RECONNECT: "must reconnect", NEVER: "never connected",
                    SERVICE_ACCOUNT: "service account", RENEWAL_FAILED: "renewal failed"}
# What an operator filters by; a client may be several at once.
FLAGS = {"reconnect": "must reconnect", "expiring": "expires within 10 days", "never": "never connected",
         "run_failed": "last run failed", "check_errors": "check errors", "drafts": "drafts waiting",
         "ok": "all well"}


@dataclass(frozen=True)
class SyncRun:
    """A run of a client's sync DAG, as Airflow's metadata database holds it."""
    dag_id: str
    run_id: str
    state: str
    period: Period
    run_type: str
    started_at: dt.datetime | None
    ended_at: dt.datetime | None


@dataclass(frozen=True)
class ClientRuns:
    latest: SyncRun | None = None
    latest_success: SyncRun | None = None


@dataclass(frozen=True)
class FailedCheck:
    name: str
    severity: str
    message: str


@dataclass(frozen=True)
class PeriodChecks:
    period_end: dt.date
    checks: int
    failed: tuple[FailedCheck, ...]

    @property
    def errors(self) -> list[FailedCheck]:
        return [check for check in self.failed if check.severity == "error"]

    @property
    def warnings(self) -> list[FailedCheck]:
        return [check for check in self.failed if check.severity != "error"]


@dataclass
class ClientRow:
    client: Client
    company_name: str | None
    connection: str
    connection_reason: str | None
    days_left: int | None
    import_source: str
    runs: ClientRuns
    checks: PeriodChecks | None
    outbox: dict[str, int]
    last_error: TaskError | None
    report: Period | None = None  # the period whose report the row links to: the latest run's, else the last done
    flags: list[str] = field(default_factory=list)

    @property
    def connection_words(self) -> str:
        return CONNECTION_WORDS[self.connection]

    @property
    def expiring(self) -> bool:
        return self.days_left is not None and self.days_left <= EXPIRY_WARNING_DAYS

    @property
    def sync_dag_id(self) -> str:
        return f"{SYNC_DAG_PREFIX}{self.client.key}"


def client_rows(engine: Engine, clients: list[Client], runs: dict[str, ClientRuns],
                now: dt.datetime | None = None, out_dir: Path = OUT_DIR) -> list[ClientRow]:
    """One row per client of the client file, in its order; `runs` by client key; reports looked for in out_dir."""
    now = now or dt.datetime.now(dt.UTC)
    with engine.connect() as connection:
        connections = {row.client_key: row for row in connection.execute(text(sql("clients_page/select_connections")))}
        company_names = dict(connection.execute(text(sql("connect/select_company_names"))).all())
        # Only the periods of the clients' latest runs: a year of checks for every client is a lot of rows.
        period_ends = {"period_ends": sorted({r.latest.period.last_day for r in runs.values() if r.latest}) or [dt.date.min]}
        check_counts = {(row.client_key, _date(row.period_end)): row
                        for row in connection.execute(_expanding("clients_page/select_check_counts"), period_ends)}
        failed: dict[tuple[str, dt.date], list[FailedCheck]] = {}
        for row in connection.execute(_expanding("clients_page/select_failed_checks"), period_ends):
            failed.setdefault((row.client_key, _date(row.period_end)), []).append(
                FailedCheck(row.check_name, row.severity, row.message))
        outbox: dict[str, dict[str, int]] = {}
        for row in connection.execute(text(sql("clients_page/select_outbox_counts"))):
            outbox.setdefault(row.client_key, {})[row.state] = row.vouchers
    sources = active_import_sources(engine)
    errors = last_task_errors(engine)
    today = now.astimezone(SWEDISH_TIME).date()
    rows = []
    for client in clients:
        client_runs = runs.get(client.key, ClientRuns())
        state, reason, days_left = _connection(connections.get(client.key), now.timestamp())
        rows.append(ClientRow(
            client=client, company_name=company_names.get(client.key), connection=state, connection_reason=reason,
            days_left=days_left, import_source=_current_source(client, sources.get(client.key, []), today),
            runs=client_runs, checks=_period_checks(client.key, client_runs, check_counts, failed),
            outbox=outbox.get(client.key, {}), last_error=_current_error(errors.get(client.key, []), client_runs, state),
            report=_report(out_dir, client.key, client_runs)))
        rows[-1].flags = _flags(rows[-1])
    return rows


def _current_error(errors: list[TaskError], runs: ClientRuns, connection: str) -> TaskError | None:
    """The newest failure that still applies: not a sync failure a later successful sync run has mended, nor a
    failed renewal of a connection that works again (reconnected or confirmed since)."""
    mended_by_sync = runs.latest_success.ended_at if runs.latest_success else None
    for error in errors:
        if error.dag_id.startswith(SYNC_DAG_PREFIX) and mended_by_sync and _utc(error.failed_at) <= _utc(mended_by_sync):
            continue
        if error.dag_id == TOKENS_DAG_ID and connection in (CONNECTED, SERVICE_ACCOUNT):
            continue
        return error
    return None


def _utc(moment: dt.datetime | str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _report(out_dir: Path, client_key: str, runs: ClientRuns) -> Period | None:
    """The period of the latest run whose report was written (a failed run may have none), else of the last done."""
    for run in (runs.latest, runs.latest_success):
        if run and report_path(out_dir, client_key, run.period.last_day).is_file():
            return run.period
    return None


def _expanding(name: str):
    return text(sql(name)).bindparams(bindparam("period_ends", expanding=True))


def _connection(row, now: float) -> tuple[str, str | None, int | None]:
    """The connection's state, why it must be renewed by a person if it must, and the refresh token's days left."""
    if row is None:
        return NEVER, None, None
    if row.service_account:
        return SERVICE_ACCOUNT, row.last_error, None
    days_left = int((row.refresh_expires_at - now) // DAY) if row.refresh_expires_at else None
    if not row.refresh_expires_at or row.refresh_expires_at <= now:
        return RECONNECT, "the refresh token has expired", days_left
    if row.last_error:
        # A failed renewal that only time can mend (Fortnox unavailable) leaves its lease to be taken over;
        # one that needs the client's consent again (refused, revoked) frees it.
        return (RENEWAL_FAILED if row.refresh_lease_owner else RECONNECT), row.last_error, days_left
    return CONNECTED, None, days_left


def _current_source(client: Client, sources, today: dt.date) -> str:
    """The active source of the financial year holding today, in words."""
    for source in sources:
        if source.from_date and _date(source.from_date) <= today <= _date(source.to_date):
            if source.source == "file":
                return f"file {source.file_name}" + (" (without orgnr)" if source.without_orgnr else "")
            return "Fortnox"
    return "not synced yet"


def _period_checks(client_key: str, runs: ClientRuns, counts, failed) -> PeriodChecks | None:
    run = runs.latest
    if run is None:
        return None
    counted = counts.get((client_key, run.period.last_day))
    if counted is None:
        return None
    return PeriodChecks(run.period.last_day, counted.checks, tuple(failed.get((client_key, run.period.last_day), [])))


def _flags(row: ClientRow) -> list[str]:
    flags = []
    if row.connection == RECONNECT:
        flags.append("reconnect")
    if row.connection == NEVER:
        flags.append("never")
    if row.expiring and row.connection != RECONNECT:
        flags.append("expiring")
    if row.runs.latest and row.runs.latest.state == "failed":
        flags.append("run_failed")
    if row.checks and row.checks.errors:
        flags.append("check_errors")
    if row.outbox.get("draft"):
        flags.append("drafts")
    return flags or ["ok"]


def swedish_time(moment: dt.datetime | str | None) -> str:
    """'2026-12-06 09:14' in Swedish time, for a moment in any zone (naive or ISO text taken as UTC)."""
    if not moment:
        return ""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(SWEDISH_TIME).strftime("%Y-%m-%d %H:%M")


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
