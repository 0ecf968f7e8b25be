"""The `fortnox-etl` command."""
from __future__ import annotations

import argparse
import logging
import sys

from cryptography.fernet import Fernet

from fortnox_etl.config import ConfigError
from fortnox_etl.fortnox.errors import FortnoxError
from fortnox_etl.sandbox import serve as serve_sandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fortnox-etl", description="Fortnox bookkeeping to SIE4 for accounting bureaus")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="run the demo: sandbox, demo clients, a year-end sync through Airflow")
    commands.add_parser("keygen", help="print a new key for FORTNOX_ETL_TOKEN_KEY")
    sandbox = commands.add_parser("sandbox", help="the local Fortnox imitation")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", required=True)
    serve_sandbox.add_arguments(sandbox_commands.add_parser("serve", help="serve the sandbox until interrupted"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args.command == "demo":
            from fortnox_etl.demo import run_demo

            run_demo()
        elif args.command == "keygen":
            print(Fernet.generate_key().decode())
        elif args.command == "sandbox":
            serve_sandbox.serve(args)
    except (ConfigError, FortnoxError) as error:
        print(f"fortnox-etl: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
