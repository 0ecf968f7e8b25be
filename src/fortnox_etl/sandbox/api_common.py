"""What every /3 route of the sandbox shares: Fortnox's error answers, pagination and query parameters."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from fortnox_etl.sandbox.generator import Company

MAX_LIMIT = 500
DEFAULT_LIMIT = 100

# Error codes as Fortnox sends them (fortnox-api.md; developer.fortnox.se "Errors").
CODE_NOT_AUTHORISED_FOR_SCOPE = 2000663
CODE_NO_LICENCE_FOR_SCOPE = 2001101
CODE_INVALID_PARAMETER = 2000588
CODE_INVALID_FILTER = 2000587
CODE_ACCOUNT_NOT_FOUND = 2000423
CODE_CUSTOMER_NOT_FOUND = 2000433
CODE_DOCUMENT_NOT_FOUND = 2000434  # invoices; the sandbox also uses it for vouchers, payments, supplier invoices
CODE_NO_SUCH_ROUTE = 2000762
CODE_LOCKED_PERIOD = 2000401
CODE_POSTED_ACCOUNT_NOT_FOUND = 2001304
CODE_TOO_FEW_ROWS = 2001897
CODE_JSON_SYNTAX = 2002115
# Fortnox publishes no code for the remaining voucher refusals (unbalanced, series, year, description);
# this is its code for "the body contained incorrect data".
CODE_INCORRECT_DATA = 2001392


class FortnoxError(Exception):
    """Becomes the HTTP answer as is; the body carries Fortnox's casing for that kind of error."""

    def __init__(self, status: int, body: dict, content_type: str = "application/json") -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.content_type = content_type

    @classmethod
    def bad_request(cls, message: str, code: int = CODE_INVALID_PARAMETER, status: int = 400) -> FortnoxError:
        return cls(status, {"ErrorInformation": {"error": 1, "message": message, "code": code}})

    @classmethod
    def not_found(cls, message: str, code: int) -> FortnoxError:
        return cls(404, {"ErrorInformation": {"Error": 1, "Message": message, "Code": code}})

    @classmethod
    def oauth(cls, status: int, error: str, description: str) -> FortnoxError:
        # JSON bodies under the content types Fortnox's token endpoint was recorded sending them with.
        content_type = "text/plain;charset=UTF-8" if status == 401 else "text/html; charset=UTF-8"
        return cls(status, {"error": error, "error_description": description}, content_type)


@dataclass(frozen=True)
class Caller:
    """Whoever presented a valid access token."""

    company: Company
    scopes: frozenset[str]


def list_fields(state, real: tuple[str, ...], documented: tuple[str, ...]) -> tuple[str, ...]:
    """The fields a list answer carries: those that real recorded answers and Fortnox's documented list
    subset both show; with the sandbox's lenient lists, the OpenAPI file's whole list item (for comparison)."""
    return documented if state.lenient_lists else real


def public(record: dict) -> dict:
    """The record without the sandbox-internal "_" keys, also inside its lists of rows."""
    return {
        key: [public(item) if isinstance(item, dict) else item for item in value] if isinstance(value, list) else value
        for key, value in record.items()
        if not key.startswith("_")
    }


def page(request: Request, plural: str, items: list, make: Callable[[object], dict] | None = None) -> JSONResponse:
    """The page asked for of a list answer. Only the page's items are made into records (`make`): a list of many
    pages is asked for once per page. The answer is encoded as FastAPI encodes a returned dict, without its walk
    through every value first (jsonable_encoder): the records hold nothing but JSON's own types."""
    limit = int_param(request, "limit", DEFAULT_LIMIT)
    current = int_param(request, "page", 1)
    offset = int_param(request, "offset", 0)
    if not 1 <= limit <= MAX_LIMIT:
        raise FortnoxError.bad_request(f"Ogiltig parameter: limit måste vara mellan 1 och {MAX_LIMIT}.")
    if current < 1 or offset < 0:
        raise FortnoxError.bad_request("Ogiltig parameter: page eller offset.")
    remaining = items[offset:]
    start = (current - 1) * limit
    shown = remaining[start:start + limit]
    return JSONResponse({
        "MetaInformation": {
            "@TotalResources": len(items),
            "@TotalPages": math.ceil(len(remaining) / limit),
            "@CurrentPage": current,
        },
        plural: shown if make is None else [make(item) for item in shown],
    })


def int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise FortnoxError.bad_request(f"Ogiltig parameter: {name}.") from None


def date_param(request: Request, name: str) -> date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise FortnoxError.bad_request(f"Ogiltigt filter: {name} ska vara ÅÅÅÅ-MM-DD.", CODE_INVALID_FILTER) from None


def last_modified_param(request: Request) -> str | None:
    """`lastmodified` as "YYYY-MM-DD HH:MM", the form records' timestamps are compared in."""
    raw = request.query_params.get("lastmodified")
    if not raw:
        return None
    for form in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw, form).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            continue
    raise FortnoxError.bad_request("Ogiltig parameter: lastmodified ska vara ÅÅÅÅ-MM-DD TT:MM.")


def modified_since(modified: str | datetime | None, since: str | None) -> bool:
    """Whether a record changed at or after `since`; one without a timestamp always counts as changed,
    so that an incremental client never misses it."""
    if since is None or modified is None:
        return True
    if isinstance(modified, datetime):
        modified = modified.strftime("%Y-%m-%d %H:%M")
    return modified[:16] >= since


def in_date_range(day: str, from_date: date | None, to_date: date | None) -> bool:
    return (from_date is None or day >= from_date.isoformat()) and (to_date is None or day <= to_date.isoformat())


def year_of(company: Company, year_id: int) -> dict:
    for year in company.financial_years:
        if year["Id"] == year_id:
            return year
    raise FortnoxError.bad_request(f"Räkenskapsår {year_id} finns inte.")


def year_containing(company: Company, day: str) -> dict | None:
    return next((year for year in company.financial_years if year["FromDate"] <= day <= year["ToDate"]), None)


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def requires(state, scope: str):
    """The route's caller, refused unless the token has `scope` and the company its licence."""
    def authenticated_caller(request: Request) -> Caller:
        return state.caller(request.headers.get("authorization"), scope)

    return Depends(authenticated_caller)
