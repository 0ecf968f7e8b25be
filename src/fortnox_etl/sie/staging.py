"""A parsed SIE 4 file of one client-year into the raw tables, and the SIE tables built from them.

Shared by the sync (Fortnox's SIE export) and the import of a supplied file, so that both sources
land in the same tables the same way.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection, text

from fortnox_etl.sie.fields import token
from fortnox_etl.sie.reader import Objects, SieFile
from fortnox_etl.staging.database import run_sql, sql

COST_CENTER_DIMENSION, PROJECT_DIMENSION = 1, 6
# The SIE tables of one client-year, in build order: balances are computed from transactions,
# period balances from those and the opening balances. Statistics are refreshed before the balances
# join the rows, and after, for the writer's queries.
SIE_YEAR_TRANSFORMS = ("sie_accounts", "sie_headers", "sie_dimensions", "sie_objects", "sie_vouchers",
                       "sie_transactions", "sie_transaction_objects", "sie_statistics", "sie_balances",
                       "sie_object_balances", "sie_period_balances", "sie_statistics")
SIE_CLIENT_TRANSFORMS = ("sie_company", "sie_financial_years")
# Header records kept as the source wrote them; the rest are ours to write or come from elsewhere.
_STAGED_HEADERS = ("#PROSA", "#FTYP", "#FNR", "#ORGNR", "#ADRESS", "#FNAMN", "#TAXAR", "#OMFATTN", "#KPTYP", "#VALUTA")
_STATED = (("IB", "opening"), ("UB", "closing"), ("RES", "results"))


class UnsupportedObjects(ValueError):
    """The file uses object lists our tables cannot hold (several objects on one balance line)."""


def raw_year_rows(partition: dict, sie: SieFile, heads: dict[tuple[str, int], dict] | None = None) -> dict[str, list[dict]]:
    """Rows for each load/insert_raw_* statement from a client-year's SIE file.

    `partition` holds client_key, financial_year_id, load_id and loaded_at; `heads` the /3/vouchers
    list records by (series, number), which add the reference fields SIE lacks.
    """
    heads = heads or {}
    vouchers, voucher_rows = [], []
    for voucher in sie.vouchers:
        number = int(voucher.number)
        head = heads.get((voucher.series, number), {})
        vouchers.append({
            **partition, "voucher_series": voucher.series, "voucher_number": number,
            "transaction_date": voucher.date.isoformat(),
            "registration_date": voucher.registered.isoformat() if voucher.registered else None,
            "description": voucher.text, "reference_number": head.get("ReferenceNumber"),
            "reference_type": head.get("ReferenceType"), "comments": head.get("Comments"),
        })
        voucher_rows.extend({
            **partition, "voucher_series": voucher.series, "voucher_number": number, "row_no": row_no,
            "account": row.account, "debit_ore": max(row.amount_ore, 0), "credit_ore": max(-row.amount_ore, 0),
            "description": None, "transaction_information": row.text or None,
            "cost_center": row.object(COST_CENTER_DIMENSION), "project": row.object(PROJECT_DIMENSION),
            "quantity": str(Decimal(row.quantity.replace(",", "."))) if row.quantity else None,
            "removed": row.kind == "BTRANS", "added_after_registration": row.kind == "RTRANS",
        } for row_no, row in enumerate(voucher.transactions, start=1))
    return {
        "insert_raw_vouchers": vouchers,
        "insert_raw_voucher_rows": voucher_rows,
        "insert_raw_sie_header": [
            {**partition, "position": position, "label": label, "fields": " ".join(_field(f) for f in fields)}
            for position, (label, fields) in enumerate(sie.labels.items()) if label in _STAGED_HEADERS
        ],
        "insert_raw_sie_balances": _stated_balances(partition, sie),
        "insert_raw_sie_dimensions": [{**partition, "dimension_no": dimension, "name": name}
                                      for dimension, name in sorted(sie.dimensions.items())],
        "insert_raw_sie_objects": [{**partition, "dimension_no": dimension, "object_id": item, "name": name}
                                   for (dimension, item), name in sorted(sie.objects.items())],
    }


def load_raw_year(connection: Connection, client_key: str, financial_year_id: int, rows: dict[str, list[dict]]) -> None:
    """Replace the client-year's raw partition with `rows` (statement name -> rows), in the caller's transaction."""
    run_sql(connection, "load/delete_raw_year", client_key=client_key, financial_year_id=financial_year_id)
    for statement, batch in rows.items():
        if batch:
            connection.execute(text(sql(f"load/{statement}")), batch)


def build_sie_year(connection: Connection, client_key: str, financial_year_id: int) -> None:
    for name in SIE_YEAR_TRANSFORMS:
        run_sql(connection, f"transform/{name}", client_key=client_key, financial_year_id=financial_year_id)


def build_sie_client(connection: Connection, client_key: str) -> None:
    for name in SIE_CLIENT_TRANSFORMS:
        run_sql(connection, f"transform/{name}", client_key=client_key)


def _stated_balances(partition: dict, sie: SieFile) -> list[dict]:
    rows = []
    for balance_type, attribute in _STATED:
        rows += [_balance(partition, balance_type, index, "", account, (), ore)
                 for (index, account), ore in getattr(sie, attribute).items()]
    for balance_type, attribute in (("OIB", "object_opening"), ("OUB", "object_closing")):
        rows += [_balance(partition, balance_type, index, "", account, objects, ore)
                 for (index, account, objects), ore in getattr(sie, attribute).items()]
    rows += [_balance(partition, "PSALDO", index, period, account, objects, ore)
             for (index, period, account, objects), ore in sie.period_balances.items()]
    return rows


def _balance(partition: dict, balance_type: str, index: int, period: str, account: int, objects: Objects,
             ore: int) -> dict:
    if len(objects) > 1:
        raise UnsupportedObjects(f"#{balance_type} {index} {account} has {len(objects)} objects in one list; "
                                 "only balances per single object can be staged")
    dimension, item = objects[0] if objects else ("0", "")
    return {**partition, "year_index": index, "balance_type": balance_type, "period": period, "account": account,
            "dimension_no": int(dimension), "object_id": item, "amount_ore": ore}


def _field(value) -> str:
    return "{" + " ".join(token(v) for v in value) + "}" if isinstance(value, list) else token(value)
