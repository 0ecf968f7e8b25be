"""Connecting a client: Fortnox's authorization-code flow, checked against the client's organisation number."""
from __future__ import annotations

import logging

from fortnox_etl.config import Client
from fortnox_etl.fortnox import oauth
from fortnox_etl.fortnox.api import FortnoxApi
from fortnox_etl.fortnox.errors import WrongCompany
from fortnox_etl.fortnox.token_store import TokenStore

log = logging.getLogger(__name__)


def finish_connect(tokens: TokenStore, app: oauth.FortnoxApp, client: Client, redirect_response: str, state: str) -> str:
    """Exchange the code from Fortnox's redirect and store the tokens, if the company is the client's.

    The company is checked with the new access token before anything is stored, so tokens of the
    wrong company never sit under this client. Returns the company's name.
    """
    grant = oauth.exchange_code(app, redirect_response, state)
    api = FortnoxApi(app.api_url, lambda _force: grant.access_token)
    company = api.get("/3/companyinformation")["CompanyInformation"]
    number = str(company.get("OrganizationNumber") or "").strip()
    if number != client.organisation_number:
        raise WrongCompany(
            f"client {client.key} is {client.organisation_number}, but the consent was given for "
            f"{company.get('CompanyName')!r} ({number}); nothing was stored. Connect again and choose the right company"
        )
    tokens.save_grant(client.key, grant)
    log.info("client %s: connected to Fortnox company %s (%s)", client.key, company.get("CompanyName"), number)
    return str(company.get("CompanyName"))
