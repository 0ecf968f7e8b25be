"""Every call to Fortnox's REST API goes through here: auth header, error mapping, pagination."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import requests

from fortnox_etl.fortnox.errors import FortnoxUnavailable, ReconnectNeeded, error_for_response

PAGE_LIMIT = 500  # Fortnox's maximum page size: the fewest requests for a list


class FortnoxApi:
    """One client company's Fortnox API. `access_token(force_refresh)` supplies the bearer token."""

    def __init__(self, api_url: str, access_token: Callable[[bool], str], session: requests.Session | None = None,
                 timeout: float = 60):
        self._api_url = api_url.rstrip("/")
        self._access_token = access_token
        self._session = session or requests.Session()
        self._timeout = timeout
        self.requests_made = 0

    def get(self, path: str, **params) -> dict:
        what = f"GET {path}"
        response = self._send(path, params, force_refresh=False)
        if response.status_code == 401:
            # The access token may have been revoked or rotated away: one forced refresh, then give up.
            response = self._send(path, params, force_refresh=True)
            if response.status_code == 401:
                raise ReconnectNeeded(f"{what}: Fortnox refuses our access even with a fresh token; the client must reconnect")
        body = _json_body(response, what)
        if not response.ok:
            raise error_for_response(response.status_code, body, what)
        return body

    def list(self, path: str, collection: str, **params) -> Iterator[dict]:
        """Every record of a Fortnox list, page by page (500 a page)."""
        page = 1
        while True:
            body = self.get(path, **params, limit=PAGE_LIMIT, page=page)
            records = body.get(collection)
            if not isinstance(records, list):
                raise FortnoxUnavailable(f"GET {path}: the answer has no '{collection}' list; Fortnox may have changed")
            yield from records
            meta = body.get("MetaInformation") or {}
            total_pages = int(meta.get("@TotalPages") or 1)
            if page >= total_pages:
                return
            page += 1

    def _send(self, path: str, params: dict, force_refresh: bool) -> requests.Response:
        headers = {"Authorization": f"Bearer {self._access_token(force_refresh)}", "Accept": "application/json"}
        self.requests_made += 1
        try:
            return self._session.get(f"{self._api_url}{path}", params=params, headers=headers, timeout=self._timeout)
        except requests.RequestException as error:
            raise FortnoxUnavailable(f"GET {path}: Fortnox could not be reached ({type(error).__name__}); try again later") from None


def _json_body(response: requests.Response, what: str) -> dict:
    try:
        body = response.json()
    except ValueError:
        kind = response.headers.get("Content-Type", "unknown content")
        raise FortnoxUnavailable(
            f"{what}: Fortnox answered {response.status_code} with {kind} instead of JSON; try again later"
        ) from None
    if not isinstance(body, dict):
        raise FortnoxUnavailable(f"{what}: Fortnox answered {response.status_code} with JSON that is not an object")
    return body
