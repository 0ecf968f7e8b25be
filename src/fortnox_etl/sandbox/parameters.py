"""The query parameters each /3 endpoint of the sandbox takes; any other is refused with Fortnox's 400 and
code 2000588 ("Ogiltig parameter"), as real Fortnox may refuse a parameter it does not list (fortnox-api.md).

Sources: the OpenAPI file's parameters per endpoint; Fortnox's general parameters page (limit, page,
offset, sortby, sortorder and lastmodified on lists; fromdate and todate only for invoices, orders, offers
and vouchers); and what real Fortnox was seen to accept: financialyear on /3/accounts and todate on
/3/vouchers (the recordings), lastmodified and voucherseries on /3/vouchers and fromdate/todate on /3/sie
(SDK tests run against live Fortnox, ../shared/reference/fortnox-recordings/SOURCES.md).
"""
from __future__ import annotations

import re

LIST = frozenset({"limit", "page", "offset", "sortby", "sortorder", "lastmodified"})
_VOUCHER_FILTERS = LIST | {"financialyear", "fromdate", "todate", "costcenter", "voucherseries"}
_INVOICE_FILTERS = LIST | {
    "filter", "costcenter", "customername", "customernumber", "label", "documentnumber", "fromdate", "todate",
    "fromfinalpaydate", "tofinalpaydate", "notcompleted", "ocr", "ourreference", "project", "sent",
    "externalinvoicereference1", "externalinvoicereference2", "yourreference", "invoicetype", "articlenumber",
    "articledescription", "currency", "accountnumberfrom", "accountnumberto", "yourordernumber", "credit",
}
_CUSTOMER_FILTERS = LIST | {"filter", "customernumber", "name", "zipcode", "city", "email", "phone",
                            "organisationnumber", "gln", "glndelivery"}

# (method, path pattern, parameters taken); a path no pattern matches takes none.
_TAKEN = [(method, re.compile(pattern), frozenset(names)) for method, pattern, names in (
    ("GET", r"/3/vouchers", _VOUCHER_FILTERS),
    ("GET", r"/3/vouchers/sublist/[^/]+", _VOUCHER_FILTERS),
    ("GET", r"/3/vouchers/[^/]+/[^/]+", {"financialyear"}),
    ("POST", r"/3/vouchers", {"financialyear"}),
    ("GET", r"/3/accounts", LIST | {"financialyear", "sru"}),
    ("GET", r"/3/accounts/[^/]+", {"financialyear"}),
    ("GET", r"/3/financialyears", LIST | {"date"}),
    ("GET", r"/3/voucherseries", LIST | {"financialyear"}),
    ("GET", r"/3/costcenters", LIST),
    ("GET", r"/3/projects", LIST),
    ("GET", r"/3/sie/[^/]+", {"financialyear", "fromdate", "todate"}),
    ("GET", r"/3/invoices", _INVOICE_FILTERS),
    ("GET", r"/3/invoicepayments", LIST | {"invoicenumber"}),
    ("GET", r"/3/supplierinvoices", LIST | {"filter"}),
    ("GET", r"/3/supplierinvoicepayments", LIST),
    ("GET", r"/3/customers", _CUSTOMER_FILTERS),
    ("GET", r"/3/suppliers", LIST),
)]


def refused_parameters(method: str, path: str, names: list[str]) -> list[str]:
    """The parameters (lower-case names) of a request that its endpoint does not take."""
    path = path.rstrip("/")
    taken = next((names_ for verb, pattern, names_ in _TAKEN if verb == method and pattern.fullmatch(path)), frozenset())
    return [name for name in dict.fromkeys(names) if name not in taken]
