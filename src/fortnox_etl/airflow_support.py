"""What the DAG files share that needs Airflow: the operators of the client DAGs, the retry policy of
every Fortnox task, the connection lookup (a task's, and the command line's) and the asset that runs a client's
export.
The only module of the package that imports Airflow; DAG files import it, and the command line when it
asks Airflow for a connection.

The DAG processor imports it at every parse, so it imports only light modules: the API client, the
steps and pandas are imported when a task runs."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import (
    Asset,
    AssetAlias,
    BaseNotifier,
    BaseOperator,
    BaseOperatorLink,
    Connection,
    ExceptionRetryPolicy,
    Param,
    ParamsDict,
    RetryAction,
    RetryRule,
)
from airflow.sdk.exceptions import AirflowNotFoundException
from airflow.sdk.log import mask_secret

from fortnox_etl.config import (
    NOTIFY_SMTP_CONN_ID,
    NOTIFY_WEBHOOK_CONN_ID,
    OUT_DIR,
    STAGING_CONN_ID,
    Client,
    ConfigError,
    ConnectionSettings,
)
from fortnox_etl.fortnox.errors import (
    FortnoxUnavailable,
    InvalidAppCredentials,
    InvalidData,
    MissingScopeOrLicence,
    RateLimited,
    ReconnectNeeded,
    WrongCompany,
)
from fortnox_etl.fortnox.secret_masking import add_masker
from fortnox_etl.period import PERIOD_XCOM_KEY, LedgersNotReady, PeriodError
from fortnox_etl.period_end.checks import PeriodChecksFailed
from fortnox_etl.sie.errors import SieSyntaxError

# Every token and secret the package reads or receives is hidden in the task logs from then on.
add_masker(mask_secret)

log = logging.getLogger(__name__)


def vouchers_waiting_asset(client_key: str) -> Asset:
    """A period of the client synced with vouchers waiting in its outbox: the export DAG runs on it."""
    return Asset(name=f"fortnox_vouchers_waiting__{client_key}", uri=f"fortnox://vouchers-waiting/{client_key}")


def after_sync_alias(client_key: str) -> AssetAlias:
    """The sync task's outlet: it names the asset above only when vouchers wait, so that a month-end's syncs of
    clients with nothing to post start no export run (a task process each, and nothing to do)."""
    return AssetAlias(name=f"fortnox_after_sync__{client_key}")


def airflow_connection(conn_id: str) -> ConnectionSettings:
    """An Airflow connection's fields, for the package (which never imports Airflow itself)."""
    return ConnectionSettings.from_airflow(Connection.get(conn_id))


def stored_connection(conn_id: str) -> ConnectionSettings | None:
    """A connection as Airflow finds it outside a task, for the command line: its environment variable,
    its secrets backends, then its metadata database (where the UI's Connections page keeps it); None when
    Airflow has none of that name. (A task asks through `Connection.get`, never the metadata database.)"""
    from airflow.exceptions import AirflowNotFoundException
    from airflow.models.connection import Connection as MetadataConnection

    try:
        return ConnectionSettings.from_airflow(MetadataConnection.get_connection_from_secrets(conn_id))
    except AirflowNotFoundException:
        return None


def staging_engine():
    """The staging database, from Airflow's connection to it."""
    from fortnox_etl.staging.database import create_staging_engine, staging_url

    return create_staging_engine(staging_url(airflow_connection(STAGING_CONN_ID)))


def client_context(client: Client):
    """The client's context as a running task builds it: from Airflow's connections."""
    from fortnox_etl.fortnox.client_context import ClientContext  # the API client: when a task runs, not at parse

    return ClientContext.create(client, airflow_connection)


@contextmanager
def failures_in_words(client_key: str, context) -> Iterator[None]:
    """Around a client's task: a failure is recorded as the client's last error in its DAG (the clients page
    shows it) and its message, in the operator's words, is the task's last log line before it fails. The
    error itself goes on unchanged, so the retry policy decides as before; recording is best effort."""
    try:
        yield
    except Exception as error:
        from fortnox_etl.staging.task_errors import operator_message

        message = operator_message(client_key, error)
        _record_failure(client_key, context, message)
        log.error(message)
        raise


def _record_failure(client_key: str, context, message: str) -> None:
    from fortnox_etl.staging.task_errors import TaskError, record_task_error, utc_now_iso

    try:
        ti = context["ti"]
        engine = staging_engine()
        try:
            record_task_error(engine, TaskError(client_key, ti.dag_id, ti.run_id, ti.task_id, ti.map_index,
                                                ti.try_number, message, utc_now_iso()))
        finally:
            engine.dispose()
    except Exception as failure:  # never hide the task's own error behind this one
        log.warning("client %s: this failure could not be kept for the clients page (%s: %s); the task's own "
                    "error follows", client_key, type(failure).__name__, failure)


# The clients page's route that serves a client's period report (out/<client>/<client>_rapport_<period end>.html)
# to a user who may read the client's sync DAG.
PERIOD_REPORT_ROUTE = "/fortnox/reports"
SYNC_TASK = "sync_period"


class PeriodReportLink(BaseOperatorLink):
    """The sync_period task's button "Periodrapport": the report of the run's period. Airflow 3 asks for the
    link on the worker when the task ends (failed too: a period with errors has its report) and keeps it."""

    name = "Periodrapport"

    def get_link(self, operator, *, ti_key) -> str:
        from airflow.configuration import conf

        period = ti_key.xcom_pull(task_ids=SYNC_TASK, key=PERIOD_XCOM_KEY)  # the period the run synced
        if not period:
            return ""  # the run failed before it knew its period: there is no report
        base = conf.get("api", "base_url", fallback="").rstrip("/")
        return f"{base}{PERIOD_REPORT_ROUTE}/{operator.client.key}/{period}"


PERIOD_REPORT_LINKS = (PeriodReportLink(),)


class SyncPeriod(BaseOperator):
    """The task of a client's sync DAG: runs `fortnox_etl.period_end.client_steps.sync_period` with the client's
    context and the task's context, and hands on what it returns.

    The DAG processor builds one per client at every parse, so it is as cheap as Airflow allows: no
    `__init__` of its own (each costs another merge of the DAG's defaults and params); `for_client` sets the
    client afterwards."""

    client: Client
    operator_extra_links = PERIOD_REPORT_LINKS

    @classmethod
    def for_client(cls, client: Client, **kwargs) -> "SyncPeriod":
        task = cls(task_id=SYNC_TASK, **kwargs)
        task.client = client
        return task

    def execute(self, context):
        from fortnox_etl.period_end import client_steps

        with failures_in_words(self.client.key, context):
            ctx = client_context(self.client)
            done = client_steps.sync_period(ctx, context)
            start_export_if_vouchers_wait(ctx, context)
            return done


def start_export_if_vouchers_wait(ctx, context) -> None:
    """After a period is done: the client's export runs if its outbox holds anything to ask about or post."""
    from fortnox_etl.export.outbox import Outbox

    key = ctx.client.key
    waiting = Outbox(ctx.engine, key).waiting_for_export()
    if not waiting:
        log.info("client %s: no vouchers wait in the outbox; the export does not run", key)
        return
    context["outlet_events"][after_sync_alias(key)].add(vouchers_waiting_asset(key), extra={"vouchers": waiting})
    log.info("client %s: %d voucher(s) wait in the outbox (drafts to approve, approved ones to post): the export "
             "runs next", key, waiting)


# Fail at once on what only a person can fix; back off and retry on what time fixes.
FORTNOX_RETRY_POLICY = ExceptionRetryPolicy(rules=[
    RetryRule(exception=[ReconnectNeeded, WrongCompany], action=RetryAction.FAIL,
              reason="the client must reconnect to Fortnox (fortnox-etl connect); retrying cannot help"),
    RetryRule(exception=MissingScopeOrLicence, action=RetryAction.FAIL,
              reason="the client's Fortnox lacks a licence or permission; retrying cannot help"),
    RetryRule(exception=[InvalidAppCredentials, ConfigError, PeriodError], action=RetryAction.FAIL,
              reason="the configuration is wrong; correct it and run again"),
    RetryRule(exception=PeriodChecksFailed, action=RetryAction.FAIL,
              reason="the books have errors; correct them in Fortnox and run the period again"),
    RetryRule(exception=LedgersNotReady, action=RetryAction.FAIL,
              reason="a step ran before the one it needs; run the whole period again"),
    RetryRule(exception=InvalidData, action=RetryAction.FAIL, reason="Fortnox refused the data; retrying cannot help"),
    # A file that cannot be read stays so: retrying would ask Fortnox for the same bytes again and again.
    RetryRule(exception=SieSyntaxError, action=RetryAction.FAIL,
              reason="the SIE file cannot be read (the log names the line); retrying cannot help"),
    RetryRule(exception=[RateLimited, FortnoxUnavailable], action=RetryAction.RETRY,
              reason="Fortnox is busy or unavailable; retrying with exponential back-off"),
])


class VoucherExportOperator(HITLOperator):
    """Posts the client's approved outbox vouchers to Fortnox. If drafts wait, it first asks in the Airflow UI
    (Required actions), showing the company and each draft with its rows, one choice per draft (Approve or
    Reject, all Approve to begin with): the Approve button approves the drafts chosen, in the name of the user
    who answered, and the others stay drafts; the Reject button approves none. Unanswered within the response
    timeout, nothing is approved. Either way it then posts every approved voucher, those approved with
    `fortnox-etl vouchers approve` too.

    One task, not an approval task and a posting task: the DAG processor builds it for every client at
    every parse. A retry after a failed posting asks again only about drafts still left, and posts again."""

    APPROVE, REJECT = "Approve", "Reject"

    def __init__(self, *, client: Client, **kwargs) -> None:
        # Airflow's form shows the default option as the primary button. On the response timeout Airflow
        # answers with the defaults but names no one: such an answer approves nothing (execute_complete).
        super().__init__(options=[self.APPROVE, self.REJECT], multiple=False, defaults=self.APPROVE,
                         subject=f"Post draft vouchers to the Fortnox of {client.name}?", **kwargs)
        self.client = client

    def execute(self, context):
        from fortnox_etl.export import approval

        with failures_in_words(self.client.key, context):
            ctx = client_context(self.client)
            drafts = approval.drafts_to_approve(ctx.engine, self.client)
            if drafts is None:
                return self._post_approved(ctx)
            self.body = drafts["body"]
            # One choice per draft, known only now: the form is written from these when the task asks.
            self.params = self._choices(drafts["choices"])
            # The answer resumes the task later, in a new process: the drafts shown travel by XCom.
            context["ti"].xcom_push(key="shown_drafts", value=drafts["ids"])
            return super().execute(context)  # raises TaskAwaitingInput (no failure): the task waits for the answer

    def execute_complete(self, context, event):
        with failures_in_words(self.client.key, context):
            return self._answered(context, event)

    def _answered(self, context, event):
        from fortnox_etl.export import approval

        shown = context["ti"].xcom_pull(task_ids=self.task_id, key="shown_drafts") or []
        self.params = self._choices({outbox_id: outbox_id for outbox_id in shown})  # the answer is checked against them
        answer = super().execute_complete(context, event)
        ctx = client_context(self.client)
        user = answer["responded_by_user"]
        if event.get("timedout") or not user:
            approval.record_no_answer(self.client.key, shown)
        else:
            responder = f"{user.get('name') or user.get('id')} (Airflow UI)"
            chosen = (approval.chosen_for_approval(shown, answer["params_input"] or {})
                      if answer["chosen_options"] == [self.APPROVE] else [])
            approval.record_answer(ctx.engine, self.client.key, shown, chosen, responder)
        return self._post_approved(ctx)

    @staticmethod
    def _choices(titles: dict[str, str]) -> ParamsDict:
        from fortnox_etl.export import approval

        return ParamsDict({outbox_id: Param(approval.APPROVE, enum=[approval.APPROVE, approval.REJECT], title=title)
                           for outbox_id, title in titles.items()})

    @staticmethod
    def _post_approved(ctx) -> dict:
        from fortnox_etl.export import posting

        summary = posting.export_approved(ctx)
        return {"posted": summary.posted, "found": summary.found, "failed": summary.failed}


class FortnoxNotifier(BaseNotifier):
    """Word to a person, through Airflow's notifier mechanism: as every client task's on_failure_callback (which
    Airflow calls once the task has failed for good, not before a retry) it tells of the failure, naming the
    client, the period, the operator's words and the task's log (the period's report when its checks found
    errors). Each configured channel gets it: mail (connection fortnox_notify_smtp) and a webhook's JSON
    (fortnox_notify_webhook). Neither is required; a channel that fails is logged as a warning and never fails
    the task. One instance serves every DAG (built once per parse)."""

    template_fields = ()

    def notify(self, context) -> None:
        try:
            notice = _failure_notice(context)
        except Exception as failure:  # telling must never turn into a failure of its own
            log.warning("the failure of task %s could not be put into a notification (%s: %s); nothing was sent",
                        context["ti"].task_id, type(failure).__name__, failure)
            return
        if notice is not None:
            deliver(notice)


NOTIFY_ON_FAILURE = FortnoxNotifier()


def deliver(notice) -> None:
    """Send the notice through each configured channel; a channel left out is skipped, one that fails is a
    warning (the task goes on as it was)."""
    for conn_id, send in ((NOTIFY_SMTP_CONN_ID, _send_mail), (NOTIFY_WEBHOOK_CONN_ID, _send_webhook)):
        try:
            connection = Connection.get(conn_id)
        except AirflowNotFoundException:
            continue
        try:
            send(connection, notice)
        except Exception as failure:
            log.warning("client %s: the notification '%s' could not be sent through the Airflow connection %s "
                        "(%s: %s); check that connection (Admin → Connections); the task goes on",
                        notice.client_key, notice.subject, conn_id, type(failure).__name__, failure)
        else:
            log.info("client %s: notification '%s' sent through %s", notice.client_key, notice.subject, conn_id)


def _send_mail(connection, notice) -> None:
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    extra = connection.extra_dejson
    if not extra.get("to"):
        raise ConfigError(f"the connection {NOTIFY_SMTP_CONN_ID} names no recipients: put them in its extra, "
                          '{"to": "ekonomi@byran.se, jour@byran.se"}')
    with SmtpHook(smtp_conn_id=NOTIFY_SMTP_CONN_ID) as hook:
        hook.send_email_smtp(to=extra["to"], subject=notice.subject, html_content=notice.html(),
                             from_email=extra.get("from_email") or connection.login or "fortnox-etl@localhost")


def _send_webhook(connection, notice) -> None:
    from fortnox_etl.notifications.webhook import post_json

    extra = connection.extra_dejson
    post_json(extra.get("url") or _url_of(connection), notice.payload(), extra.get("headers"))


def _url_of(connection) -> str:
    """An http connection's URL: its host when that is a whole address (as Airflow's HTTP hook allows), else
    built from host, port and schema (the path)."""
    host = connection.host or ""
    if "://" in host:
        return host
    if not host:
        raise ConfigError(f"the connection {NOTIFY_WEBHOOK_CONN_ID} has no URL: give the address as its host "
                          'or as {"url": "https://..."} in its extra')
    scheme = "https" if connection.conn_type == "https" else "http"
    port = f":{connection.port}" if connection.port else ""
    return f"{scheme}://{host}{port}/{connection.schema or ''}"


def _failure_notice(context):
    """The notice of a client task that failed for good; None for a task that is no client's."""
    from fortnox_etl.fortnox.errors import ReconnectNeeded, WrongCompany
    from fortnox_etl.notifications.notice import Event, Notice, report_link
    from fortnox_etl.staging.task_errors import operator_message

    ti = context["ti"]
    client = getattr(context["task"], "client", None) or context.get("fortnox_client")
    if client is None:
        return None
    error = context.get("exception")
    words = (operator_message(client.key, error) if isinstance(error, BaseException)
             else f"client {client.key}: the task {ti.task_id} failed ({error or 'no reason given'}); see its log")
    event = (Event.RECONNECT_NEEDED if isinstance(error, (ReconnectNeeded, WrongCompany))
             else Event.PERIOD_CHECKS_FAILED if isinstance(error, PeriodChecksFailed) else Event.TASK_FAILED)
    period = _run_period(context)
    link = (report_link(OUT_DIR, client.key, period.last_day) if event is Event.PERIOD_CHECKS_FAILED and period
            else ti.log_url)
    return Notice(event, client.key, client.name, str(period) if period else None, words, link, ti.dag_id,
                  ti.task_id)


def _run_period(context):
    """The period of a sync run (as its first task reads it); None for the other DAGs and a bad period."""
    import datetime as dt

    from fortnox_etl.period import period_for_run

    if not context["ti"].dag_id.startswith("fortnox_sync__"):
        return None
    run = context.get("dag_run")
    try:
        return period_for_run((context.get("params") or {}).get("period"), context.get("data_interval_start"),
                              dt.date.today(), backfill=getattr(run, "run_type", None) == "backfill")
    except PeriodError:
        return None


def confirm_connections_of(clients: list[Client]) -> list[Client]:
    """The daily upkeep's first task (fortnox_tokens): every client's connection renewed if due and confirmed,
    in this one process; the clients it failed for are returned, for a task each (renew_connection)."""
    from fortnox_etl.connections.token_upkeep import confirm_every_connection
    from fortnox_etl.staging.database import create_schema

    if not clients:
        return []
    ctx = client_context(clients[0])
    try:
        create_schema(ctx.engine)
        return confirm_every_connection(ctx, clients)
    finally:
        ctx.engine.dispose()


def renew_connection(client: Client, context) -> bool:
    """The daily upkeep of one client's connection (fortnox_tokens) after it failed in confirm_connections, told
    as the client's; a refresh token that still expires within the renewal window afterwards (the renewal
    failed) is told once that day."""
    from fortnox_etl.connections.token_upkeep import renew_and_confirm

    context["fortnox_client"] = client  # the failure notifier names the client of this mapped task
    with failures_in_words(client.key, context):
        ctx = client_context(client)
        try:
            return renew_and_confirm(ctx)
        finally:
            tell_if_expiring(ctx, context)


def tell_if_expiring(ctx, context) -> None:
    """A refresh token that still expires within the renewal window is told, once per client and day."""
    import datetime as dt
    import time

    from fortnox_etl.connections.token_upkeep import RENEW_WITHIN_DAYS
    from fortnox_etl.notifications.daily import claim_daily_notice
    from fortnox_etl.notifications.notice import Event, Notice, expiry_words

    key = ctx.client.key
    try:
        stored = ctx.tokens().load(key)
        if stored is None or not stored.refresh_expires_at:
            return  # not connected (the failure says so) or a service account
        days_left = (stored.refresh_expires_at - time.time()) / 86400
        if not 0 < days_left <= RENEW_WITHIN_DAYS:
            return  # renewed, or already expired (then the client must reconnect: the failure tells it)
        if not claim_daily_notice(ctx.engine, key, Event.TOKEN_EXPIRING, dt.date.today()):
            return  # told today already
        ti = context["ti"]
        expires_on = dt.datetime.fromtimestamp(stored.refresh_expires_at, dt.UTC).date()
        deliver(Notice(Event.TOKEN_EXPIRING, key, ctx.client.name, None, expiry_words(key, days_left, expires_on),
                       ti.log_url, ti.dag_id, ti.task_id))
    except Exception as failure:  # never fail the upkeep for want of telling
        log.warning("client %s: whether the Fortnox connection expires soon could not be told (%s: %s)", key,
                    type(failure).__name__, failure)
