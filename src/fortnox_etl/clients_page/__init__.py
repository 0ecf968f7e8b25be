"""The clients page in Airflow's UI: every client on one page, connect, run a period for many.

`overview` builds the rows from the client file and staging, `page` renders them, `guard` keeps
state-changing requests to the logged-in user's own page; `airflow_side` is all the page asks of
Airflow (the logged-in user and their permissions, the sync runs, triggering and backfilling), and
`web` is the FastAPI app the plugin in `plugins/` serves inside Airflow's API server."""
