"""The period report as one self-contained HTML page in Swedish: inline CSS, charts as inline SVG, no
script and nothing fetched when it is opened. Signs are turned for reading: income, equity and liabilities
and a profit are shown positive, costs negative, as an income statement and a balance sheet show them."""
from __future__ import annotations

import datetime as dt
from html import escape

from fortnox_etl.period_report import charts
from fortnox_etl.period_report.amounts import count, day, kr, month
from fortnox_etl.period_report.check_words import in_swedish
from fortnox_etl.period_report.figures import (BALANCE_CLASSES, RESULT_CLASSES, Ledger, PeriodFigures,
                                               class_total, unbooked_result)

CHECK_TITLES = {
    "unbalanced_vouchers": "Verifikationer i balans", "closing_balances": "Utgående balans = ingående + rörelser",
    "result_balances": "Resultat = rörelser", "fortnox_balances": "Saldon lika med Fortnox",
    "period_balances": "Periodsaldon lika med verifikationerna", "opening_balances": "Ingående balans = fjolårets utgående",
    "organisation_number": "Organisationsnummer", "loaded_counts": "Antal rader och anrop enligt Fortnox",
    "fortnox_totals": "Antal verifikationer enligt Fortnox", "voucher_number_gaps": "Luckor i verifikationsnumreringen",
    "vouchers_without_rows": "Verifikationer utan rader", "ledger_control_accounts": "Reskontror mot 1510 och 2440",
    "year_end_closing": "Årets resultat bokat mot 2099", "dimension_objects": "Antal kostnadsställen och projekt",
    "undeclared": "Konton, dimensioner och objekt som inte deklarerats",
}
# What to do when a check finds something (check_words says what it found).
CHECK_ACTIONS = {
    "unbalanced_vouchers": "Rätta verifikationerna i Fortnox och kör om perioden.",
    "closing_balances": "Saldona stämmer inte med verifikationerna: kontrollera bokföringen i källan (Fortnox eller "
                        "den importerade filen) och kör om perioden eller importera en rättad fil.",
    "result_balances": "Resultatet stämmer inte med verifikationerna: kontrollera källan och kör om perioden.",
    "fortnox_balances": "Våra saldon skiljer sig från källans: kör om perioden; består skillnaden, kontrollera "
                        "kontona i Fortnox.",
    "period_balances": "Periodsaldona stämmer inte med verifikationerna: kontrollera källan och kör om perioden.",
    "opening_balances": "Ingående balans är inte fjolårets utgående: kontrollera fjolårets bokslut och "
                        "ingående balanser i Fortnox, och kör om perioden.",
    "organisation_number": "Fel företag är kopplat: koppla klienten på nytt mot rätt företag (fortnox-etl connect).",
    "loaded_counts": "Laddningen blev ofullständig: kör om perioden.",
    "fortnox_totals": "Fortnox anger fler eller färre verifikationer än vi laddade: kör om perioden.",
    "voucher_number_gaps": "Kontrollera i Fortnox om verifikationerna finns; gör de det, kör om perioden.",
    "vouchers_without_rows": "Kontrollera verifikationerna i källan; en tom verifikation påverkar inga saldon.",
    "ledger_control_accounts": "Se förklaringarna under Reskontror och rätta bokningen mot 1510 eller 2440.",
    "year_end_closing": "Boka årets resultat (8999 mot 2099) i Fortnox och kör om perioden.",
    "dimension_objects": "Många kostnadsställen eller projekt: kontrollera att de är avsedda.",
    "undeclared": "Lägg upp kontona, dimensionerna och objekten med namn i källan.",
}
STATUS_WORDS = {("failed", "error"): ("Fel", "error"), ("failed", "warning"): ("Varning", "warning"),
                ("not_run", "error"): ("Ej körd", "notrun"), ("not_run", "warning"): ("Ej körd", "notrun"),
                ("passed", "error"): ("OK", "ok"), ("passed", "warning"): ("OK", "ok")}
LEDGER_WORDS = {"customer": ("Kundreskontra", "Kund", 1510, "Kundfordringar"),
                "supplier": ("Leverantörsreskontra", "Leverantör", 2440, "Leverantörsskulder")}
AGEING_LABELS = {"not_due": "Ej förfallet", "1-30": "1–30 dagar", "31-60": "31–60 dagar", "61-90": "61–90 dagar",
                 "over_90": "Över 90 dagar"}
MAX_DETAILS = 8

CSS = """
*{box-sizing:border-box}
body{margin:0;background:#eef1f4;color:#1e2a33;font:14px/1.45 "Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1040px;margin:0 auto;padding:28px 32px 48px}
header{display:flex;justify-content:space-between;align-items:flex-end;border-bottom:3px solid #1f5f8b;
 padding-bottom:12px;margin-bottom:20px}
h1{font-size:24px;margin:0 0 2px}
h2{font-size:16px;margin:0 0 10px;color:#1f5f8b;text-transform:uppercase;letter-spacing:.04em}
h3{font-size:14px;margin:0 0 6px}
.sub{color:#5a6873}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:18px}
section{background:#fff;border-radius:6px;padding:18px 20px;margin-bottom:18px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin-bottom:18px}
.kpi{background:#fff;border-radius:6px;padding:12px 16px;box-shadow:0 1px 2px rgba(0,0,0,.08);border-top:3px solid #1f5f8b}
.kpi .label{font-size:12px;color:#5a6873}
.kpi .value{font-size:20px;font-weight:600;white-space:nowrap}
.kpi.bad{border-top-color:#b3261e}.kpi.warn{border-top-color:#d39e00}.kpi.good{border-top-color:#3b8a4f}
table{border-collapse:collapse;width:100%}
th,td{padding:4px 8px;border-bottom:1px solid #e3e8ec;text-align:left;vertical-align:top}
th{font-size:12px;color:#5a6873;font-weight:600}
td.num,th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
tr.total td{font-weight:600;border-top:2px solid #1e2a33;border-bottom:none}
tr.sum td{font-weight:600}
.neg{color:#b3261e}
.badge{display:inline-block;border-radius:10px;padding:1px 9px;font-size:12px;font-weight:600;white-space:nowrap}
.badge.error{background:#fbe1df;color:#8c1d18}.badge.warning{background:#fff1c7;color:#6b4f00}
.badge.ok{background:#dff1e3;color:#1e5b2e}.badge.notrun{background:#e8ecef;color:#46525c}
.action{margin-top:4px;color:#1e2a33}
.details{margin:4px 0 0;padding-left:18px;color:#46525c;font-size:12px}
.recon{margin:8px 0 0;font-weight:600}.recon.ok{color:#1e5b2e}.recon.bad{color:#8c1d18}
svg{width:100%;height:auto}
footer{color:#5a6873;font-size:12px;margin-top:8px}
@media print{body{background:#fff}section,.kpi{box-shadow:none;border:1px solid #ccd}}
"""


def render(figures: PeriodFigures, written_at: dt.datetime) -> str:
    """The whole page for the figures of one client's period."""
    f = figures
    title = f"Periodrapport {escape(f.company_name)} – {month(f.months[-1])}"
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="sv">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">', f"<title>{title}</title>",
        f"<style>{CSS}</style>", "</head>", "<body>", "<main>",
        "<header><div>", f"<h1>{escape(f.company_name)}</h1>",
        f'<div class="sub">Org.nr {escape(f.organisation_number)} · Räkenskapsår {day(f.year.start)} – '
        f"{day(f.year.end)}</div></div>",
        f'<div class="sub" style="text-align:right">Periodrapport<br><strong>t.o.m. {day(f.period_end)}</strong></div>',
        "</header>",
        _key_figures(f),
        _monthly_result(f),
        '<div class="grid">', _statement(f, "Resultaträkning", RESULT_CLASSES, result=True),
        _statement(f, "Balansräkning", BALANCE_CLASSES, result=False), "</div>",
        _ledgers(f),
        _checks(f),
        _origin(f),
        f"<footer>Skapad {written_at:%Y-%m-%d %H:%M} UTC av fortnox-etl ur staging-databasen, "
        "samma tabeller som SIE4-filen för perioden.</footer>",
        "</main>", "</body>", "</html>", ""])


def _amount(ore: int) -> str:
    """An amount cell's content, red when negative."""
    return f'<span class="neg">{kr(ore)}</span>' if ore < 0 else kr(ore)


def _key_figures(f: PeriodFigures) -> str:
    errors = sum(c["status"] == "failed" and c["severity"] == "error" for c in f.checks)
    warnings = sum(c["status"] == "failed" and c["severity"] == "warning" for c in f.checks)
    reconciled = [ledger for ledger in f.ledgers if ledger.built]
    differing = [ledger for ledger in reconciled if ledger.difference_ore]
    result = -f.result_ore
    kpis = [
        ("Resultat hittills i år", kr(result), "good" if result >= 0 else "bad"),
        ("Samma period i fjol", kr(-f.previous_result_ore) if f.previous_year else "–", ""),
        ("Kontroller", f"{errors} fel, {warnings} varningar" if f.checks else "inte körda",
         "bad" if errors else "warn" if warnings or not f.checks else "good"),
        ("Reskontror", "stämmer" if reconciled and not differing else
         f"{len(differing)} avviker" if differing else "inte avstämda", "bad" if differing else
         "good" if reconciled else "warn"),
    ]
    return '<div class="kpis">' + "".join(
        f'<div class="kpi {css}"><div class="label">{label}</div><div class="value">{value}</div></div>'
        for label, value, css in kpis) + "</div>"


def _monthly_result(f: PeriodFigures) -> str:
    this_year = [-f.monthly_result[m] for m in f.months]
    last_year = [-f.previous_monthly_result.get(m, 0) for m in f.months] if f.previous_year else None
    chart = charts.monthly_result_chart(f.months, this_year, last_year, _year_label(f.year),
                                        _year_label(f.previous_year) if f.previous_year else "")
    head = "<tr><th>Månad</th>" + "".join(f'<th class="num">{m}</th>' for m in ("I år", "I fjol", "Ackumulerat i år"))
    rows, running = [], 0
    for m, this, last in zip(f.months, this_year, last_year or [None] * len(f.months)):
        running += this
        rows.append(f"<tr><td>{month(m)}</td><td class='num'>{_amount(this)}</td>"
                    f"<td class='num'>{_amount(last) if last is not None else '–'}</td>"
                    f"<td class='num'>{_amount(running)}</td></tr>")
    total = (f"<tr class='total'><td>Årets resultat hittills</td><td class='num'>{_amount(-f.result_ore)}</td>"
             f"<td class='num'>{_amount(-f.previous_result_ore) if f.previous_year else '–'}</td><td></td></tr>")
    return (f"<section><h2>Resultat per månad</h2>{chart}"
            f"<table>{head}</tr>{''.join(rows)}{total}</table></section>")


def _statement(f: PeriodFigures, heading: str, classes, result: bool) -> str:
    last = f"{day(_same_day_last_year(f))}" if f.previous_year else "i fjol"
    head = (f"<tr><th>Kontoklass</th><th class='num'>{day(f.period_end)}</th>"
            f"<th class='num'>{last}</th></tr>")
    rows = []
    for digits, name in classes:
        label = f"{'–'.join(digits)} {name}"
        this, previous = class_total(f.closing, digits), class_total(f.previous_closing, digits)
        shown = -1 if (result or digits != ("1",)) else 1  # assets as debit, the rest as credit
        rows.append(f"<tr><td>{escape(label)}</td><td class='num'>{_amount(shown * this)}</td>"
                    f"<td class='num'>{_amount(shown * previous) if f.previous_year else '–'}</td></tr>")
    if result:
        rows.append(f"<tr class='total'><td>Årets resultat</td><td class='num'>{_amount(-f.result_ore)}</td>"
                    f"<td class='num'>{_amount(-f.previous_result_ore) if f.previous_year else '–'}</td></tr>")
    else:
        unbooked, previous_unbooked = unbooked_result(f.closing), unbooked_result(f.previous_closing)
        rows.append(f"<tr><td>Årets resultat, ej bokat mot 2099</td><td class='num'>{_amount(-unbooked)}</td>"
                    f"<td class='num'>{_amount(-previous_unbooked) if f.previous_year else '–'}</td></tr>")
        equity = -class_total(f.closing, ("2",)) - unbooked
        previous_equity = -class_total(f.previous_closing, ("2",)) - previous_unbooked
        rows.append(f"<tr class='total'><td>Summa eget kapital och skulder</td><td class='num'>{_amount(equity)}</td>"
                    f"<td class='num'>{_amount(previous_equity) if f.previous_year else '–'}</td></tr>")
    return f"<section><h2>{heading}</h2><table>{head}{''.join(rows)}</table></section>"


def _ledgers(f: PeriodFigures) -> str:
    return ("<section><h2>Reskontror</h2><div class='grid'>"
            + "".join(_ledger(f, ledger) for ledger in f.ledgers) + "</div></section>")


def _ledger(f: PeriodFigures, ledger: Ledger) -> str:
    title, party, account, account_name = LEDGER_WORDS[ledger.name]
    if not ledger.built:
        return (f"<div><h3>{title}</h3><p class='sub'>Reskontran är inte avstämd för {day(f.period_end)}: "
                "kör periodens synk (uppgiften sync_period).</p></div>")
    buckets = [b for b in AGEING_LABELS if b in ledger.ageing] or list(AGEING_LABELS)[:1]
    chart = charts.ageing_chart([AGEING_LABELS[b] for b in buckets], [ledger.ageing.get(b, (0, 0))[1] for b in buckets])
    table = "".join(f"<tr><td>{AGEING_LABELS[b]}</td><td class='num'>{count(ledger.ageing[b][0])}</td>"
                    f"<td class='num'>{_amount(ledger.ageing[b][1])}</td></tr>" for b in buckets if b in ledger.ageing)
    summary = (f"<tr class='total'><td>Öppna poster</td><td class='num'>{count(ledger.open_items)}</td>"
               f"<td class='num'>{_amount(ledger.ledger_open_ore)}</td></tr>"
               f"<tr><td colspan='2'>{account} {account_name}</td><td class='num'>{_amount(ledger.account_balance_ore)}</td></tr>")
    if not ledger.difference_ore:
        verdict = f"<p class='recon ok'>Stämmer med konto {account}.</p>"
    else:
        verdict = (f"<p class='recon bad'>Differens mot konto {account}: {kr(ledger.difference_ore)}"
                   f" (förklarat {kr(ledger.explained_ore)}).</p>")
        lines = "".join(
            f"<tr><td>{escape(str(d['invoice_number'] or '–'))}</td><td>{escape(d['party_name'] or '')}</td>"
            f"<td class='num'>{_amount(int(d['difference_ore']))}</td><td>{escape(d['explanation'])}</td></tr>"
            for d in ledger.differences)
        if lines:
            verdict += (f"<table><tr><th>Faktura</th><th>{party}</th><th class='num'>Differens</th>"
                        f"<th>Förklaring</th></tr>{lines}</table>")
    return (f"<div><h3>{title}</h3>{chart}<table><tr><th>Ålder</th><th class='num'>Antal</th>"
            f"<th class='num'>Öppet belopp</th></tr>{table}{summary}</table>{verdict}</div>")


def _checks(f: PeriodFigures) -> str:
    if not f.checks:
        return ("<section><h2>Kontroller</h2><p class='sub'>Inga kontroller är lagrade för perioden: "
                "kör periodens synk (uppgiften sync_period).</p></section>")
    rows = []
    for check in f.checks:
        word, css = STATUS_WORDS[(check["status"], check["severity"])]
        message, details = in_swedish(check["check_name"], check["status"], check["facts"]) or (
            check["message"], (check["details"] or "").split("\n"))  # stored before the checks kept their facts
        # A detail the message already quotes (a single finding) is not repeated under it.
        found = [line for line in details if line and line not in message]
        shown = found[:MAX_DETAILS]
        more = len(found) - len(shown)
        listed = "".join(f"<li>{escape(line)}</li>" for line in shown) + (
            f"<li>… och {count(more)} till (alla i check_results)</li>" if more > 0 else "")
        rows.append(f"<tr><td><span class='badge {css}'>{word}</span></td>"
                    f"<td><strong>{escape(CHECK_TITLES.get(check['check_name'], check['check_name']))}</strong>"
                    f"<div>{escape(message)}</div>"
                    + (f"<ul class='details'>{listed}</ul>" if listed and check["status"] != "passed" else "")
                    + (f"<div class='action'><strong>Gör så här:</strong> {escape(CHECK_ACTIONS[check['check_name']])}</div>"
                       if check["status"] == "failed" and check["check_name"] in CHECK_ACTIONS else "")
                    + "</td></tr>")
    return f"<section><h2>Kontroller</h2><table>{''.join(rows)}</table></section>"


def _origin(f: PeriodFigures) -> str:
    def source(year, found) -> str:
        if year is None:
            return ""
        if found is None:
            where = "ingen källa registrerad"
        elif found["source"] == "file":
            where = f"importerad SIE-fil {escape(found['file_name'] or '')}, av {escape(found['recorded_by'])}"
        else:
            where = "synkad från Fortnox"
        when = f", {_utc(found['recorded_at'])}" if found else ""
        return f"<tr><td>Räkenskapsår {_year_label(year)}</td><td>{where}{when}</td></tr>"

    posted = "".join(
        f"<tr><td>{escape(str(v['transaction_date'])[:10])}</td><td>{escape(v['description'])}</td>"
        f"<td>{escape(str(v['fortnox_series'] or ''))} {escape(str(v['fortnox_number'] or ''))}</td>"
        f"<td class='num'>{_amount(int(v['amount_ore'] or 0))}</td></tr>" for v in f.posted_vouchers)
    return ("<section><h2>Underlag</h2><div class='grid'><div><h3>Bokföringens källa</h3><table>"
            + source(f.year, f.source) + source(f.previous_year, f.previous_source) + "</table>"
            + _requests(f) + "</div><div><h3>Verifikationer bokade av exporten</h3>"
            + ("<table><tr><th>Datum</th><th>Text</th><th>Nr i Fortnox</th><th class='num'>Belopp</th></tr>"
               + posted + "</table>" if posted else "<p class='sub'>Inga under räkenskapsåret t.o.m. perioden.</p>")
            + "</div></div></section>")


def _requests(f: PeriodFigures) -> str:
    """The Fortnox requests of the sync run that wrote the report: the company's, then each load's."""
    heading = "<h3 style='margin-top:14px'>Anrop till Fortnox i körningen</h3>"
    if f.run is None:
        return heading + "<p class='sub'>Rapporten skrevs utanför en synkkörning: inga anrop räknade.</p>"
    run = f"Körning {escape(f.run.run_id)}" if f.run.run_id else "Körningen"
    return (heading + f"<p class='sub'>{run}; räknat är hämtningens lyckade försök.</p><table>"
            + "<tr><th>Hämtning</th><th>Hur</th><th class='num'>Anrop</th></tr>"
            + f"<tr><td>Företag och räkenskapsår</td><td></td><td class='num'>{count(f.run.company_requests)}</td></tr>"
            + "".join(_load_row(f, load) for load in f.loads)
            + f"<tr class='total'><td colspan='2'>Summa för körningen</td><td class='num'>{count(f.requests)}</td></tr>"
            + "</table>")


def _load_row(f: PeriodFigures, load: dict) -> str:
    what = (f"Reskontror {day(f.period_end)}" if load["financial_year_id"] is None
            else f"Bokföring {_year_label(_year_of(f, load['financial_year_id']))}")
    how = "hel" if load["path"] == "full" else "inkrementell"
    return (f"<tr><td>{what}</td><td>{how} laddning, {_utc(load['finished_at'])}</td>"
            f"<td class='num'>{count(load['requests'])}</td></tr>")


def _utc(moment: object) -> str:
    """A stored ISO time (UTC) to the minute: 2026-12-06 01:14 UTC."""
    return f"{escape(str(moment)[:16].replace('T', ' '))} UTC"


def _year_label(year) -> str:
    return f"{year.start:%Y}" if year.start.year == year.end.year else f"{year.start:%Y}/{year.end:%y}"


def _year_of(f: PeriodFigures, financial_year_id: int):
    return next(y for y in (f.year, f.previous_year) if y and y.financial_year_id == financial_year_id)


def _same_day_last_year(f: PeriodFigures) -> dt.date:
    """The end of the previous year's month matching the period's (its comparatives are up to that day)."""
    months = len(f.months)
    index = f.previous_year.start.year * 12 + f.previous_year.start.month - 1 + months
    return min(dt.date(index // 12, index % 12 + 1, 1) - dt.timedelta(days=1), f.previous_year.end)
