"""The clients page's FastAPI app, served by the plugin inside Airflow's API server (under /fortnox).

Every route needs a user logged in to Airflow (its JWT cookie or bearer token, read by Airflow's own
`get_user`), and every action the permission Airflow's own routes would want: creating runs of the client's
sync DAG to run or backfill a period, editing connections to connect or disconnect. A form posted with the
login cookie must carry the page's form token and come from the page's own origin. One of the three modules
of the room importing Airflow (with `airflow_side` and `registration`)."""
from __future__ import annotations

import hmac
import html
import logging
import os
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

from airflow.api_fastapi.core_api.security import get_user
from airflow.configuration import conf
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import Engine, text

from fortnox_etl.clients_page import airflow_side, guard
from fortnox_etl.clients_page.overview import SYNC_DAG_PREFIX, client_rows
from fortnox_etl.clients_page.page import Notice, PageContext, render_clients_page
from fortnox_etl.clients_page.registration import PREFIX, UI_ROUTE
from fortnox_etl.config import APP_CONN_ID, OUT_DIR, STAGING_CONN_ID, Client, ConfigError, find_client, load_clients
from fortnox_etl.connections.connect import ConnectError, disconnect, finish_pending_connect, record_attempt, start_connect
from fortnox_etl.fortnox import oauth
from fortnox_etl.fortnox.errors import FortnoxError
from fortnox_etl.fortnox.token_store import TokenStore, token_key_from_env
from fortnox_etl.period import Period, PeriodError
from fortnox_etl.period_report.report import report_path
from fortnox_etl.staging.database import create_staging_engine, sql, staging_url

log = logging.getLogger(__name__)

CALLBACK_PATH = "/callback"
# What an operator may be told went wrong: our own errors carry what to do; anything else is logged.
OPERATOR_ERRORS = (ConfigError, ConnectError, FortnoxError, PeriodError, airflow_side.ActionFailed, guard.Refused)

app = FastAPI(title="fortnox-etl clients", docs_url=None, redoc_url=None, openapi_url=None)
_engines: dict[str, Engine] = {}


@app.exception_handler(HTTPException)
async def _refused(request: Request, error: HTTPException) -> Response:
    """Airflow's 401 and 403 as a page an operator understands (JSON for API clients)."""
    if "text/html" not in request.headers.get("accept", ""):
        return JSONResponse({"detail": error.detail}, status_code=error.status_code)
    if error.status_code == 401:
        login = f"{airflow_side.ui_root()}auth/login?{urlencode({'next': str(request.url)})}"
        body = f'You are not logged in to Airflow. <a href="{login}" target="_top">Log in</a>, then open Clients again.'
    else:
        body = str(error.detail)
    return HTMLResponse(f'<!DOCTYPE html><meta charset="utf-8"><body style="font-family:system-ui;padding:24px">'
                        f"<h1>Clients</h1><p>{body}</p>", status_code=error.status_code)


def clients_file() -> Path:
    """The client file as the DAG files find it: FORTNOX_ETL_CLIENTS, else config/clients.yaml beside dags/."""
    named = os.environ.get("FORTNOX_ETL_CLIENTS")
    return Path(named) if named else Path(conf.get("core", "dags_folder")).resolve().parent / "config" / "clients.yaml"


def staging() -> Engine:
    url = staging_url(airflow_side.connection_settings(STAGING_CONN_ID))
    key = url.render_as_string(hide_password=False)
    if key not in _engines:
        _engines[key] = create_staging_engine(url)
    return _engines[key]


def fortnox_app(redirect_uri: str) -> oauth.FortnoxApp:
    """The bureau's Fortnox app from Airflow's connection, with the redirect_uri of this consent."""
    return replace(oauth.FortnoxApp.from_connection(airflow_side.connection_settings(APP_CONN_ID)),
                   redirect_uri=redirect_uri)


def own_origin(request: Request) -> str:
    return guard.origin_of_url(airflow_side.configured_base_url() or str(request.base_url))


def callback_uri(request: Request) -> str:
    """Where Fortnox sends the operator back: the API server's address, as the browser reaches it."""
    base = airflow_side.configured_base_url()
    if base:
        return f"{base}{PREFIX}{CALLBACK_PATH}"
    return f"{guard.origin_of_url(str(request.url))}{airflow_side.ui_root().rstrip('/')}{PREFIX}{CALLBACK_PATH}"


def _page_url() -> str:
    return f"{PREFIX}/clients"


def _back_to_page(notice: Notice, to_ui: bool = False) -> RedirectResponse:
    """After an action, the page again (a reload does not repeat the action) with what was done."""
    response = RedirectResponse(f"{airflow_side.ui_root()}plugin/{UI_ROUTE}" if to_ui else _page_url(), status_code=303)
    response.set_cookie(guard.NOTICE_COOKIE, guard.signed(airflow_side.form_secret(), notice), max_age=60,
                        path=PREFIX, httponly=True, samesite="lax")
    return response


@app.get("/clients", response_class=HTMLResponse)
def clients_page(request: Request, user=Depends(get_user)) -> Response:
    started = time.perf_counter()
    secret = airflow_side.form_secret()
    session_id = request.cookies.get(guard.SESSION_COOKIE) or guard.new_session_id()
    notice = guard.unsigned(secret, request.cookies.get(guard.NOTICE_COOKIE))
    try:
        clients = [client for client in load_clients(clients_file())
                   if airflow_side.may_see(user, f"{SYNC_DAG_PREFIX}{client.key}")]
        runs = airflow_side.sync_runs()
        airflow_done = time.perf_counter()
        rows = client_rows(staging(), clients, runs)
    except ConfigError as error:
        return HTMLResponse(f'<!DOCTYPE html><meta charset="utf-8"><body style="font-family:system-ui;padding:24px">'
                            f"<h1>Clients</h1><p>{html.escape(str(error))}</p>", status_code=500)
    staging_done = time.perf_counter()
    may_run = any(airflow_side.may_trigger(user, row.sync_dag_id) for row in rows)
    page = render_clients_page(rows, PageContext(
        user_name=user.get_name(), prefix=PREFIX, ui=airflow_side.ui_root(),
        csrf=guard.form_token(secret, session_id, str(user.get_id())), may_run=may_run,
        may_connect=airflow_side.may_edit_connections(user), clients_file=str(clients_file()), notice=notice))
    timings = {"page": time.perf_counter() - started, "airflow": airflow_done - started,
               "staging": staging_done - airflow_done, "render": time.perf_counter() - staging_done}
    response = HTMLResponse(page, headers={"Cache-Control": "no-store", "Server-Timing": ", ".join(
        f"{name};dur={seconds * 1000:.1f}" for name, seconds in timings.items())})
    response.set_cookie(guard.SESSION_COOKIE, session_id, path=PREFIX, httponly=True, samesite="strict")
    if notice:
        response.delete_cookie(guard.NOTICE_COOKIE, path=PREFIX)
    return response


async def _checked_form(request: Request, user) -> dict[str, list[str]]:
    """The posted form, once it is known to come from this user's page in this browser."""
    form = await request.form()
    fields = {name: form.getlist(name) for name in form.keys()}
    if not request.headers.get("authorization", "").lower().startswith("bearer "):
        # The login cookie goes with any request the browser sends, whoever's page sent it.
        try:
            guard.check_form(airflow_side.form_secret(), request.cookies.get(guard.SESSION_COOKIE), str(user.get_id()),
                             (fields.get("csrf") or [None])[0], request.headers.get("origin"),
                             request.headers.get("referer"), own_origin(request))
        except guard.Refused as refused:
            log.warning("clients page: a form posted for %s was refused: %s", user.get_name(), refused)
            raise HTTPException(403, str(refused)) from None
    return fields


def _forbidden(what: str) -> HTTPException:
    return HTTPException(403, f"You may not {what}; ask an Airflow administrator for the permission.")


def _one(fields: dict[str, list[str]], name: str) -> str:
    return ((fields.get(name) or [""])[0]).strip()


@app.get("/reports/{client_key}/{period}", response_class=HTMLResponse)
def period_report(client_key: str, period: str, user=Depends(get_user)) -> Response:
    """A client's period report (the sync DAG's task writes it; its extra link and the page's row point
    here), to a user who may read the client's sync DAG."""
    client = _client(client_key)
    dag_id = f"{SYNC_DAG_PREFIX}{client.key}"
    if not airflow_side.may_see(user, dag_id):
        raise _forbidden(f"read {dag_id}, whose period reports these are")
    try:
        month = Period.parse(period)
    except PeriodError as error:
        raise HTTPException(404, f"No such report: {error}.") from None
    path = report_path(OUT_DIR, client.key, month.last_day)
    if not path.is_file():
        raise HTTPException(404, f"There is no period report of {client.name} for {month} yet: the sync writes it "
                                 f"when it syncs the period; run the period ({dag_id}), then open it again.")
    return HTMLResponse(path.read_text(encoding="utf-8"), headers={"Cache-Control": "no-store"})


@app.post("/run")
async def run_period(request: Request, user=Depends(get_user)) -> Response:
    """One run of each chosen client's sync DAG for the period (all clients with scope=all)."""
    fields = await _checked_form(request, user)
    try:
        period = Period.parse(_one(fields, "period"))
    except PeriodError as error:
        return _back_to_page(Notice(f"Nothing was run: {error}.", failed=True))
    clients = load_clients(clients_file())
    if _one(fields, "scope") != "all":
        chosen = set(fields.get("client", []))
        clients = [client for client in clients if client.key in chosen]
        if not clients:
            return _back_to_page(Notice("Nothing was run: select the clients to run first (the boxes on the left), "
                                        "or use Run for all.", failed=True))
    allowed = [client for client in clients if airflow_side.may_trigger(user, f"{SYNC_DAG_PREFIX}{client.key}")]
    if not allowed:
        raise _forbidden("trigger the clients' sync DAGs")
    started, failed = [], []
    for client in allowed:
        try:
            airflow_side.trigger_period(f"{SYNC_DAG_PREFIX}{client.key}", period, user,
                                        note=f"period {period} (from the clients page)")
            started.append(client.key)
        except airflow_side.ActionFailed as error:
            failed.append(f"{client.key}: {error}")
    log.info("clients page: %s started period %s for %d clients", user.get_name(), period, len(started))
    lines = [f"Period {period} started for {len(started)} client{'s' if len(started) != 1 else ''}"
             + (f": {', '.join(started)}." if 0 < len(started) <= 10 else ".")]
    if len(allowed) < len(clients):
        lines.append(f"{len(clients) - len(allowed)} clients were left out: you may not trigger their DAGs.")
    lines += [f"Not started, {line}" for line in failed]
    return _back_to_page(Notice("\n".join(lines), failed=bool(failed) or not started))


@app.post("/backfill")
async def backfill(request: Request, user=Depends(get_user)) -> Response:
    fields = await _checked_form(request, user)
    client = _client(_one(fields, "client"))
    dag_id = f"{SYNC_DAG_PREFIX}{client.key}"
    if not airflow_side.may_trigger(user, dag_id):
        raise _forbidden(f"backfill {dag_id}")
    try:
        first, last = Period.parse(_one(fields, "from_period")), Period.parse(_one(fields, "to_period"))
        if last < first:
            raise PeriodError(f"the last month {last} is before the first {first}; give the months in order")
        periods = airflow_side.backfill_periods(dag_id, first, last, user)
    except (PeriodError, airflow_side.ActionFailed) as error:
        return _back_to_page(Notice(f"No backfill for {client.name}: {error}.", failed=True))
    return _back_to_page(Notice(f"Backfill of {client.name} started: {len(periods)} month"
                                f"{'s' if len(periods) != 1 else ''} ({', '.join(periods)})."))


@app.post("/connect")
async def connect(request: Request, user=Depends(get_user)) -> Response:
    """Fortnox's consent, in the operator's browser; Fortnox sends them back to /callback."""
    fields = await _checked_form(request, user)
    if not airflow_side.may_edit_connections(user):
        raise _forbidden("connect clients to Fortnox (it needs the permission to edit connections)")
    client = _client(_one(fields, "client"))
    try:
        app_ = fortnox_app(callback_uri(request))
        url, state = start_connect(app_, client)
        record_attempt(staging(), client, state, app_.redirect_uri)
    except OPERATOR_ERRORS as error:
        return _back_to_page(Notice(f"{client.name} cannot be connected: {error}", failed=True), to_ui=True)
    log.info("clients page: %s started connecting client %s to Fortnox", user.get_name(), client.key)
    response = RedirectResponse(url, status_code=303)
    # Only the browser that started a consent may finish it.
    response.set_cookie(guard.CONNECT_COOKIE, state, max_age=600, path=PREFIX, httponly=True, samesite="lax")
    return response


@app.get(CALLBACK_PATH)
def connect_callback(request: Request, user=Depends(get_user)) -> Response:
    if not airflow_side.may_edit_connections(user):
        raise _forbidden("connect clients to Fortnox (it needs the permission to edit connections)")
    state = request.query_params.get("state", "")
    started_here = request.cookies.get(guard.CONNECT_COOKIE, "")
    if not state or not started_here or not _same(state, started_here):
        return _back_to_page(Notice("Nothing was stored: this answer from Fortnox does not belong to the connection "
                                    "started in this browser. Press Connect again.", failed=True), to_ui=True)
    with staging().connect() as connection:
        attempt = connection.execute(text(sql("connect/select_attempt")), {"state": state}).mappings().first()
    if attempt is None:
        return _back_to_page(Notice("Nothing was stored: the connection attempt is unknown. Press Connect again.",
                                    failed=True), to_ui=True)
    try:
        client = find_client(load_clients(clients_file()), attempt["client_key"])
        tokens = TokenStore(staging(), token_key_from_env(), fortnox_app(attempt["redirect_uri"]))
        company = finish_pending_connect(staging(), tokens, fortnox_app(attempt["redirect_uri"]), client,
                                         _received_url(request, attempt["redirect_uri"]))
    except OPERATOR_ERRORS as error:
        notice = Notice(f"Not connected: {error}", failed=True)
    else:
        log.info("clients page: %s connected client %s to Fortnox company %s", user.get_name(), client.key, company)
        notice = Notice(f"{client.name} is connected to Fortnox ({company}).")
    response = _back_to_page(notice, to_ui=True)
    response.delete_cookie(guard.CONNECT_COOKIE, path=PREFIX)
    return response


@app.post("/disconnect")
async def disconnect_client(request: Request, user=Depends(get_user)) -> Response:
    fields = await _checked_form(request, user)
    if not airflow_side.may_edit_connections(user):
        raise _forbidden("disconnect clients from Fortnox (it needs the permission to edit connections)")
    client = _client(_one(fields, "client"))
    if _one(fields, "confirmed") != "yes":
        return _back_to_page(Notice(f"{client.name} was not disconnected: confirm it in the dialog.", failed=True))
    try:
        tokens = TokenStore(staging(), token_key_from_env(), fortnox_app(""))
        done = disconnect(tokens, fortnox_app(""), client)
    except OPERATOR_ERRORS as error:
        return _back_to_page(Notice(f"{client.name} was not disconnected: {error}", failed=True))
    log.info("clients page: %s disconnected client %s: %s", user.get_name(), client.key, done)
    return _back_to_page(Notice(done[0].upper() + done[1:] + "."))


def _client(key: str) -> Client:
    try:
        return find_client(load_clients(clients_file()), key)
    except ConfigError as error:
        raise HTTPException(404, str(error)) from None


def _received_url(request: Request, redirect_uri: str) -> str:
    """Fortnox's redirect as it was sent: the callback's registered address with the query received."""
    return f"{redirect_uri}?{request.url.query}"


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
