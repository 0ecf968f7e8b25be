"""Period-end bookkeeping from Fortnox to SIE4 for Swedish accounting bureaus.

Everything here is importable without an Airflow scheduler; the DAG files only wire it.
"""
