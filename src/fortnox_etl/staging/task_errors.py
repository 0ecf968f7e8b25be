"""The last failed task of each client and DAG, in the operator's words: the clients page shows it as the
client's last error and links to that task's log. Written by the failing task itself, as it fails."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, text

from fortnox_etl.staging.database import run_sql, sql


@dataclass(frozen=True)
class TaskError:
    client_key: str
    dag_id: str
    run_id: str
    task_id: str
    map_index: int  # -1 for a task that is not mapped
    try_number: int
    message: str
    failed_at: str  # ISO 8601, UTC


def record_task_error(engine: Engine, error: TaskError) -> None:
    """Keep `error` as the client's last failure in its DAG (replacing the one before)."""
    with engine.begin() as connection:
        run_sql(connection, "task_errors/upsert_task_error", **error.__dict__)


def last_task_errors(engine: Engine) -> dict[str, list[TaskError]]:
    """Per client, its last failed task of each DAG, the newest first."""
    with engine.connect() as connection:
        rows = connection.execute(text(sql("task_errors/select_task_errors"))).mappings().all()
    found: dict[str, list[TaskError]] = {}
    for row in rows:
        found.setdefault(row["client_key"], []).append(TaskError(**row))
    return found


def operator_message(client_key: str, error: BaseException) -> str:
    """What an operator reads about a failed task of the client: our own errors are written for them (each says
    what happened and what to do); anything else is a fault of ours, and says where its details are."""
    if type(error).__module__.startswith("fortnox_etl."):
        return str(error)
    return (f"client {client_key}: the task stopped on an unexpected fault of ours ({type(error).__name__}), not on "
            "anything you can mend: the details are in the traceback that follows this line in the task's log; "
            "report it to the developers with that log")


def utc_now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
