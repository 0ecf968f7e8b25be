"""`fortnox-etl connect`, `disconnect` and `status`, run for real against the sandbox and both staging databases."""
from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
import yaml
from cryptography.fernet import Fernet
from sqlalchemy import text

from fortnox_etl import cli
from fortnox_etl.config import ConnectionSettings
from fortnox_etl.fortnox import oauth
from fortnox_etl.fortnox.token_store import TokenStore
from fortnox_etl.sandbox.consent import consent
from fortnox_etl.sandbox.server import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from fortnox_etl.staging.database import create_staging_engine, staging_url

FORTNOX_ETL = Path(sys.executable).parent / "fortnox-etl"
ACME_TENANT = 1001
NORRSKEN_TENANT = 1002  # norrsken is connected as a service account in these tests


@dataclass
class Operator:
    """An operator's shell: the environment set as README says, and everything the commands printed."""

    staging: ConnectionSettings
    app: oauth.FortnoxApp
    token_key: str
    sandbox: object
    capsys: pytest.CaptureFixture
    caplog: pytest.LogCaptureFixture
    transcript: list[str] = field(default_factory=list)

    def run(self, *args: str) -> tuple[int, str]:
        """`fortnox-etl <args>` in this process; returns the exit code and all it printed or logged."""
        self.caplog.clear()
        code = cli.main(list(args))
        captured = self.capsys.readouterr()
        output = captured.out + captured.err + self.caplog.text
        self.transcript.append(output)
        return code, output

    def connect_in_browser(self, client_key: str, organisation_number: str, alter_redirect=lambda url: url,
                           stale_tab_first: bool = False):
        """`fortnox-etl connect <client>` as its own process; a scripted browser consents and follows the redirect.

        `stale_tab_first`: before that, a tab left from an earlier attempt sends its answer (another state)."""
        process = subprocess.Popen([str(FORTNOX_ETL), "connect", client_key, "--timeout", "60"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            printed = []
            while not (printed and printed[-1].startswith("http")):
                line = process.stdout.readline()
                if not line:
                    raise AssertionError(f"connect printed no address: {''.join(printed)}{process.stderr.read()}")
                printed.append(line)
            # The callback listens before the address is printed, so the browser can go at once.
            redirect = consent(printed[-1].strip(), organisation_number)
            if stale_tab_first:
                stale_page = requests.get(with_state(redirect, "state-of-an-earlier-attempt-ä"), timeout=60)
                self.transcript.append(stale_page.text)
                assert stale_page.status_code == 400 and "belongs to an earlier connection attempt" in stale_page.text
            page = requests.get(alter_redirect(redirect), timeout=60)
            out, err = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        output = "".join(printed) + out + err
        self.transcript.extend([output, page.text])
        return process.returncode, output, page

    def address_to_consent(self, client_key: str) -> str:
        code, output = self.run("connect", client_key, "--url-only")
        assert code == 0, output
        return next(line for line in output.splitlines() if line.startswith("http"))

    def connect_with_code(self, client_key: str, organisation_number: str) -> None:
        redirect = consent(self.address_to_consent(client_key), organisation_number)
        code, output = self.run("connect", client_key, "--code", redirect)
        assert code == 0, output

    def tokens(self) -> TokenStore:
        return TokenStore(create_staging_engine(staging_url(self.staging)), self.token_key, self.app)

    def execute(self, statement: str, **params) -> None:
        with create_staging_engine(staging_url(self.staging)).begin() as connection:
            connection.execute(text(statement), params)

    def secrets(self) -> set[str]:
        return self.sandbox.state.issued_secrets() | {SANDBOX_CLIENT_SECRET, self.token_key}


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def connection_json(settings: ConnectionSettings) -> str:
    return json.dumps({"conn_type": settings.conn_type, "host": settings.host, "schema": settings.schema,
                       "login": settings.login, "password": settings.password, "port": settings.port,
                       "extra": settings.extra})


def set_app(monkeypatch, app: oauth.FortnoxApp) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_FORTNOX_APP", connection_json(ConnectionSettings(
        "fortnox_app", "http", login=app.client_id, password=app.client_secret,
        extra={"auth_url": app.auth_url, "api_url": app.api_url, "redirect_uri": app.redirect_uri})))


@pytest.fixture
def clients_file(tmp_path, clients) -> Path:
    entries = [{"key": c.key, "name": c.name, "organisation_number": c.organisation_number,
                "fiscal_year_start_month": c.fiscal_year_start_month} for c in clients]
    entries[1]["tenant_id"] = NORRSKEN_TENANT
    path = tmp_path / "clients.yaml"
    path.write_text(yaml.safe_dump({"clients": entries}, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def operator(staging, sandbox, clients_file, monkeypatch, capsys, caplog) -> Operator:
    app = oauth.FortnoxApp(client_id=SANDBOX_CLIENT_ID, client_secret=SANDBOX_CLIENT_SECRET,
                           auth_url=f"{sandbox.base_url}/oauth-v1", api_url=sandbox.base_url,
                           redirect_uri=f"http://127.0.0.1:{free_loopback_port()}/fortnox/callback")
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("AIRFLOW_CONN_FORTNOX_STAGING", connection_json(staging))
    set_app(monkeypatch, app)
    monkeypatch.setenv("FORTNOX_ETL_TOKEN_KEY", key)
    monkeypatch.setenv("FORTNOX_ETL_CLIENTS", str(clients_file))
    caplog.set_level(logging.INFO)
    return Operator(staging, app, key, sandbox, capsys, caplog)


def with_state(url: str, state: str) -> str:
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    return urlunsplit(parts._replace(query=urlencode({**query, "state": state})))


# --- connect through the loopback callback ---


def test_connect_receives_fortnox_answer_on_the_loopback_callback(operator, clients):
    code, output, page = operator.connect_in_browser("acme", clients[0].organisation_number)
    assert code == 0, output
    assert page.status_code == 200 and "Fortnox is connected for Acme Bygg" in page.text
    assert "client acme: connected to Fortnox company Acme Bygg & Montage AB (556677-8899); tokens stored" in output
    stored = operator.tokens().load("acme")
    assert stored.tenant_id == ACME_TENANT and stored.refresh_token and not stored.service_account


def test_consent_for_another_company_is_refused_and_nothing_stored(operator, clients):
    code, output, page = operator.connect_in_browser("acme", clients[1].organisation_number)
    assert code == 2
    assert "client acme is 556677-8899, but the consent was given for 'Norrskens Café & Bageri AB'" in output
    assert "nothing was stored" in output
    assert page.status_code == 400 and "Not connected" in page.text
    assert operator.tokens().load("acme") is None


def test_an_answer_with_another_state_is_ignored_and_connect_waits_for_the_right_one(operator, clients):
    code, output, page = operator.connect_in_browser("acme", clients[0].organisation_number, stale_tab_first=True)
    assert code == 0, output
    assert "an answer from Fortnox for an earlier connection attempt (an old browser tab?) was ignored" in output
    assert page.status_code == 200 and "Fortnox is connected for Acme Bygg" in page.text
    assert operator.tokens().load("acme").tenant_id == ACME_TENANT


def test_a_declined_consent_is_reported_and_nothing_stored(operator, clients):
    def declined(url: str) -> str:
        state = parse_qs(urlsplit(url).query)["state"][0]
        return urlunsplit(urlsplit(url)._replace(query=urlencode({"error": "access_denied", "state": state})))

    code, output, page = operator.connect_in_browser("acme", clients[0].organisation_number, alter_redirect=declined)
    assert code == 2
    assert "client acme: Fortnox gave no consent (access_denied); nothing was stored" in output
    assert page.status_code == 400 and "approve the integration" in page.text
    assert operator.tokens().load("acme") is None


def test_connect_gives_up_when_no_answer_comes_in_time(operator):
    code, output = operator.run("connect", "acme", "--timeout", "0.3")
    assert code == 2
    assert "no answer from Fortnox within 0.3 seconds; nothing was stored" in output


def test_a_redirect_uri_off_this_machine_sends_the_operator_to_url_only(operator, monkeypatch):
    set_app(monkeypatch, oauth.FortnoxApp(operator.app.client_id, operator.app.client_secret, operator.app.auth_url,
                                          operator.app.api_url, "https://bureau.example/fortnox/callback"))
    code, output = operator.run("connect", "acme")
    assert code == 2
    assert "redirect_uri https://bureau.example/fortnox/callback is not a loopback address" in output
    assert "--url-only" in output


# --- consent in another browser: --url-only, then --code ---


def test_url_only_then_the_bare_code_connects_once(operator, clients):
    address = operator.address_to_consent("acme")
    assert "state=" in address and "account_type" not in address
    redirect = consent(address, clients[0].organisation_number)
    bare_code = parse_qs(urlsplit(redirect).query)["code"][0]
    code, output = operator.run("connect", "acme", "--code", bare_code)
    assert code == 0, output
    assert operator.tokens().load("acme").tenant_id == ACME_TENANT
    code, output = operator.run("connect", "acme", "--code", bare_code)
    assert code == 2
    assert "this connection attempt was used already; start again with 'fortnox-etl connect acme --url-only'" in output


def test_code_as_the_whole_address_must_carry_the_state_of_an_attempt(operator, clients):
    redirect = consent(operator.address_to_consent("acme"), clients[0].organisation_number)
    code, output = operator.run("connect", "acme", "--code", with_state(redirect, "forged"))
    assert code == 2
    assert "no connection attempt matches this answer from Fortnox; start again" in output
    code, output = operator.run("connect", "norrsken", "--code", redirect)
    assert code == 2 and "no connection attempt matches" in output  # acme's attempt is not norrsken's
    assert operator.tokens().load("acme") is None
    code, output = operator.run("connect", "acme", "--code", redirect)
    assert code == 0, output


def test_an_attempt_older_than_ten_minutes_is_refused(operator, clients):
    redirect = consent(operator.address_to_consent("acme"), clients[0].organisation_number)
    operator.execute("UPDATE fortnox_connect_attempts SET created_at = created_at - 601")
    code, output = operator.run("connect", "acme", "--code", redirect)
    assert code == 2
    assert "this connection attempt is older than 10 minutes; start again" in output
    assert operator.tokens().load("acme") is None


def test_code_without_any_attempt_says_to_start_again(operator):
    code, output = operator.run("connect", "acme", "--code", "some-code")
    assert code == 2
    assert "no connection attempt matches this answer from Fortnox; start again with 'fortnox-etl connect acme --url-only'" in output


# --- service accounts ---


def test_a_service_account_client_is_stored_for_client_credentials(operator, clients):
    address = operator.address_to_consent("norrsken")
    assert "account_type=service" in address
    code, output = operator.run("connect", "norrsken", "--code", consent(address, clients[1].organisation_number))
    assert code == 0, output
    assert "as a service account" in output
    stored = operator.tokens().load("norrsken")
    assert stored.service_account and stored.refresh_token is None and stored.tenant_id == NORRSKEN_TENANT
    company = requests.get(f"{operator.sandbox.base_url}/3/companyinformation", timeout=10,
                           headers={"Authorization": f"Bearer {stored.access_token}"})
    assert company.json()["CompanyInformation"]["OrganizationNumber"] == clients[1].organisation_number


def test_a_service_account_consent_for_another_company_is_refused(operator, clients):
    address = operator.address_to_consent("norrsken")
    code, output = operator.run("connect", "norrsken", "--code", consent(address, clients[0].organisation_number))
    assert code == 2
    assert "client norrsken has tenant_id 1002 in the client file, but the consent was given for tenant 1001" in output
    assert operator.tokens().load("norrsken") is None


# --- disconnect ---


def test_disconnect_revokes_the_refresh_token_at_fortnox_and_deletes_ours(operator, clients):
    operator.connect_with_code("acme", clients[0].organisation_number)
    refresh_token = operator.tokens().load("acme").refresh_token
    code, output = operator.run("disconnect", "acme")
    assert code == 0, output
    assert "client acme: the refresh token is revoked at Fortnox and our tokens are deleted" in output
    assert operator.tokens().load("acme") is None
    answer = requests.post(f"{operator.app.auth_url}/token", auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET),
                           data={"grant_type": "refresh_token", "refresh_token": refresh_token}, timeout=10)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    code, output = operator.run("disconnect", "acme")
    assert code == 0 and "client acme is not connected; nothing to do" in output


def test_disconnect_keeps_our_tokens_when_fortnox_cannot_be_reached_unless_forced(operator, clients, monkeypatch):
    operator.connect_with_code("acme", clients[0].organisation_number)
    set_app(monkeypatch, oauth.FortnoxApp(operator.app.client_id, operator.app.client_secret,
                                          f"http://127.0.0.1:{free_loopback_port()}/oauth-v1", operator.app.api_url,
                                          operator.app.redirect_uri))
    code, output = operator.run("disconnect", "acme")
    assert code == 2
    assert "the refresh token could not be revoked at Fortnox" in output and "could not be reached" in output
    assert "Our tokens are kept" in output and "--force" in output
    assert operator.tokens().load("acme") is not None
    code, output = operator.run("disconnect", "acme", "--force")
    assert code == 0, output
    assert "our tokens are deleted, but Fortnox could not revoke the refresh token" in output
    assert operator.tokens().load("acme") is None


def test_disconnecting_a_service_account_deletes_ours_and_says_how_to_end_it_in_fortnox(operator, clients):
    operator.connect_with_code("norrsken", clients[1].organisation_number)
    code, output = operator.run("disconnect", "norrsken")
    assert code == 0, output
    assert "the client removes the integration in Fortnox" in output
    assert operator.tokens().load("norrsken") is None


# --- status ---


def status_lines(operator) -> dict[str, str]:
    code, output = operator.run("status")
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0].startswith("CLIENT")
    return {line.split()[0]: line for line in lines}


def test_status_shows_one_aligned_line_per_client_connected_or_not(operator, clients):
    before = status_lines(operator)
    assert before.keys() == {"CLIENT", "acme", "norrsken"}
    assert "now: fortnox-etl connect acme" in before["acme"]
    operator.connect_with_code("acme", clients[0].organisation_number)
    operator.connect_with_code("norrsken", clients[1].organisation_number)
    operator.execute("INSERT INTO raw_company_information (client_key, company_name, organisation_number, load_id, loaded_at)"
                     " VALUES ('acme', 'Acme Bygg & Montage AB', '556677-8899', 'load-1', '2026-01-01T00:00:00')")
    after = status_lines(operator)
    header, acme, norrsken = after["CLIENT"], after["acme"], after["norrsken"]
    for heading, acme_value, norrsken_value in [
        ("CONNECTED", "yes", "yes, service account"),
        ("COMPANY", "Acme Bygg & Montage AB", "—"),
        ("TENANT", str(ACME_TENANT), str(NORRSKEN_TENANT)),
        ("SCOPES", "bookkeeping companyinformation", "bookkeeping companyinformation"),
        ("RECONNECT IN", "44 days", "not needed"),
        ("LAST REFRESH", "never", "never"),
        ("LAST ERROR", "—", "—"),
    ]:
        column = header.index(heading)
        assert acme[column:].startswith(acme_value), heading
        assert norrsken[column:].startswith(norrsken_value), heading
    refresh_column = header.index("REFRESH TOKEN EXPIRES")
    assert acme[refresh_column:refresh_column + 2] == "20" and norrsken[refresh_column] == "—"


def test_status_shows_tokens_stored_under_another_key_as_unreadable_and_fails(operator, clients, monkeypatch):
    operator.connect_with_code("acme", clients[0].organisation_number)
    operator.connect_with_code("norrsken", clients[1].organisation_number)
    monkeypatch.setenv("FORTNOX_ETL_TOKEN_KEY", Fernet.generate_key().decode())
    code, output = operator.run("status")
    assert code == 2, "a script or monitor running status sees that the tokens cannot be read"
    acme = next(line for line in output.splitlines() if line.startswith("acme "))
    assert "unreadable" in acme and "cannot be decrypted with this FORTNOX_ETL_TOKEN_KEY" in acme
    assert output.splitlines()[-1] == (
        "fortnox-etl: the Fortnox tokens of acme, norrsken cannot be decrypted with this FORTNOX_ETL_TOKEN_KEY: set the "
        "key they were stored with (every Airflow worker needs the same one), or reconnect 'fortnox-etl connect acme', "
        "'fortnox-etl connect norrsken'")


# --- configuration ---


@pytest.mark.parametrize("variable", ["AIRFLOW_CONN_FORTNOX_STAGING", "AIRFLOW_CONN_FORTNOX_APP", "FORTNOX_ETL_TOKEN_KEY"])
def test_a_missing_setting_is_named(variable, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AIRFLOW_CONN_FORTNOX_STAGING", f"sqlite://{tmp_path / 'staging.db'}")
    monkeypatch.setenv("AIRFLOW_CONN_FORTNOX_APP", json.dumps({"conn_type": "http", "login": "id", "password": "secret"}))
    monkeypatch.setenv("FORTNOX_ETL_TOKEN_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "no-airflow"))  # not the Airflow of a make demo in this checkout
    monkeypatch.delenv(variable)
    assert cli.main(["status"]) == 2
    assert variable in capsys.readouterr().err


def test_an_unreachable_staging_database_is_named_without_its_password(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AIRFLOW_CONN_FORTNOX_STAGING", f"postgres://etl:hush-hush@127.0.0.1:{free_loopback_port()}/staging")
    monkeypatch.setenv("AIRFLOW_CONN_FORTNOX_APP", json.dumps({"conn_type": "http", "login": "id", "password": "secret"}))
    monkeypatch.setenv("FORTNOX_ETL_TOKEN_KEY", Fernet.generate_key().decode())
    assert cli.main(["status"]) == 2
    error = capsys.readouterr().err
    assert "the staging database postgresql+psycopg://etl:***@127.0.0.1" in error
    assert "check AIRFLOW_CONN_FORTNOX_STAGING" in error and "hush-hush" not in error


def test_the_clients_option_names_the_client_file(tmp_path, capsys):
    assert cli.main(["status", "--clients", str(tmp_path / "missing.yaml")]) == 2
    assert f"{tmp_path / 'missing.yaml'}: client file not found" in capsys.readouterr().err


# --- secrets ---


def test_no_token_code_or_secret_reaches_any_output(operator, clients, monkeypatch):
    acme, norrsken = clients[0].organisation_number, clients[1].organisation_number
    operator.connect_in_browser("acme", norrsken)
    operator.connect_in_browser("acme", acme, stale_tab_first=True)
    operator.connect_in_browser("acme", acme)
    operator.connect_with_code("norrsken", norrsken)
    operator.run("connect", "norrsken", "--code", consent(operator.address_to_consent("norrsken"), acme))
    redirect = consent(operator.address_to_consent("acme"), acme)
    operator.run("connect", "acme", "--code", redirect)
    operator.run("connect", "acme", "--code", redirect)
    operator.run("status")
    set_app(monkeypatch, oauth.FortnoxApp(operator.app.client_id, operator.app.client_secret,
                                          f"http://127.0.0.1:{free_loopback_port()}/oauth-v1", operator.app.api_url,
                                          operator.app.redirect_uri))
    operator.run("disconnect", "acme")
    set_app(monkeypatch, operator.app)
    operator.run("disconnect", "acme")
    operator.run("disconnect", "norrsken")
    operator.run("status")
    transcript = "\n".join(operator.transcript)
    secrets = operator.secrets()
    assert len(secrets) > 10 and "connected to Fortnox company" in transcript and "revoked" in transcript
    leaked = sum(secret in transcript for secret in secrets)
    assert leaked == 0, f"{leaked} tokens, codes or secrets appear in the output"


def test_a_code_that_begins_with_a_dash_is_read_as_the_code():
    from fortnox_etl.cli import _code_kept_whole

    assert _code_kept_whole(["connect", "acme", "--code", "-Xy9"]) == ["connect", "acme", "--code=-Xy9"]
    assert _code_kept_whole(["connect", "acme", "--code"]) == ["connect", "acme", "--code"]
