"""The period checks' findings in the accountant's Swedish, worded from the facts each check stores beside its
English log message (check_results.facts): amounts as 48 200,00 kr, dates as the books write them.

`in_swedish` gives the message and the detail lines of one stored result; what to do is the page's own
CHECK_ACTIONS. A result stored before the checks kept their facts has none: None, and the page shows the
stored English words.
"""
from __future__ import annotations

import json
from collections.abc import Callable

from fortnox_etl.period_report.amounts import count, kr

RERUN = "kör om perioden"
BALANCE_NAMES = {"IB": "ingående balans (IB)", "UB": "utgående balans (UB)", "RES": "resultat (RES)"}
LEDGER_NAMES = {"customer": "Kundreskontran", "supplier": "Leverantörsreskontran"}
DIMENSION_NAMES = {1: "kostnadsställen", 6: "projekt"}
COUNTED = {"accounts": "konton", "vouchers": "verifikationer", "voucher rows": "verifikationsrader"}
SOURCE_NAMES = {"Fortnox": "Fortnox", "the SIE tables": "SIE-filen"}


def in_swedish(check_name: str, status: str, stored_facts: str | None) -> tuple[str, list[str]] | None:
    """The stored result's message and details in Swedish; None when it was stored without facts."""
    if not stored_facts or check_name not in WORDS:
        return None
    return WORDS[check_name](status, json.loads(stored_facts))


def _verdict(status: str, passed: str, details: list[str], noun: str) -> tuple[str, list[str]]:
    """The check's words when it passed, else a summary of what it found: the finding, or how many and the first."""
    if status == "passed" or not details:
        return passed, []
    if len(details) == 1:
        return f"{details[0]}.", details
    return f"{count(len(details))} {noun}; den första: {details[0]}.", details


def _period(start: str, end: str) -> str:
    return f"{start} – {end}"


def _unbalanced_vouchers(status, facts):
    details = [f"Verifikation {f['series']} {f['number']} ({f['day']}) balanserar inte: "
               f"{'debet' if f['off'] > 0 else 'kredit'} överstiger {'kredit' if f['off'] > 0 else 'debet'} "
               f"med {kr(abs(f['off']))}" for f in facts.get("found", [])]
    return _verdict(status, "Alla verifikationer balanserar.", details, "verifikationer balanserar inte")


def _closing_balances(status, facts):
    details = [f"Konto {f['account']}: utgående balans (UB) {kr(f['closing'])} är inte ingående balans (IB) "
               f"{kr(f['opening'])} plus årets transaktioner {kr(f['movement'])} = {kr(f['opening'] + f['movement'])}"
               for f in facts.get("found", [])]
    return _verdict(status, "Varje balanskontos utgående balans är ingående balans plus årets transaktioner.",
                    details, "balanskonton går inte ihop")


def _result_balances(status, facts):
    details = [f"Konto {f['account']}: resultat (RES) {kr(f['result'])} är inte årets transaktioner "
               f"{kr(f['movement'])}" for f in facts.get("found", [])]
    return _verdict(status, "Varje resultatkontos saldo är årets transaktioner.", details,
                    "resultatkonton går inte ihop")


def _fortnox_balances(status, facts):
    if status == "not_run":
        return f"Inga saldon från Fortnox SIE-export finns för året; {RERUN} för att hämta dem.", []
    source = "den importerade filen" if facts.get("imported") else "Fortnox"
    details = [f"Konto {f['account']}: {BALANCE_NAMES[f['kind']]} {kr(f['ours'])} enligt verifikationerna, "
               f"{kr(f['stated'])} enligt {source}: skillnad {kr(f['ours'] - f['stated'])}"
               for f in facts.get("found", [])]
    return _verdict(status, f"Varje ingående balans, utgående balans och resultat är det som {source} anger.",
                    details, f"saldon skiljer sig från {source}")


def _period_balances(status, facts):
    def objects(f) -> str:
        if f["objects"] is not None:
            return f", objekten {f['objects']}"
        return f", objekt {f['object']} i dimension {f['dimension']}" if f["dimension"] else ""

    details = [f"Konto {f['account']}{objects(f)}, period {f['period']}: källans periodsaldo (#PSALDO) är "
               f"{kr(f['stated'])}, verifikationerna ger {kr(f['computed'])}: skillnad {kr(f['stated'] - f['computed'])}"
               for f in facts.get("found", [])]
    return _verdict(status, "Varje periodsaldo som källan anger (#PSALDO) är det som verifikationerna ger.",
                    details, "periodsaldon skiljer sig från verifikationerna")


def _opening_balances(status, facts):
    if facts.get("first_year"):
        return "Första räkenskapsåret i Fortnox: det finns ingen tidigare utgående balans att jämföra med.", []
    years = _period(facts["start"], facts["end"])
    if status == "not_run":
        return f"Föregående räkenskapsår {years} är inte laddat; {RERUN} för att ladda det.", []
    details = [f"Konto {f['account']}: ingående balans (IB) {kr(f['opening'])} är inte föregående års utgående "
               f"balans (UB) {kr(f['closing'])}: skillnad {kr(f['opening'] - f['closing'])}"
               for f in facts.get("found", [])]
    return _verdict(status, f"Varje ingående balans är utgående balansen för {years}.", details,
                    f"ingående balanser skiljer sig från utgående balanserna för {years}")


def _organisation_number(status, facts):
    client, number = facts["client"], facts["organisation_number"]
    details = [f"Ingen företagsinformation från Fortnox finns för klienten {client}" if f["number"] is None
               else f"{SOURCE_NAMES.get(f['source'], f['source'])} har företaget {f['name']} med organisationsnummer "
                    f"{f['number']}, men klienten {client} har {number}"
               for f in facts.get("found", [])]
    return _verdict(status, f"Företaget är klientens, {number}.", details, "företag skiljer sig från klientens")


def _loaded_counts(status, facts):
    if facts.get("no_load"):
        return f"Ingen laddning av räkenskapsåret motsvarar kontoplanen i staging; {RERUN}.", []
    details = [f"Laddningen {facts['finished_at']} hämtade {count(f['loaded'])} {COUNTED[f['what']]}, men staging "
               f"har {count(f['staged'])} och SIE-tabellerna {count(f['sie'])}" for f in facts.get("found", [])]
    return _verdict(status, f"Alla {count(facts['vouchers'])} verifikationer, {count(facts['voucher_rows'])} rader och "
                            f"{count(facts['accounts'])} konton som laddningen hämtade finns i staging.",
                    details, "antal skiljer sig")


def _fortnox_totals(status, facts):
    if facts.get("no_load"):
        return f"Ingen laddning av räkenskapsåret motsvarar kontoplanen i staging; {RERUN}.", []
    if status == "not_run":
        return (f"Inte registrerat: laddningen {facts['finished_at']} sparade inte Fortnox egna antal "
                f"(@TotalResources); {RERUN} för att registrera dem.", [])
    details = [f"Fortnox angav {count(f['reported'])} {COUNTED[f['what']]} för året, men efter laddningen "
               f"{facts['finished_at']} finns {count(f['got'])} i staging" for f in facts.get("found", [])]
    return _verdict(status, "Laddningen fick alla konton och verifikationer som Fortnox angav.", details,
                    "antal understiger Fortnox")


def _voucher_number_gaps(status, facts):
    details = [f"Serie {f['series']}: verifikation {f['first']} saknas" if f["first"] == f["last"]
               else f"Serie {f['series']}: verifikation {f['first']}–{f['last']} saknas "
                    f"({count(f['last'] - f['first'] + 1)} nummer)" for f in facts.get("found", [])]
    return _verdict(status, "Varje verifikationsserie är numrerad utan luckor.", details,
                    "luckor i verifikationsnumreringen")


def _vouchers_without_rows(status, facts):
    details = [f"Verifikation {f['series']} {f['number']} ({f['day']}) har inga rader" for f in facts.get("found", [])]
    return _verdict(status, "Varje verifikation har rader.", details, "verifikationer utan rader")


def _ledger_control_accounts(status, facts):
    period_end = facts["period_end"]
    if status == "not_run":
        return (f"Kund- och leverantörsreskontran är inte avstämda per {period_end}; kör reskontrastegen för "
                "perioden först.", [])
    details = [f"{LEDGER_NAMES[f['ledger']]} {kr(f['ledger_ore'])} ({count(f['items'])} öppna fakturor) skiljer sig "
               f"från konto {f['account']} {kr(f['account_ore'])} med {kr(f['difference'])}"
               + (f"; {kr(f['explained'])} av det förklaras nedan" if f["explained"]
                  else "; inget har hittats som förklarar det")
               for f in facts.get("found", [])]
    message, _ = _verdict(status, f"Kund- och leverantörsreskontran stämmer med sina konton per {period_end}.",
                          details, "reskontror skiljer sig från sina konton")
    explanations = [f"{LEDGER_NAMES[e['ledger']]}: {e['explanation']}" for e in facts.get("explanations", [])]
    return message, details + explanations


def _year_end_closing(status, facts):
    year = _period(facts["start"], facts["end"])
    if not facts["due"]:
        return f"Inte aktuellt än: räkenskapsåret {year} har inte slutat.", []
    if status == "passed":
        return f"Resultatet för {year} är bokat mot 2099.", []
    result = facts["result"]
    outcome = f"{'en vinst' if result < 0 else 'en förlust'} på {kr(abs(result))}"
    if facts["closed"] == 0:
        finding = (f"Räkenskapsåret {year} har slutat men resultatet, {outcome}, är inte bokat: ingen verifikation "
                   "bokar 8999 mot 2099")
    else:
        finding = (f"Räkenskapsåret {year} har slutat men bokslutet stämmer inte med resultatet, {outcome}: "
                   f"8999 har {kr(facts['closed'])} och 2099 {kr(facts['booked_2099'])} i bokslutsverifikationerna")
    return f"{finding}.", [finding]


def _dimension_objects(status, facts):
    limit = facts["limit"]
    details = [f"Året har {count(f['objects'])} {DIMENSION_NAMES[f['dimension']]} (dimension {f['dimension']}), "
               f"fler än {count(limit)}" for f in facts.get("found", [])]
    used = " och ".join(f"{count(objects)} {DIMENSION_NAMES[int(dimension)]}"
                        for dimension, objects in facts["objects"].items())
    return _verdict(status, f"{used[0].upper()}{used[1:]}, högst {count(limit)} av varje.", details,
                    "dimensioner med för många objekt")


def _undeclared(status, facts):
    words = {"account": lambda f: f"Konto {f['item']} används men är inte deklarerat (#KONTO); det skapades utan namn",
             "dimension": lambda f: f"Dimension {f['dimension']} används men är inte deklarerad (#DIM)",
             "object": lambda f: f"Objekt {f['item']} i dimension {f['dimension']} används men är inte deklarerat (#OBJEKT)"}
    details = [words[f["kind"]](f) for f in facts.get("found", [])]
    return _verdict(status, "Varje konto, dimension och objekt som används är deklarerat.", details,
                    "konton, dimensioner eller objekt används utan att vara deklarerade")


WORDS: dict[str, Callable[[str, dict], tuple[str, list[str]]]] = {
    "unbalanced_vouchers": _unbalanced_vouchers, "closing_balances": _closing_balances,
    "result_balances": _result_balances, "fortnox_balances": _fortnox_balances, "period_balances": _period_balances,
    "opening_balances": _opening_balances, "organisation_number": _organisation_number,
    "loaded_counts": _loaded_counts, "fortnox_totals": _fortnox_totals, "voucher_number_gaps": _voucher_number_gaps,
    "vouchers_without_rows": _vouchers_without_rows, "ledger_control_accounts": _ledger_control_accounts,
    "year_end_closing": _year_end_closing, "dimension_objects": _dimension_objects, "undeclared": _undeclared,
}
