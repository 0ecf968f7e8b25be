"""Every call to Fortnox's REST API goes through here: the shared rate limit, auth, retries,
error mapping and pagination."""
from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from fortnox_etl.fortnox.errors import (
    FortnoxUnavailable,
    OutcomeUnknown,
    RateLimited,
    ReconnectNeeded,
    error_for_response,
    required,
)
from fortnox_etl.fortnox.rate_limit import SharedRateLimiter

log = logging.getLogger(__name__)
T = TypeVar("T")

PAGE_LIMIT = 500  # Fortnox's maximum page size: the fewest requests for a list
MAX_ATTEMPTS = 6  # one request and five retries, then the task fails and Airflow's retries take over
READ_TIMEOUT_VARIABLE = "FORTNOX_ETL_READ_TIMEOUT_SECONDS"
# Connect, read (seconds). The read timeout is shorter only against a Fortnox that answers at once (the tests'
# sandbox), where the export's lease (export/posting.py), which follows it, need not last two minutes.
TIMEOUT = (10, float(os.environ.get(READ_TIMEOUT_VARIABLE) or 60))


class BearerTokens(Protocol):
    tenant_id: int | None

    def current(self) -> str: ...

    def renew(self, refused_access_token: str) -> str: ...


class FixedToken:
    """A token that cannot be renewed: for checking a fresh grant before it is stored."""

    def __init__(self, access_token: str, tenant_id: int | None):
        self._access_token = access_token
        self.tenant_id = tenant_id

    def current(self) -> str:
        return self._access_token

    def renew(self, refused_access_token: str) -> str:
        raise ReconnectNeeded("Fortnox refused a token it had just issued; start the connection again")


class FortnoxApi:
    """One client company's Fortnox API."""

    def __init__(self, api_url: str, tokens: BearerTokens, limiter: SharedRateLimiter | None = None,
                 session: requests.Session | None = None, label: str = "Fortnox",
                 backoff=wait_exponential_jitter(initial=1, max=30)):
        self._api_url = api_url.rstrip("/")
        self._tokens = tokens
        self._limiter = limiter
        self._session = session or requests.Session()
        self._label = label
        self._backoff = backoff
        self.requests_made = 0
        self.reported_totals: dict[str, int] = {}  # per list path: Fortnox's @TotalResources, for the checks

    def get(self, path: str, **params) -> dict:
        """GET a JSON answer, with retries on what a retry can fix: 429, 5xx, timeouts, resets, broken answers."""
        return self._retrying(self._fetch, path, params, _json_body)

    def single(self, path: str, wrapper: str, **params) -> dict:
        """GET one record out of its wrapper (`{"Voucher": {...}}`); an answer without it is an error naming both."""
        return required(self.get(path, **params), wrapper, f"GET {path}")

    def download(self, path: str, parse: Callable[[bytes], T], **params) -> T:
        """GET a file (a SIE export) and parse it; a file that does not parse is retried like a broken answer."""

        def parsed(response: requests.Response, what: str) -> T:
            try:
                return parse(response.content)
            except ValueError as error:
                raise FortnoxUnavailable(f"{what}: the file Fortnox sent is broken or cut short ({error}); try again") from None

        return self._retrying(self._fetch, path, params, parsed)

    def post(self, path: str, body: dict, before_send: Callable[[], None] = lambda: None, **params) -> dict:
        """POST a record, sent again only when Fortnox certainly did not act on it (429, or 401 before a token
        renewal). A timeout, broken connection or 5xx after sending raises OutcomeUnknown: look before resending.
        `before_send` runs before every attempt (the export renews its lease there)."""
        return self._retrying(self._post, path, params, body, before_send, retry_on=(RateLimited,))

    def _post(self, path: str, params: dict, body: dict, before_send: Callable[[], None]) -> dict:
        what = f"POST {path}"
        before_send()
        response = self._authorized(what, path, params, body)
        if response.status_code >= 500:
            raise OutcomeUnknown(f"{what}: Fortnox answered {response.status_code}; it may or may not have booked it")
        if not response.ok:
            raise error_for_response(response.status_code, _json_or_none(response), what)
        try:
            return _json_body(response, what)
        except FortnoxUnavailable as error:
            raise OutcomeUnknown(f"{error}; it may or may not have booked it") from None

    def _retrying(self, *call, retry_on=(RateLimited, FortnoxUnavailable)):
        retrying = Retrying(
            retry=retry_if_exception_type(retry_on),
            stop=stop_after_attempt(MAX_ATTEMPTS),
            wait=self._backoff,
            before_sleep=self._log_retry,
            reraise=True,
        )
        return retrying(*call)

    def list(self, path: str, collection: str, start_page: int = 1, **params) -> Iterator[dict]:
        """Every record of a Fortnox list from `start_page` on, page by page (500 a page)."""
        page = start_page
        while True:
            body = self.get(path, **params, limit=PAGE_LIMIT, page=page)
            records = body.get(collection)
            if not isinstance(records, list):
                raise FortnoxUnavailable(f"GET {path}: the answer has no '{collection}' list; Fortnox may have changed")
            meta = body.get("MetaInformation") or {}
            if page == 1 and meta.get("@TotalResources") is not None:
                self.reported_totals[path] = int(meta["@TotalResources"])
            yield from records
            total_pages = int(meta.get("@TotalPages") or 1)
            if page >= total_pages:
                return
            page += 1

    def _fetch(self, path: str, params: dict, read: Callable[[requests.Response, str], T]) -> T:
        what = f"GET {path}"
        response = self._authorized(what, path, params)
        if not response.ok:
            body = _json_or_none(response)
            if body is None and response.status_code >= 500:
                kind = response.headers.get("Content-Type", "unknown content").split(";")[0]
                raise FortnoxUnavailable(f"{what}: Fortnox answered {response.status_code} with {kind} instead of its "
                                         "JSON error: Fortnox, or a proxy in front of it, is having trouble; try again later")
            raise error_for_response(response.status_code, body, what)
        return read(response, what)

    def _authorized(self, what: str, path: str, params: dict, body: dict | None = None) -> requests.Response:
        """Send with the current access token; a 401 (Fortnox did nothing) gets one renewal, then the client must reconnect."""
        token = self._tokens.current()
        response = self._send(path, params, token, body)
        if response.status_code == 401:
            # The access token may have been revoked or rotated away: one renewal, then give up.
            response = self._send(path, params, self._tokens.renew(token), body)
            if response.status_code == 401:
                raise ReconnectNeeded(f"{what}: Fortnox refuses our access even with a fresh token; the client must reconnect")
        return response

    def _send(self, path: str, params: dict, token: str, body: dict | None = None) -> requests.Response:
        """GET, or POST `body`; a failed POST connection is an unknown outcome unless it never connected."""
        tenant_id = self._tokens.tenant_id
        place = self._limiter.acquire(tenant_id) if self._limiter is not None and tenant_id is not None else None
        self.requests_made += 1
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        method = "GET" if body is None else "POST"
        try:
            return self._session.request(method, f"{self._api_url}{path}", params=params, headers=headers, json=body,
                                         timeout=TIMEOUT)
        except requests.RequestException as error:
            if body is not None and not isinstance(error, requests.ConnectTimeout):
                raise OutcomeUnknown(f"POST {path}: the connection to Fortnox broke off ({type(error).__name__}) "
                                     "after sending; Fortnox may or may not have booked it") from None
            raise FortnoxUnavailable(
                f"{method} {path}: the connection to Fortnox failed or broke off ({type(error).__name__}); try again later"
            ) from None
        finally:
            if place is not None:
                self._limiter.answered(place)

    def _log_retry(self, state) -> None:
        log.warning("%s: %s; retry %d of %d in %.0f s", self._label, state.outcome.exception(), state.attempt_number,
                    MAX_ATTEMPTS - 1, state.next_action.sleep)


def _json_or_none(response: requests.Response) -> object:
    """An error answer's JSON; for a short plain-text refusal below 500 (Fortnox's legacy authentication answered
    403 "Kan inte logga in, access-token eller client-secret saknas(2000311)." as text/html), its text and the
    code in it; None when Fortnox (or a proxy before it) sent an HTML page or garbage."""
    try:
        return response.json()
    except (ValueError, requests.RequestException):
        pass
    refusal = response.text.strip() if response.status_code < 500 else ""
    code = _TEXT_CODE.search(refusal)
    if code and len(refusal) <= 500 and "<" not in refusal:
        return {"message": refusal, "code": int(code.group(1))}
    return None


_TEXT_CODE = re.compile(r"\((\d{7})\)\.?$")


def _json_body(response: requests.Response, what: str) -> dict:
    try:
        body = response.json()
    except (ValueError, requests.RequestException):
        kind = response.headers.get("Content-Type", "unknown content").split(";")[0]
        raise FortnoxUnavailable(
            f"{what}: Fortnox answered {response.status_code} with {kind} that is not valid JSON; try again later"
        ) from None
    if not isinstance(body, dict):
        raise FortnoxUnavailable(f"{what}: Fortnox answered {response.status_code} with JSON that is not an object")
    return body
