"""The webhook channel: the notice as JSON, posted to the URL the bureau gave (a chat's incoming webhook, a
ticket system)."""
from __future__ import annotations

import json
import urllib.request

TIMEOUT_SECONDS = 10  # a slow receiver must not hold up the task that tells it


def post_json(url: str, payload: dict, headers: dict[str, str] | None = None) -> None:
    """POST `payload` as JSON to `url`; raises on a network error or an answer that is not 2xx."""
    request = urllib.request.Request(url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})})
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 (the bureau's own URL)
        answer.read()
