"""The automated user who approves an integration on the sandbox's authorize page (no browser)."""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import requests


def consent(authorize_url: str, organisation_number: str, session: requests.Session | None = None) -> str:
    """Approve for the company with this organisation number; return the redirect (…?code=…&state=…)."""
    http = session or requests.Session()
    page = http.get(authorize_url, timeout=10)
    if page.status_code != 200:
        raise ValueError(f"the authorize page answered {page.status_code}: {page.text[:300]}")
    form = _ConsentForm()
    form.feed(page.text)
    offered = {option["data-organisation-number"]: option["value"] for option in form.options}
    if organisation_number not in offered:
        raise ValueError(
            f"no company with organisation number {organisation_number} on the authorize page; "
            f"offered: {', '.join(offered) or 'none'}"
        )
    answer = http.post(
        urljoin(authorize_url, form.action),
        data={**form.hidden_fields, form.select_name: offered[organisation_number]},
        allow_redirects=False,
        timeout=10,
    )
    if answer.status_code not in (301, 302, 303, 307) or "location" not in answer.headers:
        raise ValueError(f"approving did not redirect: {answer.status_code} {answer.text[:300]}")
    return answer.headers["location"]


class _ConsentForm(HTMLParser):
    """Collects the form's action, its hidden fields and the options of its company <select>."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.hidden_fields: dict[str, str] = {}
        self.select_name = ""
        self.options: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.action = attributes.get("action", "")
        elif tag == "input" and attributes.get("type") == "hidden":
            self.hidden_fields[attributes.get("name", "")] = attributes.get("value", "")
        elif tag == "select":
            self.select_name = attributes.get("name", "")
        elif tag == "option" and "data-organisation-number" in attributes:
            self.options.append(attributes)
