"""Connecting a client: Fortnox's authorization-code flow, checked against the client's organisation number.

A consent is finished in one of two ways: Fortnox's redirect arrives at a loopback callback that
`fortnox-etl connect` serves, or the operator consents in another browser (`--url-only`, which
records the attempt in the staging database) and hands over the code (`--code`).
"""
from __future__ import annotations

import dataclasses
import hmac
import html
import logging
import socket
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from ipaddress import ip_address
from urllib.parse import parse_qs, urlencode, urlsplit

from sqlalchemy import Engine, text

from fortnox_etl.config import Client, ConfigError, same_organisation
from fortnox_etl.fortnox import oauth
from fortnox_etl.fortnox.api import FixedToken, FortnoxApi
from fortnox_etl.fortnox.errors import FortnoxError, WrongCompany
from fortnox_etl.fortnox.token_store import TokenStore
from fortnox_etl.staging.database import run_sql, sql

log = logging.getLogger(__name__)

# Fortnox's authorization code lives 10 minutes; an attempt cannot outlive it.
ATTEMPT_SECONDS = 600
STALE_ATTEMPT_SECONDS = 24 * 3600
DEFAULT_CALLBACK_TIMEOUT = 600
# A browser may open a connection and send nothing (preconnect); do not let it block the callback.
CALLBACK_READ_TIMEOUT = 5


class ConnectError(Exception):
    """A connection attempt cannot go on; the message says what to do instead."""


def start_connect(app: oauth.FortnoxApp, client: Client) -> tuple[str, str]:
    """The authorize URL for the client's administrator, and the state to expect back."""
    return oauth.authorization_url(app, service_account=client.tenant_id is not None)


def finish_connect(tokens: TokenStore, app: oauth.FortnoxApp, client: Client, redirect_response: str, state: str) -> str:
    """Exchange the code from Fortnox's redirect and store the tokens, if the company is the client's.

    The company is checked with the new access token before anything is stored, so tokens of the
    wrong company never sit under this client. Returns the company's name.
    """
    _refuse_declined_consent(client, redirect_response)
    grant = oauth.exchange_code(app, redirect_response, state)
    service_account = client.tenant_id is not None
    if service_account:
        grant = _service_account_grant(app, client, grant)
    api = FortnoxApi(app.api_url, FixedToken(grant.access_token, grant.tenant_id))
    company = api.single("/3/companyinformation", "CompanyInformation")
    number = str(company.get("OrganizationNumber") or "").strip()
    if not same_organisation(number, client.organisation_number):
        raise WrongCompany(
            f"client {client.key} is {client.organisation_number}, but the consent was given for "
            f"{company.get('CompanyName')!r} ({number}); nothing was stored. Connect again and choose the right company"
        )
    tokens.save_grant(client.key, grant, service_account=service_account)
    log.info("client %s: connected to Fortnox company %s (%s)%s; tokens stored", client.key, company.get("CompanyName"),
             number, " as a service account" if service_account else "")
    return str(company.get("CompanyName"))


def _refuse_declined_consent(client: Client, redirect_response: str) -> None:
    query = parse_qs(urlsplit(redirect_response).query)
    if "error" in query:
        reason = " ".join(query.get("error_description", query["error"]))
        raise ConnectError(
            f"client {client.key}: Fortnox gave no consent ({reason}); nothing was stored. "
            f"Run 'fortnox-etl connect {client.key}' again and approve the integration"
        )


def _service_account_grant(app: oauth.FortnoxApp, client: Client, consent: oauth.TokenGrant) -> oauth.TokenGrant:
    # The consent's own tokens are the consenting user's; a service account works with client
    # credentials instead, so the consent's refresh token is simply not kept.
    if consent.tenant_id != client.tenant_id:
        raise WrongCompany(
            f"client {client.key} has tenant_id {client.tenant_id} in the client file, but the consent was given for "
            f"tenant {consent.tenant_id}; nothing was stored. Connect again choosing the right company, "
            "or correct tenant_id in the client file"
        )
    return oauth.client_credentials(app, client.tenant_id)


# --- consent in another browser: --url-only, then --code ---


@dataclasses.dataclass(frozen=True)
class PendingAttempt:
    state: str
    redirect_uri: str


def record_attempt(engine: Engine, client: Client, state: str, redirect_uri: str, clock=time.time) -> None:
    now = int(clock())
    with engine.begin() as connection:
        run_sql(connection, "connect/delete_stale_attempts", created_before=now - STALE_ATTEMPT_SECONDS)
        run_sql(connection, "connect/insert_attempt", state=state, client_key=client.key, redirect_uri=redirect_uri,
                created_at=now)


def finish_pending_connect(engine: Engine, tokens: TokenStore, app: oauth.FortnoxApp, client: Client,
                           code_or_redirect: str, clock=time.time) -> str:
    """Finish a --url-only attempt with the code, or with the whole address Fortnox redirected to."""
    attempt, redirect_response = _claim_attempt(engine, client, code_or_redirect.strip(), clock)
    # The code is bound to the redirect_uri it was issued for, even if the app's setting changed since.
    return finish_connect(tokens, dataclasses.replace(app, redirect_uri=attempt.redirect_uri), client,
                          redirect_response, attempt.state)


def _claim_attempt(engine: Engine, client: Client, code_or_redirect: str, clock) -> tuple[PendingAttempt, str]:
    start_again = f"start again with 'fortnox-etl connect {client.key} --url-only'"
    is_redirect = "?" in code_or_redirect or "://" in code_or_redirect
    with engine.begin() as connection:
        if is_redirect:
            states = parse_qs(urlsplit(code_or_redirect).query).get("state")
            if not states:
                raise ConnectError(
                    f"client {client.key}: the address given has no state; paste the whole address Fortnox redirected to, "
                    "or only its code"
                )
            row = connection.execute(text(sql("connect/select_attempt")), {"state": states[0]}).mappings().first()
        else:
            row = connection.execute(text(sql("connect/select_latest_attempt")),
                                     {"client_key": client.key}).mappings().first()
        if row is None or row["client_key"] != client.key:
            raise ConnectError(f"client {client.key}: no connection attempt matches this answer from Fortnox; {start_again}")
        if row["used_at"] is not None:
            raise ConnectError(f"client {client.key}: this connection attempt was used already; {start_again}")
        if row["created_at"] + ATTEMPT_SECONDS <= clock():
            raise ConnectError(f"client {client.key}: this connection attempt is older than 10 minutes; {start_again}")
        claimed = connection.execute(text(sql("connect/use_attempt")), {"state": row["state"], "now": int(clock())})
        if claimed.rowcount != 1:
            raise ConnectError(f"client {client.key}: this connection attempt was used already; {start_again}")
    attempt = PendingAttempt(row["state"], row["redirect_uri"])
    if is_redirect:
        return attempt, code_or_redirect
    separator = "&" if "?" in attempt.redirect_uri else "?"
    return attempt, f"{attempt.redirect_uri}{separator}{urlencode({'code': code_or_redirect, 'state': attempt.state})}"


# --- consent on this machine: Fortnox redirects to a loopback callback ---


class LoopbackCallback:
    """Serves the app's redirect_uri on this machine until Fortnox's redirect arrives.

    `with LoopbackCallback(uri) as callback: callback.wait(on_redirect, state, timeout)`: on_redirect gets
    the full redirect URL carrying `state` and returns the company's name; the browser is told whether it
    worked. A request with another state (a browser tab of an earlier attempt) is answered and ignored.
    """

    def __init__(self, redirect_uri: str) -> None:
        parts = urlsplit(redirect_uri)
        if parts.scheme != "http" or not _is_loopback(parts.hostname or "") or not parts.port:
            raise ConfigError(
                f"the fortnox_app connection's redirect_uri {redirect_uri} is not a loopback address with a port "
                "(like http://127.0.0.1:8976/fortnox/callback), so Fortnox's answer cannot be received here; "
                "use 'fortnox-etl connect <client> --url-only' and then '--code'"
            )
        self.redirect_uri = redirect_uri
        self._path = parts.path or "/"
        self._outcome: str | Exception | None = None
        server_class = _IPv6HTTPServer if ":" in parts.hostname else HTTPServer
        try:
            self._server = server_class((parts.hostname, parts.port), self._handler_class())
        except OSError as error:
            raise ConnectError(
                f"cannot listen on {parts.hostname}:{parts.port} for Fortnox's answer ({error.strerror}); "
                "stop whatever uses that port, or use '--url-only' and then '--code'"
            ) from None

    def __enter__(self) -> "LoopbackCallback":
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.server_close()

    def wait(self, on_redirect: Callable[[str], str], state: str, timeout: float) -> str:
        self._on_redirect = on_redirect
        self._state = state
        deadline = time.monotonic() + timeout
        while self._outcome is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ConnectError(f"no answer from Fortnox within {timeout:g} seconds; nothing was stored. Connect again")
            self._server.timeout = remaining
            self._server.handle_request()
        if isinstance(self._outcome, Exception):
            raise self._outcome
        return self._outcome

    def _answer(self, request_path: str) -> tuple[int, str]:
        parts = urlsplit(self.redirect_uri)
        state = parse_qs(urlsplit(request_path).query).get("state", [""])[0]
        if not hmac.compare_digest(state.encode(), self._state.encode()):  # bytes: any text a browser may send
            log.warning("an answer from Fortnox for an earlier connection attempt (an old browser tab?) was ignored; "
                        "still waiting for the answer to this one")
            return 400, ("<h1>Not connected</h1><p>This page belongs to an earlier connection attempt, so it was ignored. "
                         "Close it and finish the consent in the window opened for the latest attempt.</p>")
        try:
            company = self._on_redirect(f"{parts.scheme}://{parts.netloc}{request_path}")
        except (ConnectError, ConfigError, FortnoxError) as error:
            self._outcome = error
            return 400, f"<h1>Not connected</h1><p>{html.escape(str(error))}</p>"
        except Exception as error:  # wait() raises it in the command; the browser must still get an answer
            self._outcome = error
            return 500, "<h1>Not connected</h1><p>Something unexpected went wrong; the terminal says what.</p>"
        self._outcome = company
        return 200, f"<h1>Connected</h1><p>Fortnox is connected for {html.escape(company)}. You can close this window.</p>"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        callback = self

        class Handler(BaseHTTPRequestHandler):
            timeout = CALLBACK_READ_TIMEOUT

            def do_GET(self) -> None:
                if urlsplit(self.path).path != callback._path:
                    self._send(404, "<h1>Not found</h1>")
                    return
                self._send(*callback._answer(self.path))

            def _send(self, status: int, body: str) -> None:
                page = f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>fortnox-etl</title></head><body>{body}</body></html>'
                encoded = page.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(encoded)))
                self.end_headers()
                self.wfile.write(encoded)

            def log_message(self, format: str, *args) -> None:
                pass  # the request line carries the authorization code: never log it

        return Handler


class _IPv6HTTPServer(HTTPServer):
    address_family = socket.AF_INET6


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


# --- disconnect ---


def disconnect(tokens: TokenStore, app: oauth.FortnoxApp, client: Client, force: bool = False) -> str:
    """Revoke the client's refresh token at Fortnox and delete our tokens; returns what was done."""
    stored = tokens.load(client.key)
    if stored is None:
        return f"client {client.key} is not connected; nothing to do"
    if not stored.refresh_token:
        tokens.forget(client.key)
        return (f"client {client.key}: our service-account tokens are deleted. A service account has no refresh token "
                "to revoke: to end its access, the client removes the integration in Fortnox")
    try:
        oauth.revoke(app, stored.refresh_token)
    except FortnoxError as error:
        if not force:
            raise ConnectError(
                f"client {client.key}: the refresh token could not be revoked at Fortnox: {error}. Our tokens are kept; "
                f"run 'fortnox-etl disconnect {client.key}' again later, or add --force to delete ours anyway"
            ) from None
        tokens.forget(client.key)
        return (f"client {client.key}: our tokens are deleted, but Fortnox could not revoke the refresh token ({error}); "
                "it stays valid at Fortnox until it expires or the client removes the integration in Fortnox")
    tokens.forget(client.key)
    return f"client {client.key}: the refresh token is revoked at Fortnox and our tokens are deleted"
