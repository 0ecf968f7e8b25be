"""The `fortnox-etl` command."""
from __future__ import annotations

import argparse
import datetime as dt
import getpass
import logging
import os
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from fortnox_etl.config import (
    APP_CONN_ID,
    DEFAULT_CLIENTS_FILE,
    STAGING_CONN_ID,
    Client,
    ConfigError,
    ConnectionSettings,
    find_client,
    load_clients,
)
from fortnox_etl.connections.connect import (
    DEFAULT_CALLBACK_TIMEOUT,
    ConnectError,
    LoopbackCallback,
    disconnect,
    finish_connect,
    finish_pending_connect,
    record_attempt,
    start_connect,
)
from fortnox_etl.connections.status import NONE, UNREADABLE, aligned, client_statuses, format_table
from fortnox_etl.export.outbox import Outbox, OutboxError, kronor
from fortnox_etl.export.voucher_files import VoucherFileError, read_drafts
from fortnox_etl.fortnox import oauth
from fortnox_etl.fortnox.errors import FortnoxError
from fortnox_etl.fortnox.token_store import TokenStore, token_key_from_env
from fortnox_etl.local_deployment import checkout
from fortnox_etl.period_end.sie_file import sie_file_name
from fortnox_etl.period_end.sie_import import EMPTY_YEAR_OPTION, SieImportRefused, import_sie_file
from fortnox_etl.sandbox import serve as serve_sandbox
from fortnox_etl.sie.whose_books import WITHOUT_ORGNR_OPTION
from fortnox_etl.sie.writer import SieDataMissing, SieRequestInvalid, staged_financial_year, write_sie4, year_to_date
from fortnox_etl.staging.books_lease import BooksLease
from fortnox_etl.staging.database import create_schema, create_staging_engine, staging_url

CLIENTS_FILE_VARIABLE = "FORTNOX_ETL_CLIENTS"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fortnox-etl", description="Fortnox bookkeeping to SIE4 for accounting bureaus")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="run the demo: sandbox, demo clients, a year-end sync through Airflow")
    up = commands.add_parser("up", help="start a local deployment to click through: the sandbox, the demo clients "
                                        "connected, Airflow's services and UI (make up)")
    up.add_argument("--sqlite", action="store_true", help="keep Airflow's metadata and staging in SQLite files even "
                                                         "when PostgreSQL answers")
    commands.add_parser("down", help="stop what `fortnox-etl up` started (make down)")
    commands.add_parser("keygen", help="print a new key for FORTNOX_ETL_TOKEN_KEY")
    sandbox = commands.add_parser("sandbox", help="the local Fortnox imitation")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", required=True)
    serve_sandbox.add_arguments(sandbox_commands.add_parser("serve", help="serve the sandbox until interrupted"))
    _add_operator_commands(commands)
    args = parser.parse_args(_code_kept_whole(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args.command == "demo":
            from fortnox_etl.demo import run_demo

            run_demo()
        elif args.command in ("up", "down"):
            from fortnox_etl.local_deployment import up

            if args.command == "up":
                up.up(sqlite=args.sqlite)
            else:
                up.down()
        elif args.command == "keygen":
            print(Fernet.generate_key().decode())
        elif args.command == "sandbox":
            serve_sandbox.serve(args)
        else:
            args.run(args, args.works_with.from_env(args.clients))
    except (ConfigError, FortnoxError, ConnectError, SieDataMissing, SieImportRefused,
            SieRequestInvalid, OutboxError, VoucherFileError) as error:
        print(f"fortnox-etl: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # a fault of ours: one plain line for the person, the traceback for whoever mends it
        details = _log_details(args)
        file = error.path if isinstance(error, _FaultReadingClients) else getattr(args, "file", None)
        reading = f" while reading {file}" if file else ""
        print(f"fortnox-etl: an unexpected error{reading}, a fault of fortnox-etl; the details are in {details}: "
              "send that file to whoever looks after fortnox-etl", file=sys.stderr)
        return 3
    return 0


def _log_details(args: argparse.Namespace) -> Path:
    """The traceback of the error being handled, in a file of its own under the temporary folder."""
    path = Path(tempfile.gettempdir()) / f"fortnox-etl-error-{dt.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
    # The command, not its arguments: `connect --code` carries an authorization code.
    path.write_text(f"fortnox-etl {args.command}\n\n{traceback.format_exc()}", encoding="utf-8")
    return path


def _add_operator_commands(commands) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--clients", type=Path,
                        help=f"the client file (default: ${CLIENTS_FILE_VARIABLE}, else {DEFAULT_CLIENTS_FILE})")
    connect = commands.add_parser(
        "connect", parents=[common], help="connect a client to Fortnox (the client's administrator consents)",
        description="Prints Fortnox's authorize address and receives Fortnox's answer on the app's loopback redirect_uri; "
                    "with --url-only the consent happens in another browser and --code finishes it.")
    connect.add_argument("client", help="the client's key in the client file")
    how = connect.add_mutually_exclusive_group()
    how.add_argument("--url-only", action="store_true",
                     help="only print the address; finish within 10 minutes with --code")
    how.add_argument("--code", metavar="CODE_OR_ADDRESS",
                     help="finish a --url-only attempt: the code, or the whole address Fortnox redirected to")
    connect.add_argument("--timeout", type=float, default=DEFAULT_CALLBACK_TIMEOUT, metavar="SECONDS",
                         help=f"how long to wait for Fortnox's answer (default {DEFAULT_CALLBACK_TIMEOUT})")
    connect.set_defaults(run=_connect, works_with=_Operator)
    disconnect_command = commands.add_parser(
        "disconnect", parents=[common], help="revoke the client's refresh token at Fortnox and delete our tokens")
    disconnect_command.add_argument("client", help="the client's key in the client file")
    disconnect_command.add_argument("--force", action="store_true",
                                    help="delete our tokens even when Fortnox cannot revoke the refresh token")
    disconnect_command.set_defaults(run=_disconnect, works_with=_Operator)
    status = commands.add_parser("status", parents=[common], help="each client's Fortnox connection, one line each")
    status.set_defaults(run=_status, works_with=_Operator)
    _add_sie_commands(commands, common)
    _add_voucher_commands(commands, common)


def _add_voucher_commands(commands, common: argparse.ArgumentParser) -> None:
    vouchers = commands.add_parser("vouchers", help="the outbox of vouchers to post to a client's Fortnox")
    voucher_commands = vouchers.add_subparsers(dest="vouchers_command", required=True)
    by = argparse.ArgumentParser(add_help=False)
    by.add_argument("--by", default=getpass.getuser(), help="who does it, for the outbox's history (default: you)")
    add = voucher_commands.add_parser(
        "add", parents=[common, by], help="add draft vouchers from a CSV, JSON or SIE4 file",
        description="Reads the file and adds every voucher in it as a draft, or none if any line is wrong.")
    add.add_argument("client", help="the client's key in the client file")
    add.add_argument("file", type=Path, help="a .csv, .json or SIE4 (.se, .si) file")
    add.add_argument(WITHOUT_ORGNR_OPTION, action="store_true",
                     help="a SIE file without #ORGNR (or without a valid one) holds this client's vouchers all the same")
    add.add_argument("--series", help="the Fortnox voucher series for the file's vouchers that have none "
                                      "(payroll and invoicing programs leave it to the bookkeeping)")
    add.set_defaults(run=_vouchers_add, works_with=_Books)
    approve = voucher_commands.add_parser(
        "approve", parents=[common, by], help="approve drafts (or failed vouchers, once mended) for posting")
    approve.add_argument("client", help="the client's key in the client file")
    approve.add_argument("ids", nargs="+", metavar="ID", help="outbox ids, as `vouchers list` shows them")
    approve.set_defaults(run=_vouchers_approve, works_with=_Books)
    reject = voucher_commands.add_parser("reject", parents=[common, by], help="reject vouchers: they are never posted")
    reject.add_argument("client", help="the client's key in the client file")
    reject.add_argument("ids", nargs="+", metavar="ID", help="outbox ids, as `vouchers list` shows them")
    reject.add_argument("--reason", help="why, for the outbox's history")
    reject.set_defaults(run=_vouchers_reject, works_with=_Books)
    listing = voucher_commands.add_parser("list", parents=[common], help="the client's outbox and each voucher's state")
    listing.add_argument("client", help="the client's key in the client file")
    listing.set_defaults(run=_vouchers_list, works_with=_Books)


def _add_sie_commands(commands, common: argparse.ArgumentParser) -> None:
    sie = commands.add_parser("sie", help="SIE4 files from and into staging, without calling Fortnox")
    sie_commands = sie.add_subparsers(dest="sie_command", required=True)
    export = sie_commands.add_parser(
        "export", parents=[common], help="write a financial year's SIE4 file from staging",
        description="Writes the SIE4 file of the client's financial year that starts in YEAR from the staged books.")
    export.add_argument("client", help="the client's key in the client file")
    export.add_argument("--year", type=int, required=True, help="the calendar year in which the financial year starts")
    export.add_argument("-o", "--output", type=Path, required=True, metavar="FILE",
                        help="where to write the file; a folder: into it, named as the sync names it")
    export.add_argument("--as-of", type=dt.date.fromisoformat, metavar="YYYY-MM-DD",
                        help="a period's last day: vouchers and balances up to it (default: the year's end)")
    export.add_argument("--checksum", action="store_true", help="add the #KSUMMA control sum")
    export.set_defaults(run=_sie_export, works_with=_Books)
    import_command = sie_commands.add_parser(
        "import", parents=[common], help="make a SIE4 file the staged books (import source) of its financial year",
        description="Reads and checks the file, then replaces the staged books of its financial year (#RAR 0) with it "
                    "and records the file as the year's import source. A Fortnox sync makes Fortnox the source again.")
    import_command.add_argument("client", help="the client's key in the client file")
    import_command.add_argument("file", type=Path, help="the SIE4 file")
    import_command.add_argument(WITHOUT_ORGNR_OPTION, action="store_true",
                                help="the file has no #ORGNR (or not a valid one) and is this client's books all the "
                                     "same; recorded with the import")
    import_command.add_argument(EMPTY_YEAR_OPTION, action="store_true",
                                help="the file holds no vouchers because the year has none (without it, such a file "
                                     "is refused as cut short)")
    import_command.set_defaults(run=_sie_import, works_with=_Books)


@dataclass(frozen=True)
class _Books:
    """What the commands that never talk to Fortnox (sie, vouchers) work with, configured as Airflow is
    (see `_connection`): the client list and the staging database, no app and no token key."""

    clients: list[Client]
    engine: Engine

    @classmethod
    def from_env(cls, clients_file: Path | None) -> "_Books":
        return cls(_clients(clients_file), _staging_engine())


@dataclass(frozen=True)
class _Operator(_Books):
    """What connect, disconnect and status work with: the books, and the bureau's Fortnox app and tokens."""

    app: oauth.FortnoxApp
    tokens: TokenStore

    @classmethod
    def from_env(cls, clients_file: Path | None) -> "_Operator":
        clients = _clients(clients_file)
        app = oauth.FortnoxApp.from_connection(_connection(APP_CONN_ID))
        key = checkout.token_key() or token_key_from_env()  # the latter says what to set
        engine = _staging_engine()
        return cls(clients, engine, app, TokenStore(engine, key, app))


class _FaultReadingClients(Exception):
    """An unexpected error of ours while the client file was read: the file named to the person is that one."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"while reading the client file {path}")
        self.path = path


def _clients(clients_file: Path | None) -> list[Client]:
    path = Path(clients_file or os.environ.get(CLIENTS_FILE_VARIABLE) or DEFAULT_CLIENTS_FILE)
    try:
        return load_clients(path)
    except ConfigError:
        raise
    except Exception as error:
        raise _FaultReadingClients(path) from error


def _connection(conn_id: str) -> ConnectionSettings:
    """The connection where Airflow finds it: AIRFLOW_CONN_<ID> first, then the Airflow of $AIRFLOW_HOME or of
    this checkout's make demo or make up (its secrets backends and metadata database, which the UI edits)."""
    variable = f"AIRFLOW_CONN_{conn_id.upper()}"
    if os.environ.get(variable):
        return ConnectionSettings.from_env(conn_id)
    home = checkout.airflow_home_to_ask()
    if home is not None:
        os.environ.setdefault("AIRFLOW_HOME", str(home))  # read when Airflow is imported, just below
        logging.getLogger("airflow").setLevel(logging.WARNING)  # not its start-up chatter among our lines
        from fortnox_etl.airflow_support import stored_connection

        found = stored_connection(conn_id)
        if found is not None:
            return found
    asked = f"nor in the Airflow of {home}" if home else "and no Airflow home to ask (no AIRFLOW_HOME, make demo or make up)"
    raise ConfigError(f"connection '{conn_id}' is not configured: set {variable} (JSON or URI, as for Airflow) or add "
                      f"it to Airflow's connections (the UI's Admin → Connections); it is not in the environment "
                      f"{asked}. See README, 'Configuration'")


def _staging_engine() -> Engine:
    url = staging_url(_connection(STAGING_CONN_ID))
    engine = create_staging_engine(url)
    try:
        create_schema(engine)
    except OperationalError as error:
        raise ConfigError(
            f"the staging database {url.render_as_string(hide_password=True)} cannot be used ({error.orig}); "
            f"check AIRFLOW_CONN_{STAGING_CONN_ID.upper()} (or Airflow's connection {STAGING_CONN_ID}) and that the "
            "database is running"
        ) from None
    return engine


def _connect(args: argparse.Namespace, operator: _Operator) -> None:
    client = find_client(operator.clients, args.client)
    if args.code:
        finish_pending_connect(operator.engine, operator.tokens, operator.app, client, args.code)
        return
    url, state = start_connect(operator.app, client)
    consent_for = f"Have the administrator of {client.name} ({client.organisation_number}) open this address and approve"
    if args.url_only:
        record_attempt(operator.engine, client, state, operator.app.redirect_uri)
        print(f"{consent_for}:\n{url}\n"
              f"Then, within 10 minutes, run: fortnox-etl connect {client.key} --code '<the address Fortnox redirected to>'")
        return
    with LoopbackCallback(operator.app.redirect_uri) as callback:
        print(f"{consent_for}, in a browser on this machine:\n{url}\n"
              f"Waiting up to {args.timeout:g} seconds for Fortnox's answer on {operator.app.redirect_uri}", flush=True)
        callback.wait(lambda redirect: finish_connect(operator.tokens, operator.app, client, redirect, state), state,
                      args.timeout)


def _disconnect(args: argparse.Namespace, operator: _Operator) -> None:
    client = find_client(operator.clients, args.client)
    print(disconnect(operator.tokens, operator.app, client, force=args.force))


def _status(args: argparse.Namespace, operator: _Operator) -> None:
    statuses = client_statuses(operator.engine, operator.tokens, operator.clients)
    print(format_table(statuses))
    unreadable = [status.client for status in statuses if status.connected == UNREADABLE]
    if unreadable:
        raise ConfigError(
            f"the Fortnox tokens of {', '.join(unreadable)} cannot be decrypted with this FORTNOX_ETL_TOKEN_KEY: "
            "set the key they were stored with (every Airflow worker needs the same one), or reconnect "
            + ", ".join(f"'fortnox-etl connect {key}'" for key in unreadable))


def _sie_export(args: argparse.Namespace, operator: _Books) -> None:
    client = find_client(operator.clients, args.client)
    year = staged_financial_year(operator.engine, client.key, args.year)
    output = args.output
    if output.is_dir():  # a folder: the file goes into it under the name a sync gives it
        output = output / sie_file_name(client.key, year.start_date, year.end_date,
                                        year_to_date(year.end_date, args.as_of))
    try:  # under the year's books lease, as a sync writes its file: an import cannot rebuild the year meanwhile
        with BooksLease(operator.engine, client.key, year.start_date.isoformat(),
                        f"the export of {output.name} by {getpass.getuser()}"):
            summary = write_sie4(operator.engine, client.key, year.financial_year_id, output, as_of=args.as_of,
                                 checksum=args.checksum)
    except OSError as error:
        raise SieRequestInvalid(f"{output} cannot be written ({error.strerror}); nothing was written. "
                                "Give -o a file or folder you may write to") from None
    print(f"{summary.path}: SIE4 file of {client.key} for {year.start_date}..{year.end_date}: {summary.accounts:,} accounts, "
          f"{summary.vouchers:,} vouchers, {summary.transactions:,} transactions")


def _sie_import(args: argparse.Namespace, operator: _Books) -> None:
    client = find_client(operator.clients, args.client)
    summary = import_sie_file(operator.engine, client, args.file, without_orgnr=args.without_orgnr,
                              empty_year=args.empty_year)
    unchecked = (f" It was taken as {client.key}'s books without an organisation number to check, as you chose; "
                 "the import source records that." if summary.without_orgnr else "")
    print(f"{args.file} is now the import source of {client.key} for {summary.start}..{summary.end}: "
          f"{summary.accounts:,} accounts, {summary.vouchers:,} vouchers, {summary.transactions:,} transactions "
          f"(sha256 {summary.sha256[:12]}…).{unchecked} A Fortnox sync of the year makes Fortnox the source again.")
    for finding in summary.findings:
        print(f"{finding.severity}: {finding.message} [{finding.check}]")
    errors = sum(finding.severity == "error" for finding in summary.findings)
    if errors:
        print(f"The books were imported as they are; the {errors} error(s) above gate the year's periods until "
              "the books are corrected where they are kept and imported again. They are stored with the period's checks.")


def _vouchers_add(args: argparse.Namespace, operator: _Books) -> None:
    client = find_client(operator.clients, args.client)
    outbox = Outbox(operator.engine, client.key)
    added = outbox.add(read_drafts(args.file, client, args.without_orgnr, args.series), args.by)
    print(f"{len(added)} draft voucher(s) added to the outbox of {client.key} from {args.file}: {' '.join(added)}\n"
          f"Approve them with: fortnox-etl vouchers approve {client.key} {' '.join(added)}")


def _vouchers_approve(args: argparse.Namespace, operator: _Books) -> None:
    client = find_client(operator.clients, args.client)
    Outbox(operator.engine, client.key).approve(args.ids, args.by)
    print(f"approved for posting to {client.key}'s Fortnox by {args.by}: {' '.join(args.ids)}; "
          f"the export DAG fortnox_export__{client.key} posts them after the client's next sync, or now if you trigger it")


def _vouchers_reject(args: argparse.Namespace, operator: _Books) -> None:
    client = find_client(operator.clients, args.client)
    Outbox(operator.engine, client.key).reject(args.ids, args.by, args.reason)
    print(f"rejected by {args.by}: {' '.join(args.ids)}; they will never be posted")


def _vouchers_list(args: argparse.Namespace, operator: _Books) -> None:
    client = find_client(operator.clients, args.client)
    print(_format_outbox(Outbox(operator.engine, client.key)))


OUTBOX_HEADINGS = ("id", "state", "series", "date", "text", "amount", "in Fortnox", "last change", "reason")


def _format_outbox(outbox: Outbox) -> str:
    """The client's outbox vouchers, one line each, with their last state change and any reason."""
    last_change = {}
    for move in outbox.transitions():
        last_change[move["outbox_id"]] = f"{move['at'][:16].replace('T', ' ')} UTC by {move['actor']}"
    vouchers = outbox.vouchers()
    if not vouchers:
        return f"the outbox of {outbox.client_key} is empty; add drafts with `fortnox-etl vouchers add {outbox.client_key} FILE`"
    return aligned([OUTBOX_HEADINGS] + [(
        v.outbox_id, v.state, v.voucher_series, v.transaction_date.isoformat(), v.description,
        kronor(sum(row.debit_ore for row in v.rows)),
        f"{v.fortnox_series} {v.fortnox_number}" if v.fortnox_number else NONE, last_change.get(v.outbox_id, NONE),
        v.reason or "",
    ) for v in vouchers])


def _code_kept_whole(argv: list[str]) -> list[str]:
    """`--code X` as `--code=X`: an authorization code may begin with "-", which argparse takes for an option."""
    joined: list[str] = []
    words = iter(argv)
    for word in words:
        code = next(words, None) if word == "--code" else None
        joined.append(word if code is None else f"--code={code}")
    return joined


if __name__ == "__main__":
    sys.exit(main())
