"""A period's end: the SIE tables and file, the ledgers and their appendices, the checks, SIE imports, and the
steps of a client's sync DAG that join them."""
