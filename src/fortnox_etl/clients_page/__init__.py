"""The clients page in Airflow's UI: every client on one page, connect, run a period for many.

`overview` builds the rows from the client file and staging, `page` renders them, `guard` keeps
state-changing requests to the logged-in user's own page; `airflow_side` is all the page asks of
Airflow (the user's permissions, connections, the sync runs, triggering and backfilling), `web` is the
FastAPI app served inside Airflow's API server, and `registration` what the plugin in `plugins/`
registers (the app, imported on its first request, and a listener noting runs' periods)."""
