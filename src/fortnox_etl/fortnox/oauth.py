"""Fortnox's OAuth 2 authorization-code and refresh-token flows, through requests-oauthlib."""
from __future__ import annotations

import base64
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from oauthlib.oauth2 import (
    BackendApplicationClient,
    InvalidClientError,
    InvalidGrantError,
    MismatchingStateError,
    OAuth2Error,
)
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from fortnox_etl.config import ConfigError, ConnectionSettings
from fortnox_etl.fortnox.errors import (
    FortnoxError,
    FortnoxUnavailable,
    InvalidAppCredentials,
    InvalidData,
    ReconnectNeeded,
)
from fortnox_etl.fortnox.secret_masking import secret

FORTNOX_AUTH_URL = "https://apps.fortnox.se/oauth-v1"
FORTNOX_API_URL = "https://api.fortnox.se"
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8976/fortnox/callback"
# Everything the sync and the export read or write; each needs the company's licence too.
DEFAULT_SCOPES = ("bookkeeping", "companyinformation", "costcenter", "project", "settings",
                  "customer", "invoice", "payment", "supplier", "supplierinvoice")
# Fortnox does not send the refresh token's lifetime; it is documented as 45 days.
REFRESH_TOKEN_LIFETIME = 45 * 24 * 3600


@dataclass(frozen=True)
class FortnoxApp:
    """The bureau's Fortnox integration: its credentials and where Fortnox is."""

    client_id: str
    client_secret: str = field(repr=False)
    auth_url: str = FORTNOX_AUTH_URL
    api_url: str = FORTNOX_API_URL
    redirect_uri: str = DEFAULT_REDIRECT_URI
    scopes: tuple[str, ...] = DEFAULT_SCOPES

    @classmethod
    def from_connection(cls, settings: ConnectionSettings) -> "FortnoxApp":
        """Connection fields: login = client id, password = client secret, extra = urls, redirect_uri, scopes."""
        if not settings.login or not settings.password:
            raise ConfigError(
                f"connection '{settings.conn_id}' needs the Fortnox app's client id as login and client secret as password"
            )
        extra = settings.extra
        scopes = extra.get("scopes", DEFAULT_SCOPES)
        # The secret as the Basic auth header carries it, too.
        secret(base64.b64encode(f"{settings.login}:{settings.password}".encode()).decode())
        return cls(
            client_id=settings.login,
            client_secret=secret(settings.password),
            auth_url=str(extra.get("auth_url", FORTNOX_AUTH_URL)).rstrip("/"),
            api_url=str(extra.get("api_url", FORTNOX_API_URL)).rstrip("/"),
            redirect_uri=str(extra.get("redirect_uri", DEFAULT_REDIRECT_URI)),
            scopes=tuple(scopes.split() if isinstance(scopes, str) else scopes),
        )

    @property
    def token_url(self) -> str:
        return f"{self.auth_url}/token"


@dataclass(frozen=True)
class TokenGrant:
    """What Fortnox's token endpoint gave. The tokens are kept out of repr so they never reach a log."""

    access_token: str = field(repr=False)
    access_expires_at: int
    refresh_token: str | None = field(repr=False)
    refresh_expires_at: int | None
    scope: str
    tenant_id: int | None


@contextmanager
def _transport_allowed(url: str):
    # oauthlib insists on https; the local Fortnox sandbox speaks http on loopback only.
    host = urlsplit(url).hostname or ""
    loopback = host == "localhost" or host.startswith("127.") or host == "::1"
    if not loopback or os.environ.get("OAUTHLIB_INSECURE_TRANSPORT"):
        yield
        return
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    try:
        yield
    finally:
        os.environ.pop("OAUTHLIB_INSECURE_TRANSPORT", None)


def authorization_url(app: FortnoxApp, service_account: bool = False) -> tuple[str, str]:
    """The URL the client's administrator opens to consent, and the random state to check on return.

    A service account consent (account_type=service) lets the integration use client credentials afterwards.
    """
    session = OAuth2Session(app.client_id, redirect_uri=app.redirect_uri, scope=list(app.scopes))
    extra = {"account_type": "service"} if service_account else {}
    with _transport_allowed(app.auth_url):
        return session.authorization_url(f"{app.auth_url}/auth", access_type="offline", **extra)


def exchange_code(app: FortnoxApp, redirect_response: str, expected_state: str, clock=time.time) -> TokenGrant:
    """Check the state in Fortnox's redirect and exchange its authorization code for tokens."""
    for code in parse_qs(urlsplit(redirect_response).query).get("code", []):
        secret(code)
    session = OAuth2Session(app.client_id, redirect_uri=app.redirect_uri, state=expected_state)
    try:
        # The redirect comes back to our loopback callback over http even when Fortnox is https.
        with _transport_allowed(redirect_response):
            token = _token_request(app, session.fetch_token, authorization_response=redirect_response)
    except MismatchingStateError:
        raise InvalidData(
            "the answer from Fortnox does not belong to this connection attempt (state mismatch); start the connection again"
        ) from None
    except InvalidGrantError:
        raise ReconnectNeeded(
            "Fortnox refused the authorization code (used already, or older than 10 minutes); start the connection again"
        ) from None
    return _grant(token, clock())


def refresh(app: FortnoxApp, refresh_token: str, clock=time.time) -> TokenGrant:
    """Trade a refresh token for a new pair. Fortnox rotates: the old refresh token is dead from now on."""
    try:
        token = _token_request(app, OAuth2Session(app.client_id).refresh_token, refresh_token=refresh_token)
    except InvalidGrantError:
        raise ReconnectNeeded("Fortnox refused the refresh token: the client must reconnect") from None
    return _grant(token, clock())


def client_credentials(app: FortnoxApp, tenant_id: int, clock=time.time) -> TokenGrant:
    """An access token for a service account (consented with account_type=service); no refresh token exists."""
    session = OAuth2Session(client=BackendApplicationClient(client_id=app.client_id))
    try:
        token = _token_request(app, session.fetch_token, headers={"TenantId": str(tenant_id)})
    except InvalidGrantError:
        raise ReconnectNeeded(
            f"Fortnox refused the service account for tenant {tenant_id}: the client must consent again as a service account"
        ) from None
    return _grant(token, clock(), tenant_id)


def revoke(app: FortnoxApp, refresh_token: str) -> None:
    """Tell Fortnox to revoke a refresh token (and the integration's access with it)."""
    try:
        response = requests.post(f"{app.auth_url}/revoke", auth=HTTPBasicAuth(app.client_id, app.client_secret),
                                 data={"token_type_hint": "refresh_token", "token": refresh_token}, timeout=30)
    except requests.RequestException as error:
        raise _token_endpoint_error(error) from None
    if response.status_code == 401:
        raise _token_endpoint_error(InvalidClientError())
    if not response.ok:
        raise FortnoxUnavailable(f"Fortnox's revoke endpoint answered {response.status_code}; try again later")


def _token_request(app: FortnoxApp, request, **grant) -> dict:
    """POST to Fortnox's token endpoint with the app's Basic auth; the caller handles the grant's own errors."""
    try:
        with _transport_allowed(app.token_url):
            return request(app.token_url, auth=HTTPBasicAuth(app.client_id, app.client_secret),
                           include_client_id=False, **grant)
    except (MismatchingStateError, InvalidGrantError):
        raise
    except (OAuth2Error, requests.RequestException, ValueError) as error:
        raise _token_endpoint_error(error) from None


def _token_endpoint_error(error: Exception) -> FortnoxError:
    if isinstance(error, InvalidClientError):
        return InvalidAppCredentials(
            "Fortnox refused the bureau's app credentials; check the client id and secret in the fortnox_app connection"
        )
    if isinstance(error, OAuth2Error):
        return InvalidData(f"Fortnox's token endpoint refused the request: {error.error}")
    if isinstance(error, requests.RequestException):
        return FortnoxUnavailable(f"Fortnox's token endpoint could not be reached ({type(error).__name__}); try again later")
    return FortnoxUnavailable("Fortnox's token endpoint gave an answer that is not valid JSON; try again later")


def _grant(token: dict, now: float, tenant_id: int | None = None) -> TokenGrant:
    access_token = secret(token["access_token"])
    claims = jwt.decode(access_token, options={"verify_signature": False})
    refresh_token = secret(token.get("refresh_token"))
    tenant = claims.get("tenantId", tenant_id)
    return TokenGrant(
        access_token=access_token,
        access_expires_at=int(now + float(token.get("expires_in", 3600))),
        refresh_token=refresh_token,
        refresh_expires_at=int(now + REFRESH_TOKEN_LIFETIME) if refresh_token else None,
        scope=" ".join(token["scope"]) if isinstance(token.get("scope"), list) else str(token.get("scope", "")),
        tenant_id=int(tenant) if tenant is not None else None,
    )
