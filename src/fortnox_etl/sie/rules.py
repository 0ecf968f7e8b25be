"""The rules every valid SIE 4 file obeys (sie4.md, 'Rules a valid file obeys')."""
from __future__ import annotations

from collections import Counter, defaultdict

from fortnox_etl.sie.fields import amount
from fortnox_etl.sie.reader import SieFile

ACCOUNT_TYPES = ("T", "S", "K", "I")  # SIE's #KTYP: asset, liability (and equity), cost, income
BALANCE_TYPES = ("T", "S")


def bas_account_type(account: str) -> str:
    """The type of an account whose source states no #KTYP, by its BAS class (its first digit): 1 assets
    (T), 2 equity and liabilities (S), 3 income (I), 4-7 costs (K), 8 financial items: 80-83 income,
    84-89 costs. BAS has no class 0 or 9: programs use them for statistics and internal accounts, whose
    years they report as results (#RES), never carrying a balance forward, so they are costs (K)."""
    first = account[:1]
    if first in ("1", "2"):
        return "T" if first == "1" else "S"
    return "I" if first == "3" or account[:2] in ("80", "81", "82", "83") else "K"


def account_type(sie: SieFile, account: str) -> str:
    """The account's #KTYP when the file states one of SIE's four types; else its BAS class decides."""
    stated = sie.account_types.get(account)
    return stated if stated in ACCOUNT_TYPES else bas_account_type(account)


def is_balance_account(sie: SieFile, account: str) -> bool:
    """An asset or liability, whose balance is carried into the next year (#IB #UB), not a result (#RES)."""
    return account_type(sie, account) in BALANCE_TYPES


def account_order(account: str) -> tuple[int, str]:
    """Accounts in numeric order though they are text: 0351 among the four-digit ones, 797199 after 9999."""
    return len(account), account


def kronor(ore: int) -> str:
    return f"{amount(ore)} kr"


def unstageable_vouchers(sie: SieFile) -> list[str]:
    """The vouchers no books can hold, each named with its line: a number used twice in a series, a date
    outside the financial year, rows that do not sum to zero (a voucher that does not balance is not a
    voucher an accountant can take over; the source must correct it)."""
    problems: list[str] = []
    numbers = Counter((v.series, v.number) for v in sie.vouchers)
    for (series, number), count in sorted(numbers.items()):
        if count > 1:
            problems.append(f"voucher {series} {number} appears {count} times; numbers must be unique per series")
    year = sie.years.get(0)
    for voucher in sie.vouchers:
        total = sum(t.amount_ore for t in voucher.counted())
        if total:
            problems.append(f"voucher {voucher.series} {voucher.number} ({voucher.date}, line {voucher.line_no}) "
                            f"does not balance: off by {kronor(total)}")
        if year and not year[0] <= voucher.date <= year[1]:
            problems.append(f"voucher {voucher.series} {voucher.number} (line {voucher.line_no}) is dated "
                            f"{voucher.date}, outside the financial year")
    return problems


def rule_violations(sie: SieFile) -> list[str]:
    """Every broken rule, in words an accountant reads; an empty list means the file is valid."""
    problems = unstageable_vouchers(sie)
    movements: dict[str, int] = defaultdict(int)
    used_accounts: set[str] = set()
    for voucher in sie.vouchers:
        rows = voucher.counted()
        for transaction in voucher.transactions:
            used_accounts.add(transaction.account)
        for transaction in rows:
            movements[transaction.account] += transaction.amount_ore

    balance_accounts = {a for (i, a) in (*sie.opening, *sie.closing) if i == 0}
    balance_accounts |= {a for a in movements if is_balance_account(sie, a)}
    for account in sorted(balance_accounts, key=account_order):
        opening = sie.opening.get((0, account), 0)
        closing = sie.closing.get((0, account), 0)
        if closing != opening + movements.get(account, 0):
            problems.append(
                f"account {account}: closing balance {kronor(closing)} is not opening balance {kronor(opening)}"
                f" plus the year's transactions {kronor(movements.get(account, 0))}"
            )
    result_accounts = {a for (i, a) in sie.results if i == 0} | {a for a in movements if not is_balance_account(sie, a)}
    for account in sorted(result_accounts, key=account_order):
        result = sie.results.get((0, account), 0)
        if result != movements.get(account, 0):
            problems.append(f"account {account}: result {kronor(result)} is not the year's transactions {kronor(movements.get(account, 0))}")
    if any(index == -1 for index, _ in sie.closing):
        previous = {a for (i, a) in sie.closing if i == -1} | {a for (i, a) in sie.opening if i == 0}
        for account in sorted(previous, key=account_order):
            if sie.opening.get((0, account), 0) != sie.closing.get((-1, account), 0):
                problems.append(
                    f"account {account}: opening balance {kronor(sie.opening.get((0, account), 0))} is not the previous"
                    f" year's closing balance {kronor(sie.closing.get((-1, account), 0))}"
                )
    used_accounts |= {a for (_, a) in (*sie.opening, *sie.closing, *sie.results)}
    used_accounts |= {a for (_, a, _) in (*sie.object_opening, *sie.object_closing)}
    used_accounts |= {a for (_, _, a, _) in (*sie.period_balances, *sie.period_budgets)}
    undeclared = sorted(used_accounts - set(sie.accounts), key=account_order)
    if undeclared:
        problems.append(f"accounts used but not declared with #KONTO: {', '.join(undeclared)}")
    problems += _undeclared_objects(sie)
    return problems


def _undeclared_objects(sie: SieFile) -> list[str]:
    """Objects must be declared by #OBJEKT, and their dimensions by #DIM (or #UNDERDIM)."""
    used: set[tuple[int, str]] = set()
    for voucher in sie.vouchers:
        for transaction in voucher.transactions:
            used |= {(int(dimension), item) for dimension, item in transaction.pairs}
    for objects in [key[-1] for key in (*sie.object_opening, *sie.object_closing, *sie.period_balances,
                                        *sie.period_budgets)]:
        used |= {(int(dimension), item) for dimension, item in objects}
    problems = []
    undeclared = sorted(used - set(sie.objects))
    if undeclared:
        problems.append("objects used but not declared with #OBJEKT: "
                        + ", ".join(f'{dimension} "{item}"' for dimension, item in undeclared))
    dimensions = sorted({dimension for dimension, _ in (*used, *sie.objects)} - set(sie.dimensions) - set(sie.subdimensions))
    if dimensions:
        problems.append(f"dimensions used but not declared with #DIM: {', '.join(map(str, dimensions))}")
    return problems
