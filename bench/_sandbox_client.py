"""What the benchmarks share: a sandbox company, a staging database and a client connected to it."""
from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet

from fortnox_etl.config import OUT_DIR, Client
from fortnox_etl.demo import connect_through_consent, sandbox_app
from fortnox_etl.fortnox import oauth
from fortnox_etl.fortnox.token_store import TokenStore
from fortnox_etl.sandbox.generator import CompanySpec, generate_company
from fortnox_etl.staging.database import create_schema, create_staging_engine

BENCH_DIR = OUT_DIR / "bench"
CLIENT = Client(key="bench", name="Bänkens Provföretag AB", organisation_number="556677-8899")
TENANT = 4242


def bench_company(size: str = "S"):
    return generate_company(CompanySpec(tenant_id=TENANT, organisation_number=CLIENT.organisation_number,
                                        name=CLIENT.name, size=size, seed=7))


def connect_client(base_url: str, staging_file: Path) -> tuple[oauth.FortnoxApp, str]:
    """A fresh staging database with the bench client connected; returns the app and the token key."""
    staging_file.parent.mkdir(parents=True, exist_ok=True)
    staging_file.unlink(missing_ok=True)
    app = sandbox_app(base_url)
    key = Fernet.generate_key().decode()
    engine = create_staging_engine(str(staging_file))
    create_schema(engine)
    connect_through_consent(TokenStore(engine, key, app), app, CLIENT)
    return app, key


def write_figures(name: str, figures: dict) -> Path:
    import json

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"{name}.json"
    path.write_text(json.dumps(figures, indent=2) + "\n")
    return path
