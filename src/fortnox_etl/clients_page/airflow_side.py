"""All the clients page asks of Airflow, inside its API server: the logged-in user's permissions as Airflow's own
routes check them, the connections where Airflow finds them, the sync runs in the metadata database, and
runs and backfills made with Airflow's own functions. One of the three modules of the room importing Airflow
(with `web` and `registration`)."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.resource_details import ConnectionDetails, DagAccessEntity, DagDetails
from airflow.configuration import conf
from airflow.models.connection import Connection
from airflow.models.dag import DagModel
from airflow.models.dagrun import DagRun
from airflow.utils.session import create_session
from airflow.utils.state import DagRunState
from sqlalchemy import func, select

from fortnox_etl.clients_page.overview import SYNC_DAG_PREFIX, ClientRuns, SyncRun
from fortnox_etl.config import APP_CONN_ID, ConnectionSettings
from fortnox_etl.period import SWEDISH_TIME, Period, period_for_run


class ActionFailed(Exception):
    """Airflow would not do what the page asked; the message says why, in words."""


def connection_settings(conn_id: str) -> ConnectionSettings:
    """An Airflow connection's fields, found where Airflow finds connections (secrets backends, environment,
    the metadata database)."""
    return ConnectionSettings.from_airflow(Connection.get_connection_from_secrets(conn_id))


def form_secret() -> str:
    """The key the page signs its form tokens and notices with: Airflow's own JWT secret, shared by every
    API server worker (a secret of our own per process would refuse forms rendered by another worker)."""
    return conf.get("api_auth", "jwt_secret")


def ui_root() -> str:
    """The Airflow UI's root path, ending in / ('/' unless Airflow is served under a path of [api] base_url)."""
    path = urlsplit(conf.get("api", "base_url", fallback="") or "").path.rstrip("/")
    return f"{path}/"


def configured_base_url() -> str | None:
    """[api] base_url when set: the address browsers reach the API server at, which the request may not show
    behind a proxy."""
    return (conf.get("api", "base_url", fallback="") or "").rstrip("/") or None


def may_trigger(user, dag_id: str) -> bool:
    """As Airflow's trigger and backfill routes decide: may the user create runs of the DAG?"""
    return get_auth_manager().is_authorized_dag(method="POST", access_entity=DagAccessEntity.RUN,
                                                details=DagDetails(id=dag_id, team_name=_team_of(dag_id)), user=user)


def may_see(user, dag_id: str) -> bool:
    return get_auth_manager().is_authorized_dag(method="GET", access_entity=DagAccessEntity.RUN,
                                                details=DagDetails(id=dag_id, team_name=_team_of(dag_id)), user=user)


def may_edit_connections(user) -> bool:
    """As Airflow's connection routes decide for editing the Fortnox app's connection: connecting or
    disconnecting a client is that kind of change."""
    return get_auth_manager().is_authorized_connection(method="PUT", details=ConnectionDetails(conn_id=APP_CONN_ID),
                                                       user=user)


def _team_of(dag_id: str) -> str | None:
    return DagModel.get_team_name(dag_id) if conf.getboolean("core", "multi_team", fallback=False) else None


def sync_runs(today: dt.date | None = None) -> dict[str, ClientRuns]:
    """Per client key, the latest run of its sync DAG and the latest that succeeded: three queries in all."""
    today = today or dt.datetime.now(SWEDISH_TIME).date()
    is_sync = DagRun.dag_id.like(f"{SYNC_DAG_PREFIX}%")
    with create_session() as session:
        latest = set(session.scalars(select(func.max(DagRun.id)).where(is_sync).group_by(DagRun.dag_id)))
        succeeded = set(session.scalars(select(func.max(DagRun.id)).where(is_sync, DagRun.state == DagRunState.SUCCESS)
                                        .group_by(DagRun.dag_id)))
        runs = session.execute(select(DagRun.id, DagRun.dag_id, DagRun.run_id, DagRun.state, DagRun.conf,
                                      DagRun.data_interval_start, DagRun.run_type, DagRun.start_date, DagRun.end_date)
                               .where(DagRun.id.in_(latest | succeeded))).all() if latest else []
    found: dict[str, dict[str, SyncRun]] = {}
    for run in runs:
        sync_run = SyncRun(dag_id=run.dag_id, run_id=run.run_id, state=str(run.state.value if hasattr(run.state, "value")
                                                                             else run.state),
                           period=_period(run.conf, run.data_interval_start, today),
                           run_type=str(getattr(run.run_type, "value", run.run_type)), started_at=run.start_date,
                           ended_at=run.end_date)
        kinds = found.setdefault(run.dag_id[len(SYNC_DAG_PREFIX):], {})
        if run.id in latest:
            kinds["latest"] = sync_run
        if run.id in succeeded:
            kinds["latest_success"] = sync_run
    return {key: ClientRuns(**kinds) for key, kinds in found.items()}


def _period(conf_: dict | None, interval_start: dt.datetime | None, today: dt.date) -> Period:
    """The run's period as its tasks take it: the conf's period, else its data interval's month."""
    try:
        return period_for_run((conf_ or {}).get("period"), interval_start, today)
    except ValueError:  # a period the run itself refuses: show the month it would otherwise take
        return period_for_run(None, interval_start, today)


def trigger_period(dag_id: str, period: Period, user, note: str) -> str:
    """A run of the DAG for the period, made as Airflow's trigger route makes it; returns its run id."""
    from airflow.api_fastapi.common.dagbag import get_latest_version_of_dag
    from airflow.api_fastapi.core_api.datamodels.dag_run import TriggerDAGRunPostBody
    from airflow.models.dagbag import DBDagBag
    from airflow.utils.types import DagRunTriggeredByType, DagRunType

    with create_session() as session:
        model = session.scalar(select(DagModel).where(~DagModel.is_stale, DagModel.dag_id == dag_id).limit(1))
        if model is None:
            raise ActionFailed(f"{dag_id} is not among Airflow's DAGs (yet): is the client in the client file the DAG "
                               "processor reads, and has it parsed the file since?")
        if model.has_import_errors:
            raise ActionFailed(f"{dag_id} has an import error (see Airflow's DAG list); mend it first")
        dag = get_latest_version_of_dag(DBDagBag(), dag_id, session)
        params = TriggerDAGRunPostBody(logical_date=None, conf={"period": str(period)}, note=note).validate_context(dag)
        run = dag.create_dagrun(run_id=params["run_id"], logical_date=params["logical_date"],
                                data_interval=params["data_interval"], run_after=params["run_after"],
                                conf=params["conf"], run_type=DagRunType.MANUAL, triggered_by=DagRunTriggeredByType.UI,
                                triggering_user_name=user.get_name(), state=DagRunState.QUEUED,
                                partition_key=None, partition_date=None, session=session)
        run.note = (note, user.get_id())
        return run.run_id


def backfill_periods(dag_id: str, first: Period, last: Period, user) -> list[str]:
    """A backfill of the months first..last, made as Airflow's backfill route makes it (completed months run
    again); each run is noted with its period. Returns the periods that got a run."""
    from airflow.models.backfill import (
        AlreadyRunningBackfill,
        InvalidBackfillDate,
        NoBackfillRunsToCreate,
        ReprocessBehavior,
        _create_backfill,
    )

    # The sync's data intervals are months in Swedish time, each run's logical date its first moment.
    start = dt.datetime.combine(first.first_day, dt.time(), SWEDISH_TIME)
    end = dt.datetime.combine(last.first_day, dt.time(), SWEDISH_TIME)
    try:
        backfill = _create_backfill(dag_id=dag_id, from_date=start, to_date=end, max_active_runs=3, reverse=False,
                                    dag_run_conf={}, triggering_user_name=user.get_name(),
                                    reprocess_behavior=ReprocessBehavior.COMPLETED, run_on_latest_version=True)
    except AlreadyRunningBackfill:
        raise ActionFailed(f"{dag_id} has a backfill running already; wait for it to finish, or cancel it in "
                           "Airflow's Backfills page") from None
    except InvalidBackfillDate:
        raise ActionFailed(f"{first} has not begun yet; backfill months up to this one") from None
    except NoBackfillRunsToCreate:
        raise ActionFailed(f"no month from {first} to {last} lies within the sync's schedule (it starts "
                           "2024-01); choose later months") from None
    with create_session() as session:
        runs = session.scalars(select(DagRun).where(DagRun.backfill_id == backfill.id)).all()
        for run in runs:
            run.note = (f"period {_period(None, run.data_interval_start, start.date())} (backfill)", user.get_id())
        return sorted(str(_period(None, run.data_interval_start, start.date())) for run in runs)


