"""The sandbox company's SIE file for one financial year, written the way Fortnox 3.57 writes it.

Everything is read from the company's dicts at call time: vouchers the server appended after the
books were generated are in the file, and every balance except the stored opening balance (#IB)
is computed from the rows that count (not Removed), never taken from a cached total.
"""
from __future__ import annotations

import datetime
from collections import defaultdict

from fortnox_etl.sandbox.generator import Company
from fortnox_etl.sie.fields import quote

PROGRAM = '"Fortnox" 3.57.11'
CHART_TYPE = "EUBAS97"  # what Fortnox writes whatever the chart's BAS edition (sie4.md)
COST_CENTER_DIMENSION = 1
PROJECT_DIMENSION = 6
BALANCE_ACCOUNT_LIMIT = 3000


def sie_file(company: Company, financial_year_id: int, sie_type: int = 4,
             from_date: datetime.date | None = None, to_date: datetime.date | None = None,
             *, generated_on: datetime.date | None = None) -> bytes:
    """The SIE file of `sie_type` (1..4) for a financial year, CP437-encoded.

    `from_date`/`to_date` limit the #VER records; the balances cover the year up to #OMFATTN
    (`to_date`, else the year's end), so a file cut at `from_date` holds balances whose early
    movements are not among its vouchers.
    """
    if sie_type not in (1, 2, 3, 4):
        raise ValueError(f"SIE type must be 1, 2, 3 or 4, not {sie_type}")
    years = sorted(company.financial_years, key=lambda year: year["FromDate"])
    position = next((i for i, year in enumerate(years) if year["Id"] == financial_year_id), None)
    if position is None:
        raise LookupError(f"financial year {financial_year_id} does not exist")
    year = years[position]
    year_end = datetime.date.fromisoformat(year["ToDate"])
    included_until = min(to_date, year_end) if to_date else year_end
    indexed_years = [(0, year)] + ([(-1, years[position - 1])] if position > 0 else [])

    lines = _header(company, sie_type, indexed_years, included_until, generated_on or datetime.date.today())
    accounts = {account["Number"]: account for account in company.accounts[financial_year_id]}
    lines += _chart(accounts)
    if sie_type >= 3:
        lines += _dimensions(company)
    for index, indexed_year in indexed_years:
        until = included_until if index == 0 else datetime.date.fromisoformat(indexed_year["ToDate"])
        lines += _balances(company, indexed_year["Id"], index, until, sie_type, years)
    if sie_type == 4:
        lines += _vouchers(company.vouchers.get(financial_year_id, []), from_date, included_until)
    lines.append("")
    return "\r\n".join(lines).encode("cp437", errors="replace")


def _header(company: Company, sie_type: int, indexed_years, included_until: datetime.date,
            generated_on: datetime.date) -> list[str]:
    info = company.company_information
    lines = [
        "#FLAGGA 0",
        "#FORMAT PC8",
        f"#SIETYP {sie_type}",
        f"#PROGRAM {PROGRAM}",
        f"#GEN {_sie_date(generated_on)}",
        f"#FNR {quote(info['DatabaseNumber'])}",
        f"#FNAMN {quote(info['CompanyName'])}",
        f'#ADRESS "" {quote(info["Address"])} {quote(info["ZipCode"] + " " + info["City"])} ""',
    ]
    for index, year in indexed_years:
        lines.append(f"#RAR {index} {_sie_date(year['FromDate'])} {_sie_date(year['ToDate'])}")
    lines += [
        f"#ORGNR {info['OrganizationNumber']}",
        f"#OMFATTN {_sie_date(included_until)}",
        f"#KPTYP {CHART_TYPE}",
    ]
    return lines


def _chart(accounts: dict[int, dict]) -> list[str]:
    lines = []
    for number in sorted(accounts):
        account = accounts[number]
        lines.append(f"#KONTO {number} {quote(account['Description'])}")
        lines.append(f"#KTYP {number} {_account_type(number)}")
        if account.get("SRU"):
            lines.append(f"#SRU {number} {account['SRU']}")
    return lines


def _account_type(number: int) -> str:
    """T asset, S liability/equity, I income, K cost; BAS 80-83 are financial income."""
    if number < 2000:
        return "T"
    if number < 3000:
        return "S"
    if number < 4000 or 8000 <= number < 8400:
        return "I"
    return "K"


def _dimensions(company: Company) -> list[str]:
    lines = [f'#DIM {COST_CENTER_DIMENSION} "Kostnadsställe"']
    lines += [f"#OBJEKT {COST_CENTER_DIMENSION} {quote(c['Code'])} {quote(c['Description'])}" for c in company.cost_centers]
    lines.append(f'#DIM {PROJECT_DIMENSION} "Projekt"')
    lines += [f"#OBJEKT {PROJECT_DIMENSION} {quote(p['ProjectNumber'])} {quote(p['Description'])}" for p in company.projects]
    return lines


def _balances(company: Company, year_id: int, index: int, until: datetime.date, sie_type: int,
              years: list[dict]) -> list[str]:
    opening = {a["Number"]: _ore(a["BalanceBroughtForward"]) for a in company.accounts[year_id] if a["Number"] < BALANCE_ACCOUNT_LIMIT}
    movements, by_period, by_object, by_period_object = _movements(company.vouchers.get(year_id, []), until)
    lines = []
    balance_accounts = sorted(a for a in set(opening) | set(movements) if a < BALANCE_ACCOUNT_LIMIT
                              and (opening.get(a, 0) or a in movements))
    # Fortnox lists every #IB before the #UBs of the same year.
    lines += [f"#IB {index} {a} {_amount(opening.get(a, 0))}" for a in balance_accounts]
    lines += [f"#UB {index} {a} {_amount(opening.get(a, 0) + movements.get(a, 0))}" for a in balance_accounts]
    if sie_type >= 3:
        earlier = _earlier_object_movements(company, years, year_id)
        for key in sorted(set(earlier) | {k for k in by_object if k[0] < BALANCE_ACCOUNT_LIMIT}):
            account, objects = key
            lines.append(f"#OIB {index} {account} {objects} {_amount(earlier.get(key, 0))}")
            lines.append(f"#OUB {index} {account} {objects} {_amount(earlier.get(key, 0) + by_object.get(key, 0))}")
    lines += [f"#RES {index} {a} {_amount(movements[a])}" for a in sorted(movements) if a >= BALANCE_ACCOUNT_LIMIT]
    if sie_type >= 2:
        # The period's change on the account (SIE 4B), balance and result accounts alike.
        for period in sorted(by_period):
            for account in sorted(by_period[period]):
                lines.append(f"#PSALDO {index} {period} {account} {{}} {_amount(by_period[period][account])}")
            if sie_type >= 3:
                for account, objects in sorted(by_period_object.get(period, {})):
                    value = by_period_object[period][(account, objects)]
                    lines.append(f"#PSALDO {index} {period} {account} {objects} {_amount(value)}")
    return lines


def _movements(vouchers: list[dict], until: datetime.date):
    """Per account: the year's movement, per period (YYYYMM), per single object and per period and object."""
    last_day = until.isoformat()
    movements: dict[int, int] = defaultdict(int)
    by_period: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    by_object: dict[tuple[int, str], int] = defaultdict(int)
    by_period_object: dict[str, dict[tuple[int, str], int]] = defaultdict(lambda: defaultdict(int))
    for voucher in vouchers:
        day = voucher["TransactionDate"]
        if day > last_day:
            continue
        period = day[:4] + day[5:7]
        period_totals = by_period[period]
        for row in voucher["VoucherRows"]:
            if row["Removed"]:
                continue
            account = row["Account"]
            amount = _row_ore(row)
            movements[account] += amount
            period_totals[account] += amount
            for objects in _single_objects(row):
                by_object[(account, objects)] += amount
                by_period_object[period][(account, objects)] += amount
    return movements, by_period, by_object, by_period_object


def _earlier_object_movements(company: Company, years: list[dict], year_id: int) -> dict[tuple[int, str], int]:
    """Balance accounts' object balances brought forward: opening balances carry no objects."""
    totals: dict[tuple[int, str], int] = defaultdict(int)
    for year in years:
        if year["Id"] == year_id:
            break
        for voucher in company.vouchers.get(year["Id"], []):
            for row in voucher["VoucherRows"]:
                if not row["Removed"] and row["Account"] < BALANCE_ACCOUNT_LIMIT:
                    for objects in _single_objects(row):
                        totals[(row["Account"], objects)] += _row_ore(row)
    return totals


def _single_objects(row: dict) -> list[str]:
    objects = []
    if row.get("CostCenter"):
        objects.append(f"{{{COST_CENTER_DIMENSION} {quote(row['CostCenter'])}}}")
    if row.get("Project"):
        objects.append(f"{{{PROJECT_DIMENSION} {quote(row['Project'])}}}")
    return objects


def _as_fortnox_quotes(text: str) -> str:
    """A voucher's or row's text quoted as Fortnox's export quotes it: a control character a user typed
    (a form feed: `Hyra\\fjanuari`) comes back as it was typed, unlike in our own files."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ") + '"'


def _vouchers(vouchers: list[dict], from_date: datetime.date | None, until: datetime.date) -> list[str]:
    first_day = from_date.isoformat() if from_date else ""
    last_day = until.isoformat()
    # Rows of one voucher share their text, and few cost centre/project pairs exist: write each once.
    quoted: dict[str, str] = {}
    objects: dict[tuple[str, str], str] = {}
    lines = []
    for voucher in sorted(vouchers, key=lambda v: (v["VoucherSeries"], v["VoucherNumber"])):
        day = voucher["TransactionDate"]
        if not first_day <= day <= last_day:
            continue
        registered = voucher.get("_registered") or day
        lines.append(f"#VER {voucher['VoucherSeries']} {voucher['VoucherNumber']} {_sie_date(day)} "
                     f"{_as_fortnox_quotes(voucher['Description'])} {_sie_date(registered)}")
        lines.append("{")
        for row in voucher["VoucherRows"]:
            text = row.get("TransactionInformation") or ""
            if text not in quoted:
                quoted[text] = _as_fortnox_quotes(text)
            pair = (row.get("CostCenter") or "", row.get("Project") or "")
            if pair not in objects:
                objects[pair] = _objects(*pair)
            fields = f'{row["Account"]} {objects[pair]} {_amount(_row_ore(row))} "" {quoted[text]} 0'
            if row["Removed"]:
                lines.append("#BTRANS " + fields)
            elif row.get("_added"):
                # Added after registration: #RTRANS, then the same row as #TRANS for older readers.
                lines.append("#RTRANS " + fields)
                lines.append("#TRANS " + fields)
            else:
                lines.append("#TRANS " + fields)
        lines.append("}")
    return lines


def _objects(cost_center: str, project: str) -> str:
    pairs = []
    if cost_center:
        pairs.append(f"{COST_CENTER_DIMENSION} {quote(cost_center)}")
    if project:
        pairs.append(f"{PROJECT_DIMENSION} {quote(project)}")
    return "{" + " ".join(pairs) + "}"


def _row_ore(row: dict) -> int:
    return round(row["Debit"] * 100) - round(row["Credit"] * 100)


def _ore(amount: float | str | None) -> int:
    return round(float(amount or 0) * 100)


def _amount(ore: int) -> str:
    """Whole kronor without decimals, as Fortnox writes them; otherwise two decimals."""
    sign = "-" if ore < 0 else ""
    whole, cents = divmod(abs(ore), 100)
    return f"{sign}{whole}" if not cents else f"{sign}{whole}.{cents:02d}"


def _sie_date(value: datetime.date | str) -> str:
    return value.isoformat().replace("-", "") if isinstance(value, datetime.date) else value[:10].replace("-", "")
