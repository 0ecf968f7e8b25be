"""The clients page in Airflow's UI: "Clients" in the navigation, served by the package's FastAPI app
inside the API server under /fortnox (README, "The clients page"). Registration only."""
from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from fortnox_etl.clients_page.registration import PREFIX, UI_ROUTE, PeriodNotes, clients_app


class FortnoxClientsPlugin(AirflowPlugin):
    name = "fortnox_clients"
    fastapi_apps = [{"app": clients_app, "url_prefix": PREFIX, "name": "fortnox-etl clients"}]
    # With url_route the UI shows the page inside itself (an iframe at /plugin/clients), at the top of its navigation.
    external_views = [{"name": "Clients", "href": f"{PREFIX}/clients", "url_route": UI_ROUTE, "destination": "nav",
                       "nav_top_level": True}]
    # Notes each scheduled and backfill run of a sync DAG with its period, as the page notes the runs it starts.
    listeners = [PeriodNotes()]
