"""/3 routes of the customer and supplier ledgers, built from the generator's business events.

An invoice's payments, balance and status are judged as of the sandbox clock's today: a payment
dated later is in the books (and in /3/invoicepayments) but has not yet paid the invoice.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from functools import partial

import fastapi
from fastapi import Request
from fastapi.responses import JSONResponse

from fortnox_etl.sandbox.api_common import (
    CODE_CUSTOMER_NOT_FOUND,
    CODE_DOCUMENT_NOT_FOUND,
    CODE_INVALID_FILTER,
    Caller,
    FortnoxError,
    base_url,
    date_param,
    in_date_range,
    last_modified_param,
    list_fields,
    modified_since,
    page,
    requires,
)
from fortnox_etl.sandbox.generator import (
    CustomerInvoice,
    Ledger,
    Party,
    Payment,
    SupplierInvoice,
    VoucherRef,
    ore_to_amount,
)

INVOICE_LIST_FIELDS = (
    "@url", "Balance", "Booked", "Cancelled", "CostCenter", "Currency", "CurrencyRate", "CurrencyUnit",
    "CustomerName", "CustomerNumber", "DocumentNumber", "DueDate", "ExternalInvoiceReference1",
    "ExternalInvoiceReference2", "FinalPayDate", "InvoiceDate", "InvoiceType", "NoxFinans", "OCR", "Project",
    "Sent", "TermsOfPayment", "Total", "VoucherNumber", "VoucherSeries", "VoucherYear", "WayOfDelivery",
)
# Fortnox's documented list example (developer.fortnox.se): Cancel, no Vouchers, no currency rate.
SUPPLIER_INVOICE_LIST_FIELDS = (
    "@url", "AuthorizerName", "Balance", "Booked", "Cancel", "Currency", "DueDate", "GivenNumber",
    "InvoiceDate", "InvoiceNumber", "SupplierName", "SupplierNumber", "Total",
)
# The OpenAPI file's SupplierInvoiceListItem: served only with lenient lists.
SUPPLIER_INVOICE_DOCUMENTED_LIST_FIELDS = (
    "@url", "AuthorizerName", "Balance", "Booked", "Cancel", "CostCenter", "Credit", "Currency", "CurrencyRate",
    "CurrencyUnit", "DueDate", "ExternalInvoiceNumber", "ExternalInvoiceSeries", "FinalPayDate", "GivenNumber",
    "InvoiceDate", "InvoiceNumber", "Project", "SupplierName", "SupplierNumber", "Total", "Vouchers",
)
# Fortnox's documented list example of invoice payments: no PaymentDate (the single payment has it); the
# supplier payments' list is taken to be the same.
PAYMENT_LIST_FIELDS = (
    "@url", "Amount", "Booked", "Currency", "CurrencyRate", "CurrencyUnit", "InvoiceNumber", "Number", "Source",
)
PAYMENT_DOCUMENTED_LIST_FIELDS = PAYMENT_LIST_FIELDS + ("PaymentDate", "WriteOffExist")
CUSTOMER_LIST_FIELDS = (
    "@url", "Address1", "Address2", "City", "CustomerNumber", "Email", "Name", "OrganisationNumber", "Phone", "ZipCode",
)
SUPPLIER_LIST_FIELDS = (
    "@url", "Active", "Address1", "Address2", "BG", "BIC", "BankAccountNumber", "City", "CostCenter", "CountryCode",
    "Currency", "DisablePaymentFile", "Email", "IBAN", "Name", "OrganisationNumber", "PG", "Phone",
    "PreDefinedAccount", "Project", "SupplierNumber", "TermsOfPayment", "ZipCode",
)
INVOICE_FILTERS = ("cancelled", "fullypaid", "unpaid", "unpaidoverdue", "unbooked")
# Nothing generated waits for a payment file or an approval, so these two always answer an empty list.
SUPPLIER_INVOICE_FILTERS = INVOICE_FILTERS + ("pendingpayment", "authorizepending")


class _Status:
    """An invoice as of today: what has been paid, and by which payments."""

    def __init__(self, invoice: CustomerInvoice | SupplierInvoice, payments: list[Payment], today: date) -> None:
        self.invoice = invoice
        self.payments = [payment for payment in payments if payment.payment_date <= today]
        # A cancelled invoice owes nothing.
        owed = 0 if invoice.cancelled else invoice.total_ore
        self.balance_ore = owed - sum(payment.amount_ore for payment in self.payments)
        self.overdue = self.balance_ore > 0 and invoice.due_date < today
        settled = self.balance_ore == 0 and self.payments
        self.final_pay_date = max(p.payment_date for p in self.payments).isoformat() if settled else None

    def matches(self, name: str | None) -> bool:
        live = not self.invoice.cancelled
        return {
            None: True,
            "unpaid": live and self.balance_ore > 0,
            "unpaidoverdue": live and self.overdue,
            "fullypaid": live and self.balance_ore == 0,
            "cancelled": self.invoice.cancelled,
            "unbooked": live and not self.invoice.booked,
        }.get(name, False)


def add_routes(app: fastapi.FastAPI, state) -> None:
    customer_scope = requires(state, "customer")
    invoice_scope = requires(state, "invoice")
    payment_scope = requires(state, "payment")
    supplier_scope = requires(state, "supplier")
    supplierinvoice_scope = requires(state, "supplierinvoice")
    payments_of = {
        tenant_id: (_by_invoice(company.ledger.customer_payments), _by_invoice(company.ledger.supplier_payments))
        for tenant_id, company in state.companies.items()
    }
    # A payment's invoice, looked up once per record: a list of payments must not scan every invoice for each.
    invoice_of = {
        tenant_id: (_first_by(company.ledger.customer_invoices, lambda i: i.invoice_number),
                    _first_by(company.ledger.supplier_invoices, lambda i: i.given_number))
        for tenant_id, company in state.companies.items()
    }

    def filter_param(request: Request, allowed: tuple[str, ...]) -> str | None:
        name = request.query_params.get("filter")
        if name is not None and name not in allowed:
            raise FortnoxError.bad_request("Ogiltigt filter.", CODE_INVALID_FILTER)
        return name

    def listed(request: Request, plural: str, fields: tuple[str, ...],
               records: list[tuple[datetime | None, str | None, Callable[[], dict]]]) -> JSONResponse:
        """A page of records given as (last modified, date or None, what makes the full record): by date range and
        lastmodified."""
        from_date, to_date = date_param(request, "fromdate"), date_param(request, "todate")
        since = last_modified_param(request)

        def list_entry(make: Callable[[], dict]) -> dict:
            record = make()
            return {name: record[name] for name in fields}

        return page(request, plural, [
            make for modified, day, make in records
            if (day is None or in_date_range(day, from_date, to_date)) and modified_since(modified, since)
        ], list_entry)

    def single(wrapper: str, records: list, key: Callable[[object], str], wanted: str, build, missing: str, code: int) -> dict:
        event = next((event for event in records if key(event) == wanted), None)
        if event is None:
            raise FortnoxError.not_found(missing, code)
        return {wrapper: build(event)}

    # --- customer ledger ---

    def invoice_status(caller: Caller, invoice: CustomerInvoice, today: date) -> _Status:
        return _Status(invoice, payments_of[caller.company.spec.tenant_id][0][invoice.invoice_number], today)

    def invoice_record(request: Request, caller: Caller, invoice: CustomerInvoice, today: date) -> dict:
        ledger = caller.company.ledger
        status = invoice_status(caller, invoice, today)
        voucher = ledger.vouchers.get(("CustomerInvoice", invoice.invoice_number))
        return {
            "@url": f"{base_url(request)}/3/invoices/{invoice.invoice_number}",
            "Address1": "", "Address2": "",
            "Balance": ore_to_amount(status.balance_ore),
            "Booked": invoice.booked,
            "Cancelled": invoice.cancelled,
            "City": invoice.customer.city,
            "Comments": "",
            "CostCenter": invoice.cost_center,
            "Country": "Sverige",
            "Credit": "false",  # a string in Fortnox's single invoice
            "Currency": invoice.currency, "CurrencyRate": "1", "CurrencyUnit": 1,  # SEK only; the rate a string, as recorded
            "CustomerName": invoice.customer.name,
            "CustomerNumber": invoice.customer.number,
            "DocumentNumber": str(invoice.invoice_number),
            "DueDate": invoice.due_date.isoformat(),
            "ExternalInvoiceReference1": "", "ExternalInvoiceReference2": "",
            "FinalPayDate": status.final_pay_date,
            "Gross": ore_to_amount(invoice.net_ore),
            "InvoiceDate": invoice.invoice_date.isoformat(),
            "InvoiceRows": [{
                "AccountNumber": 3001,
                "ArticleNumber": "",
                "CostCenter": invoice.cost_center,
                "DeliveredQuantity": "1",
                "Description": "Arbete enligt avtal",
                "Discount": 0,
                "DiscountType": "PERCENT",
                "Price": ore_to_amount(invoice.net_ore),
                "Project": invoice.project,
                "RowId": 1,
                "Total": ore_to_amount(invoice.net_ore),
                "Unit": "st",
                "VAT": 25,
            }],
            "InvoiceType": "INVOICE",
            "Language": "SV",
            "Net": ore_to_amount(invoice.net_ore),
            "NotCompleted": False,
            "NoxFinans": False,
            "OCR": _ocr(invoice.invoice_number),
            "OrganisationNumber": invoice.customer.organisation_number,
            "OurReference": "", "YourReference": "",
            "Project": invoice.project,
            "RoundOff": ore_to_amount(invoice.rounding_ore),
            "Sent": True,
            "TermsOfPayment": "30",
            "Total": ore_to_amount(invoice.total_ore),
            "TotalToPay": ore_to_amount(invoice.total_ore),
            "TotalVAT": ore_to_amount(invoice.vat_ore),
            "VATIncluded": False,
            **_voucher_fields(voucher),
            "WayOfDelivery": "",
            "ZipCode": "",
        }

    @app.get("/3/invoices")
    def invoices(request: Request, caller: Caller = invoice_scope):
        wanted = filter_param(request, INVOICE_FILTERS)
        today = state.today()  # once for the whole list: the clock's reading costs more than an invoice's status
        # Each invoice's status is worked out for the filter, if one is asked for, and for the page's records.
        return listed(request, "Invoices", INVOICE_LIST_FIELDS, [
            (invoice.modified, invoice.invoice_date.isoformat(), partial(invoice_record, request, caller, invoice, today))
            for invoice in caller.company.ledger.customer_invoices
            if wanted is None or invoice_status(caller, invoice, today).matches(wanted)
        ])

    @app.get("/3/invoices/{document_number}")
    def invoice(request: Request, document_number: str, caller: Caller = invoice_scope):
        return single("Invoice", caller.company.ledger.customer_invoices, lambda i: str(i.invoice_number), document_number,
                      lambda i: invoice_record(request, caller, i, state.today()),
                      "Kan inte hitta fakturan.", CODE_DOCUMENT_NOT_FOUND)

    def invoice_payment_record(request: Request, caller: Caller, payment: Payment) -> dict:
        ledger = caller.company.ledger
        invoice = invoice_of[caller.company.spec.tenant_id][0][payment.invoice_number]
        return {
            "@url": f"{base_url(request)}/3/invoicepayments/{payment.number}",
            "Amount": ore_to_amount(payment.amount_ore),
            "AmountCurrency": ore_to_amount(payment.amount_ore),
            "Booked": True,
            "Currency": payment.currency, "CurrencyRate": 1, "CurrencyUnit": 1,
            "ExternalInvoiceReference1": "", "ExternalInvoiceReference2": "",
            "InvoiceCustomerName": invoice.customer.name,
            "InvoiceCustomerNumber": invoice.customer.number,
            "InvoiceDueDate": invoice.due_date.isoformat(),
            "InvoiceNumber": invoice.invoice_number,
            "InvoiceOCR": _ocr(invoice.invoice_number),
            "InvoiceTotal": _amount_text(invoice.total_ore),  # a string in Fortnox's answer
            "ModeOfPayment": "BG",
            "ModeOfPaymentAccount": 1930,
            "Number": str(payment.number),
            "PaymentDate": payment.payment_date.isoformat(),
            "Source": "manual",
            **_voucher_fields(ledger.vouchers.get(("CustomerPayment", payment.number))),
            "WriteOffExist": False,  # the list's summary of WriteOffs
            "WriteOffs": [],
        }

    @app.get("/3/invoicepayments")
    def invoice_payments(request: Request, caller: Caller = payment_scope):
        invoice_number = request.query_params.get("invoicenumber")
        return listed(request, "InvoicePayments", list_fields(state, PAYMENT_LIST_FIELDS, PAYMENT_DOCUMENTED_LIST_FIELDS), [
            (payment.modified, payment.payment_date.isoformat(), partial(invoice_payment_record, request, caller, payment))
            for payment in caller.company.ledger.customer_payments
            if invoice_number is None or str(payment.invoice_number) == invoice_number
        ])

    @app.get("/3/invoicepayments/{number}")
    def invoice_payment(request: Request, number: str, caller: Caller = payment_scope):
        found = single("InvoicePayment", caller.company.ledger.customer_payments, lambda p: str(p.number), number,
                       lambda p: invoice_payment_record(request, caller, p), "Kan inte hitta inbetalningen.", CODE_DOCUMENT_NOT_FOUND)
        del found["InvoicePayment"]["WriteOffExist"]
        return found

    def customer_record(request: Request, customer: Party) -> dict:
        return {
            "@url": f"{base_url(request)}/3/customers/{customer.number}",
            "Active": True,
            "Address1": "", "Address2": "",
            "City": customer.city,
            "CountryCode": "SE",
            "Currency": "SEK",
            "CustomerNumber": customer.number,
            "Email": "",
            "Name": customer.name,
            "OrganisationNumber": customer.organisation_number,
            "Phone": "", "Phone1": "",
            "TermsOfPayment": "30",
            "Type": "COMPANY",
            "VATType": "SEVAT",
            "ZipCode": "",
        }

    @app.get("/3/customers")
    def customers(request: Request, caller: Caller = customer_scope):
        return listed(request, "Customers", CUSTOMER_LIST_FIELDS, [
            (None, None, partial(customer_record, request, customer)) for customer in caller.company.ledger.customers
        ])

    @app.get("/3/customers/{customer_number}")
    def customer(request: Request, customer_number: str, caller: Caller = customer_scope):
        found = single("Customer", caller.company.ledger.customers, lambda c: c.number, customer_number,
                       lambda c: customer_record(request, c), "Kan inte hitta kunden.", CODE_CUSTOMER_NOT_FOUND)
        del found["Customer"]["Phone"]  # the single customer has Phone1/Phone2 instead
        # Fortnox's customer schema wants a non-empty Address1; the generated customers have no street.
        del found["Customer"]["Address1"]
        return found

    # --- supplier ledger ---

    def supplier_invoice_status(caller: Caller, invoice: SupplierInvoice, today: date) -> _Status:
        return _Status(invoice, payments_of[caller.company.spec.tenant_id][1][invoice.given_number], today)

    def supplier_invoice_record(request: Request, caller: Caller, invoice: SupplierInvoice, today: date) -> dict:
        ledger = caller.company.ledger
        status = supplier_invoice_status(caller, invoice, today)
        voucher = ledger.vouchers.get(("SupplierInvoice", invoice.given_number))
        vouchers = [_voucher_link(voucher, "SUPPLIERINVOICE")] if voucher else []
        vouchers += [
            _voucher_link(ledger.vouchers[("SupplierPayment", payment.number)], "SUPPLIERPAYMENT")
            for payment in status.payments
            if ("SupplierPayment", payment.number) in ledger.vouchers
        ]
        rows = [{"Account": 2440, "Code": "TOT", "Credit": ore_to_amount(invoice.total_ore), "Debit": 0},
                {"Account": invoice.account, "Code": "PRD", "Credit": 0, "Debit": ore_to_amount(invoice.net_ore),
                 "CostCenter": invoice.cost_center, "Project": invoice.project}]
        if invoice.vat_ore:
            rows.append({"Account": 2641, "Code": "VAT", "Credit": 0, "Debit": ore_to_amount(invoice.vat_ore)})
        return {
            "@url": f"{base_url(request)}/3/supplierinvoices/{invoice.given_number}",
            "AccountingMethod": "ACCRUAL",
            "AdministrationFee": "0",
            "AuthorizerName": "",
            # Fortnox sends the amounts of supplier invoices as strings.
            "Balance": _amount_text(status.balance_ore),
            "Booked": invoice.booked,
            "Cancel": invoice.cancelled,  # the list's name for it
            "Cancelled": invoice.cancelled,  # the single record's name for it
            "Comments": "",
            "CostCenter": invoice.cost_center,
            "Credit": False,
            "Currency": invoice.currency, "CurrencyRate": "1", "CurrencyUnit": 1,  # the generator invoices in SEK
            "DisablePaymentFile": False,
            "DueDate": invoice.due_date.isoformat(),
            "ExternalInvoiceNumber": "", "ExternalInvoiceSeries": "",
            "FinalPayDate": status.final_pay_date,
            "Freight": "0",
            "GivenNumber": str(invoice.given_number),
            "InvoiceDate": invoice.invoice_date.isoformat(),
            "InvoiceNumber": invoice.invoice_number,
            "OCR": "",
            "OurReference": "", "YourReference": "",
            "PaymentPending": False,
            "Project": invoice.project,
            "RoundOffValue": "0",
            "SupplierInvoiceRows": rows,
            "SupplierName": invoice.supplier.name,
            "SupplierNumber": invoice.supplier.number,
            "Total": _amount_text(invoice.total_ore),
            "VAT": _amount_text(invoice.vat_ore),
            "VATType": "NORMAL",
            **_voucher_fields(voucher),
            "Vouchers": vouchers,
        }

    @app.get("/3/supplierinvoices")
    def supplier_invoices(request: Request, caller: Caller = supplierinvoice_scope):
        wanted = filter_param(request, SUPPLIER_INVOICE_FILTERS)
        today = state.today()
        return listed(request, "SupplierInvoices", list_fields(
            state, SUPPLIER_INVOICE_LIST_FIELDS, SUPPLIER_INVOICE_DOCUMENTED_LIST_FIELDS), [
            (invoice.modified, invoice.invoice_date.isoformat(),
             partial(supplier_invoice_record, request, caller, invoice, today))
            for invoice in caller.company.ledger.supplier_invoices
            if wanted is None or supplier_invoice_status(caller, invoice, today).matches(wanted)
        ])

    @app.get("/3/supplierinvoices/{given_number}")
    def supplier_invoice(request: Request, given_number: str, caller: Caller = supplierinvoice_scope):
        found = single("SupplierInvoice", caller.company.ledger.supplier_invoices, lambda i: str(i.given_number), given_number,
                       lambda i: supplier_invoice_record(request, caller, i, state.today()),
                       "Kan inte hitta leverantörsfakturan.", CODE_DOCUMENT_NOT_FOUND)
        del found["SupplierInvoice"]["Cancel"]
        del found["SupplierInvoice"]["AuthorizerName"]
        return found

    def supplier_payment_record(request: Request, caller: Caller, payment: Payment) -> dict:
        ledger = caller.company.ledger
        invoice = invoice_of[caller.company.spec.tenant_id][1][payment.invoice_number]
        return {
            "@url": f"{base_url(request)}/3/supplierinvoicepayments/{payment.number}",
            "Amount": ore_to_amount(payment.amount_ore),
            "AmountCurrency": ore_to_amount(payment.amount_ore),
            "Booked": True,
            "Currency": payment.currency, "CurrencyRate": 1, "CurrencyUnit": 1,
            "Information": "",
            "InvoiceDueDate": invoice.due_date.isoformat(),
            "InvoiceNumber": str(invoice.given_number),
            "InvoiceOCR": "",
            "InvoiceSupplierName": invoice.supplier.name,
            "InvoiceSupplierNumber": invoice.supplier.number,
            "InvoiceTotal": _amount_text(invoice.total_ore),
            "ModeOfPayment": "BG",
            "Number": payment.number,
            "PaymentDate": payment.payment_date.isoformat(),
            "Source": "manual",
            **_voucher_fields(ledger.vouchers.get(("SupplierPayment", payment.number))),
            "WriteOffExist": False,  # the list's summary of WriteOffs
            "WriteOffs": [],
        }

    @app.get("/3/supplierinvoicepayments")
    def supplier_payments(request: Request, caller: Caller = payment_scope):
        invoice_number = request.query_params.get("invoicenumber")
        return listed(request, "SupplierInvoicePayments", list_fields(state, PAYMENT_LIST_FIELDS, PAYMENT_DOCUMENTED_LIST_FIELDS), [
            (payment.modified, payment.payment_date.isoformat(), partial(supplier_payment_record, request, caller, payment))
            for payment in caller.company.ledger.supplier_payments
            if invoice_number is None or str(payment.invoice_number) == invoice_number
        ])

    @app.get("/3/supplierinvoicepayments/{number}")
    def supplier_payment(request: Request, number: str, caller: Caller = payment_scope):
        found = single("SupplierInvoicePayment", caller.company.ledger.supplier_payments, lambda p: str(p.number), number,
                       lambda p: supplier_payment_record(request, caller, p), "Kan inte hitta utbetalningen.",
                       CODE_DOCUMENT_NOT_FOUND)
        del found["SupplierInvoicePayment"]["WriteOffExist"]
        return found

    def supplier_record(request: Request, ledger: Ledger, supplier: Party) -> dict:
        account = next((i.account for i in ledger.supplier_invoices if i.supplier == supplier), None)
        return {
            "@url": f"{base_url(request)}/3/suppliers/{supplier.number}",
            "Active": True,
            "Address1": "", "Address2": "",
            "BG": "", "BIC": "", "BankAccountNumber": "", "IBAN": "", "PG": "",
            "City": supplier.city,
            "CostCenter": "",
            "CountryCode": "SE",
            "Currency": "SEK",
            "DisablePaymentFile": False,
            "Email": "",
            "Name": supplier.name,
            "OrganisationNumber": supplier.organisation_number,
            "Phone": "", "Phone1": "",
            "PreDefinedAccount": str(account) if account else None,
            "Project": "",
            "SupplierNumber": supplier.number,
            "TermsOfPayment": "30",
            "ZipCode": "",
        }

    @app.get("/3/suppliers")
    def suppliers(request: Request, caller: Caller = supplier_scope):
        ledger = caller.company.ledger
        return listed(request, "Suppliers", SUPPLIER_LIST_FIELDS, [
            (None, None, partial(supplier_record, request, ledger, supplier)) for supplier in ledger.suppliers
        ])

    @app.get("/3/suppliers/{supplier_number}")
    def supplier(request: Request, supplier_number: str, caller: Caller = supplier_scope):
        ledger = caller.company.ledger
        found = single("Supplier", ledger.suppliers, lambda s: s.number, supplier_number,
                       lambda s: supplier_record(request, ledger, s), "Kan inte hitta leverantören.", CODE_CUSTOMER_NOT_FOUND)
        del found["Supplier"]["Phone"]  # the single supplier has Phone1/Phone2 instead
        return found


def _by_invoice(payments: list[Payment]) -> defaultdict[int, list[Payment]]:
    grouped: defaultdict[int, list[Payment]] = defaultdict(list)
    for payment in payments:
        grouped[payment.invoice_number].append(payment)
    return grouped


def _first_by(invoices: list, number: Callable[[object], int]) -> dict[int, object]:
    """Each number's first invoice, as a scan of the list would find it."""
    found: dict[int, object] = {}
    for invoice in invoices:
        found.setdefault(number(invoice), invoice)
    return found


def _voucher_fields(voucher: VoucherRef | None) -> dict:
    """No voucher: the event was cancelled unbooked, or booked before the sandbox's first financial year."""
    if voucher is None:
        return {"VoucherNumber": None, "VoucherSeries": None, "VoucherYear": None}
    return {"VoucherNumber": voucher.number, "VoucherSeries": voucher.series, "VoucherYear": voucher.year_id}


def _voucher_link(voucher: VoucherRef, reference_type: str) -> dict:
    return {"Number": voucher.number, "ReferenceType": reference_type, "Series": voucher.series, "Year": voucher.year_id}


def _amount_text(ore: int) -> str:
    return f"{ore / 100:.2f}"


def _ocr(number: int) -> str:
    """The invoice number with a Luhn check digit, as Swedish OCR references are built."""
    digits = [int(d) for d in str(number)]
    total = sum(d if i % 2 else sum(divmod(d * 2, 10)) for i, d in enumerate(reversed(digits)))
    return f"{number}{(10 - total % 10) % 10}"
