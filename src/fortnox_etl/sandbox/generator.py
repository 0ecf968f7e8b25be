"""Deterministic bookkeeping of a believable small Swedish company, served by the sandbox.

The books are derived from business events (customer and supplier invoices, their payments,
salaries), kept in `Company.ledger`, so that later endpoints (/3/invoices, /3/supplierinvoices,
payments) can be served from the same events the vouchers were booked from. Amounts are integer
öre everywhere and become numbers with two decimals only when a Fortnox dict is written.

Every random choice comes from a `random.Random` seeded with the spec and a purpose name, so the
same spec gives byte-identical JSON, and adding a new kind of event later does not reshuffle the
existing ones.

Internal keys (stripped by the server): every voucher has "_registered" (the day it was entered,
on or after its transaction date) and "_modified" ("YYYY-MM-DD HH:MM"); a row that replaced a
removed one has "_added": True. Ledger events carry `modified`, the last time each changed.
"""
from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from fortnox_etl.config import Client

ACCOUNT_CHART_TYPE = "BAS 2024"
FIRST_YEAR = 2024  # the generated books start in this calendar year


@dataclass(frozen=True)
class CompanySpec:
    tenant_id: int  # Fortnox DatabaseNumber / JWT tenantId
    organisation_number: str  # "556677-8899"
    name: str  # "Acme Bygg & Montage AB"
    fiscal_year_start_month: int = 1  # 7 = broken year July..June
    first_year: int = FIRST_YEAR  # calendar year in which the first financial year starts
    years: int = 2  # number of consecutive financial years
    size: str = "S"  # see VOLUMES
    seed: int = 1


@dataclass(frozen=True)
class Volume:
    """How busy the company is; vouchers per year ≈ 2.1 × (customer + supplier invoices) + ~60,
    voucher rows ≈ 5.5 per invoice."""

    customer_invoices_per_month: int
    supplier_invoices_per_month: int
    customers: int
    extra_suppliers: int  # generated beyond the named SUPPLIERS
    workers: int  # kollektivanställda; tjänstemän are a quarter of them, at least one
    invoice_net_kronor: tuple[int, int]  # range of a customer invoice's net amount


VOLUMES = {
    # ≈ 200 vouchers a year
    "S": Volume(4, 2, customers=8, extra_suppliers=0, workers=3, invoice_net_kronor=(20_000, 120_000)),
    # ≈ 5,000 vouchers a year
    "M": Volume(125, 80, customers=150, extra_suppliers=40, workers=20, invoice_net_kronor=(5_000, 30_000)),
    # ≈ 50,000 vouchers a year
    "L": Volume(1_250, 830, customers=1_500, extra_suppliers=300, workers=120, invoice_net_kronor=(3_000, 23_000)),
    # ≈ 1,000,000 voucher rows a year
    "XL": Volume(9_000, 6_000, customers=5_000, extra_suppliers=1_500, workers=600, invoice_net_kronor=(2_000, 19_000)),
}
CANCELLED_SHARE = 0.01  # invoices cancelled before they were booked: no voucher, no payment
PARTLY_PAID_SHARE = {"customer": 0.08, "supplier": 0.05}  # paid in two or three instalments
# Days between a voucher's transaction date and its registration, by series.
REGISTRATION_LAG_DAYS = {"A": (0, 20), "B": (0, 2), "C": (0, 3), "D": (1, 12), "E": (0, 3)}


# --- chart of accounts (BAS 2024 names, INK2 SRU codes, Fortnox VAT codes) ---

@dataclass(frozen=True)
class ChartAccount:
    number: int
    description: str
    sru: int | None
    vat_code: str | None = None
    active: bool = True


CHART = (
    ChartAccount(1220, "Inventarier och verktyg", 7215),
    ChartAccount(1229, "Ackumulerade avskrivningar på inventarier och verktyg", 7215),
    ChartAccount(1240, "Bilar och andra transportmedel", 7215),
    ChartAccount(1249, "Ackumulerade avskrivningar på bilar och andra transportmedel", 7215),
    ChartAccount(1460, "Lager av handelsvaror", 7243),
    ChartAccount(1510, "Kundfordringar", 7251),
    ChartAccount(1519, "Nedskrivning av kundfordringar", 7251),
    ChartAccount(1630, "Avräkning för skatter och avgifter (skattekonto)", 7261),
    ChartAccount(1640, "Skattefordringar", 7261),
    ChartAccount(1710, "Förutbetalda hyreskostnader", 7263),
    ChartAccount(1790, "Övriga förutbetalda kostnader och upplupna intäkter", 7263),
    # Kept for the export checks: an inactive account that must not be posted to.
    ChartAccount(1910, "Kassa", 7281, active=False),
    ChartAccount(1930, "Företagskonto/checkkonto/affärskonto", 7281),
    ChartAccount(1940, "Övriga bankkonton", 7281),
    ChartAccount(2081, "Aktiekapital", 7301),
    ChartAccount(2091, "Balanserad vinst eller förlust", 7302),
    ChartAccount(2098, "Vinst eller förlust från föregående år", 7302),
    ChartAccount(2099, "Årets resultat", 7302),
    # Closing entries (bokslutsdispositioner) the bureau posts back: periodiseringsfond, överavskrivningar.
    ChartAccount(2125, "Periodiseringsfond tax. 2025", 7321),
    ChartAccount(2150, "Ackumulerade överavskrivningar", 7322),
    ChartAccount(2350, "Andra långfristiga skulder till kreditinstitut", 7352),
    ChartAccount(2440, "Leverantörsskulder", 7365),
    ChartAccount(2510, "Skatteskulder", 7368),
    ChartAccount(2518, "Betald F-skatt", 7368),
    ChartAccount(2611, "Utgående moms på försäljning inom Sverige, 25 %", 7369, "U1"),
    ChartAccount(2621, "Utgående moms på försäljning inom Sverige, 12 %", 7369, "U2"),
    ChartAccount(2631, "Utgående moms på försäljning inom Sverige, 6 %", 7369, "U3"),
    ChartAccount(2641, "Debiterad ingående moms", 7369, "I"),
    ChartAccount(2650, "Redovisningskonto för moms", 7369),
    ChartAccount(2710, "Personalskatt", 7369),
    ChartAccount(2731, "Avräkning lagstadgade sociala avgifter", 7369),
    ChartAccount(2820, "Kortfristiga skulder till anställda", 7369),
    ChartAccount(2890, "Övriga kortfristiga skulder", 7369),
    ChartAccount(2920, "Upplupna semesterlöner", 7370),
    ChartAccount(2940, "Upplupna lagstadgade sociala och andra avgifter", 7370),
    ChartAccount(2990, "Övriga upplupna kostnader och förutbetalda intäkter", 7370),
    ChartAccount(3001, "Försäljning inom Sverige, 25 % moms", 7410, "MP1"),
    ChartAccount(3002, "Försäljning inom Sverige, 12 % moms", 7410, "MP2"),
    ChartAccount(3003, "Försäljning inom Sverige, 6 % moms", 7410, "MP3"),
    ChartAccount(3041, "Försäljning tjänst inom Sverige, 25 % moms", 7410, "MP1"),
    ChartAccount(3740, "Öres- och kronutjämning", 7410),
    ChartAccount(3990, "Övriga ersättningar och intäkter", 7413),
    ChartAccount(4010, "Inköp material och varor", 7511),
    ChartAccount(4600, "Legoarbeten och underentreprenader", 7511),
    ChartAccount(5010, "Lokalhyra", 7513),
    ChartAccount(5020, "El för belysning", 7513),
    ChartAccount(5060, "Städning och renhållning", 7513),
    ChartAccount(5410, "Förbrukningsinventarier", 7513),
    ChartAccount(5460, "Förbrukningsmaterial", 7513),
    ChartAccount(5611, "Drivmedel för personbilar", 7513),
    ChartAccount(5615, "Leasing av personbilar", 7513),
    ChartAccount(5800, "Resekostnader", 7513),
    ChartAccount(5910, "Annonsering", 7513),
    ChartAccount(6071, "Representation, avdragsgill", 7513),
    ChartAccount(6110, "Kontorsmateriel", 7513),
    ChartAccount(6211, "Fast telefoni", 7513),
    ChartAccount(6212, "Mobiltelefon", 7513),
    ChartAccount(6230, "Datakommunikation", 7513),
    ChartAccount(6250, "Postbefordran", 7513),
    ChartAccount(6310, "Företagsförsäkringar", 7513),
    ChartAccount(6530, "Redovisningstjänster", 7513),
    ChartAccount(6540, "IT-tjänster", 7513),
    ChartAccount(6570, "Bankkostnader", 7513),
    ChartAccount(6991, "Övriga externa kostnader, avdragsgilla", 7513),
    ChartAccount(7010, "Löner till kollektivanställda", 7514),
    ChartAccount(7210, "Löner till tjänstemän", 7514),
    ChartAccount(7290, "Förändring av semesterlöneskuld", 7514),
    ChartAccount(7331, "Skattefria bilersättningar", 7514),
    ChartAccount(7510, "Arbetsgivaravgifter 31,42 %", 7514),
    ChartAccount(7519, "Sociala avgifter för semester- och löneskulder", 7514),
    ChartAccount(7570, "Premier för arbetsmarknadsförsäkringar", 7514),
    ChartAccount(7610, "Utbildning", 7514),
    ChartAccount(7690, "Övriga personalkostnader", 7514),
    ChartAccount(7832, "Avskrivningar på inventarier och verktyg", 7515),
    ChartAccount(7834, "Avskrivningar på bilar och andra transportmedel", 7515),
    ChartAccount(8310, "Ränteintäkter från omsättningstillgångar", 7417),
    ChartAccount(8410, "Räntekostnader för långfristiga skulder", 7522),
    ChartAccount(8422, "Dröjsmålsräntor för leverantörsskulder", 7522),
    ChartAccount(8811, "Avsättning till periodiseringsfond", 7525),
    ChartAccount(8850, "Förändring av överavskrivningar", 7526),
    ChartAccount(8910, "Skatt som belastar årets resultat", 7528),
    ChartAccount(8999, "Årets resultat", 7450),
)
ACCOUNT_NAMES = {account.number: account.description for account in CHART}

# Fortnox's default voucher series; only A is open for manual entry, the others are booked by
# the invoicing and payment modules.
VOUCHER_SERIES = (
    ("A", "Redovisning", True),
    ("B", "Kundfaktura", False),
    ("C", "Kundinbetalning", False),
    ("D", "Leverantörsfaktura", False),
    ("E", "Leverantörsbetalning", False),
)

COST_CENTERS = (("100", "Administration"), ("200", "Produktion"), ("300", "Försäljning"))
PROJECTS = (
    ("1001", "Brf Hägern – stambyte"),
    ("1002", "Kv. Ängsbacken – ombyggnad kontor"),
    ("1003", "Skolan i Östby – tillbyggnad"),
)

# Expense accounts a bookkeeper plausibly mixes up; a correction swaps one for the other.
CORRECTED_ACCOUNT = {4010: 5460, 5460: 4010, 6110: 5410, 5410: 6110, 6212: 6211, 5611: 5800, 6540: 6230}

CUSTOMER_NAMES = (
    ("Bostadsrättsföreningen Hägern 12", "769612-3450", "Stockholm"),
    ("Fastighets AB Ängsbacken", "556801-2231", "Uppsala"),
    ("Nordström Förvaltning AB", "556934-1182", "Västerås"),
    ("Åkesson & Söner Bygg AB", "556412-7765", "Örebro"),
    ("Brf Sjöutsikten", "769633-9012", "Östersund"),
    ("Lindqvists Måleri AB", "556723-4418", "Gävle"),
    ("Göteborgs Närservice AB", "556590-3327", "Göteborg"),
    ("Kommunfastigheter i Sundsvall AB", "556181-6620", "Sundsvall"),
    ("Café Kärnhuset HB", "969745-1180", "Luleå"),
    ("Sjöberg Möbler & Inredning AB", "556877-0943", "Jönköping"),
)

# name, organisation number, expense account, VAT percent, net amount range in kronor
SUPPLIERS = (
    ("Beijer Byggmaterial AB", "556038-2283", 4010, 25, (3_000, 45_000)),
    ("Ahlsell Sverige AB", "556008-5473", 5460, 25, (800, 12_000)),
    ("Telia Sverige AB", "556430-0142", 6212, 25, (900, 3_500)),
    ("Staples Sverige AB", "556111-6632", 6110, 25, (300, 4_000)),
    ("Circle K Sverige AB", "556035-5924", 5611, 25, (1_200, 6_500)),
    ("Fortnox AB", "556469-6291", 6540, 25, (500, 2_500)),
    ("Bengtssons Redovisningsbyrå AB", "556712-0981", 6530, 25, (4_000, 15_000)),
    ("If Skadeförsäkring AB", "516401-8102", 6310, 0, (2_000, 9_000)),
    ("Ellevio AB", "556037-7326", 5020, 25, (1_000, 4_500)),
)
LANDLORD = ("Fastighetsbolaget Storgården AB", "556650-4410")

COMPANY_ADDRESSES = (
    ("Verkstadsgatan 4", "831 40", "Östersund"),
    ("Industrivägen 17", "702 27", "Örebro"),
    ("Hamngatan 9", "852 34", "Sundsvall"),
    ("Möllevångsvägen 12", "214 20", "Malmö"),
    ("Storgatan 51", "972 38", "Luleå"),
)

# Parts of generated Swedish company names.
SURNAMES = (
    "Åberg", "Öhman", "Sjöström", "Björklund", "Ängström", "Lindqvist", "Söderberg", "Näslund", "Håkansson",
    "Nyström", "Strömberg", "Löfgren", "Ekström", "Bäckström", "Jönsson", "Hägglund", "Dahlström", "Forsberg",
    "Sandström", "Wikström", "Lundgren", "Höglund", "Bergström", "Åström", "Mårtensson", "Fält", "Grönlund",
    "Källström", "Sundqvist", "Östlund",
)
PLACES = (
    "Östersund", "Gävle", "Västerås", "Örebro", "Jönköping", "Norrköping", "Luleå", "Umeå", "Skövde", "Borås",
    "Växjö", "Söderhamn", "Älmhult", "Åre", "Skellefteå", "Härnösand", "Märsta", "Sölvesborg", "Hässleholm",
    "Mölndal", "Täby", "Nässjö", "Köping", "Ängelholm", "Ödeshög", "Kiruna", "Falun", "Mora", "Ystad", "Lund",
)
TRADES = (
    "Bygg & Montage", "Måleri", "Rör & Värme", "Elinstallationer", "Städservice", "Bageri & Café", "Redovisning",
    "Åkeri", "Snickeri", "Trädgårdstjänst", "Fastighetsskötsel", "Däckservice", "Blomsterhandel", "Ekonomikonsult",
    "Golvläggning", "Plåtslageri", "Kök & Inredning", "Fönsterputs", "Låsservice", "Mark & Anläggning",
    "Tandvård", "Fiskhandel", "Möbelsnickeri", "Hälsa & Friskvård", "Kyl & Frys",
)
NATURE = ("Björken", "Ängen", "Sjöglimten", "Hägern", "Tallåsen", "Måsen", "Lärkan", "Älgen", "Strömmen", "Gläntan")

SWEDISH_MONTHS = (
    "januari", "februari", "mars", "april", "maj", "juni",
    "juli", "augusti", "september", "oktober", "november", "december",
)

SALARY_TAX_PERCENT = 30  # a typical preliminary tax withholding
EMPLOYER_FEE_BASIS_POINTS = 3142  # arbetsgivaravgifter 31,42 %
DEPRECIATION_PERCENT = 20  # inventarier over five years


# --- generated companies ---

def years_through(first_year: int, fiscal_year_start_month: int, today: date) -> int:
    """How many financial years, the first starting in `first_year`, reach the one holding `today`: the books a
    sync of this month, or of the month before (the scheduled run), needs. The current year is generated whole."""
    first_start = date(first_year, fiscal_year_start_month, 1)
    months_since = (today.year - first_start.year) * 12 + today.month - first_start.month
    return max(1, months_since // 12 + 1)


def sandbox_company(client: Client, tenant_id: int, seed: int = 1, today: date | None = None) -> CompanySpec:
    """The sandbox's stand-in for the client's Fortnox company: same name, number and fiscal year, with books
    from 2024 up to the financial year holding `today` (by the clock: the month's scheduled run finds its year)."""
    return CompanySpec(tenant_id=tenant_id, organisation_number=client.organisation_number, name=client.name,
                       fiscal_year_start_month=client.fiscal_year_start_month,
                       years=years_through(FIRST_YEAR, client.fiscal_year_start_month, today or date.today()),
                       seed=seed * 10_000 + tenant_id)


def generate_companies(seed: int, count: int, size: str = "S", first_year: int = FIRST_YEAR,
                       years: int | None = None, today: date | None = None) -> list[Company]:
    """`count` different believable companies: Swedish names, valid organisation numbers, distinct
    tenant ids, mostly calendar financial years and some broken ones (May, July or September). Without
    `years`, each company's books reach the financial year holding `today` (by default, by the clock)."""
    rng = random.Random(f"fortnox-sandbox-companies:{seed}")
    tenant_ids = rng.sample(range(100_000, 1_000_000), count)
    names: set[str] = set()
    numbers: set[str] = set()
    specs = []
    for index, tenant_id in enumerate(tenant_ids):
        name = _unique(names, lambda: _company_name(rng, "AB"))
        organisation_number = _unique(numbers, lambda: _organisation_number(rng, "AB"))
        # Every third company has a broken year, so that any two or more include one.
        start_month = rng.choice((5, 7, 7, 9)) if index % 3 == 1 else 1
        company_years = years or years_through(first_year, start_month, today or date.today())
        specs.append(CompanySpec(tenant_id, organisation_number, name, start_month, first_year, company_years, size, seed))
    return [generate_company(spec) for spec in specs]


def client_file_text(companies: list[Company], key_digits: int = 2) -> str:
    """config/clients.yaml for generated companies, keyed c00, c01, ... (`key_digits` wide) in their order, each
    line noting the company's size."""
    return "clients:\n" + "".join(
        f"  - {{key: c{index:0{key_digits}d}, name: {company.spec.name!r}, organisation_number: "
        f"'{company.spec.organisation_number}', fiscal_year_start_month: {company.spec.fiscal_year_start_month}}}"
        f"  # {company.spec.size}\n" for index, company in enumerate(companies))


def organisation_number_with_check_digit(first_nine: str) -> str:
    """NNNNNN-NNNN whose last digit is the Luhn check digit of the first nine (weights 2,1,2,… from the left)."""
    total = 0
    for position, digit in enumerate(first_nine):
        product = int(digit) * (2 - position % 2)
        total += product // 10 + product % 10
    return f"{first_nine[:6]}-{first_nine[6:]}{(10 - total % 10) % 10}"


# Typical first digits of each form's organisation number (aktiebolag, handelsbolag, bostadsrättsförening).
ORGANISATION_NUMBER_PREFIX = {"AB": "556", "HB": "969", "Brf": "769"}


def _organisation_number(rng: random.Random, form: str) -> str:
    prefix = ORGANISATION_NUMBER_PREFIX[form]
    return organisation_number_with_check_digit(prefix + "".join(str(rng.randrange(10)) for _ in range(9 - len(prefix))))


def _company_name(rng: random.Random, form: str) -> str:
    if form == "Brf":
        return f"Bostadsrättsföreningen {rng.choice(NATURE)} {rng.randint(1, 40)}"
    if form == "HB":
        first, second = rng.sample(SURNAMES, 2)
        return f"{first} & {second} {rng.choice(TRADES)} HB"
    if rng.random() < 0.5:
        return f"{rng.choice(SURNAMES)}s {rng.choice(TRADES)} AB"
    return f"{rng.choice(PLACES)} {rng.choice(TRADES)} AB"


def _unique(taken: set[str], make) -> str:
    candidate = make()
    while candidate in taken:
        candidate = make()
    taken.add(candidate)
    return candidate


# --- business events (internal; later endpoints serve invoices and payments from them) ---

@dataclass(frozen=True)
class Party:
    number: str  # CustomerNumber / SupplierNumber
    name: str
    organisation_number: str
    city: str


@dataclass(frozen=True)
class CustomerInvoice:
    invoice_number: int
    customer: Party
    invoice_date: date
    due_date: date
    net_ore: int
    vat_ore: int
    rounding_ore: int  # öresavrundning: the total is rounded to whole kronor
    cost_center: str
    project: str
    cancelled: bool = False  # cancelled before booking: never booked, never paid
    booked_date: date | None = None  # when its voucher was registered; None if not booked
    modified: datetime | None = None  # booked, cancelled or last paid
    currency: str = "SEK"

    @property
    def total_ore(self) -> int:
        return self.net_ore + self.vat_ore + self.rounding_ore

    @property
    def booked(self) -> bool:
        return self.booked_date is not None


@dataclass(frozen=True)
class SupplierInvoice:
    given_number: int  # Fortnox's own running number
    supplier: Party
    invoice_number: str  # the supplier's number for it
    invoice_date: date
    due_date: date
    account: int
    net_ore: int
    vat_ore: int
    cost_center: str
    project: str
    cancelled: bool = False
    booked_date: date | None = None
    modified: datetime | None = None
    currency: str = "SEK"

    @property
    def total_ore(self) -> int:
        return self.net_ore + self.vat_ore

    @property
    def booked(self) -> bool:
        return self.booked_date is not None


@dataclass(frozen=True)
class Payment:
    number: int
    invoice_number: int  # customer InvoiceNumber or supplier GivenNumber
    payment_date: date
    amount_ore: int
    modified: datetime | None = None  # when its voucher was registered
    currency: str = "SEK"


@dataclass(frozen=True)
class Salary:
    year: int
    month: int
    pay_date: date
    workers_gross_ore: int  # kollektivanställda, cost centre Produktion
    staff_gross_ore: int  # tjänstemän, cost centre Administration
    tax_ore: int
    employer_fees_ore: int

    @property
    def gross_ore(self) -> int:
        return self.workers_gross_ore + self.staff_gross_ore


@dataclass(frozen=True)
class VoucherRef:
    series: str
    number: int
    year_id: int


@dataclass
class Ledger:
    """Events dated before the first financial year are the opening position: no voucher.

    At any date, the booked invoices dated on or before it, less their payments dated on or before
    it, add up to the balance of 1510 (customers) and minus the balance of 2440 (suppliers).
    """

    customers: list[Party]
    suppliers: list[Party]
    customer_invoices: list[CustomerInvoice]
    customer_payments: list[Payment]
    supplier_invoices: list[SupplierInvoice]
    supplier_payments: list[Payment]
    salaries: list[Salary]
    # ("CustomerInvoice" | "CustomerPayment" | "SupplierInvoice" | "SupplierPayment", number) -> voucher
    vouchers: dict[tuple[str, int], VoucherRef] = field(default_factory=dict)


@dataclass
class Company:
    """Ready-to-serve Fortnox dicts (exact field names). `@url` is added by the server per request."""

    spec: CompanySpec
    company_information: dict
    financial_years: list[dict]
    accounts: dict[int, list[dict]]  # financial year Id -> accounts
    voucher_series: list[dict]
    vouchers: dict[int, list[dict]]  # financial year Id -> vouchers with VoucherRows
    cost_centers: list[dict]
    projects: list[dict]
    ledger: Ledger


# --- internal voucher drafts ---

@dataclass(slots=True)
class _Row:
    account: int
    amount_ore: int  # debit positive, credit negative
    text: str = ""
    cost_center: str = ""
    project: str = ""
    removed: bool = False
    added: bool = False  # added after registration, in place of a removed row


@dataclass(slots=True)
class _Draft:
    day: date
    series: str
    description: str
    reference_type: str
    reference_number: str
    rows: list[_Row]
    source: tuple[str, int] | None = None
    comments: str = ""
    registered: date | None = None
    modified: datetime | None = None


@dataclass(frozen=True)
class _Year:
    id: int
    start: date
    end: date


def generate_company(spec: CompanySpec) -> Company:
    if spec.size not in VOLUMES:
        raise ValueError(f"unknown size {spec.size!r}; known sizes: {', '.join(VOLUMES)}")
    if not 1 <= spec.fiscal_year_start_month <= 12:
        raise ValueError(f"fiscal_year_start_month must be 1..12, not {spec.fiscal_year_start_month}")
    if spec.years < 1:
        raise ValueError("years must be at least 1")

    def rng(purpose: str) -> random.Random:
        return random.Random(f"fortnox-sandbox:{spec.seed}:{spec.tenant_id}:{purpose}")

    years = _financial_years(spec)
    builder = _Books(years, VOLUMES[spec.size], rng)
    builder.build()
    numbered = _number_vouchers(years, builder.drafts, builder.ledger)

    opening = builder.opening_balances
    accounts: dict[int, list[dict]] = {}
    for year in years:
        movements = _movements(numbered[year.id])
        accounts[year.id] = [
            _account_dict(account, year.id, opening.get(account.number, 0), movements.get(account.number, 0))
            for account in CHART
        ]
        # Balance accounts carry over; result accounts start each year at zero.
        opening = {
            account.number: opening.get(account.number, 0) + movements.get(account.number, 0)
            for account in CHART
            if account.number < 3000
        }

    return Company(
        spec=spec,
        company_information=_company_information(spec, rng("company")),
        financial_years=[
            {
                "Id": year.id,
                "FromDate": year.start.isoformat(),
                "ToDate": year.end.isoformat(),
                "AccountChartType": ACCOUNT_CHART_TYPE,
                "AccountingMethod": "ACCRUAL",
            }
            for year in years
        ],
        accounts=accounts,
        voucher_series=[{"Code": code, "Description": name, "Manual": manual} for code, name, manual in VOUCHER_SERIES],
        vouchers={year.id: [_voucher_dict(year.id, number, draft) for number, draft in numbered[year.id]] for year in years},
        cost_centers=[{"Code": code, "Description": name, "Active": True, "Note": ""} for code, name in COST_CENTERS],
        projects=[
            {
                "ProjectNumber": number,
                "Description": name,
                "Status": "ONGOING",
                "StartDate": years[0].start.isoformat(),
                "EndDate": "",
                "ProjectLeader": "",
                "ContactPerson": "",
                "Comments": "",
            }
            for number, name in PROJECTS
        ],
        ledger=builder.ledger,
    )


def ore_to_amount(ore: int) -> float:
    """Whole öre to a JSON number with at most two decimals (the float's repr is exact enough)."""
    return round(ore / 100, 2)


# --- the books ---

class _Books:
    """Builds the events, the vouchers booked from them and the opening balances of year 1."""

    def __init__(self, years: list[_Year], volume: Volume, rng) -> None:
        self.years = years
        self.start = years[0].start
        self.end = years[-1].end
        self.volume = volume
        self.rng = rng
        # Bigger companies rent more premises and own more equipment.
        self.premises = max(1, volume.workers // 8)
        self.inventory_cost = rng("inventory").randrange(120_000, 250_000) * 100 * self.premises
        self.drafts: list[_Draft] = []
        self.opening_balances: dict[int, int] = {}
        self.ledger = Ledger([], [], [], [], [], [], [])
        self.supplier_terms: list[tuple[int, int, tuple[int, int]]] = []  # per supplier after the landlord

    def build(self) -> None:
        self._parties()
        self._customer_invoices()
        self._supplier_invoices()
        self._payments()
        self._salaries()
        self._bank_fees()
        self._corrections()
        # Derived entries read the booked rows, so they come after everything above.
        self._vat()
        for index, year in enumerate(self.years):
            self._depreciation(year)
            if index + 1 < len(self.years):
                self._close_year(year, self.years[index + 1])
        self._opening_balances()
        self._register()

    def _parties(self) -> None:
        rng = self.rng("parties")
        chosen = rng.sample(CUSTOMER_NAMES, min(8, self.volume.customers))
        names = {name for name, _, _ in chosen}
        while len(chosen) < self.volume.customers:
            form = rng.choice(tuple(ORGANISATION_NUMBER_PREFIX))
            name = _company_name(rng, form)
            if name not in names:
                names.add(name)
                chosen.append((name, _organisation_number(rng, form), rng.choice(PLACES)))
        self.ledger.customers = [Party(str(i), name, orgnr, city) for i, (name, orgnr, city) in enumerate(chosen, 1)]

        suppliers = [(LANDLORD[0], LANDLORD[1])] + [(name, orgnr) for name, orgnr, *_ in SUPPLIERS]
        self.supplier_terms = [(account, vat, amounts) for _, _, account, vat, amounts in SUPPLIERS]
        taken = {name for name, _ in suppliers}
        for _ in range(self.volume.extra_suppliers):
            name = _unique(taken, lambda: _company_name(rng, "AB"))
            suppliers.append((name, _organisation_number(rng, "AB")))
            self.supplier_terms.append(rng.choice(SUPPLIERS)[2:])
        self.ledger.suppliers = [Party(str(i), name, orgnr, "") for i, (name, orgnr) in enumerate(suppliers, 1)]

    def _cancelled(self, purpose: str, days: list[date]) -> set[int]:
        """Indexes into `days` of the invoices cancelled before booking: about 1 %, at least one a year."""
        rng = self.rng(purpose)
        cancelled: set[int] = set()
        for year in self.years:
            in_year = [index for index, day in enumerate(days) if year.start <= day <= year.end]
            count = min(len(in_year), max(1, round(CANCELLED_SHARE * len(in_year))))
            cancelled.update(rng.sample(in_year, count))
        return cancelled

    def _customer_invoices(self) -> None:
        rng = self.rng("customer-invoices")
        low, high = self.volume.invoice_net_kronor
        # A few invoices from before the first year are still open: the opening receivables.
        days = [self.start - timedelta(days=rng.randint(3, 28)) for _ in range(3)]
        for month_start in _months(self.start, self.end):
            days += [_random_weekday_in_month(rng, month_start) for _ in range(self.volume.customer_invoices_per_month)]
        days.sort()
        cancelled = self._cancelled("customer-invoices-cancelled", days)
        for index, day in enumerate(days):
            number = index + 1
            customer = rng.choice(self.ledger.customers)
            net = rng.randrange(low * 100, high * 100)
            vat = _percent(net, 25)
            rounding = _round_to_krona(net + vat) - (net + vat)
            project = rng.choice(PROJECTS)[0] if rng.random() < 0.6 else ""
            invoice = CustomerInvoice(
                invoice_number=number,
                customer=customer,
                invoice_date=day,
                due_date=day + timedelta(days=30),
                net_ore=net,
                vat_ore=vat,
                rounding_ore=rounding,
                cost_center="200" if project else "300",
                project=project,
                cancelled=index in cancelled,
            )
            self.ledger.customer_invoices.append(invoice)
            if day < self.start or invoice.cancelled:
                continue
            text = f"Kundfaktura {number} {customer.name}"
            rows = [
                _Row(1510, invoice.total_ore, text),
                _Row(3001, -net, text, invoice.cost_center, project),
                _Row(2611, -vat, text),
            ]
            if rounding:
                rows.append(_Row(3740, -rounding, text))
            self.drafts.append(_Draft(day, "B", text, "INVOICE", str(number), rows, ("CustomerInvoice", number)))

    def _supplier_invoices(self) -> None:
        rng = self.rng("supplier-invoices")
        landlord = self.ledger.suppliers[0]
        rent = rng.randrange(15_000, 30_000) * 100 * self.premises
        terms = self.supplier_terms
        # (day, index into supplier_terms, or None for the landlord)
        plan = [(self.start - timedelta(days=rng.randint(2, 20)), rng.randrange(len(terms))) for _ in range(2)]
        for month_start in _months(self.start, self.end):
            plan.append((_weekday_on_or_after(month_start), None))
            plan += [
                (_random_weekday_in_month(rng, month_start), rng.randrange(len(terms)))
                for _ in range(self.volume.supplier_invoices_per_month)
            ]
        plan.sort(key=lambda item: item[0])
        cancelled = self._cancelled("supplier-invoices-cancelled", [day for day, supplier in plan if supplier is not None])
        ordinary = 0  # the landlord's rent is never cancelled
        for index, (day, supplier_index) in enumerate(plan):
            given_number = index + 1
            is_cancelled = False
            if supplier_index is None:
                supplier, account, vat_percent, net, days_to_pay = landlord, 5010, 25, rent, 10
                cost_center = "100"
            else:
                account, vat_percent, (low, high) = terms[supplier_index]
                supplier = self.ledger.suppliers[supplier_index + 1]
                net, days_to_pay = rng.randrange(low * 100, high * 100), 30
                cost_center = rng.choice(("100", "200", "300"))
                is_cancelled = ordinary in cancelled
                ordinary += 1
            project = rng.choice(PROJECTS)[0] if account == 4010 and rng.random() < 0.7 else ""
            invoice = SupplierInvoice(
                given_number=given_number,
                supplier=supplier,
                invoice_number=str(rng.randrange(100_000, 999_999)),
                invoice_date=day,
                due_date=day + timedelta(days=days_to_pay),
                account=account,
                net_ore=net,
                vat_ore=_percent(net, vat_percent),
                cost_center=cost_center,
                project=project,
                cancelled=is_cancelled,
            )
            self.ledger.supplier_invoices.append(invoice)
            if day < self.start or invoice.cancelled:
                continue
            text = f"Leverantörsfaktura {given_number} {supplier.name}"
            rows = [_Row(2440, -invoice.total_ore, text), _Row(account, net, text, cost_center, project)]
            if invoice.vat_ore:
                rows.append(_Row(2641, invoice.vat_ore, text))
            self.drafts.append(
                _Draft(day, "D", text, "SUPPLIERINVOICE", str(given_number), rows, ("SupplierInvoice", given_number))
            )

    def _instalments(self, rng: random.Random, kind: str, first_day: date, total_ore: int) -> list[tuple[date, int]]:
        """One payment of the whole total, or a few parts some weeks apart; the parts add up to it."""
        if rng.random() >= PARTLY_PAID_SHARE[kind]:
            return [(first_day, total_ore)]
        parts, remaining, day = [], total_ore, first_day
        for _ in range(rng.randint(1, 2)):
            part = _round_to_krona(_percent(remaining, rng.randint(25, 60)))
            if not 0 < part < remaining:
                break
            parts.append((day, part))
            remaining -= part
            day = _weekday_on_or_after(day + timedelta(days=rng.randint(10, 40)))
        return parts + [(day, remaining)]

    def _payments(self) -> None:
        rng = self.rng("payments")
        incoming = []
        for invoice in self.ledger.customer_invoices:
            if invoice.cancelled:
                continue
            # Most customers pay around the due date, some early, a few late.
            day = _weekday_on_or_after(invoice.invoice_date + timedelta(days=rng.randint(8, 45)))
            # The opening receivables are exactly the invoices still unpaid when year 1 starts.
            day = max(day, _weekday_on_or_after(self.start + timedelta(days=4)))
            for part_day, amount in self._instalments(rng, "customer", day, invoice.total_ore):
                if part_day <= self.end:  # later payments fall after the books end: still open
                    incoming.append((part_day, invoice, amount))
        incoming.sort(key=lambda item: (item[0], item[1].invoice_number))
        for number, (day, invoice, amount) in enumerate(incoming, 1):
            self.ledger.customer_payments.append(Payment(number, invoice.invoice_number, day, amount))
            kind = "Inbetalning" if amount == invoice.total_ore else "Delbetalning"
            text = f"{kind} kundfaktura {invoice.invoice_number} {invoice.customer.name}"
            rows = [_Row(1930, amount, text), _Row(1510, -amount, text)]
            self.drafts.append(
                _Draft(day, "C", text, "INVOICEPAYMENT", str(invoice.invoice_number), rows, ("CustomerPayment", number))
            )

        outgoing = []
        for invoice in self.ledger.supplier_invoices:
            if invoice.cancelled:
                continue
            day = _weekday_on_or_before(invoice.due_date - timedelta(days=rng.randint(0, 3)))
            if day < invoice.invoice_date:
                day = invoice.invoice_date
            for part_day, amount in self._instalments(rng, "supplier", day, invoice.total_ore):
                if self.start <= part_day <= self.end:
                    outgoing.append((part_day, invoice, amount))
        outgoing.sort(key=lambda item: (item[0], item[1].given_number))
        for number, (day, invoice, amount) in enumerate(outgoing, 1):
            self.ledger.supplier_payments.append(Payment(number, invoice.given_number, day, amount))
            kind = "Utbetalning" if amount == invoice.total_ore else "Delbetalning"
            text = f"{kind} leverantörsfaktura {invoice.given_number} {invoice.supplier.name}"
            rows = [_Row(2440, amount, text), _Row(1930, -amount, text)]
            self.drafts.append(
                _Draft(day, "E", text, "SUPPLIERPAYMENT", str(invoice.given_number), rows, ("SupplierPayment", number))
            )

    def _salaries(self) -> None:
        rng = self.rng("salaries")
        workers = [rng.randrange(30_000, 40_000) * 100 for _ in range(rng.randint(self.volume.workers - 1, self.volume.workers))]
        staff = [rng.randrange(36_000, 48_000) * 100 for _ in range(max(1, self.volume.workers // 4))]
        # The month before the first year is paid then; its taxes are the opening liability.
        months = [_add_months(self.start, -1)] + list(_months(self.start, self.end))
        for month_start in months:
            raise_percent = 100 + 3 * (month_start.year - self.start.year)  # yearly pay rise
            workers_gross = _percent(sum(workers), raise_percent)
            staff_gross = _percent(sum(staff), raise_percent)
            gross = workers_gross + staff_gross
            salary = Salary(
                year=month_start.year,
                month=month_start.month,
                pay_date=_weekday_on_or_before(month_start.replace(day=25)),
                workers_gross_ore=workers_gross,
                staff_gross_ore=staff_gross,
                tax_ore=_round_to_krona(_percent(gross, SALARY_TAX_PERCENT)),
                employer_fees_ore=_round_to_krona(gross * EMPLOYER_FEE_BASIS_POINTS // 10_000),
            )
            self.ledger.salaries.append(salary)
            period = f"{SWEDISH_MONTHS[salary.month - 1]} {salary.year}"
            if salary.pay_date >= self.start:
                text = f"Lön {period}"
                rows = [
                    _Row(7010, workers_gross, text, "200"),
                    _Row(7210, staff_gross, text, "100"),
                    _Row(2710, -salary.tax_ore, text),
                    _Row(1930, -(gross - salary.tax_ore), text),
                    _Row(7510, salary.employer_fees_ore, text),
                    _Row(2731, -salary.employer_fees_ore, text),
                ]
                self.drafts.append(_Draft(salary.pay_date, "A", text, "MANUAL", "", rows))
            # Withheld tax and employer fees go to Skatteverket by the 12th of the next month.
            tax_day = _weekday_on_or_after(_add_months(month_start, 1).replace(day=12))
            if self.start <= tax_day <= self.end:
                text = f"Skatter och avgifter lön {period}"
                rows = [
                    _Row(2710, salary.tax_ore, text),
                    _Row(2731, salary.employer_fees_ore, text),
                    _Row(1930, -(salary.tax_ore + salary.employer_fees_ore), text),
                ]
                self.drafts.append(_Draft(tax_day, "A", text, "MANUAL", "", rows))

    def _bank_fees(self) -> None:
        rng = self.rng("bank-fees")
        for month_start in _months(self.start, self.end):
            day = _weekday_on_or_before(_month_end(month_start))
            fee = rng.randrange(95_00, 420_00)
            text = f"Bankavgifter {SWEDISH_MONTHS[month_start.month - 1]} {month_start.year}"
            self.drafts.append(_Draft(day, "A", text, "MANUAL", "", [_Row(6570, fee, text, "100"), _Row(1930, -fee, text)]))

    def _corrections(self) -> None:
        """About 2 % of the invoice vouchers had a row re-coded: the old row stays, marked Removed."""
        rng = self.rng("corrections")
        for year in self.years:
            candidates = [d for d in self.drafts if d.series in "BD" and year.start <= d.day <= year.end]
            count = max(1, round(0.02 * sum(1 for d in self.drafts if year.start <= d.day <= year.end)))
            for draft in rng.sample(candidates, min(count, len(candidates))):
                index, original = next((i, row) for i, row in enumerate(draft.rows) if row.account >= 3000)
                replacement = _Row(
                    CORRECTED_ACCOUNT.get(original.account, original.account),
                    original.amount_ore,
                    original.text,
                    next(code for code, _ in COST_CENTERS if code != original.cost_center),
                    original.project,
                    added=True,
                )
                original.removed = True
                draft.rows.insert(index + 1, replacement)
                draft.comments = "Rättad kontering"

    def _vat(self) -> None:
        """Quarterly VAT return: clear 2611/2641 into 2650, pay it on the 12th of the second month after."""
        rng = self.rng("vat")
        opening_quarter_end = _month_end(_add_months(_quarter_start(self.start), -1))
        opening_due = _vat_due(opening_quarter_end)
        if opening_due >= self.start:
            opening_vat = rng.randrange(40_000, 90_000) * 100 * self.premises
            self.opening_balances[2650] = -opening_vat
            self._vat_payment(opening_due, opening_quarter_end, -opening_vat)
        # One pass over the rows booked so far: the VAT of each calendar quarter.
        quarter_totals: dict[date, dict[int, int]] = {}
        for draft in self.drafts:
            for row in draft.rows:
                if row.account in (2611, 2641) and not row.removed:
                    totals = quarter_totals.setdefault(_quarter_start(draft.day), {2611: 0, 2641: 0})
                    totals[row.account] += row.amount_ore
        quarter_start = _quarter_start(self.start)
        while (quarter_end := _month_end(_add_months(quarter_start, 2))) <= self.end:
            totals = quarter_totals.get(quarter_start, {2611: 0, 2641: 0})
            net = totals[2611] + totals[2641]  # negative: payable
            label = _quarter_label(quarter_end)
            text = f"Momsredovisning {label}"
            rows = [_Row(account, -total, text) for account, total in totals.items() if total]
            if net:
                rows.append(_Row(2650, net, text))
            if rows:
                self.drafts.append(_Draft(quarter_end, "A", text, "MANUAL", "", rows))
            if net:
                self._vat_payment(_vat_due(quarter_end), quarter_end, net)
            quarter_start = _add_months(quarter_start, 3)

    def _vat_payment(self, day: date, quarter_end: date, balance_2650: int) -> None:
        if not self.start <= day <= self.end:
            return
        text = f"Betalning moms {_quarter_label(quarter_end)}"
        rows = [_Row(2650, -balance_2650, text), _Row(1930, balance_2650, text)]
        self.drafts.append(_Draft(day, "A", text, "MANUAL", "", rows))

    def _depreciation(self, year: _Year) -> None:
        amount = _percent(self.inventory_cost, DEPRECIATION_PERCENT)
        text = f"Avskrivning inventarier {year.start.year}" + (
            f"/{year.end.year}" if year.end.year != year.start.year else ""
        )
        self.drafts.append(_Draft(year.end, "A", text, "MANUAL", "", [_Row(7832, amount, text), _Row(1229, -amount, text)]))

    def _close_year(self, year: _Year, next_year: _Year) -> None:
        """Book the year's result to 2099 so the next year opens balanced; dispose of it after the AGM."""
        result = sum(
            row.amount_ore
            for draft in self.drafts
            if year.start <= draft.day <= year.end
            for row in draft.rows
            if row.account >= 3000 and not row.removed
        )
        if not result:
            return
        text = "Årets resultat"
        self.drafts.append(_Draft(year.end, "A", text, "MANUAL", "", [_Row(8999, -result, text), _Row(2099, result, text)]))
        text = "Omföring av föregående års resultat enligt årsstämma"
        agm_day = _weekday_on_or_after(_add_months(next_year.start, 5).replace(day=15))
        self.drafts.append(_Draft(agm_day, "A", text, "MANUAL", "", [_Row(2099, -result, text), _Row(2091, result, text)]))

    def _opening_balances(self) -> None:
        rng = self.rng("opening")
        balances = self.opening_balances
        balances[1220] = self.inventory_cost
        balances[1229] = -_percent(self.inventory_cost, DEPRECIATION_PERCENT * rng.randint(1, 2))
        balances[1510] = sum(i.total_ore for i in self.ledger.customer_invoices if i.invoice_date < self.start)
        balances[1930] = rng.randrange(150_000, 450_000) * 100 * self.premises
        balances[2081] = -rng.choice((25_000, 50_000, 100_000)) * 100
        balances[2440] = -sum(i.total_ore for i in self.ledger.supplier_invoices if i.invoice_date < self.start)
        before_start = self.ledger.salaries[0]
        balances[2710] = -before_start.tax_ore
        balances[2731] = -before_start.employer_fees_ore
        # Retained earnings are whatever makes the opening balance sheet balance.
        balances[2091] = -sum(balances.values())

    def _register(self) -> None:
        """When each voucher was registered and last changed; the events take their times from them."""
        rng = self.rng("registration")
        for draft in self.drafts:
            low, high = REGISTRATION_LAG_DAYS[draft.series]
            draft.registered = draft.day + timedelta(days=rng.randint(low, high))
            # A corrected voucher changed again when the row was re-coded.
            changed = draft.registered + timedelta(days=rng.randint(1, 30)) if draft.comments else draft.registered
            draft.modified = _working_hours(rng, changed)
        booked = {draft.source: draft for draft in self.drafts if draft.source}
        ledger = self.ledger
        ledger.customer_payments = [replace(p, modified=booked[("CustomerPayment", p.number)].modified) for p in ledger.customer_payments]
        ledger.supplier_payments = [replace(p, modified=booked[("SupplierPayment", p.number)].modified) for p in ledger.supplier_payments]
        last_paid: dict[tuple[str, int], datetime] = {}
        for kind, payments in (("CustomerInvoice", ledger.customer_payments), ("SupplierInvoice", ledger.supplier_payments)):
            for payment in payments:
                key = (kind, payment.invoice_number)
                last_paid[key] = max(last_paid.get(key, payment.modified), payment.modified)

        def registered(invoice, key: tuple[str, int]):
            draft = booked.get(key)
            if invoice.cancelled:
                return replace(invoice, modified=_working_hours(rng, invoice.invoice_date + timedelta(days=rng.randint(0, 5))))
            if draft is None:  # from before the first year: booked in books the sandbox does not hold
                day = invoice.invoice_date + timedelta(days=rng.randint(0, 2))
                return replace(invoice, booked_date=day, modified=last_paid.get(key, _working_hours(rng, day)))
            return replace(invoice, booked_date=draft.registered, modified=max(draft.modified, last_paid.get(key, draft.modified)))

        ledger.customer_invoices = [registered(i, ("CustomerInvoice", i.invoice_number)) for i in ledger.customer_invoices]
        ledger.supplier_invoices = [registered(i, ("SupplierInvoice", i.given_number)) for i in ledger.supplier_invoices]


# --- numbering and output ---

def _number_vouchers(years: list[_Year], drafts: list[_Draft], ledger: Ledger) -> dict[int, list[tuple[int, _Draft]]]:
    """Number per series and year from 1 in date order; return each year's vouchers by series and number."""
    numbered: dict[int, list[tuple[int, _Draft]]] = {}
    for year in years:
        in_year = sorted(
            (d for d in drafts if year.start <= d.day <= year.end),
            key=lambda d: (d.day, d.series),  # stable: same-day vouchers keep creation order
        )
        next_number: dict[str, int] = {}
        year_vouchers = []
        for draft in in_year:
            number = next_number.get(draft.series, 1)
            next_number[draft.series] = number + 1
            year_vouchers.append((number, draft))
            if draft.source:
                ledger.vouchers[draft.source] = VoucherRef(draft.series, number, year.id)
        numbered[year.id] = sorted(year_vouchers, key=lambda item: (item[1].series, item[0]))
    return numbered


def _movements(vouchers: list[tuple[int, _Draft]]) -> dict[int, int]:
    totals: dict[int, int] = {}
    for _, draft in vouchers:
        for row in draft.rows:
            if not row.removed:
                totals[row.account] = totals.get(row.account, 0) + row.amount_ore
    return totals


def _account_dict(account: ChartAccount, year_id: int, opening_ore: int, movement_ore: int) -> dict:
    return {
        "Active": account.active,
        "BalanceBroughtForward": ore_to_amount(opening_ore),
        "BalanceCarriedForward": ore_to_amount(opening_ore + movement_ore),
        "CostCenter": "",
        "CostCenterSettings": "ALLOWED",
        "Description": account.description,
        "Number": account.number,
        "OpeningQuantities": [],
        "Project": "",
        "ProjectSettings": "ALLOWED",
        "QuantitySettings": "ALLOWED",
        "QuantityUnit": "",
        "SRU": account.sru,
        "TransactionInformation": "",
        "TransactionInformationSettings": "ALLOWED",
        "VATCode": account.vat_code,
        "Year": year_id,
    }


def _voucher_dict(year_id: int, number: int, draft: _Draft) -> dict:
    return {
        "ApprovalState": 0,
        "Comments": draft.comments,
        "CostCenter": "",
        "Description": draft.description,
        "Project": "",
        "ReferenceNumber": draft.reference_number,
        "ReferenceType": draft.reference_type,
        "TransactionDate": draft.day.isoformat(),
        "VoucherNumber": number,
        "VoucherRows": [_row_dict(row) for row in draft.rows],
        "VoucherSeries": draft.series,
        "Year": year_id,
        "_registered": draft.registered.isoformat(),
        "_modified": draft.modified.strftime("%Y-%m-%d %H:%M"),
    }


def _row_dict(row: _Row) -> dict:
    amount = row.amount_ore
    record = {
        "Account": row.account,
        "AccountDescription": ACCOUNT_NAMES[row.account],
        "CostCenter": row.cost_center,
        "Credit": ore_to_amount(-amount) if amount < 0 else 0.0,
        "Debit": ore_to_amount(amount) if amount > 0 else 0.0,
        "Description": ACCOUNT_NAMES[row.account],
        "Project": row.project,
        "Quantity": 0,
        "Removed": row.removed,
        "TransactionInformation": row.text[:100],
    }
    if row.added:
        record["_added"] = True
    return record


def _company_information(spec: CompanySpec, rng: random.Random) -> dict:
    street, zip_code, city = rng.choice(COMPANY_ADDRESSES)
    return {
        "Address": street,
        "City": city,
        "CompanyName": spec.name,
        "CountryCode": "SE",
        "DatabaseNumber": spec.tenant_id,
        "OrganizationNumber": spec.organisation_number,
        "VisitAddress": street,
        "VisitCity": city,
        "VisitCountryCode": "SE",
        "VisitZipCode": zip_code,
        "ZipCode": zip_code,
    }


# --- dates and money ---

def _financial_years(spec: CompanySpec) -> list[_Year]:
    years = []
    start = date(spec.first_year, spec.fiscal_year_start_month, 1)
    for year_id in range(1, spec.years + 1):
        next_start = _add_months(start, 12)
        years.append(_Year(year_id, start, next_start - timedelta(days=1)))
        start = next_start
    return years


def _add_months(day: date, months: int) -> date:
    """The first of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _months(start: date, end: date):
    month = start.replace(day=1)
    while month <= end:
        yield month
        month = _add_months(month, 1)


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _quarter_label(quarter_end: date) -> str:
    return f"kvartal {(quarter_end.month - 1) // 3 + 1} {quarter_end.year}"


def _vat_due(quarter_end: date) -> date:
    return _weekday_on_or_after(_add_months(quarter_end, 2).replace(day=12))


def _weekday_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _weekday_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _random_weekday_in_month(rng: random.Random, month_start: date) -> date:
    day = month_start.replace(day=rng.randint(1, _month_end(month_start).day))
    earlier = _weekday_on_or_before(day)
    return earlier if earlier.month == day.month else _weekday_on_or_after(day)


def _working_hours(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(rng.randint(7, 17), rng.randrange(60)))


def _percent(ore: int, percent: int) -> int:
    """`percent` % of an amount, rounded half up to whole öre."""
    return (ore * percent + 50) // 100


def _round_to_krona(ore: int) -> int:
    return (ore + 50) // 100 * 100
