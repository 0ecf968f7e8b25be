"""The staging schema: created once, whoever comes first, however many runs start at the same moment, and
brought up to date in a database an earlier release created."""
from __future__ import annotations

from sqlalchemy import Integer, inspect, text

from concurrency_helpers import run_at_once
from fortnox_etl.sie.staging import build_sie_year
from fortnox_etl.staging.database import create_schema, create_staging_engine, staging_url, statements


def test_runs_starting_together_on_an_empty_database_all_get_the_schema(staging):
    """The first runs after a bureau installs the product (the tokens DAG, every client's sync) all
    create the schema at once; none may fail on the others' half-created tables and views."""
    engine = create_staging_engine(staging_url(staging))
    _, errors = run_at_once(lambda: create_schema(engine), 6)
    assert errors == []
    found = inspect(engine)
    assert {"raw_voucher_rows", "outbox_vouchers"} <= set(found.get_table_names())
    assert {"sie_vouchers", "sie_transactions"} <= set(found.get_view_names())


# The books tables as released before account numbers became text (issue 13): accounts and SRU codes
# as INTEGER, raw_accounts without the columns added since, and a view over the voucher rows.
BEFORE_ACCOUNTS_AS_TEXT = [
    """CREATE TABLE raw_accounts (
        client_key VARCHAR(40) NOT NULL, financial_year_id INTEGER NOT NULL, account INTEGER NOT NULL,
        description TEXT NOT NULL, active BOOLEAN NOT NULL, sru INTEGER, vat_code TEXT,
        balance_brought_forward_ore BIGINT NOT NULL, load_id VARCHAR(36) NOT NULL, loaded_at VARCHAR(32) NOT NULL,
        PRIMARY KEY (client_key, financial_year_id, account))""",
    """CREATE TABLE raw_vouchers (
        client_key VARCHAR(40) NOT NULL, financial_year_id INTEGER NOT NULL, voucher_series VARCHAR(10) NOT NULL,
        voucher_number INTEGER NOT NULL, transaction_date DATE NOT NULL, registration_date DATE, description TEXT,
        reference_number TEXT, reference_type TEXT, comments TEXT, load_id VARCHAR(36) NOT NULL,
        loaded_at VARCHAR(32) NOT NULL, PRIMARY KEY (client_key, financial_year_id, voucher_series, voucher_number))""",
    """CREATE TABLE raw_voucher_rows (
        client_key VARCHAR(40) NOT NULL, financial_year_id INTEGER NOT NULL, voucher_series VARCHAR(10) NOT NULL,
        voucher_number INTEGER NOT NULL, row_no INTEGER NOT NULL, account INTEGER NOT NULL, debit_ore BIGINT NOT NULL,
        credit_ore BIGINT NOT NULL, description TEXT, transaction_information TEXT, cost_center TEXT, project TEXT,
        quantity NUMERIC(18, 4), removed BOOLEAN NOT NULL, added_after_registration BOOLEAN NOT NULL,
        load_id VARCHAR(36) NOT NULL, loaded_at VARCHAR(32) NOT NULL,
        PRIMARY KEY (client_key, financial_year_id, voucher_series, voucher_number, row_no))""",
    """CREATE TABLE sie_accounts (
        client_key VARCHAR(40) NOT NULL, financial_year_id INTEGER NOT NULL, account INTEGER NOT NULL,
        name TEXT NOT NULL, account_type CHAR(1) NOT NULL, sru INTEGER, unit TEXT,
        PRIMARY KEY (client_key, financial_year_id, account))""",
    """CREATE VIEW sie_transactions AS
       SELECT client_key, financial_year_id, voucher_series AS series, voucher_number AS number, row_no,
              'TRANS' AS record_type, account, debit_ore - credit_ore AS amount_ore, description AS trans_text, quantity
       FROM raw_voucher_rows""",
    """INSERT INTO raw_accounts VALUES ('acme', 1, 1930, 'Företagskonto', TRUE, 7281, NULL, 10000, 'l1', 't'),
                                       ('acme', 1, 3001, 'Försäljning', TRUE, NULL, NULL, 0, 'l1', 't')""",
    "INSERT INTO raw_vouchers VALUES ('acme', 1, 'A', 1, '2025-03-01', NULL, 'Kvitto', NULL, NULL, NULL, 'l1', 't')",
    """INSERT INTO raw_voucher_rows VALUES
       ('acme', 1, 'A', 1, 1, 1930, 5000, 0, NULL, NULL, '', '', NULL, FALSE, FALSE, 'l1', 't'),
       ('acme', 1, 'A', 1, 2, 3001, 0, 5000, NULL, NULL, '', '', NULL, FALSE, FALSE, 'l1', 't')""",
    "INSERT INTO sie_accounts VALUES ('acme', 1, 1930, 'Företagskonto', 'T', 7281, NULL)",
]


def test_a_staging_database_from_before_accounts_became_text_keeps_its_rows(staging):
    """An installation's staging database holds account numbers as integers: the next run rebuilds those
    tables with accounts and SRU codes as text, rows and all, and the year's books build from them."""
    engine = create_staging_engine(staging_url(staging))
    with engine.begin() as connection:
        for statement in BEFORE_ACCOUNTS_AS_TEXT:
            connection.execute(text(statement))

    create_schema(engine)
    create_schema(engine)  # once rebuilt, a table is left as it is

    columns = {table: {column["name"]: column["type"] for column in inspect(engine).get_columns(table)}
               for table in ("raw_accounts", "raw_voucher_rows", "sie_accounts", "sie_balances")}
    assert not any(isinstance(columns[table][column], Integer) for table, column in (
        ("raw_accounts", "account"), ("raw_accounts", "sru"), ("raw_voucher_rows", "account"),
        ("sie_accounts", "account"), ("sie_accounts", "sru"), ("sie_balances", "account")))
    assert {"account_type", "unit", "undeclared"} <= set(columns["raw_accounts"]), "the columns added since"
    with engine.begin() as connection:
        assert connection.execute(text(
            "SELECT account, sru, undeclared FROM raw_accounts ORDER BY account")).all() == [
            ("1930", "7281", False), ("3001", None, False)]
        assert connection.execute(text(
            "SELECT account, amount_ore FROM sie_transactions ORDER BY row_no")).all() == [("1930", 5000), ("3001", -5000)]
        assert connection.execute(text("SELECT account, sru FROM sie_accounts")).all() == [("1930", "7281")]
        build_sie_year(connection, "acme", 1)
        assert connection.execute(text(
            "SELECT balance_type, account, amount_ore FROM sie_balances ORDER BY balance_type")).all() == [
            ("IB", "1930", 10000), ("RES", "3001", -5000), ("UB", "1930", 15000)]


def test_a_database_of_an_earlier_release_gets_the_added_columns_and_views(staging):
    """A staging database made before the voucher rows had a date and a sign of their own: the rows it
    holds stay, the columns are added, and the view over them is made again with them."""
    engine = create_staging_engine(staging_url(staging))
    with engine.begin() as connection:
        connection.execute(text(statements("schema/14_raw_voucher_rows")[0]))  # the table without the columns
        connection.execute(text(
            "CREATE VIEW sie_transactions AS SELECT client_key, financial_year_id, voucher_series AS series, "
            "voucher_number AS number, row_no, account, debit_ore - credit_ore AS amount_ore FROM raw_voucher_rows"))
        connection.execute(text(
            "INSERT INTO raw_voucher_rows (client_key, financial_year_id, voucher_series, voucher_number, row_no, "
            "account, debit_ore, credit_ore, removed, added_after_registration, load_id, loaded_at) "
            "VALUES ('acme', 1, 'A', 1, 1, '1930', 100, 0, FALSE, FALSE, 'l', 'now')"))
    create_schema(engine)
    create_schema(engine)  # and once more, as every run does
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT account, amount_ore, trans_date, signature FROM sie_transactions")).all()
    assert [tuple(row) for row in rows] == [("1930", 100, None, None)]
