"""The sandbox: Fortnox's OAuth service (/oauth-v1) and REST API (/3) on one port, in memory.

It behaves like the real service where a client could tell the difference: single-use rotating
refresh tokens, one-hour JWT access tokens, scopes, the error bodies and their inconsistent key
casing, pagination and `@url` on every record. See /work/shared/docs/fortnox-api.md.
"""
from __future__ import annotations

import base64
import binascii
import html
import math
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import fastapi
import jwt
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from fortnox_etl.sandbox.generator import Company

SANDBOX_CLIENT_ID = "sandbox-client-id"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"

AUTHORIZATION_CODE_SECONDS = 10 * 60
ACCESS_TOKEN_SECONDS = 60 * 60
REFRESH_TOKEN_SECONDS = 45 * 24 * 60 * 60
MAX_LIMIT = 500
DEFAULT_LIMIT = 100
KNOWN_SCOPES = frozenset({
    "bookkeeping", "companyinformation", "costcenter", "project", "settings", "invoice",
    "supplierinvoice", "payment", "customer", "supplier", "profile",
})
SWEDISH_TIME = ZoneInfo("Europe/Stockholm")

# Error codes as Fortnox sends them (fortnox-api.md).
CODE_NOT_AUTHORISED_FOR_SCOPE = 2000663
CODE_INVALID_PARAMETER = 2000588
CODE_INVALID_FILTER = 2000587
CODE_ACCOUNT_NOT_FOUND = 2000423
CODE_VOUCHER_NOT_FOUND = 2000434
CODE_NO_SUCH_ROUTE = 2000762


class FortnoxError(Exception):
    """Becomes the HTTP answer as is; the body carries Fortnox's casing for that kind of error."""

    def __init__(self, status: int, body: dict) -> None:
        super().__init__(status)
        self.status = status
        self.body = body

    @classmethod
    def bad_request(cls, message: str, code: int = CODE_INVALID_PARAMETER) -> FortnoxError:
        return cls(400, {"ErrorInformation": {"error": 1, "message": message, "code": code}})

    @classmethod
    def not_found(cls, message: str, code: int) -> FortnoxError:
        return cls(404, {"ErrorInformation": {"Error": 1, "Message": message, "Code": code}})

    @classmethod
    def oauth(cls, status: int, error: str, description: str) -> FortnoxError:
        return cls(status, {"error": error, "error_description": description})


@dataclass(frozen=True)
class _Grant:
    tenant_id: int
    scopes: tuple[str, ...]
    expires_at: float
    redirect_uri: str = ""


@dataclass(frozen=True)
class Caller:
    """Whoever presented a valid access token."""

    company: Company
    scopes: frozenset[str]


class SandboxState:
    """Companies, issued credentials and request counts; every method is safe across threads."""

    def __init__(self, companies: list[Company], client_id: str, client_secret: str, clock: Callable[[], float]) -> None:
        self.companies = {company.spec.tenant_id: company for company in companies}
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

    def caller(self, authorization: str | None) -> Caller:
        claims = self._claims(authorization)
        # The expiry is checked against the injected clock, not PyJWT's wall clock.
        if claims is None or claims.get("exp", 0) <= self.clock() or claims.get("tenantId") not in self.companies:
            raise FortnoxError(401, {"message": "unauthorized"})  # not the ErrorInformation format
        return Caller(self.companies[claims["tenantId"]], frozenset(claims.get("scope", "").split()))

    def _claims(self, authorization: str | None) -> dict | None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            return jwt.decode(token, self._signing_key, algorithms=["HS256"], options={"verify_exp": False})
        except jwt.InvalidTokenError:
            return None

    def today(self) -> date:
        return datetime.fromtimestamp(self.clock(), SWEDISH_TIME).date()


def create_app(
    companies: list[Company],
    client_id: str = SANDBOX_CLIENT_ID,
    client_secret: str = SANDBOX_CLIENT_SECRET,
    clock: Callable[[], float] = time.time,
) -> fastapi.FastAPI:
    state = SandboxState(companies, client_id, client_secret, clock)
    app = fastapi.FastAPI(title="Fortnox sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sandbox = state

    @app.middleware("http")
    async def count_requests(request: Request, call_next):
        state.record_request(request.headers.get("authorization"), request.url.path)
        return await call_next(request)

    @app.exception_handler(FortnoxError)
    async def fortnox_error(_request: Request, error: FortnoxError) -> JSONResponse:
        return JSONResponse(error.body, status_code=error.status)

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
    _add_api_routes(app, state)
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


# --- API routes (/3) ---

# The list answers carry fewer fields than the single records, as Fortnox's do.
ACCOUNT_LIST_FIELDS = (
    "Active", "BalanceBroughtForward", "CostCenter", "CostCenterSettings", "Description", "Number",
    "Project", "ProjectSettings", "SRU", "VATCode", "Year",
)
VOUCHER_LIST_FIELDS = (
    "ApprovalState", "Comments", "Description", "ReferenceNumber", "ReferenceType", "TransactionDate",
    "VoucherNumber", "VoucherSeries", "Year",
)
PROJECT_LIST_FIELDS = ("Description", "EndDate", "ProjectLeader", "ProjectNumber", "StartDate", "Status")


def _add_api_routes(app: fastapi.FastAPI, state: SandboxState) -> None:
    vouchers_by_key = {
        (tenant_id, voucher["Year"], voucher["VoucherSeries"], voucher["VoucherNumber"]): voucher
        for tenant_id, company in state.companies.items()
        for year_vouchers in company.vouchers.values()
        for voucher in year_vouchers
    }

    def requires(scope: str):
        def authenticated_caller(request: Request) -> Caller:
            caller = state.caller(request.headers.get("authorization"))
            if scope not in caller.scopes:
                raise FortnoxError(403, {"ErrorInformation": {
                    "error": 1, "message": "Har inte behörighet för scope.", "code": CODE_NOT_AUTHORISED_FOR_SCOPE,
                }})
            return caller

        return Depends(authenticated_caller)

    bookkeeping = requires("bookkeeping")

    @app.get("/3/companyinformation")
    def company_information(caller: Caller = requires("companyinformation")):
        return {"CompanyInformation": caller.company.company_information}

    @app.get("/3/financialyears")
    def financial_years(request: Request, caller: Caller = bookkeeping):
        years = caller.company.financial_years
        on = _date_param(request, "date") or _date_param(request, "Date")
        if on:
            years = [year for year in years if year["FromDate"] <= on.isoformat() <= year["ToDate"]]
        base = _base_url(request)
        return _page(request, "FinancialYears", [{"@url": f"{base}/3/financialyears/{year['Id']}", **year} for year in years])

    @app.get("/3/financialyears/{year_id}")
    def financial_year(request: Request, year_id: int, caller: Caller = bookkeeping):
        year = _year(caller.company, year_id)
        return {"FinancialYear": {"@url": f"{_base_url(request)}/3/financialyears/{year_id}", **year}}

    @app.get("/3/accounts")
    def accounts(request: Request, caller: Caller = bookkeeping):
        year_id = _financial_year_param(request, caller.company, state)
        base = _base_url(request)
        return _page(request, "Accounts", [
            {"@url": f"{base}/3/accounts/{account['Number']}?financialyear={year_id}", **_only(account, ACCOUNT_LIST_FIELDS)}
            for account in caller.company.accounts[year_id]
        ])

    @app.get("/3/accounts/{number}")
    def account(request: Request, number: int, caller: Caller = bookkeeping):
        year_id = _financial_year_param(request, caller.company, state)
        for candidate in caller.company.accounts[year_id]:
            if candidate["Number"] == number:
                url = f"{_base_url(request)}/3/accounts/{number}?financialyear={year_id}"
                return {"Account": {"@url": url, **candidate}}
        raise FortnoxError.not_found("Kan inte hitta kontot.", CODE_ACCOUNT_NOT_FOUND)

    def voucher_list(request: Request, company: Company, series: str | None) -> dict:
        year_id = _financial_year_param(request, company, state)
        series = series or request.query_params.get("voucherseries")
        from_date, to_date = _date_param(request, "fromdate"), _date_param(request, "todate")
        base = _base_url(request)
        return _page(request, "Vouchers", [
            {"@url": _voucher_url(base, voucher), **_only(voucher, VOUCHER_LIST_FIELDS)}
            for voucher in company.vouchers[year_id]
            if (series is None or voucher["VoucherSeries"] == series)
            and (from_date is None or voucher["TransactionDate"] >= from_date.isoformat())
            and (to_date is None or voucher["TransactionDate"] <= to_date.isoformat())
        ])

    @app.get("/3/vouchers")
    def vouchers(request: Request, caller: Caller = bookkeeping):
        return voucher_list(request, caller.company, None)

    # Declared before /3/vouchers/{series}/{number}, which would otherwise swallow it.
    @app.get("/3/vouchers/sublist/{series}")
    def vouchers_of_series(request: Request, series: str, caller: Caller = bookkeeping):
        return voucher_list(request, caller.company, series)

    @app.get("/3/vouchers/{series}/{number}")
    def voucher(request: Request, series: str, number: int, caller: Caller = bookkeeping):
        year_id = _financial_year_param(request, caller.company, state)
        found = vouchers_by_key.get((caller.company.spec.tenant_id, year_id, series, number))
        if found is None:
            raise FortnoxError.not_found("Kan inte hitta verifikationen.", CODE_VOUCHER_NOT_FOUND)
        return {"Voucher": {"@url": _voucher_url(_base_url(request), found), **found}}

    @app.get("/3/voucherseries")
    def voucher_series(request: Request, caller: Caller = bookkeeping):
        year_id = _financial_year_param(request, caller.company, state)
        base = _base_url(request)
        return _page(request, "VoucherSeriesCollection", [
            {
                "@url": f"{base}/3/voucherseries/{series['Code']}?financialyear={year_id}",
                "Approver": {"Id": 0, "Name": ""},
                **series,
                "Year": year_id,
            }
            for series in caller.company.voucher_series
        ])

    @app.get("/3/costcenters")
    def cost_centers(request: Request, caller: Caller = requires("costcenter")):
        base = _base_url(request)
        return _page(request, "CostCenters", [
            {"@url": f"{base}/3/costcenters/{center['Code']}", **center} for center in caller.company.cost_centers
        ])

    @app.get("/3/projects")
    def projects(request: Request, caller: Caller = requires("project")):
        base = _base_url(request)
        return _page(request, "Projects", [
            {"@url": f"{base}/3/projects/{project['ProjectNumber']}", **_only(project, PROJECT_LIST_FIELDS)}
            for project in caller.company.projects
        ])


def _page(request: Request, plural: str, items: list[dict]) -> dict:
    limit = _int_param(request, "limit", DEFAULT_LIMIT)
    page = _int_param(request, "page", 1)
    offset = _int_param(request, "offset", 0)
    if not 1 <= limit <= MAX_LIMIT:
        raise FortnoxError.bad_request(f"Ogiltig parameter: limit måste vara mellan 1 och {MAX_LIMIT}.")
    if page < 1 or offset < 0:
        raise FortnoxError.bad_request("Ogiltig parameter: page eller offset.")
    remaining = items[offset:]
    start = (page - 1) * limit
    return {
        "MetaInformation": {
            "@TotalResources": len(items),
            "@TotalPages": math.ceil(len(remaining) / limit),
            "@CurrentPage": page,
        },
        plural: remaining[start:start + limit],
    }


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise FortnoxError.bad_request(f"Ogiltig parameter: {name}.") from None


def _date_param(request: Request, name: str) -> date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise FortnoxError.bad_request(f"Ogiltigt filter: {name} ska vara ÅÅÅÅ-MM-DD.", CODE_INVALID_FILTER) from None


def _financial_year_param(request: Request, company: Company, state: SandboxState) -> int:
    """The `financialyear` asked for; without it the year containing today, else the latest."""
    raw = request.query_params.get("financialyear")
    if raw is None:
        today = state.today().isoformat()
        current = [year["Id"] for year in company.financial_years if year["FromDate"] <= today <= year["ToDate"]]
        return current[0] if current else company.financial_years[-1]["Id"]
    year_id = _int_param(request, "financialyear", 0)
    _year(company, year_id)
    return year_id


def _year(company: Company, year_id: int) -> dict:
    for year in company.financial_years:
        if year["Id"] == year_id:
            return year
    raise FortnoxError.bad_request(f"Räkenskapsår {year_id} finns inte.")


def _only(record: dict, fields: tuple[str, ...]) -> dict:
    return {name: record[name] for name in fields}


def _voucher_url(base: str, voucher: dict) -> str:
    return f"{base}/3/vouchers/{voucher['VoucherSeries']}/{voucher['VoucherNumber']}?financialyear={voucher['Year']}"


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")
