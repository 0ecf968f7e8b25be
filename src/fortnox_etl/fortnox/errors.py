"""What can go wrong when talking to Fortnox, each with the action an operator should take.

Messages never contain tokens, codes or secrets: only what Fortnox said and what to do.
"""
from __future__ import annotations

from collections.abc import Iterable


class FortnoxError(Exception):
    """Base class: the message is written for an operator."""


class ReconnectNeeded(FortnoxError):
    """The client's authorization is gone (refresh token used, expired or revoked): only the client can fix it."""


class MissingScopeOrLicence(FortnoxError):
    """The token lacks a scope or the company lacks the licence for it."""


class NotFound(FortnoxError):
    """Fortnox has no such resource."""


class InvalidData(FortnoxError):
    """Fortnox refused what we sent; its own message is quoted."""


class LockedPeriod(InvalidData):
    """The date falls in a period the client has locked in Fortnox."""


class InvalidAppCredentials(FortnoxError):
    """Fortnox refused the bureau's app credentials (client id or secret)."""


class WrongCompany(FortnoxError):
    """The Fortnox company behind a connection is not the client: nothing may be loaded or stored."""


class MissingField(FortnoxError):
    """A field our reading of Fortnox's answers needs is not in the answer."""


def required(record: dict, field: str, resource: str) -> object:
    """A field that must be in a record of `resource`; its absence is an error naming both, not a KeyError."""
    value = record.get(field) if isinstance(record, dict) else None
    if value is None or value == "":
        raise MissingField(f"{resource}: Fortnox's answer has no {field!r}, which this step needs; nothing was "
                           "changed. Fortnox may have changed its answers: report this message to the developers")
    return value


# What every financial year of /3/financialyears must carry for us to place a date in a year.
YEAR_FIELDS = ("Id", "FromDate", "ToDate")


def each_required(records: Iterable[dict], fields: tuple[str, ...], resource: str) -> list[dict]:
    """The records of a list, each checked to carry `fields` (see `required`)."""
    records = list(records)
    for record in records:
        for field in fields:
            required(record, field, resource)
    return records


class RateLimited(FortnoxError):
    """Fortnox answered 429: too many requests in its 5-second window."""


class FortnoxUnavailable(FortnoxError):
    """Fortnox did not answer usefully (5xx, timeout, broken or non-JSON answer): try again later."""


class OutcomeUnknown(FortnoxError):
    """What we sent may or may not have been booked (timeout, broken connection or 5xx after sending):
    look for it in Fortnox before sending it again."""


_SCOPE_CODES = {2000663, 2001101, 2001103}
_AUTH_CODES = {2000310, 2000311}


def error_information(body: object) -> tuple[int | None, str | None]:
    """Fortnox's error code and message, whichever casing the answer uses (ErrorInformation/code or Code...)."""
    if not isinstance(body, dict):
        return None, None
    lowered = {str(k).lower(): v for k, v in body.items()}
    info = lowered.get("errorinformation")
    info = {str(k).lower(): v for k, v in info.items()} if isinstance(info, dict) else lowered
    code = info.get("code")
    try:
        code = int(code) if code is not None else None
    except (TypeError, ValueError):
        code = None
    message = info.get("message") or info.get("error_description")
    return code, str(message) if message is not None else None


def error_for_response(status: int, body: object, what: str) -> FortnoxError:
    """The exception for a non-2xx Fortnox answer to the request described by `what`."""
    code, message = error_information(body)
    quoted = f' Fortnox said: "{message}"' + (f" (code {code})" if code else "") if message else ""
    if status == 401 or code in _AUTH_CODES:
        return ReconnectNeeded(f"{what}: Fortnox did not accept our access.{quoted}")
    if code in _SCOPE_CODES or status == 403:
        return MissingScopeOrLicence(
            f"{what}: the connection lacks a permission (scope) or the company lacks the licence for it;"
            f" the client must add it in Fortnox and reconnect.{quoted}"
        )
    if code == 2000401:
        return LockedPeriod(f"{what}: the date is in a period the client has locked in Fortnox; ask the client to "
                            f"open the period or choose a later date.{quoted}")
    if status == 404:
        return NotFound(f"{what}: Fortnox has no such record.{quoted}")
    if status == 429:
        return RateLimited(f"{what}: Fortnox's rate limit was hit (429); retry after a pause.")
    if status >= 500:
        return FortnoxUnavailable(f"{what}: Fortnox answered {status}; try again later.{quoted}")
    return InvalidData(f"{what}: Fortnox refused the request ({status}).{quoted}")
