"""The `fortnox-etl` command."""
from __future__ import annotations

import argparse
import logging
import sys

from cryptography.fernet import Fernet

from fortnox_etl.config import ConfigError
from fortnox_etl.fortnox.errors import FortnoxError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fortnox-etl", description="Fortnox bookkeeping to SIE4 for accounting bureaus")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="run the demo: sandbox, demo clients, a year-end sync through Airflow")
    commands.add_parser("keygen", help="print a new key for FORTNOX_ETL_TOKEN_KEY")
    sandbox = commands.add_parser("sandbox", help="the local Fortnox imitation")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", required=True)
    serve = sandbox_commands.add_parser("serve", help="serve the sandbox until interrupted")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 inside a container)")
    serve.add_argument("--seed", type=int, default=1)
    serve.add_argument("--clients", help="make one company per client of this clients.yaml (default: the project's)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args.command == "demo":
            from fortnox_etl.demo import run_demo

            run_demo()
        elif args.command == "keygen":
            print(Fernet.generate_key().decode())
        elif args.command == "sandbox":
            _serve_sandbox(args)
    except (ConfigError, FortnoxError) as error:
        print(f"fortnox-etl: {error}", file=sys.stderr)
        return 2
    return 0


def _serve_sandbox(args: argparse.Namespace) -> None:
    import uvicorn

    from fortnox_etl.config import DEFAULT_CLIENTS_FILE, load_clients
    from fortnox_etl.demo import sandbox_company
    from fortnox_etl.sandbox.generator import generate_company
    from fortnox_etl.sandbox.server import SANDBOX_CLIENT_ID, create_app

    clients = load_clients(args.clients or DEFAULT_CLIENTS_FILE)
    companies = [generate_company(sandbox_company(c, tenant, args.seed)) for tenant, c in enumerate(clients, start=1001)]
    print(f"Fortnox sandbox on http://{args.host}:{args.port} (app client id {SANDBOX_CLIENT_ID}); "
          f"companies: {', '.join(c.name for c in clients)}")
    uvicorn.run(create_app(companies), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    sys.exit(main())
