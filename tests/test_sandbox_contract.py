"""Contract: every answer the sandbox gives matches Fortnox's own OpenAPI file.

Each endpoint's real answers (lists, singles, the POST's 201, error answers) are fetched over HTTP
and validated against the response schema the file gives for that path, method and status, with
$refs resolved. The reading is stricter than the file: a field the file does not declare fails too
(a misspelt name would otherwise pass), and dates must be dates. Where the file is known to be
wrong about the real service, the allowance is written out in DEVIATIONS-style constants below.
"""
from __future__ import annotations

import copy
import json
import re
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlencode, urlparse

import jsonschema
import pytest
import requests
from shared_material import shared_path

from fortnox_etl.sandbox.consent import consent
from fortnox_etl.sandbox.generator import CompanySpec, generate_company
from fortnox_etl.sandbox.running import RunningSandbox
from fortnox_etl.sandbox.server import (
    KNOWN_SCOPES,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
)

REDIRECT_URI = "http://127.0.0.1:9/callback"
ACME = CompanySpec(1001, "556677-8899", "Acme Bygg & Montage AB")
NORRSKEN = CompanySpec(1002, "559123-4561", "Norrskens Café & Bageri AB", fiscal_year_start_month=7)

# --- documented deviations: where the official file is wrong about what Fortnox sends ---

# The file defines MetaInformation (@TotalResources, @TotalPages, @CurrentPage) but no list schema
# refers to it, though every real list answer carries it.
LIST_META = {"MetaInformation": {"$ref": "#/components/schemas/fortnox_MetaInformation"}}

# The file has no `nullable` anywhere, yet Fortnox answers null for empty fields (fortnox-api.md).
# Only these fields may be null: unset dates, voucher references of events booked before the
# sandbox's first financial year, and accounts without a VAT code.
NULL_ALLOWED = {
    "fortnox_LockedPeriod": {"EndDate"},
    "fortnox_InvoiceListItem": {"FinalPayDate", "VoucherNumber", "VoucherSeries", "VoucherYear"},
    "fortnox_Invoice": {"FinalPayDate", "VoucherNumber", "VoucherSeries", "VoucherYear"},
    "fortnox_InvoicePayment": {"VoucherNumber", "VoucherSeries", "VoucherYear"},
    "fortnox_SupplierInvoiceListItem": {"FinalPayDate"},
    "fortnox_SupplierInvoice": {"FinalPayDate", "VoucherNumber", "VoucherSeries", "VoucherYear"},
    "fortnox_SupplierInvoicePayment": {"VoucherNumber", "VoucherSeries", "VoucherYear"},
    "fortnox_AccountListItem": {"VATCode"},
    "fortnox_AccountSingleItem": {"VATCode"},
}

# Fortnox's empty fields are null or "" (fortnox-api.md); a project without an end date has "".
EMPTY_DATE_ALLOWED = {"fortnox_ProjectListItem": {"EndDate"}}

# Fields the sandbox sends that the file does not declare. Voucher rows carry the account's name
# as AccountDescription because the generator writes it (see the report: a generator matter).
EXTRA_FIELDS = {"fortnox_Voucher_VoucherRow": {"AccountDescription": {"type": "string"}}}

# Where real recorded answers give a field another type than the file: the invoice list's CurrencyRate
# is the string "1" (fortnox-recordings/exchanges/invoices_list.json), and the sandbox answers so too. No
# single invoice's rate is recorded: the sandbox answers it as its list does, the file says a number.
RECORDED_TYPES = {"fortnox_InvoiceListItem": {"CurrencyRate": {"type": "string"}},
                  "fortnox_Invoice": {"CurrencyRate": {"type": ["number", "string"]}}}

# The file declares the error body only as Error/Message/Code; real 400 and 403 answers use
# lowercase error/message/code, and 404s the PascalCase the file shows.
LOWERCASE_ERROR = {
    "type": "object",
    "properties": {"ErrorInformation": {
        "type": "object",
        "properties": {"error": {"type": "integer"}, "message": {"type": "string"}, "code": {"type": "integer"}},
        "required": ["error", "message", "code"],
        "additionalProperties": False,
    }},
    "required": ["ErrorInformation"],
    "additionalProperties": False,
}
# An expired or missing token gets 401 {"message": "unauthorized"}, not the ErrorInformation format.
UNAUTHORIZED = {"type": "object", "properties": {"message": {"const": "unauthorized"}}, "required": ["message"],
                "additionalProperties": False}
# GET /3/sie/{Type}: the file says 204 No Content; the real service answers 200 with the file as text.
SIE_TEMPLATE = "/3/sie/{Type}"


# --- the file, made into JSON Schema ---

@pytest.fixture(scope="module")
def openapi() -> dict:
    return json.loads(shared_path("reference", "fortnox-openapi.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def components(openapi) -> dict:
    """components.schemas in JSON Schema terms, strict, with the allowances above applied."""
    schemas = copy.deepcopy(openapi["components"]["schemas"])
    for name, schema in schemas.items():
        schema.get("properties", {}).update(EXTRA_FIELDS.get(name, {}))
        schema.get("properties", {}).update(RECORDED_TYPES.get(name, {}))
        for property_name in NULL_ALLOWED.get(name, ()):
            schema["properties"][property_name]["nullable"] = True
        for property_name in EMPTY_DATE_ALLOWED.get(name, ()):
            schema["properties"][property_name] = {"anyOf": [schema["properties"][property_name], {"const": ""}]}
        _to_json_schema(schema)
    return schemas


def _to_json_schema(schema: dict) -> None:
    """OpenAPI 3.0 → JSON Schema, in place: `nullable` becomes a null type, objects are closed."""
    if schema.pop("nullable", False):
        if "$ref" in schema:
            schema["anyOf"] = [{"$ref": schema.pop("$ref")}, {"type": "null"}]
        elif "type" in schema:
            schema["type"] = [schema["type"], "null"]
            if "enum" in schema:
                schema["enum"] = [*schema["enum"], None]
    if "properties" in schema and schema.get("type") in ("object", ["object", "null"]):
        schema.setdefault("additionalProperties", False)
    for child in schema.get("properties", {}).values():
        _to_json_schema(child)
    if isinstance(schema.get("items"), dict):
        _to_json_schema(schema["items"])


def response_schema(openapi: dict, components: dict, method: str, template: str, status: int) -> dict:
    responses = openapi["paths"][template][method]["responses"]
    declared = responses.get(str(status)) or responses["default"]
    schema = copy.deepcopy(declared["content"]["application/json"]["schema"])
    name = schema["$ref"].rsplit("/", 1)[-1]
    wrapper = components[name]
    is_list = any(prop.get("type") == "array" for prop in wrapper.get("properties", {}).values())
    if is_list and method == "get" and status == 200:
        schema = {**copy.deepcopy(wrapper), "properties": {**copy.deepcopy(wrapper["properties"]), **LIST_META}}
    return {**schema, "components": {"schemas": components}}


def violations(body: object, schema: dict) -> list[str]:
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker(formats=["date"]))
    return sorted(
        f"{'/'.join(str(part) for part in error.absolute_path) or '(root)'}: {error.message}"
        for error in validator.iter_errors(body)
    )


# --- the sandbox ---

@pytest.fixture(scope="module")
def sandbox():
    clock = datetime(2025, 3, 1, 12, tzinfo=UTC).timestamp()
    with RunningSandbox([generate_company(ACME), generate_company(NORRSKEN)], clock=lambda: clock, rate_limit=False) as running:
        running.state.withdraw_licence(1002, "invoice")
        running.state.set_locked_period(1002, date(2024, 12, 31))
        yield running


def connect(sandbox, organisation_number: str, scope: str) -> str:
    params = {"client_id": SANDBOX_CLIENT_ID, "redirect_uri": REDIRECT_URI, "scope": scope, "state": "s",
              "access_type": "offline", "response_type": "code"}
    code = parse_qs(urlparse(consent(f"{sandbox.base_url}/oauth-v1/auth?{urlencode(params)}", organisation_number)).query)["code"][0]
    answer = requests.post(f"{sandbox.base_url}/oauth-v1/token", auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET), timeout=5,
                           data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI})
    return answer.json()["access_token"]


@pytest.fixture(scope="module")
def tokens(sandbox) -> dict[str, str]:
    every_scope = " ".join(sorted(KNOWN_SCOPES))
    return {
        "acme": connect(sandbox, "556677-8899", every_scope),
        "norrsken": connect(sandbox, "559123-4561", every_scope),  # no invoice licence, books locked to 2024
        "acme_without_invoice": connect(sandbox, "556677-8899", " ".join(sorted(KNOWN_SCOPES - {"invoice"}))),
        "none": "",
    }


VOUCHER = {"VoucherSeries": "A", "TransactionDate": "2025-02-28", "Description": "Upplupen elkostnad",
           "VoucherRows": [{"Account": 5020, "Debit": 1830.25, "Credit": 0, "CostCenter": "100", "TransactionInformation": "Februari"},
                           {"Account": 2990, "Debit": 0, "Credit": 1830.25}]}

# (who, method, OpenAPI path, concrete path, query, body, expected status)
CASES = [
    ("acme", "get", "/3/companyinformation", "/3/companyinformation", {}, None, 200),
    ("acme", "get", "/3/me", "/3/me", {}, None, 200),
    ("acme", "get", "/3/settings/lockedperiod", "/3/settings/lockedperiod", {}, None, 200),
    ("norrsken", "get", "/3/settings/lockedperiod", "/3/settings/lockedperiod", {}, None, 200),
    ("acme", "get", "/3/financialyears", "/3/financialyears", {}, None, 200),
    ("acme", "get", "/3/financialyears/{Id}", "/3/financialyears/1", {}, None, 200),
    ("acme", "get", "/3/accounts", "/3/accounts", {"financialyear": 1}, None, 200),
    ("acme", "get", "/3/accounts/{Number}", "/3/accounts/2611", {"financialyear": 1}, None, 200),
    ("acme", "get", "/3/accounts/{Number}", "/3/accounts/1111", {"financialyear": 1}, None, 404),
    ("acme", "get", "/3/vouchers", "/3/vouchers", {"financialyear": 1}, None, 200),
    ("acme", "get", "/3/vouchers", "/3/vouchers", {"financialyear": 1, "limit": 501}, None, 400),
    ("acme", "get", "/3/vouchers/sublist/{VoucherSeries}", "/3/vouchers/sublist/B", {"financialyear": 2}, None, 200),
    ("acme", "get", "/3/vouchers/{VoucherSeries}/{VoucherNumber}", "/3/vouchers/B/3", {"financialyear": 1}, None, 200),
    ("acme", "get", "/3/vouchers/{VoucherSeries}/{VoucherNumber}", "/3/vouchers/B/9999", {"financialyear": 1}, None, 404),
    ("acme", "post", "/3/vouchers", "/3/vouchers", {"financialyear": 2}, VOUCHER, 201),
    ("acme", "post", "/3/vouchers", "/3/vouchers", {}, {**VOUCHER, "VoucherRows": VOUCHER["VoucherRows"][:1]}, 400),
    ("norrsken", "post", "/3/vouchers", "/3/vouchers", {}, {**VOUCHER, "TransactionDate": "2024-12-20"}, 400),
    ("acme", "get", "/3/voucherseries", "/3/voucherseries", {}, None, 200),
    ("acme", "get", "/3/costcenters", "/3/costcenters", {}, None, 200),
    ("acme", "get", "/3/projects", "/3/projects", {}, None, 200),
    ("acme", "get", "/3/invoices", "/3/invoices", {}, None, 200),
    ("acme", "get", "/3/invoices", "/3/invoices", {"filter": "unpaid"}, None, 200),
    ("acme", "get", "/3/invoices", "/3/invoices", {"filter": "obetald"}, None, 400),
    ("acme_without_invoice", "get", "/3/invoices", "/3/invoices", {}, None, 403),
    ("norrsken", "get", "/3/invoices", "/3/invoices", {}, None, 403),
    ("acme", "get", "/3/invoices/{DocumentNumber}", "/3/invoices/2", {}, None, 200),
    ("acme", "get", "/3/invoices/{DocumentNumber}", "/3/invoices/60", {}, None, 200),
    ("acme", "get", "/3/invoices/{DocumentNumber}", "/3/invoices/99999", {}, None, 404),
    ("acme", "get", "/3/invoicepayments", "/3/invoicepayments", {}, None, 200),
    ("acme", "get", "/3/invoicepayments/{Number}", "/3/invoicepayments/1", {}, None, 200),
    ("acme", "get", "/3/invoicepayments/{Number}", "/3/invoicepayments/99999", {}, None, 404),
    ("acme", "get", "/3/supplierinvoices", "/3/supplierinvoices", {}, None, 200),
    ("acme", "get", "/3/supplierinvoices", "/3/supplierinvoices", {"filter": "fullypaid"}, None, 200),
    ("acme", "get", "/3/supplierinvoices/{GivenNumber}", "/3/supplierinvoices/1", {}, None, 200),
    ("acme", "get", "/3/supplierinvoices/{GivenNumber}", "/3/supplierinvoices/70", {}, None, 200),
    ("acme", "get", "/3/supplierinvoices/{GivenNumber}", "/3/supplierinvoices/99999", {}, None, 404),
    ("acme", "get", "/3/supplierinvoicepayments", "/3/supplierinvoicepayments", {}, None, 200),
    ("acme", "get", "/3/supplierinvoicepayments/{Number}", "/3/supplierinvoicepayments/1", {}, None, 200),
    ("acme", "get", "/3/supplierinvoicepayments/{Number}", "/3/supplierinvoicepayments/99999", {}, None, 404),
    ("acme", "get", "/3/customers", "/3/customers", {}, None, 200),
    ("acme", "get", "/3/customers/{CustomerNumber}", "/3/customers/3", {}, None, 200),
    ("acme", "get", "/3/customers/{CustomerNumber}", "/3/customers/999", {}, None, 404),
    ("acme", "get", "/3/suppliers", "/3/suppliers", {}, None, 200),
    ("acme", "get", "/3/suppliers/{SupplierNumber}", "/3/suppliers/4", {}, None, 200),
    ("acme", "get", "/3/suppliers/{SupplierNumber}", "/3/suppliers/999", {}, None, 404),
    ("acme", "get", SIE_TEMPLATE, "/3/sie/4", {"financialyear": 2}, None, 200),
    ("acme", "get", SIE_TEMPLATE, "/3/sie/7", {"financialyear": 2}, None, 400),
    ("none", "get", "/3/vouchers", "/3/vouchers", {}, None, 401),
]


def fetch(sandbox, tokens, who, method, path, query, body) -> requests.Response:
    headers = {"Authorization": f"Bearer {tokens[who]}"} if tokens[who] else {}
    if method == "post":
        return requests.post(f"{sandbox.base_url}{path}", params=query, json={"Voucher": body}, headers=headers, timeout=10)
    answer = requests.get(f"{sandbox.base_url}{path}", params=query, headers=headers, timeout=10)
    if not _meta(answer):  # a single record, a file or an error: Fortnox refuses limit and page there
        return answer
    pages = []
    for page in range(1, 50):  # every page of a list, so every record is checked
        answer = requests.get(f"{sandbox.base_url}{path}", params={"limit": 500, "page": page, **query}, headers=headers, timeout=10)
        pages.append(answer)
        if page >= _meta(answer)["@TotalPages"]:
            return answer if len(pages) == 1 else _merged(pages)
    raise AssertionError(f"{path} has more than 49 pages")


def _meta(answer: requests.Response) -> dict | None:
    return answer.json().get("MetaInformation") if "json" in answer.headers.get("content-type", "") else None


def _merged(pages: list[requests.Response]) -> requests.Response:
    """The last page's response carrying every page's records, to validate them all at once."""
    last = pages[-1]
    merged = last.json()
    plural = next(key for key in merged if key != "MetaInformation")
    merged[plural] = [record for page in pages for record in page.json()[plural]]
    last._content = json.dumps(merged).encode()
    return last


@pytest.mark.parametrize(("who", "method", "template", "path", "query", "body", "status"), CASES,
                         ids=[f"{c[1].upper()} {c[3]} {c[6]}{' ' + urlencode(c[4]) if c[4] else ''} ({c[0]})" for c in CASES])
def test_answer_matches_the_openapi_file(sandbox, tokens, openapi, components, who, method, template, path, query, body, status):
    answer = fetch(sandbox, tokens, who, method, path, query, body)
    assert answer.status_code == status, answer.text[:500]
    if template == SIE_TEMPLATE and status == 200:
        assert answer.headers["content-type"].startswith("text/plain")
        assert answer.content.startswith(b"#FLAGGA 0")
        return
    if status == 401:
        schema = UNAUTHORIZED
    elif status in (400, 403):
        schema = LOWERCASE_ERROR
    else:
        schema = response_schema(openapi, components, method, template, status)
    problems = violations(answer.json(), schema)
    assert not problems, f"{method.upper()} {path} ({status}) breaks the OpenAPI file:\n" + "\n".join(problems[:20])


def test_every_sandbox_route_is_in_the_cases(sandbox, openapi):
    """A route added to the sandbox without a contract case fails here; so does one the file lacks."""
    def shape(path: str) -> str:
        return re.sub(r"\{[^}]+\}", "{}", path)

    served = {
        (method.lower(), shape(route.path))
        for route in sandbox.app.routes
        if route.path.startswith("/3/")
        for method in route.methods - {"HEAD"}
    }
    assert served == {(case[1], shape(case[2])) for case in CASES}
    for _, method, template, *_ in CASES:
        assert method in openapi["paths"][template], (method, template)


def test_a_violation_names_the_bad_field(sandbox, tokens, openapi, components):
    """The check above can fail: a number where the file wants a string, and an unknown field."""
    body = fetch(sandbox, tokens, "acme", "get", "/3/supplierinvoices", {}, None).json()
    body["SupplierInvoices"][3]["Total"] = 125.0
    body["SupplierInvoices"][5]["Totalt"] = "125.00"
    problems = violations(body, response_schema(openapi, components, "get", "/3/supplierinvoices", 200))
    assert problems == [
        "SupplierInvoices/3/Total: 125.0 is not of type 'string'",
        "SupplierInvoices/5: Additional properties are not allowed ('Totalt' was unexpected)",
    ]
    voucher = fetch(sandbox, tokens, "acme", "get", "/3/vouchers/A/1", {"financialyear": 1}, None).json()
    voucher["Voucher"]["TransactionDate"] = "2024-13-01"
    voucher["Voucher"]["VoucherRows"][0]["Removed"] = None
    problems = violations(voucher, response_schema(openapi, components, "get", "/3/vouchers/{VoucherSeries}/{VoucherNumber}", 200))
    assert problems == [
        "Voucher/TransactionDate: '2024-13-01' is not a 'date'",
        "Voucher/VoucherRows/0/Removed: None is not of type 'boolean'",
    ]
