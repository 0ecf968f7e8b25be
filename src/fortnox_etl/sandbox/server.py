"""The sandbox: Fortnox's OAuth service (/oauth-v1) and REST API (/3) on one port, in memory.

It behaves like the real service where a client could tell the difference: single-use rotating
refresh tokens, one-hour JWT access tokens, scopes and licences, the error bodies and their
inconsistent key casing, pagination, `@url` on every record, and voucher posting with Fortnox's
validation. See /work/shared/docs/fortnox-api.md. The /3 routes live in the api_*.py modules.
"""
from __future__ import annotations

import base64
import binascii
import copy
import html
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

import fastapi
import jwt
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from fortnox_etl.sandbox import api_books, api_ledgers, api_vouchers
from fortnox_etl.sandbox.api_common import (
    CODE_INVALID_PARAMETER,
    CODE_NO_LICENCE_FOR_SCOPE,
    CODE_NO_SUCH_ROUTE,
    CODE_NOT_AUTHORISED_FOR_SCOPE,
    Caller,
    FortnoxError,
)
from fortnox_etl.sandbox.generator import Company
from fortnox_etl.sandbox.parameters import refused_parameters

SANDBOX_CLIENT_ID = "sandbox-client-id"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"

AUTHORIZATION_CODE_SECONDS = 10 * 60
ACCESS_TOKEN_SECONDS = 60 * 60
REFRESH_TOKEN_SECONDS = 45 * 24 * 60 * 60
KNOWN_SCOPES = frozenset({
    "bookkeeping", "companyinformation", "costcenter", "project", "settings", "invoice",
    "supplierinvoice", "payment", "customer", "supplier", "profile",
})
SWEDISH_TIME = ZoneInfo("Europe/Stockholm")


@dataclass(frozen=True)
class _Grant:
    tenant_id: int
    scopes: tuple[str, ...]
    expires_at: float
    redirect_uri: str = ""


class SandboxState:
    """Companies, issued credentials, settings and request counts; every method is safe across threads.

    Each sandbox books into its own copy of the companies, so posting never changes the caller's objects.
    Whoever reads or changes a company's vouchers or accounts holds `books_lock`.
    """

    def __init__(self, companies: list[Company], client_id: str, client_secret: str, clock: Callable[[], float],
                 lenient_lists: bool = False) -> None:
        self.lenient_lists = lenient_lists  # list answers with every field of the OpenAPI list item, for comparison
        self.companies = {company.spec.tenant_id: copy.deepcopy(company) for company in companies}
        self.books_lock = threading.RLock()
        self.client_id = client_id
        self.client_secret = client_secret
        self.clock = clock
        self._signing_key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._codes: dict[str, _Grant] = {}
        self._refresh_tokens: dict[str, _Grant] = {}
        self._service_accounts: dict[int, tuple[str, ...]] = {}  # tenant -> scopes consented to
        self._issued: set[str] = set()
        self._requests: Counter[tuple[int | None, str]] = Counter()
        self._locked_until: dict[int, date] = {}
        self._withdrawn_licences: set[tuple[int, str]] = set()

    # --- what tests look at ---

    def issued_secrets(self) -> set[str]:
        """Every access token, refresh token and authorization code ever issued."""
        with self._lock:
            return set(self._issued)

    def request_count(self, tenant_id: int | None, path_prefix: str | None = None) -> int:
        """Requests seen for a tenant (None: without a recognisable token), optionally under a path."""
        with self._lock:
            return sum(
                count
                for (tenant, path), count in self._requests.items()
                if tenant == tenant_id and (path_prefix is None or path.startswith(path_prefix))
            )

    def record_request(self, authorization: str | None, path: str) -> None:
        # An expired token still tells whose request it was.
        claims = self._claims(authorization) or {}
        tenant_id = claims.get("tenantId")
        with self._lock:
            self._requests[(tenant_id, path)] += 1

    # --- settings and licences (also what the fault injection changes) ---

    def set_locked_period(self, tenant_id: int, end_date: date | None) -> None:
        """Lock the company's books up to and including `end_date`; None unlocks them."""
        with self._lock:
            if end_date is None:
                self._locked_until.pop(tenant_id, None)
            else:
                self._locked_until[tenant_id] = end_date

    def locked_period(self, tenant_id: int) -> date | None:
        with self._lock:
            return self._locked_until.get(tenant_id)

    def withdraw_licence(self, tenant_id: int, scope: str) -> None:
        """The company stops paying for the module behind `scope`: its requests get 2001101."""
        if scope not in KNOWN_SCOPES:
            raise ValueError(f"unknown scope {scope!r}; known: {', '.join(sorted(KNOWN_SCOPES))}")
        with self._lock:
            self._withdrawn_licences.add((tenant_id, scope))

    def has_licence(self, tenant_id: int, scope: str) -> bool:
        with self._lock:
            return (tenant_id, scope) not in self._withdrawn_licences

    def revoke_refresh_tokens(self, tenant_id: int) -> None:
        """The customer removed the integration: every refresh token and the service account of that
        tenant die; issued access tokens live out their hour, as Fortnox's do."""
        with self._lock:
            for token in [token for token, grant in self._refresh_tokens.items() if grant.tenant_id == tenant_id]:
                del self._refresh_tokens[token]
            self._service_accounts.pop(tenant_id, None)

    # --- OAuth ---

    def check_client(self, authorization: str | None) -> None:
        """Basic client authentication on the token endpoint."""
        scheme, _, encoded = (authorization or "").partition(" ")
        try:
            client_id, _, client_secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            client_id = client_secret = ""
        if not (
            scheme.lower() == "basic"
            and secrets.compare_digest(client_id.encode(), self.client_id.encode())
            and secrets.compare_digest(client_secret.encode(), self.client_secret.encode())
        ):
            raise FortnoxError.oauth(401, "invalid_client", "Invalid client credentials")

    def issue_code(self, redirect_uri: str, tenant_id: int, scopes: tuple[str, ...], service_account: bool) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Grant(tenant_id, scopes, self.clock() + AUTHORIZATION_CODE_SECONDS, redirect_uri)
            self._issued.add(code)
            if service_account:
                self._service_accounts[tenant_id] = scopes
        return code

    def redeem_code(self, code: str, redirect_uri: str) -> dict:
        with self._lock:
            grant = self._codes.pop(code, None)  # single use, even when the rest is wrong
            if grant is None or grant.expires_at <= self.clock() or grant.redirect_uri != redirect_uri:
                raise FortnoxError.oauth(400, "invalid_grant", "Invalid authorization code")
            return self._issue_tokens(grant.tenant_id, grant.scopes, with_refresh_token=True)

    def refresh(self, refresh_token: str) -> dict:
        with self._lock:
            grant = self._refresh_tokens.pop(refresh_token, None)  # rotating: the old one dies now
            if grant is None or grant.expires_at <= self.clock():
                raise FortnoxError.oauth(400, "invalid_grant", "Invalid refresh token")
            return self._issue_tokens(grant.tenant_id, grant.scopes, with_refresh_token=True)

    def service_account_token(self, tenant_header: str | None) -> dict:
        with self._lock:
            try:
                scopes = self._service_accounts[int(tenant_header or "")]
            except (KeyError, ValueError):
                raise FortnoxError.oauth(400, "invalid_grant", "No service account for this tenant") from None
            return self._issue_tokens(int(tenant_header), scopes, with_refresh_token=False)

    def revoke(self, token: str) -> None:
        with self._lock:
            self._refresh_tokens.pop(token, None)

    def _issue_tokens(self, tenant_id: int, scopes: tuple[str, ...], with_refresh_token: bool) -> dict:
        now = self.clock()
        access_token = jwt.encode(
            {
                "tenantId": tenant_id,
                "clientId": self.client_id,
                "scope": " ".join(scopes),
                "iat": int(now),
                "exp": int(now) + ACCESS_TOKEN_SECONDS,
                "jti": secrets.token_hex(8),  # two tokens issued in the same second still differ
            },
            self._signing_key,
            algorithm="HS256",
        )
        self._issued.add(access_token)
        answer = {"access_token": access_token, "expires_in": ACCESS_TOKEN_SECONDS, "token_type": "bearer", "scope": " ".join(scopes)}
        if with_refresh_token:
            refresh_token = secrets.token_urlsafe(32)
            self._refresh_tokens[refresh_token] = _Grant(tenant_id, scopes, now + REFRESH_TOKEN_SECONDS)
            self._issued.add(refresh_token)
            answer["refresh_token"] = refresh_token
        return answer

    # --- API authentication ---

    def caller(self, authorization: str | None, scope: str) -> Caller:
        """Who may use `scope`: a live token carrying the scope, for a company holding its licence."""
        claims = self._claims(authorization)
        # The expiry is checked against the injected clock, not PyJWT's wall clock.
        if claims is None or claims.get("exp", 0) <= self.clock() or claims.get("tenantId") not in self.companies:
            raise FortnoxError(401, {"message": "unauthorized"})  # not the ErrorInformation format
        caller = Caller(self.companies[claims["tenantId"]], frozenset(claims.get("scope", "").split()))
        # Both refusals are 403 with lowercase keys, as public clients recorded them.
        if scope not in caller.scopes:
            raise FortnoxError.bad_request("Har inte behörighet för scope.", CODE_NOT_AUTHORISED_FOR_SCOPE, status=403)
        if not self.has_licence(caller.company.spec.tenant_id, scope):
            raise FortnoxError.bad_request(
                "Det finns ingen aktiv licens för önskat scope.", CODE_NO_LICENCE_FOR_SCOPE, status=403
            )
        return caller

    def _claims(self, authorization: str | None) -> dict | None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:  # the token's times are the injected clock's (which may run ahead of this machine's): checked in caller
            return jwt.decode(token, self._signing_key, algorithms=["HS256"],
                              options={"verify_exp": False, "verify_iat": False, "verify_nbf": False})
        except jwt.InvalidTokenError:
            return None

    def now(self) -> datetime:
        """The clock's time in Sweden, where Fortnox's dates and timestamps are."""
        return datetime.fromtimestamp(self.clock(), SWEDISH_TIME)

    def today(self) -> date:
        return self.now().date()


def create_app(
    companies: list[Company],
    client_id: str = SANDBOX_CLIENT_ID,
    client_secret: str = SANDBOX_CLIENT_SECRET,
    clock: Callable[[], float] = time.time,
    lenient_lists: bool = False,
) -> fastapi.FastAPI:
    """`lenient_lists` serves list answers with every field the OpenAPI file lists, not only those real
    Fortnox answers were seen to carry: for comparing, never for proving that a client copes."""
    state = SandboxState(companies, client_id, client_secret, clock, lenient_lists)
    app = fastapi.FastAPI(title="Fortnox sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sandbox = state

    @app.middleware("http")
    async def count_requests(request: Request, call_next):
        state.record_request(request.headers.get("authorization"), request.url.path)
        if request.url.path.startswith("/3/"):
            # Fortnox reads parameter names in any case (its own OpenAPI file writes `financialYear`).
            pairs = parse_qsl(request.scope["query_string"].decode("latin-1"), keep_blank_values=True)
            request.scope["query_string"] = urlencode([(name.lower(), value) for name, value in pairs]).encode("latin-1")
            refused = refused_parameters(request.method, request.url.path, [name.lower() for name, _ in pairs])
            if refused:
                body = FortnoxError.bad_request(f"Ogiltig parameter: {', '.join(refused)}.", CODE_INVALID_PARAMETER).body
                return JSONResponse(body, status_code=400)
        return await call_next(request)

    @app.exception_handler(FortnoxError)
    async def fortnox_error(_request: Request, error: FortnoxError) -> Response:
        return Response(json.dumps(error.body), status_code=error.status, headers={"Content-Type": error.content_type})

    @app.exception_handler(_AuthorizePageError)
    async def authorize_page_error(_request: Request, error: _AuthorizePageError) -> HTMLResponse:
        page = f'<!DOCTYPE html>\n<html lang="sv"><head><meta charset="utf-8"><title>Fel</title></head>\n<body><h1>Fel</h1><p>{html.escape(str(error))}</p></body></html>\n'
        return HTMLResponse(page, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def unknown_route(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 404:
            body = FortnoxError.not_found("Kan inte hitta den efterfrågade resursen.", CODE_NO_SUCH_ROUTE).body
        else:
            body = FortnoxError.bad_request(str(error.detail)).body
        return JSONResponse(body, status_code=error.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid_parameter(_request: Request, error: RequestValidationError) -> JSONResponse:
        fields = ", ".join(str(item["loc"][-1]) for item in error.errors())
        return JSONResponse(FortnoxError.bad_request(f"Ogiltig parameter: {fields}.").body, status_code=400)

    _add_oauth_routes(app, state)
    api_books.add_routes(app, state)
    api_vouchers.add_routes(app, state)
    api_ledgers.add_routes(app, state)
    return app


# --- OAuth routes ---

def _add_oauth_routes(app: fastapi.FastAPI, state: SandboxState) -> None:
    def validate_authorization_request(params) -> tuple[str, ...]:
        if params.get("client_id") != state.client_id:
            raise _AuthorizePageError("Okänt client_id: integrationen finns inte.")
        if params.get("response_type") != "code":
            raise _AuthorizePageError("response_type måste vara code.")
        if not params.get("redirect_uri"):
            raise _AuthorizePageError("redirect_uri saknas.")
        scopes = tuple(params.get("scope", "").split())
        unknown = [scope for scope in scopes if scope not in KNOWN_SCOPES]
        if not scopes or unknown:
            raise _AuthorizePageError(f"Ogiltigt scope: {' '.join(unknown) or '(inget)'}.")
        return scopes

    @app.get("/oauth-v1/auth", response_class=HTMLResponse)
    def authorize_page(request: Request):
        params = request.query_params
        scopes = validate_authorization_request(params)
        hidden = "\n".join(
            f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(params.get(name, ""))}">'
            for name in ("client_id", "redirect_uri", "scope", "state", "access_type", "response_type", "account_type")
        )
        options = "\n".join(
            f'<option value="{tenant_id}" data-organisation-number="{html.escape(company.spec.organisation_number)}">'
            f"{html.escape(company.spec.name)} ({html.escape(company.spec.organisation_number)})</option>"
            for tenant_id, company in state.companies.items()
        )
        return f"""<!DOCTYPE html>
<html lang="sv">
<head><meta charset="utf-8"><title>Fortnox – godkänn integration</title></head>
<body>
<h1>Godkänn integration</h1>
<p>Integrationen {html.escape(state.client_id)} begär behörighet till: {html.escape(", ".join(scopes))}.</p>
<form method="post" action="/oauth-v1/auth">
{hidden}
<label for="tenant_id">Företag</label>
<select name="tenant_id" id="tenant_id">
{options}
</select>
<button type="submit">Godkänn</button>
</form>
</body>
</html>
"""

    @app.post("/oauth-v1/auth")
    async def approve(request: Request):
        form = await request.form()
        scopes = validate_authorization_request(form)
        try:
            tenant_id = int(form.get("tenant_id", ""))
        except ValueError:
            tenant_id = None
        if tenant_id not in state.companies:
            raise _AuthorizePageError("Välj ett företag.")
        redirect_uri = form["redirect_uri"]
        code = state.issue_code(redirect_uri, tenant_id, scopes, form.get("account_type") == "service")
        separator = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{separator}{urlencode({'code': code, 'state': form.get('state', '')})}", status_code=302)

    @app.post("/oauth-v1/token")
    async def token(request: Request) -> JSONResponse:
        state.check_client(request.headers.get("authorization"))
        form = await request.form()
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            answer = state.redeem_code(form.get("code", ""), form.get("redirect_uri", ""))
        elif grant_type == "refresh_token":
            answer = state.refresh(form.get("refresh_token", ""))
        elif grant_type == "client_credentials":
            answer = state.service_account_token(request.headers.get("tenantid"))
        else:
            raise FortnoxError.oauth(400, "unsupported_grant_type", f"Unsupported grant_type: {grant_type}")
        return JSONResponse(answer, headers={"Cache-Control": "no-store"})

    @app.post("/oauth-v1/revoke")
    async def revoke(request: Request) -> dict:
        state.check_client(request.headers.get("authorization"))
        state.revoke((await request.form()).get("token", ""))
        return {"revoked": True}


class _AuthorizePageError(Exception):
    """The authorize page is read by a person: its errors are a page, not JSON."""


