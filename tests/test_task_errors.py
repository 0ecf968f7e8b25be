"""The last failed task per client and DAG: kept, replaced by the next failure, never duplicated."""
from __future__ import annotations

from fortnox_etl.staging.database import create_schema, create_staging_engine, staging_url
from fortnox_etl.staging.task_errors import TaskError, last_task_errors, record_task_error


def test_a_later_failure_of_the_same_dag_replaces_the_earlier_and_other_dags_keep_theirs(staging):
    staging_engine = create_staging_engine(staging_url(staging))
    create_schema(staging_engine)
    first = TaskError("acme", "fortnox_sync__acme", "manual__1", "extract_from_fortnox", -1, 1,
                      "Fortnox refused the refresh token: the client must reconnect", "2026-12-01T08:00:00+00:00")
    record_task_error(staging_engine, first)
    record_task_error(staging_engine, TaskError("acme", "fortnox_tokens", "scheduled__1", "renew", 3, 2,
                                                "client acme is not connected", "2026-12-02T08:00:00+00:00"))
    later = TaskError("acme", "fortnox_sync__acme", "manual__2", "check_period", -1, 1, "2 errors for 2026-11",
                      "2026-12-03T08:00:00+00:00")
    record_task_error(staging_engine, later)
    found = last_task_errors(staging_engine)
    assert list(found) == ["acme"]
    assert [error.dag_id for error in found["acme"]] == ["fortnox_sync__acme", "fortnox_tokens"]
    assert found["acme"][0] == later
