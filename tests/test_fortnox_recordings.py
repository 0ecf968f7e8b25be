"""Real Fortnox answers (../shared/reference/fortnox-recordings/exchanges/, see its SOURCES.md) replayed
through our client and mapping code, each with the outcome a correct client has; and the sandbox's
answers compared with the recordings' shapes, field by field."""
from __future__ import annotations

import json
from collections import defaultdict
from urllib.parse import parse_qsl, urlparse

import jwt
import pytest
import requests

from fortnox_etl.config import Client
from fortnox_etl.extract import sync
from fortnox_etl.fortnox import oauth
from fortnox_etl.fortnox.api import FortnoxApi
from fortnox_etl.fortnox.client_context import ClientContext
from fortnox_etl.fortnox.errors import InvalidAppCredentials, InvalidData, NotFound, ReconnectNeeded
from fortnox_etl.period_end import ledgers
from fortnox_etl.sandbox.parameters import refused_parameters
from fortnox_etl.sandbox.running import RunningSandbox
from fortnox_etl.sandbox.server import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from shared_material import shared_path
from test_sandbox_api import connect

FORTNOX = "https://api.fortnox.se"
APP = oauth.FortnoxApp(client_id="id", client_secret="secret", auth_url="https://apps.fortnox.se/oauth-v1",
                       api_url=FORTNOX, redirect_uri="http://127.0.0.1:8976/fortnox/callback", scopes=("bookkeeping",))


def recordings() -> dict[str, dict]:
    folder = shared_path("reference", "fortnox-recordings", "exchanges")
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))}


def _query(url_or_query) -> tuple:
    """A request's query without the page size (ours is 500, the recordings' 100 or 1); page 1 when absent."""
    pairs = dict(parse_qsl(urlparse(url_or_query).query)) if isinstance(url_or_query, str) else dict(url_or_query)
    pairs = {name.lower(): value for name, value in pairs.items() if name.lower() != "limit"}
    pairs.setdefault("page", "1")
    return tuple(sorted(pairs.items()))


class Replay(requests.adapters.BaseAdapter):
    """Answers each request with the recorded answer to the same method, path and query (page size aside);
    a request nobody recorded fails the test."""

    def __init__(self, *exchanges: dict, access_token: str | None = None, also: dict | None = None):
        super().__init__()
        # `also`: answers to (method, path) without a query, for what a test adds to the recordings.
        self.answers = {(method, path, _query({})): answer for (method, path), answer in (also or {}).items()}
        for exchange in exchanges:
            for interaction in exchange["interactions"]:
                asked = interaction["request"]
                self.answers[(asked["method"], asked["path"].rstrip("/"), _query(asked["query"]))] = interaction["response"]
        self.access_token = access_token
        self.sent: list[str] = []
        self.asked: set[tuple] = set()

    def send(self, request, **kwargs):
        url = urlparse(request.url)
        key = (request.method, url.path.rstrip("/"), _query(request.url))
        assert key in self.answers, f"no recorded answer to {request.method} {request.url}"
        self.sent.append(f"{request.method} {url.path}")
        self.asked.add(key)
        recorded = self.answers[key]
        response = requests.Response()
        response.status_code = recorded["status"]
        response.headers["Content-Type"] = recorded["content_type"]
        body = recorded["body"]
        if self.access_token:  # the cassette's redaction stands where Fortnox sent a JWT
            body = body.replace("<ACCESS_TOKEN>", self.access_token)
        response._content = body.encode("utf-8")
        response.encoding = "utf-8"
        response.url, response.request = request.url, request
        return response

    def close(self):
        pass


class RenewableToken:
    tenant_id = None

    def __init__(self):
        self.renewals = 0

    def current(self) -> str:
        return "recorded-access-token"

    def renew(self, refused_access_token: str) -> str:
        self.renewals += 1
        return "renewed-access-token"


@pytest.fixture
def replay(monkeypatch):
    """`replay(*ids)`: every request of this test answered from those recordings; afterwards, every recorded
    request must have been asked (so each recorded answer went through the client)."""
    exchanges = recordings()
    installed = []

    def install(*ids: str, **options) -> Replay:
        adapter = Replay(*(exchanges[name] for name in ids), **options)
        monkeypatch.setattr(requests.Session, "get_adapter", lambda session, url: adapter)
        installed.append(adapter)
        return adapter

    yield install
    for adapter in installed:
        assert set(adapter.answers) <= adapter.asked, f"recorded but never asked: {sorted(set(adapter.answers) - adapter.asked)}"


def api(tokens=None) -> FortnoxApi:
    return FortnoxApi(FORTNOX, tokens or RenewableToken(), backoff=lambda state: 0)


def listed(path: str, collection: str, **params) -> list[dict]:
    return list(api().list(path, collection, **params))


PARTITION = {"client_key": "recorded", "financial_year_id": 4, "load_id": "l", "loaded_at": "t"}


# --- each recording, with the outcome a correct client has ---

def replay_account_single(replay):
    replay("account_single")
    account = api().get("/3/accounts/1931", financialyear=2)["Account"]
    (row,) = sync._account_rows(PARTITION, [account])
    assert (row["account"], row["description"], row["active"], row["sru"]) == ("1931", "Företagskonto, Swedbank", True, "7281")
    assert account["BalanceBroughtForward"] == 0, "the single account carries the balances the list lacks"


def replay_accounts_list_2015(replay):
    replay("accounts_list_2015")
    assert [year["Id"] for year in listed("/3/financialyears", "FinancialYears", date="2015-07-31")] == [4]
    accounts = listed("/3/accounts", "Accounts", financialyear=4)
    rows = sync._account_rows(PARTITION, accounts)
    assert len(rows) == 1222 == len({row["account"] for row in rows})
    # The list has no balances and no VAT codes: the opening balance waits for the SIE file's #IB.
    assert {row["balance_brought_forward_ore"] for row in rows} == {0} and {row["vat_code"] for row in rows} == {None}
    assert {row["active"] for row in rows} == {True, False}


def _vouchers(replay, name: str, **params) -> list[dict]:
    replay(name)
    heads = listed("/3/vouchers", "Vouchers", **params)
    keys = [sync._voucher_key(head) for head in heads]
    assert len(keys) == len(set(keys)) == len(heads)
    assert all(sync._references(head)["Comments"] is None for head in heads), "list entries carry no Comments"
    return heads


def replay_vouchers_list_2014(replay):
    assert len(_vouchers(replay, "vouchers_list_2014", financialyear=2)) == 236


def replay_vouchers_list_todate_2015(replay):
    assert len(_vouchers(replay, "vouchers_list_todate_2015", financialyear=2, todate="2011-09-30")) == 19


def replay_vouchers_year4_2015(replay):
    heads = _vouchers(replay, "vouchers_year4_2015", financialyear=4, todate="2015-07-31")
    assert len(heads) == 285
    for series, number in (sync._voucher_key(head) for head in heads):
        single = api().get(f"/3/vouchers/{series}/{number}", financialyear=4)["Voucher"]
        # What the export's search reads: the single voucher has Comments (here none of ours) and the date.
        assert "Comments" in single and single["TransactionDate"].startswith("2015-")
        assert (single["VoucherSeries"], single["VoucherNumber"]) == (series, number)


def replay_voucher_single_2015(replay):
    replay("voucher_single_2015")
    single = api().get("/3/vouchers/A/17", financialyear=2)["Voucher"]
    assert (single["TransactionDate"], single["Comments"], len(single["VoucherRows"])) == ("2011-09-22", None, 5)


def replay_financialyears_list(replay):
    replay("financialyears_list")
    years = listed("/3/financialyears", "FinancialYears")
    assert [(y["Id"], y["FromDate"], y["ToDate"]) for y in years] == [(1, "2014-01-01", "2014-12-31"), (2, "2011-07-13", "2012-12-31")]
    assert all(y.get("AccountChartType") is None for y in years), "optional: not in these list entries"


def replay_financialyears_paged(replay):
    sent = replay("financialyears_paged")
    assert [y["Id"] for y in listed("/3/financialyears", "FinancialYears")] == [1, 2]
    assert len(sent.sent) == 2


def replay_financialyears_empty(replay, monkeypatch, tmp_path):
    """A company with no financial year for the period: the period error, not an SQL error."""
    from fortnox_etl.period import Period, PeriodError
    from fortnox_etl.staging.database import create_schema, create_staging_engine

    empty = recordings()["financialyears_empty"]["interactions"][0]["response"]
    company = {"status": 200, "content_type": "application/json",  # not recorded: the client's own company
               "body": json.dumps({"CompanyInformation": {"CompanyName": "Recorded AB", "OrganizationNumber": "5566778899"}})}
    replay("financialyears_empty", also={("GET", "/3/companyinformation"): company, ("GET", "/3/financialyears"): empty})
    assert listed("/3/financialyears", "FinancialYears", date="2011-06-13") == []
    engine = create_staging_engine(str(tmp_path / "staging.db"))
    create_schema(engine)
    ctx = ClientContext(Client("recorded", "Recorded AB", "556677-8899", 1), engine, APP, "unused")
    monkeypatch.setattr(ClientContext, "api", lambda self: api())
    with pytest.raises(PeriodError, match="has no financial year that contains"):
        sync.extract_company(ctx, Period.parse("2011-06"))


def replay_accounts_and_errors(replay, name: str, path: str, error, words: str, **params):
    replay(name)
    with pytest.raises(error, match=words):
        api().get(path, **params)


def replay_err_400_invalid_filter(replay):
    replay_accounts_and_errors(replay, "err_400_invalid_filter", "/3/invoices", InvalidData,
                               r"Ett ogiltigt filter har använts.*2000587", filter="doesntexist")


def replay_err_401_expired_token(replay):
    sent = replay("err_401_expired_token")
    tokens = RenewableToken()
    with pytest.raises(ReconnectNeeded, match="even with a fresh token"):
        api(tokens).get("/3/customers")
    assert tokens.renewals == 1 and len(sent.sent) == 2, "one renewal, then reconnect"


def replay_err_403_legacy_auth(replay):
    replay_accounts_and_errors(replay, "err_403_legacy_auth", "/3", ReconnectNeeded,
                               r"did not accept our access.*saknas.*2000311")


def replay_err_404_article(replay):
    replay_accounts_and_errors(replay, "err_404_article", "/3/articles/123456789", NotFound, "Kan inte hitta artikeln")


def replay_err_404_invoice(replay):
    replay_accounts_and_errors(replay, "err_404_invoice", "/3/invoices/123456789", NotFound, "Kan inte hitta fakturan")


def _invoices(replay, name: str, kind, **params) -> list[dict]:
    replay(name)
    rows = [ledgers._invoice(record, kind) for record in listed(kind.invoices_path, kind.invoices_collection, **params)]
    assert len({row["invoice_number"] for row in rows}) == len(rows)
    return rows


def replay_invoices_list(replay):
    rows = _invoices(replay, "invoices_list", ledgers.CUSTOMERS)
    assert len(rows) == 34 and all(row["invoice_date"] for row in rows)


def replay_invoices_list_fullypaid(replay):
    rows = _invoices(replay, "invoices_list_fullypaid", ledgers.CUSTOMERS, filter="fullypaid")
    assert [(row["invoice_number"], row["balance_ore"], row["voucher_series"]) for row in rows][0] == (32, 0, "B")


def replay_supplierinvoices_list_doc(replay):
    rows = _invoices(replay, "supplierinvoices_list_doc", ledgers.SUPPLIERS)
    # The list says Cancel, has no Vouchers; Balance and Total come as strings.
    assert [(r["invoice_number"], r["cancelled"], r["total_ore"], r["voucher_series"]) for r in rows] == [
        (1, True, 250000, None), (2, True, 0, None)]


def replay_invoicepayments_list_doc(replay):
    replay("invoicepayments_list_doc")
    rows = [ledgers._payment(record, ledgers.CUSTOMERS) for record in listed("/3/invoicepayments", "InvoicePayments")]
    assert [(r["payment_number"], r["invoice_number"], r["amount_ore"], r["payment_date"]) for r in rows] == [
        (3, 1, 133700, None), (1, 1, 159900, None)], "no PaymentDate in the list: read from the single payment"


def replay_customers_list(replay):
    replay("customers_list")
    parties = [ledgers._party(record, "CustomerNumber", "/3/customers") for record in listed("/3/customers", "Customers")]
    assert len(parties) == 7 and parties[0] == {"party_number": "1", "name": "Updated name",
                                                 "organisation_number": None, "city": "New York"}


def replay_projects_list(replay):
    replay("projects_list")
    projects = listed("/3/projects", "Projects")
    assert [(p["ProjectNumber"], p["Description"], p["Status"]) for p in projects] == [
        ("1", "Some important project", "ONGOING"), ("2", "Some important project", "ONGOING")]


def _token(replay, name: str):
    replay(name, access_token=jwt.encode({"tenantId": 7}, "k" * 32, algorithm="HS256"))
    return oauth.refresh(APP, "recorded-refresh-token", clock=lambda: 1000.0)


def replay_oauth_200_refresh(replay):
    grant = _token(replay, "oauth_200_refresh")
    assert (grant.refresh_token, grant.access_expires_at, grant.tenant_id) == ("<REFRESH_TOKEN>", 4600, 7)


def replay_oauth_400_invalid_grant(replay):
    with pytest.raises(ReconnectNeeded, match="refused the refresh token"):
        _token(replay, "oauth_400_invalid_grant")  # JSON, though Fortnox labels it text/html


def replay_oauth_401_invalid_client(replay):
    with pytest.raises(InvalidAppCredentials):
        _token(replay, "oauth_401_invalid_client")  # JSON, though Fortnox labels it text/plain


REPLAYS = {name[len("replay_"):]: function for name, function in dict(globals()).items()
           if name.startswith("replay_") and name != "replay_accounts_and_errors"}


def test_every_recording_has_a_replay():
    assert set(recordings()) == set(REPLAYS), "a new recording needs its expected outcome here"


@pytest.mark.parametrize("name", sorted(REPLAYS))
def test_a_recording_replays_with_a_correct_clients_outcome(name, replay, request):
    function = REPLAYS[name]
    wanted = function.__code__.co_varnames[:function.__code__.co_argcount]
    function(*(replay if arg == "replay" else request.getfixturevalue(arg) for arg in wanted))


# --- the sandbox's answers against the recordings' shapes ---

def _kind(value) -> str:
    return "null" if value is None else {bool: "boolean", int: "number", float: "number", str: "string",
                                         list: "array", dict: "object"}[type(value)]


def recorded_shapes() -> tuple[dict, dict, dict]:
    """Per recorded list (path, collection): every field its entries carry and the kinds of value seen; the
    same for recorded single records (path template, wrapper); and per list the fields every entry carries."""
    lists, singles = defaultdict(lambda: defaultdict(set)), defaultdict(lambda: defaultdict(set))
    in_every_entry: dict[tuple, set] = {}
    for exchange in recordings().values():
        documented = exchange["kind"] != "recording"  # a documentation example: its fields, not their kinds
        for interaction in exchange["interactions"]:
            path, answer = interaction["request"]["path"].rstrip("/"), interaction["response"]
            if answer["status"] != 200 or not answer["content_type"].startswith("application/json"):
                continue
            body = json.loads(answer["body"])
            for name, value in body.items():
                if isinstance(value, list):
                    for entry in value:
                        in_every_entry[(path, name)] = in_every_entry.get((path, name), set(entry)) & set(entry)
                        for field, item in entry.items():
                            lists[(path, name)][field].add("null" if documented else _kind(item))
                elif documented:
                    continue
                elif isinstance(value, dict) and name != "MetaInformation" and not path.startswith("/oauth"):
                    template = "/".join(path.split("/")[:3]) + "/{id}"
                    for field, item in value.items():
                        singles[(template, name)][field].add(_kind(item))
    return lists, singles, in_every_entry


@pytest.fixture(scope="module")
def sandbox(acme):
    with RunningSandbox([acme], rate_limit=False) as running:
        yield running


# Where the 2014-15 recordings and today's OpenAPI file disagree, the sandbox follows the newer source.
NEWER_KINDS = {"Project": {"string"}}  # recorded as the number 0; a string (project number) in the OpenAPI file
SANDBOX_QUERIES = {"/3/vouchers": {"financialyear": 2}, "/3/accounts": {"financialyear": 2}}
SANDBOX_SINGLES = {"/3/vouchers/{id}": "/3/vouchers/A/1?financialyear=2", "/3/accounts/{id}": "/3/accounts/1930?financialyear=2"}


def test_the_sandboxs_list_entries_carry_exactly_the_recorded_fields_with_their_kinds(sandbox):
    token = connect(sandbox)["access_token"]
    lists, _, in_every_entry = recorded_shapes()
    for (path, collection), fields in lists.items():
        answer = requests.get(f"{sandbox.base_url}{path}", params={**SANDBOX_QUERIES.get(path, {}), "limit": 500},
                              headers={"Authorization": f"Bearer {token}"}, timeout=10)
        entries = answer.json()[collection]
        assert entries, path
        served = {field for entry in entries for field in entry}
        # A field some recorded entries lack (AccountingMethod) may be left out; none beyond the recorded ones.
        assert served <= set(fields), f"{path}: the sandbox sends {sorted(served - set(fields))}, which Fortnox did not"
        assert served >= in_every_entry[(path, collection)], \
            f"{path}: the sandbox leaves out {sorted(in_every_entry[(path, collection)] - served)}, which Fortnox sends"
        always = {field for field in fields if all(field in entry for entry in entries)}
        assert {field for field, kinds in fields.items() if field in always} >= served - {"AccountingMethod"}
        for entry in entries:
            for field, value in entry.items():
                assert fields[field] == {"null"} or _kind(value) in fields[field] | {"null"}, \
                    f"{path} {field}: {value!r} is not {fields[field]}"


def test_the_sandboxs_single_records_carry_every_recorded_field_with_its_kind(sandbox):
    token = connect(sandbox)["access_token"]
    _, singles, _ = recorded_shapes()
    for (template, wrapper), fields in singles.items():
        if template not in SANDBOX_SINGLES:
            continue
        record = requests.get(f"{sandbox.base_url}{SANDBOX_SINGLES[template]}", timeout=10,
                              headers={"Authorization": f"Bearer {token}"}).json()[wrapper]
        assert set(fields) <= set(record), f"{template}: the sandbox lacks {sorted(set(fields) - set(record))}"
        for field, kinds in fields.items():
            allowed = kinds | NEWER_KINDS.get(field, set()) | {"null"}
            # A field recorded only as null says nothing of its kind.
            assert kinds == {"null"} or _kind(record[field]) in allowed, f"{template} {field}: {record[field]!r} is not {kinds}"


@pytest.mark.parametrize(("path", "params"), [
    ("/3/invoicepayments", {"fromdate": "2025-01-01"}), ("/3/supplierinvoicepayments", {"invoicenumber": "1"}),
    ("/3/supplierinvoices", {"fromdate": "2025-01-01", "todate": "2025-12-31"}), ("/3/accounts", {"year": "2"}),
])
def test_a_parameter_fortnox_does_not_list_for_the_endpoint_is_refused(sandbox, path, params):
    token = connect(sandbox)["access_token"]
    answer = requests.get(f"{sandbox.base_url}{path}", params=params, headers={"Authorization": f"Bearer {token}"},
                          timeout=10)
    assert answer.status_code == 400 and answer.json()["ErrorInformation"]["code"] == 2000588
    assert "Ogiltig parameter" in answer.json()["ErrorInformation"]["message"]


# Every GET endpoint our client calls: (a path as sent, its template in the OpenAPI file).
CLIENT_ENDPOINTS = [
    ("/3/companyinformation", "/3/companyinformation"), ("/3/financialyears", "/3/financialyears"),
    ("/3/accounts", "/3/accounts"), ("/3/vouchers", "/3/vouchers"),
    ("/3/vouchers/A/1", "/3/vouchers/{VoucherSeries}/{VoucherNumber}"), ("/3/sie/4", "/3/sie/{Type}"),
    ("/3/costcenters", "/3/costcenters"), ("/3/projects", "/3/projects"), ("/3/voucherseries", "/3/voucherseries"),
    ("/3/settings/lockedperiod", "/3/settings/lockedperiod"), ("/3/customers", "/3/customers"),
    ("/3/suppliers", "/3/suppliers"), ("/3/invoices", "/3/invoices"), ("/3/supplierinvoices", "/3/supplierinvoices"),
    ("/3/invoicepayments", "/3/invoicepayments"), ("/3/supplierinvoicepayments", "/3/supplierinvoicepayments"),
    ("/3/invoicepayments/1", "/3/invoicepayments/{Number}"),
    ("/3/supplierinvoicepayments/1", "/3/supplierinvoicepayments/{Number}"),
]
# Fortnox's parameters page: these work on (almost) every list, whatever the OpenAPI file lists per endpoint.
GLOBAL_PARAMETERS = {"limit", "page", "offset", "sortby", "sortorder", "lastmodified", "financialyear"}
# Beyond those: recorded (todate on /3/vouchers), or seen accepted by live Fortnox in an SDK's tests (SOURCES.md).
EVIDENCED_PARAMETERS = {"/3/vouchers": {"fromdate", "todate", "voucherseries", "costcenter"},
                        "/3/sie/{Type}": {"fromdate", "todate"}}


def test_the_sandbox_takes_on_each_endpoint_only_the_parameters_fortnox_documents_for_it():
    paths = json.loads(shared_path("reference", "fortnox-openapi.json").read_text(encoding="utf-8"))["paths"]
    documented = {template: {p["name"].lower() for p in paths[template]["get"].get("parameters", []) if p["in"] == "query"}
                  for _, template in CLIENT_ENDPOINTS}
    every_name = set().union(*documented.values(), GLOBAL_PARAMETERS, *EVIDENCED_PARAMETERS.values(),
                             {p["name"].lower() for path in paths.values() for operation in path.values()
                              if isinstance(operation, dict) for p in operation.get("parameters", []) if p["in"] == "query"})
    for path, template in CLIENT_ENDPOINTS:
        taken = {name for name in every_name if not refused_parameters("GET", path, [name])}
        allowed = documented[template] | GLOBAL_PARAMETERS | EVIDENCED_PARAMETERS.get(template, set())
        assert taken <= allowed, f"{path}: the sandbox takes {sorted(taken - allowed)}, which Fortnox does not document"
        assert refused_parameters("GET", path, ["fromdate"]) == ([] if "fromdate" in allowed else ["fromdate"])


def test_every_endpoint_our_client_calls_refuses_an_unknown_parameter_as_fortnox_does(sandbox):
    token = connect(sandbox)["access_token"]
    for path, _ in CLIENT_ENDPOINTS:
        answer = requests.get(f"{sandbox.base_url}{path}", params={"bogus": "1"}, timeout=10,
                              headers={"Authorization": f"Bearer {token}"})
        assert (answer.status_code, answer.json()["ErrorInformation"]["code"]) == (400, 2000588), path


def test_the_sandboxs_errors_come_as_fortnoxs_recorded_ones(sandbox):
    by_name = recordings()
    token = connect(sandbox)["access_token"]

    def recorded(name: str) -> dict:
        return by_name[name]["interactions"][0]["response"]

    missing = requests.get(f"{sandbox.base_url}/3/invoices/123456789", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert (missing.status_code, set(missing.json()["ErrorInformation"])) == (
        404, set(json.loads(recorded("err_404_invoice")["body"])["ErrorInformation"]))
    expired = requests.get(f"{sandbox.base_url}/3/customers", headers={"Authorization": "Bearer expired"}, timeout=10)
    assert (expired.status_code, expired.json()) == (401, json.loads(recorded("err_401_expired_token")["body"]))
    for name, form, auth in (
            ("oauth_400_invalid_grant", {"grant_type": "refresh_token", "refresh_token": "used"},
             (SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)),
            ("oauth_401_invalid_client", {"grant_type": "refresh_token", "refresh_token": "x"}, ("wrong", "wrong"))):
        answer = requests.post(f"{sandbox.base_url}/oauth-v1/token", data=form, auth=auth, timeout=10)
        assert (answer.status_code, answer.headers["Content-Type"], set(answer.json())) == (
            recorded(name)["status"], recorded(name)["content_type"], set(json.loads(recorded(name)["body"])))


def test_lenient_lists_serve_the_openapi_files_list_items_for_comparison(acme):
    with RunningSandbox([acme], rate_limit=False, lenient_lists=True) as lenient:
        token = connect(lenient)["access_token"]

        def first(path: str, collection: str, **params) -> dict:
            return requests.get(f"{lenient.base_url}{path}", params=params, timeout=10,
                                headers={"Authorization": f"Bearer {token}"}).json()[collection][0]

        assert {"Comments", "Description", "TransactionDate", "ApprovalState"} <= set(first("/3/vouchers", "Vouchers"))
        assert {"BalanceBroughtForward", "VATCode"} <= set(first("/3/accounts", "Accounts"))
        assert "PaymentDate" in first("/3/invoicepayments", "InvoicePayments")
