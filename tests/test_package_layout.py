"""The package's rooms and the one way its imports run (README, "Layout").

The top (the command, the demo, the Airflow adapter) may import everything. The stages, in the
pipeline's order connections -> extract -> period_end -> export, import the rooms below them and no
later stage; of the earlier ones only period_end imports any (its client DAG steps join connections'
token upkeep, extract's sync and its load statistics); export imports none. Below them sandbox ->
fortnox, sie -> staging -> config and period, which import nothing of the package. Only the top uses
the sandbox (the Fortnox imitation). The clients page (clients_page, beside the top like cli and demo)
may import the stages and below. Airflow is imported only by the Airflow adapter and by the clients
page's three modules facing Airflow (its app, what it asks of Airflow, what the plugin registers). The period report reads
staging and config only; period_end (the sync's last step), the clients page and the top import it. Read from the source
with `ast`: imports inside functions and under TYPE_CHECKING count too.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import fortnox_etl

PACKAGE = Path(fortnox_etl.__file__).resolve().parent
AIRFLOW_ADAPTER = "fortnox_etl.airflow_support"
# Our LocalExecutor and Celery's settings extend Airflow's own. The clients page runs inside Airflow's API server: these three
# modules are all it asks of Airflow.
IMPORTING_AIRFLOW = {AIRFLOW_ADAPTER, "fortnox_etl.airflow_local_executor", "fortnox_etl.celery_settings", "fortnox_etl.clients_page.airflow_side",
                     "fortnox_etl.clients_page.registration", "fortnox_etl.clients_page.web"}
TOP = {"fortnox_etl.cli", "fortnox_etl.demo", "fortnox_etl.local_deployment", AIRFLOW_ADAPTER,
       "fortnox_etl.task_imports", "fortnox_etl.celery_settings", "fortnox_etl.airflow_local_executor"}
BOTTOM = {"config": set(), "period": set()}
BELOW_THE_STAGES = {**BOTTOM, "staging": {*BOTTOM}, "fortnox": {*BOTTOM, "staging"}, "sie": {*BOTTOM, "staging"},
                    "sandbox": {*BOTTOM, "staging", "fortnox", "sie"}}
EARLIER_STAGES_IMPORTED = {"connections": set(), "extract": set(), "period_end": {"connections", "extract"},
                           "export": set()}
# The period report reads what every stage staged, through SQL only; the sync's last step writes it.
REPORT, REPORT_IMPORTS = "period_report", {*BOTTOM, "staging"}
# What each room may import besides itself.
MAY_IMPORT = {
    **BELOW_THE_STAGES,
    **{stage: set(BELOW_THE_STAGES) - {"sandbox"} | earlier for stage, earlier in EARLIER_STAGES_IMPORTED.items()},
    REPORT: REPORT_IMPORTS,
    # Word to a person: what is told and how it reads; the top sends it through Airflow's notifiers.
    "notifications": set(BELOW_THE_STAGES) - {"sandbox"},
    "top": {*BELOW_THE_STAGES, *EARLIER_STAGES_IMPORTED, REPORT, "notifications"},
    "clients_page": set(BELOW_THE_STAGES) - {"sandbox"} | set(EARLIER_STAGES_IMPORTED) | {REPORT},
}
MAY_IMPORT["period_end"].add(REPORT)


def room_of(module: str) -> str:
    """fortnox_etl.extract.sync -> extract; fortnox_etl.config -> config; fortnox_etl.cli -> top."""
    top_level = ".".join(module.split(".")[:2])
    return "top" if top_level in TOP else top_level.split(".")[1]


def imports_of(module: str, source: str) -> list[str]:
    """Every module or name the source imports, absolute: fortnox_etl.x.y, or airflow.sdk and the like."""
    package = module.split(".")[:-1]  # a package's own module is named fortnox_etl.room.__init__
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package up
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            found += [f"{base}.{alias.name}" for alias in node.names]  # a module's name, or a name in a module
    return found


def problems(sources: dict[str, str]) -> list[str]:
    """What breaks the layout, one line each, in the sources {module name: its source}."""
    found = []
    for module, source in sorted(sources.items()):
        if module == "fortnox_etl.__init__":
            continue
        room = room_of(module)
        if room not in MAY_IMPORT:
            found.append(f"{module} is in no room of the layout: place it in README's 'Layout' and in MAY_IMPORT here")
            continue
        for imported in imports_of(module, source):
            if imported.split(".")[0] == "airflow" and module not in IMPORTING_AIRFLOW:
                found.append(f"{module} imports {imported}: only {', '.join(sorted(IMPORTING_AIRFLOW))} import Airflow")
            if not imported.startswith("fortnox_etl.") or room_of(imported) == room:
                continue
            if room_of(imported) not in MAY_IMPORT[room]:
                allowed = ", ".join(sorted(MAY_IMPORT[room])) or "nothing of the package"
                found.append(f"{module} imports {imported}: {room} may import {allowed}")
    return found


def package_sources() -> dict[str, str]:
    return {".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts): path.read_text(encoding="utf-8")
            for path in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_imports_only_downwards_and_only_the_adapter_imports_airflow():
    sources = package_sources()
    assert len(sources) > 50 and "fortnox_etl.period_end.client_steps" in sources  # the whole package was read
    assert problems(sources) == []


@pytest.mark.parametrize(("module", "source", "problem"), [
    ("fortnox_etl.export.posting", "from fortnox_etl.extract.sync import extract_company",
     "fortnox_etl.export.posting imports fortnox_etl.extract.sync.extract_company: export may import config, fortnox, "
     "period, sie, staging"),
    ("fortnox_etl.extract.sync", "from fortnox_etl.period_end import checks",
     "fortnox_etl.extract.sync imports fortnox_etl.period_end.checks: extract may import config,"),
    ("fortnox_etl.period_end.checks", "def later():\n    from fortnox_etl import cli",
     "fortnox_etl.period_end.checks imports fortnox_etl.cli: period_end may import config, connections, extract,"),
    ("fortnox_etl.sie.checked_import", "from fortnox_etl.period_end.checks import check_staged_year",
     "fortnox_etl.sie.checked_import imports fortnox_etl.period_end.checks.check_staged_year: sie may import config, "
     "period, staging"),
    ("fortnox_etl.fortnox.api", "from ..staging import database\nfrom .. import connections",
     "fortnox_etl.fortnox.api imports fortnox_etl.connections: fortnox may import config, period, staging"),
    ("fortnox_etl.config", "from fortnox_etl.period import Period",
     "fortnox_etl.config imports fortnox_etl.period.Period: config may import nothing of the package"),
    ("fortnox_etl.connections.status", "from fortnox_etl.sandbox.generator import Company",
     "fortnox_etl.connections.status imports fortnox_etl.sandbox.generator.Company: connections may import config,"),
    ("fortnox_etl.sandbox.serve", "import airflow.sdk",
     "fortnox_etl.sandbox.serve imports airflow.sdk: only fortnox_etl.airflow_local_executor, fortnox_etl.airflow_support, "),
    ("fortnox_etl.demo", "from airflow.sdk import DAG",
     "fortnox_etl.demo imports airflow.sdk.DAG: only fortnox_etl.airflow_local_executor, fortnox_etl.airflow_support"),
    ("fortnox_etl.clients_page.page", "from airflow.models import DagRun",
     "fortnox_etl.clients_page.page imports airflow.models.DagRun: only fortnox_etl.airflow_local_executor, "
     "fortnox_etl.airflow_support, fortnox_etl.celery_settings, fortnox_etl.clients_page.airflow_side, fortnox_etl.clients_page.registration, fortnox_etl.clients_page.web "
     "import Airflow"),
    ("fortnox_etl.clients_page.overview", "from fortnox_etl.sandbox.consent import consent",
     "fortnox_etl.clients_page.overview imports fortnox_etl.sandbox.consent.consent: clients_page may import config, "
     "connections, export, extract, fortnox, period, period_end, period_report, sie, staging"),
    ("fortnox_etl.export.outbox", "from fortnox_etl.clients_page import overview",
     "fortnox_etl.export.outbox imports fortnox_etl.clients_page.overview: export may import"),
    ("fortnox_etl.helpers", "", "fortnox_etl.helpers is in no room of the layout"),
    ("fortnox_etl.period_report.figures", "from fortnox_etl.period_end.checks import ERROR",
     "fortnox_etl.period_report.figures imports fortnox_etl.period_end.checks.ERROR: period_report may import config, "
     "period, staging"),
    ("fortnox_etl.export.posting", "from fortnox_etl.period_report.report import write_period_report",
     "fortnox_etl.export.posting imports fortnox_etl.period_report.report.write_period_report: export may import"),
])
def test_an_import_against_the_layout_is_named(module, source, problem):
    found = problems({**package_sources(), module: source})
    assert len(found) == 1 and found[0].startswith(problem), found
