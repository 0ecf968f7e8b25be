"""What keeps the page's state-changing requests to the logged-in user's own page: a form token bound to the
browser's session and the user, and the request's origin. Also the signed notice a POST leaves for the page
it redirects to (so that no other site can put words on the page)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from urllib.parse import urlsplit

from fortnox_etl.clients_page.page import Notice

SESSION_COOKIE = "fortnox_clients_session"
NOTICE_COOKIE = "fortnox_clients_notice"
CONNECT_COOKIE = "fortnox_clients_connect"


class Refused(Exception):
    """A request the page does not act on; the message says why, in words."""


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def form_token(secret: str, session_id: str, user_id: str) -> str:
    """The token every form of the page carries: it proves the form came from this browser's page for this user."""
    return _mac(secret, f"form:{session_id}:{user_id}")


def check_form(secret: str, session_id: str | None, user_id: str, token: str | None, origin: str | None,
               referer: str | None, own_origin: str) -> None:
    """Refuse a state-changing request that another site could have sent with the user's login cookie."""
    sent_from = origin if origin and origin != "null" else _origin_of(referer)
    if sent_from != own_origin:
        raise Refused(f"this request came from {sent_from or 'an unknown page'}, not from the clients page at "
                      f"{own_origin}; nothing was done. Open the clients page and try again")
    if not session_id or not token or not hmac.compare_digest(token, form_token(secret, session_id, user_id)):
        raise Refused("this form is out of date (the page was opened in another session or by another user); "
                      "nothing was done. Reload the clients page and try again")


def signed(secret: str, notice: Notice) -> str:
    payload = base64.urlsafe_b64encode(json.dumps([notice.text, notice.failed]).encode()).decode()
    return f"{payload}.{_mac(secret, 'notice:' + payload)}"


def unsigned(secret: str, value: str | None) -> Notice | None:
    if not value or "." not in value:
        return None
    payload, mac = value.rsplit(".", 1)
    if not hmac.compare_digest(mac, _mac(secret, "notice:" + payload)):
        return None
    text, failed = json.loads(base64.urlsafe_b64decode(payload))
    return Notice(text, failed)


def origin_of_url(url: str) -> str:
    return _origin_of(url) or ""


def _origin_of(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def _mac(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
