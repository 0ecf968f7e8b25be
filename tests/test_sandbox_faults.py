"""The sandbox's rate limit and injected faults, seen by a client over real HTTP."""
from __future__ import annotations

import argparse
import re
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import requests

from fortnox_etl.sandbox import serve
from fortnox_etl.sandbox.consent import consent
from fortnox_etl.sandbox.faults import Fault, FaultPlan
from fortnox_etl.sandbox.generator import CompanySpec, generate_company
from fortnox_etl.sandbox.ratelimit import SlidingWindowRateLimit
from fortnox_etl.sandbox.running import RunningSandbox
from fortnox_etl.sandbox.server import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxState

ACME = CompanySpec(tenant_id=1001, organisation_number="556677-8899", name="Acme Bygg & Montage AB")
NORRSKEN = CompanySpec(tenant_id=1002, organisation_number="559123-4561", name="Norrskens Café & Bageri AB")
REDIRECT_URI = "http://127.0.0.1:9/callback"
SCOPES = "bookkeeping companyinformation"
TIMEOUT = 10


class ManualClock:
    """The rate limit's clock, moved by the test: a burst then lands in one window, however slow the machine."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def companies():
    return [generate_company(ACME), generate_company(NORRSKEN)]


def connect(sandbox: RunningSandbox, spec: CompanySpec) -> dict:
    """Consent and a code exchange, as a bureau's client would: the token answer."""
    query = urlencode({"client_id": SANDBOX_CLIENT_ID, "redirect_uri": REDIRECT_URI, "scope": SCOPES,
                       "state": "s", "access_type": "offline", "response_type": "code"})
    redirect = consent(f"{sandbox.base_url}/oauth-v1/auth?{query}", spec.organisation_number)
    code = parse_qs(urlparse(redirect).query)["code"][0]
    answer = requests.post(f"{sandbox.base_url}/oauth-v1/token", auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET),
                           data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
                           timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    return answer.json()


def refresh(sandbox: RunningSandbox, refresh_token: str) -> requests.Response:
    return requests.post(f"{sandbox.base_url}/oauth-v1/token", auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET),
                         data={"grant_type": "refresh_token", "refresh_token": refresh_token}, timeout=TIMEOUT)


def api(session: requests.Session, sandbox: RunningSandbox, token: str, path: str) -> requests.Response:
    return session.get(f"{sandbox.base_url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)


def burst(sandbox: RunningSandbox, token: str, clients: int, requests_each: int) -> list[int]:
    """`clients` threads, each on its own connection, at full speed; every status they got."""
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client() -> None:
        with requests.Session() as session:
            start.wait(timeout=TIMEOUT)
            for _ in range(requests_each):
                status = api(session, sandbox, token, "/3/companyinformation").status_code
                with lock:
                    statuses.append(status)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return statuses


# --- rate limit ---

def test_four_concurrent_clients_of_one_tenant_get_exactly_25_per_window(companies):
    clock = ManualClock()
    with RunningSandbox(companies, rate_limit=SlidingWindowRateLimit(clock=clock)) as sandbox:
        token = connect(sandbox, ACME)["access_token"]

        statuses = burst(sandbox, token, clients=4, requests_each=12)
        assert statuses.count(200) == 25
        assert statuses.count(429) == 48 - 25

        with requests.Session() as session:
            refused = api(session, sandbox, token, "/3/companyinformation")
        assert refused.status_code == 429
        assert not {"retry-after", "x-rate-limit-remaining", "x-ratelimit-remaining"} & {h.lower() for h in refused.headers}

        clock.now += 5  # the whole burst ages out of the window
        assert burst(sandbox, token, clients=4, requests_each=12).count(200) == 25

        # Refused requests are requests too: in the app's per-tenant count and in the gateway's.
        assert sandbox.state.request_count(ACME.tenant_id, "/3/") == 48 + 1 + 48
        assert sandbox.requests(ACME.tenant_id) == {"/3/companyinformation": 97}
        assert sandbox.outcomes(ACME.tenant_id) == {"rate_limited": 23 + 1 + 23}


def test_the_window_slides_instead_of_resetting(companies):
    clock = ManualClock()
    with RunningSandbox(companies, rate_limit=SlidingWindowRateLimit(clock=clock)) as sandbox, requests.Session() as session:
        token = connect(sandbox, ACME)["access_token"]

        def statuses(count: int) -> list[int]:
            return [api(session, sandbox, token, "/3/companyinformation").status_code for _ in range(count)]

        assert statuses(10) == [200] * 10
        clock.now += 3
        assert statuses(16) == [200] * 15 + [429]
        clock.now += 1.9
        assert statuses(1) == [429]
        clock.now += 0.1  # the first 10 leave the window; the 15 from 2 seconds ago stay
        assert statuses(11) == [200] * 10 + [429]
        clock.now += 3
        assert statuses(16) == [200] * 15 + [429]


def test_the_limit_is_per_tenant_and_leaves_oauth_and_tokenless_requests_alone(companies):
    clock = ManualClock()
    with RunningSandbox(companies, rate_limit=SlidingWindowRateLimit(clock=clock)) as sandbox, requests.Session() as session:
        acme, norrsken = connect(sandbox, ACME), connect(sandbox, NORRSKEN)
        assert [api(session, sandbox, acme["access_token"], "/3/companyinformation").status_code
                for _ in range(26)] == [200] * 25 + [429]

        assert api(session, sandbox, norrsken["access_token"], "/3/companyinformation").status_code == 200
        assert refresh(sandbox, acme["refresh_token"]).status_code == 200
        tokenless = [session.get(f"{sandbox.base_url}/3/companyinformation", timeout=TIMEOUT).status_code for _ in range(30)]
        assert tokenless == [401] * 30


def test_rate_limit_can_be_switched_off(companies):
    with RunningSandbox(companies, rate_limit=False) as sandbox, requests.Session() as session:
        token = connect(sandbox, ACME)["access_token"]
        assert {api(session, sandbox, token, "/3/companyinformation").status_code for _ in range(40)} == {200}


# --- faults, as the client sees them ---

def see_rate_limit(response, _real):
    assert response.status_code == 429 and "retry-after" not in response.headers


def see_server_error(response, _real):
    assert response.status_code in (500, 503)
    assert response.json()["ErrorInformation"]["code"] == 1000003


def see_html_502(response, _real):
    assert response.status_code == 502 and response.headers["content-type"].startswith("text/html")
    assert "Bad Gateway" in response.text


def see_truncated_json(response, real):
    assert response.status_code == 200
    assert real.content.startswith(response.content) and len(response.content) < len(real.content)
    with pytest.raises(ValueError):
        response.json()


def see_malformed_json(response, real):
    assert response.status_code == 200 and response.content != real.content
    with pytest.raises(ValueError):
        response.json()


@pytest.mark.parametrize("kind, seen", [
    ("rate_limit", see_rate_limit),
    ("server_error", see_server_error),
    ("html_502", see_html_502),
    ("truncated_json", see_truncated_json),
    ("malformed_json", see_malformed_json),
])
def test_each_answering_fault_hits_the_next_request_only(companies, kind, seen):
    with RunningSandbox(companies, rate_limit=False, faults=FaultPlan((Fault(kind, next_n=1),))) as sandbox, \
            requests.Session() as session:
        token = connect(sandbox, ACME)["access_token"]  # OAuth is outside the default /3/ target
        spoilt = api(session, sandbox, token, "/3/companyinformation")
        real = api(session, sandbox, token, "/3/companyinformation")
        assert real.status_code == 200 and "CompanyInformation" in real.json()
        seen(spoilt, real)
        assert sandbox.outcomes(ACME.tenant_id) == {kind: 1}
        assert sandbox.state.request_count(ACME.tenant_id, "/3/companyinformation") == 2


def test_a_connection_reset_is_a_connection_error_for_the_client(companies):
    with RunningSandbox(companies, rate_limit=False, faults=FaultPlan((Fault("connection_reset", next_n=1),))) as sandbox, \
            requests.Session() as session:
        token = connect(sandbox, ACME)["access_token"]
        with pytest.raises((requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            api(session, sandbox, token, "/3/companyinformation")
        assert api(session, sandbox, token, "/3/companyinformation").status_code == 200  # same session recovers


def test_a_slow_answer_comes_late_but_whole(companies):
    plan = FaultPlan((Fault("slow", next_n=1, delay_ms=400),))
    with RunningSandbox(companies, rate_limit=False, faults=plan) as sandbox, requests.Session() as session:
        token = connect(sandbox, ACME)["access_token"]
        started = time.monotonic()
        slow = api(session, sandbox, token, "/3/companyinformation")
        slow_seconds = time.monotonic() - started
        started = time.monotonic()
        api(session, sandbox, token, "/3/companyinformation")
        assert slow.status_code == 200 and "CompanyInformation" in slow.json()
        assert slow_seconds >= 0.4 > time.monotonic() - started


@pytest.mark.skipif(not hasattr(SandboxState, "revoke_refresh_tokens"), reason="SandboxState.revoke_refresh_tokens has not landed")
def test_revoke_fault_kills_the_refresh_token(companies):
    with RunningSandbox(companies, rate_limit=False, faults=FaultPlan((Fault("revoke", next_n=1),))) as sandbox, \
            requests.Session() as session:
        tokens = connect(sandbox, ACME)
        api(session, sandbox, tokens["access_token"], "/3/companyinformation")
        assert refresh(sandbox, tokens["refresh_token"]).json()["error"] == "invalid_grant"
        assert sandbox.outcomes(ACME.tenant_id) == {"revoke": 1}


@pytest.mark.skipif(not hasattr(SandboxState, "withdraw_licence"), reason="SandboxState.withdraw_licence has not landed")
def test_withdraw_licence_fault_refuses_that_scope_from_then_on(companies):
    plan = FaultPlan((Fault("withdraw_licence", next_n=1, scope="bookkeeping", path_prefix="/3/companyinformation"),))
    with RunningSandbox(companies, rate_limit=False, faults=plan) as sandbox, requests.Session() as session:
        token = connect(sandbox, ACME)["access_token"]
        assert api(session, sandbox, token, "/3/companyinformation").status_code == 200  # not a bookkeeping route
        refused = api(session, sandbox, token, "/3/financialyears")
        assert refused.status_code >= 400 and "2001101" in refused.text


# --- determinism and targeting ---

def run_sequence(companies, seed: int, interleaved: bool) -> dict[int, list[str]]:
    """What each tenant saw for the same 30 requests each, sent one tenant after the other or interleaved."""
    plan = FaultPlan((Fault("server_error", share=0.2), Fault("truncated_json", share=0.2)), seed=seed)
    paths = ["/3/companyinformation", "/3/financialyears", "/3/voucherseries"] * 10
    with RunningSandbox(companies, rate_limit=False, faults=plan) as sandbox, requests.Session() as session:
        tokens = {spec.tenant_id: connect(sandbox, spec)["access_token"] for spec in (ACME, NORRSKEN)}
        order = [(tenant, path) for path in paths for tenant in tokens] if interleaved else \
            [(tenant, path) for tenant in tokens for path in paths]
        seen: dict[int, list[str]] = {tenant: [] for tenant in tokens}
        for tenant, path in order:
            response = api(session, sandbox, tokens[tenant], path)
            try:
                response.json()
                seen[tenant].append(str(response.status_code))
            except ValueError:
                seen[tenant].append(f"{response.status_code} unreadable")
        return seen


def test_the_same_seed_gives_the_same_faults_even_when_tenants_interleave(companies):
    first = run_sequence(companies, seed=7, interleaved=False)
    assert run_sequence(companies, seed=7, interleaved=True) == first
    assert run_sequence(companies, seed=8, interleaved=False) != first
    seen = first[ACME.tenant_id] + first[NORRSKEN.tenant_id]
    assert {"200", "200 unreadable"} <= set(seen) and {"500", "503"} & set(seen)


def test_faults_target_a_path_and_a_tenant(companies):
    plan = FaultPlan((Fault("server_error", share=1.0, path_prefix="/3/financialyears", tenant_id=ACME.tenant_id),))
    with RunningSandbox(companies, rate_limit=False, faults=plan) as sandbox, requests.Session() as session:
        acme, norrsken = connect(sandbox, ACME)["access_token"], connect(sandbox, NORRSKEN)["access_token"]
        assert [api(session, sandbox, acme, "/3/financialyears").status_code // 100 for _ in range(3)] == [5, 5, 5]
        assert api(session, sandbox, acme, "/3/companyinformation").status_code == 200
        assert api(session, sandbox, norrsken, "/3/financialyears").status_code == 200
        sandbox.set_faults(None)
        assert api(session, sandbox, acme, "/3/financialyears").status_code == 200


def test_a_plan_needs_a_known_kind_and_one_way_of_hitting():
    with pytest.raises(ValueError):
        Fault("meteor", share=0.5)
    with pytest.raises(ValueError):
        Fault("server_error")
    with pytest.raises(ValueError):
        Fault("server_error", share=0.5, next_n=2)


# --- admin endpoint ---

def test_admin_endpoint_sets_faults_and_reports_counts(companies):
    clock = ManualClock()
    with RunningSandbox(companies, rate_limit=SlidingWindowRateLimit(clock=clock)) as sandbox, requests.Session() as session:
        admin = f"{sandbox.base_url}/sandbox-admin"
        token = connect(sandbox, ACME)["access_token"]
        plan = {"seed": 3, "faults": [{"kind": "html_502", "next_n": 2, "path_prefix": "/3/financialyears"}]}
        assert session.post(f"{admin}/faults", json=plan, timeout=TIMEOUT).status_code == 200
        assert session.get(f"{admin}/faults", timeout=TIMEOUT).json() == FaultPlan.from_json(plan).to_json()
        assert session.post(f"{admin}/faults", json={"faults": [{"kind": "meteor", "share": 1}]},
                            timeout=TIMEOUT).status_code == 400

        statuses = [api(session, sandbox, token, "/3/financialyears").status_code for _ in range(3)]
        statuses += [api(session, sandbox, token, "/3/companyinformation").status_code for _ in range(23)]
        assert statuses == [502, 502] + [200] * 23 + [429]

        counts = session.get(f"{admin}/requests", timeout=TIMEOUT).json()
        assert counts["requests"][str(ACME.tenant_id)] == {"/3/companyinformation": 23, "/3/financialyears": 3}
        assert counts["outcomes"][str(ACME.tenant_id)] == {"html_502": 2, "rate_limited": 1}
        assert counts["rate_limit"] == {"limit": 25, "window_seconds": 5.0}
        assert counts["requests"]["no-token"]["/oauth-v1/token"] == 1

        log = session.get(f"{admin}/tenants/{ACME.tenant_id}/requests", timeout=TIMEOUT).json()
        assert log["tenant_id"] == ACME.tenant_id
        assert [(r["method"], r["path"]) for r in log["requests"]] == (  # the refused ones too; no OAuth request
            [("GET", "/3/financialyears")] * 3 + [("GET", "/3/companyinformation")] * 23)
        times = [r["at"] for r in log["requests"]]
        assert times == sorted(times) and time.time() - 60 < times[0]
        assert session.get(f"{admin}/tenants/999/requests", timeout=TIMEOUT).status_code == 404


@pytest.mark.skipif(not hasattr(SandboxState, "revoke_refresh_tokens"), reason="SandboxState.revoke_refresh_tokens has not landed")
def test_admin_endpoint_revokes_a_tenant(companies):
    with RunningSandbox(companies, rate_limit=False) as sandbox:
        tokens = connect(sandbox, ACME)
        answer = requests.post(f"{sandbox.base_url}/sandbox-admin/tenants/{ACME.tenant_id}/revoke", timeout=TIMEOUT)
        assert answer.status_code == 200
        assert refresh(sandbox, tokens["refresh_token"]).status_code == 400
        assert requests.post(f"{sandbox.base_url}/sandbox-admin/tenants/999/revoke", timeout=TIMEOUT).status_code == 404


@pytest.mark.skipif(not hasattr(SandboxState, "withdraw_licence"), reason="SandboxState.withdraw_licence has not landed")
def test_admin_endpoint_withdraws_a_licence(companies):
    with RunningSandbox(companies, rate_limit=False) as sandbox, requests.Session() as session:
        token = connect(sandbox, ACME)["access_token"]
        answer = session.post(f"{sandbox.base_url}/sandbox-admin/tenants/{ACME.tenant_id}/withdraw-licence",
                              json={"scope": "bookkeeping"}, timeout=TIMEOUT)
        assert answer.status_code == 200
        assert "2001101" in api(session, sandbox, token, "/3/financialyears").text


def test_every_admin_endpoint_the_readme_documents_answers(companies):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| `(GET|POST) (/sandbox-admin/[^`]*)`", readme, flags=re.MULTILINE)
    assert len(documented) == 6, documented
    bodies = {"/sandbox-admin/faults": {"seed": 7, "faults": [{"kind": "server_error", "share": 0.05}]},
              "/sandbox-admin/tenants/{tenant_id}/withdraw-licence": {"scope": "bookkeeping"}}
    with RunningSandbox(companies, rate_limit=False) as sandbox:
        for method, path in documented:
            url = sandbox.base_url + path.replace("{tenant_id}", str(ACME.tenant_id))
            answer = requests.request(method, url, json=bodies.get(path) if method == "POST" else None, timeout=TIMEOUT)
            assert answer.status_code == 200, (method, path, answer.text)


# --- command line ---

def test_serve_flags_become_a_fault_plan():
    parser = argparse.ArgumentParser()
    serve.add_arguments(parser)
    args = parser.parse_args(["--companies", "3", "--size", "M", "--fail-share-5xx", "0.05", "--fail-share-429", "0.02",
                              "--slow-ms", "200", "--fault-seed", "7", "--no-rate-limit"])
    assert args.no_rate_limit and (args.companies, args.size) == (3, "M")
    assert serve.fault_plan(args) == FaultPlan((
        Fault("rate_limit", share=0.02), Fault("server_error", share=0.05), Fault("slow", share=1.0, delay_ms=200),
    ), seed=7)
    with pytest.raises(SystemExit):
        parser.parse_args(["--companies", "3", "--clients", "clients.yaml"])
