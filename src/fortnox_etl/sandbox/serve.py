"""`fortnox-etl sandbox serve`: the sandbox on a port, until interrupted."""
from __future__ import annotations

import argparse

from fortnox_etl.config import DEFAULT_CLIENTS_FILE, load_clients


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 inside a container)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clients", help="make one company per client of this clients.yaml (default: the project's)")


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    from fortnox_etl.demo import sandbox_company
    from fortnox_etl.sandbox.generator import generate_company
    from fortnox_etl.sandbox.server import SANDBOX_CLIENT_ID, create_app

    clients = load_clients(args.clients or DEFAULT_CLIENTS_FILE)
    companies = [generate_company(sandbox_company(c, tenant, args.seed)) for tenant, c in enumerate(clients, start=1001)]
    print(f"Fortnox sandbox on http://{args.host}:{args.port} (app client id {SANDBOX_CLIENT_ID}); "
          f"companies: {', '.join(c.name for c in clients)}")
    uvicorn.run(create_app(companies), host=args.host, port=args.port, log_level="warning")
