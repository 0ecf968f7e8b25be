"""What an operator configures, and the package reads before anything else: the bureau's client list
(config/clients.yaml), the project's paths, and the connections' settings (AIRFLOW_CONN_<ID>); and how
the files people save with their own tools are read as text."""
from __future__ import annotations

import codecs
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml

PROJECT_ROOT = Path(os.environ.get("FORTNOX_ETL_HOME", Path(__file__).resolve().parents[2]))
DEFAULT_CLIENTS_FILE = PROJECT_ROOT / "config" / "clients.yaml"
SQL_DIR = PROJECT_ROOT / "include" / "sql"
OUT_DIR = Path(os.environ.get("FORTNOX_ETL_OUT", PROJECT_ROOT / "out"))

_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")  # matched whole (fullmatch): "$" would let a final newline through
# ASCII digits only: \d would take any script's digits.
_ORGNR = re.compile(r"([0-9]{2})?([0-9]{6})[-+]?([0-9]{4})")


# Control characters other than tab and line breaks: no text file holds them, a wrongly decoded one does.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Any control character, line breaks included: no text a person types on one line (a name, a voucher's text, a
# reason) holds one, and it would break the lines and records the text is shown or written in.
holds_control_character = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]").search


class ConfigError(ValueError):
    """The client configuration is wrong; the message says where and how to fix it."""


class _DuplicateKey(ValueError):
    def __init__(self, key: object, first_line: int, second_line: int) -> None:
        where = f"line {first_line} sets '{key}' twice" if first_line == second_line else \
            f"line {first_line} and line {second_line} both set '{key}'"
        super().__init__(f"{where}; keep one of them")


class _ClientFileLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """libyaml's safe loader (every DAG file reads the client list at each parse, hundreds of clients) that
    refuses a key given twice in one mapping, where YAML would silently keep the last."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            lines: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                try:
                    if key in lines:  # on another line, or twice on one: {key: a, name: A, name: B}
                        raise _DuplicateKey(key, lines[key], line)
                    lines[key] = line
                except TypeError:
                    continue  # an unhashable key: the constructor refuses it with YAML's own message
        return super().construct_mapping(node, deep=deep)


@dataclass(frozen=True)
class Client:
    key: str
    name: str
    organisation_number: str
    fiscal_year_start_month: int = 1
    # Set for a client connected as a Fortnox service account (client credentials with TenantId).
    tenant_id: int | None = None


def organisation_number_normal_form(number: str) -> str | None:
    """An organisation number or a sole trader's personnummer as NNNNNN-NNNN, or None when it is not one.

    Accepted as people and programs write them: 10 or 12 ASCII digits (a 12-digit form starts with the
    century, 16 for some organisations), with or without the hyphen (or `+`, a personnummer of someone over
    100), ending in the Luhn check digit over the last ten digits. Compare numbers only in this form.
    """
    match = _ORGNR.fullmatch(number.strip())
    if not match:
        return None
    century, head, tail = match.groups()
    if century is not None and century not in ("16", "18", "19", "20"):
        return None
    digits = head + tail
    total = 0
    for position, char in enumerate(digits):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return f"{head}-{tail}" if total % 10 == 0 else None


def organisation_number_is_valid(number: str) -> bool:
    return organisation_number_normal_form(number) is not None


def same_organisation(number: str | None, other: str | None) -> bool:
    """Whether two organisation numbers, however written, are one company's (an invalid one matches nothing)."""
    normal = organisation_number_normal_form(number or "")
    return normal is not None and normal == organisation_number_normal_form(other or "")


def load_clients(path: str | Path = DEFAULT_CLIENTS_FILE) -> list[Client]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: client file not found; create it (see config/clients.yaml in the project)") from None
    except OSError as error:
        raise ConfigError(f"{path}: the client file cannot be read ({error.strerror})") from None
    text = _client_file_text(path, data)
    try:
        document = yaml.load(text, Loader=_ClientFileLoader) or {}
    except _DuplicateKey as error:
        raise ConfigError(f"{path}: {error}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: {_yaml_problem(error, text)}") from None
    entries = document.get("clients") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: expected a top-level 'clients:' list")
    clients = [_client_from_entry(path, index, entry) for index, entry in enumerate(entries, start=1)]
    seen: set[str] = set()
    for client in clients:
        if client.key in seen:
            raise ConfigError(f"{path}: client key '{client.key}' appears twice; keys must be unique")
        seen.add(client.key)
    return clients


def _client_file_text(path: Path, data: bytes) -> str:
    try:
        text = text_of(data)
    except NotText as error:
        raise ConfigError(f"{path}: {error}; save it as UTF-8 and try again") from None
    if _CONTROL.search(text):
        raise ConfigError(f"{path}: not a text file: it holds control characters; save it as UTF-8 and try again")
    return text


def _yaml_problem(error: yaml.YAMLError, text: str) -> str:
    """YAML's words on one line with the line they are about (its own message spans lines and calls the
    file "<unicode string>")."""
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        line, words = error.problem_mark.line + 1, error.problem + (f" ({error.context})" if error.context else "")
    elif isinstance(error, yaml.reader.ReaderError):
        line, words = text.count("\n", 0, error.position) + 1, str(error).split("\n")[0]
    else:
        return f"not valid YAML: {' '.join(str(error).split())}"
    return f"line {line} is not valid YAML: {words}; see config/clients.yaml in the project for how entries are written"


def _client_from_entry(path: Path, index: int, entry: object) -> Client:
    where = f"{path}: client #{index}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping with key, name, organisation_number")
    missing = [field for field in ("key", "name", "organisation_number") if not entry.get(field)]
    if missing:
        raise ConfigError(f"{where}: missing {', '.join(missing)}")
    key = str(entry["key"])
    if not _KEY.fullmatch(key):
        raise ConfigError(f"{where}: key {key!r} must be lower-case letters, digits or _ and start with a letter")
    if not isinstance(entry["name"], str):
        raise ConfigError(f"{where} ({key}): name must be a text (in quotes if it could be read as something "
                          f"else), not {entry['name']!r}")
    number = str(entry["organisation_number"])
    if not organisation_number_is_valid(number):
        raise ConfigError(
            f"{where} ({key}): organisation number '{number}' is not valid; write it as NNNNNN-NNNN (or a sole trader's personnummer) with its check digit"
        )
    month = entry.get("fiscal_year_start_month", 1)
    if not _whole_number(month) or not 1 <= month <= 12:
        raise ConfigError(f"{where} ({key}): fiscal_year_start_month must be a month number 1-12, not {month!r}")
    tenant_id = entry.get("tenant_id")
    if tenant_id is not None and (not _whole_number(tenant_id) or tenant_id <= 0):
        raise ConfigError(f"{where} ({key}): tenant_id must be the Fortnox tenant (database) number, not {tenant_id!r}")
    if holds_control_character(str(entry["name"])):  # a YAML escape ("\f") puts one there
        raise ConfigError(f"{where} ({key}): name {str(entry['name'])!r} holds a control character (such as a line "
                          "break or tab); write it on one line")
    unknown = set(entry) - {"key", "name", "organisation_number", "fiscal_year_start_month", "tenant_id"}
    if unknown:
        raise ConfigError(f"{where} ({key}): unknown field(s) {', '.join(sorted(unknown))}")
    return Client(key=key, name=str(entry["name"]), organisation_number=number, fiscal_year_start_month=month,
                  tenant_id=tenant_id)


def _whole_number(value: object) -> bool:
    # YAML reads `true` as a bool, which Python counts as the int 1.
    return isinstance(value, int) and not isinstance(value, bool)


def find_client(clients: list[Client], key: str) -> Client:
    for client in clients:
        if client.key == key:
            return client
    known = ", ".join(c.key for c in clients) or "none"
    raise ConfigError(f"no client '{key}' in the client file (known: {known})")


# --- Connections ---
# Connection settings in Airflow's format, readable with or without Airflow. Inside a task the fields
# come from an Airflow Connection object; the command line reads the same AIRFLOW_CONN_<ID> environment
# variable Airflow reads first (JSON or URI form), and otherwise asks Airflow (cli.py), so an operator
# configures one thing in one place.
STAGING_CONN_ID = "fortnox_staging"
APP_CONN_ID = "fortnox_app"
# Where notifications go; neither is required (without them nothing is sent).
NOTIFY_SMTP_CONN_ID = "fortnox_notify_smtp"
NOTIFY_WEBHOOK_CONN_ID = "fortnox_notify_webhook"


@dataclass(frozen=True)
class ConnectionSettings:
    conn_id: str
    conn_type: str
    host: str | None = None
    schema: str | None = None
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    port: int | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_airflow(cls, connection) -> "ConnectionSettings":
        """Copy the fields of an Airflow Connection (duck-typed, so this module never imports Airflow)."""
        return cls(
            conn_id=connection.conn_id,
            conn_type=connection.conn_type or "",
            host=connection.host,
            schema=connection.schema,
            login=connection.login,
            password=connection.password,
            port=connection.port,
            extra=connection.extra_dejson or {},
        )

    @classmethod
    def from_json(cls, conn_id: str, fields: dict) -> "ConnectionSettings":
        """The fields of Airflow's JSON form of a connection ({"conn_type": ..., "host": ..., "extra": {...}})."""
        return cls(
            conn_id=conn_id,
            conn_type=fields.get("conn_type", ""),
            host=fields.get("host"),
            schema=fields.get("schema"),
            login=fields.get("login"),
            password=fields.get("password"),
            port=fields.get("port"),
            extra=fields.get("extra") or {},
        )

    @classmethod
    def from_env(cls, conn_id: str) -> "ConnectionSettings":
        variable = f"AIRFLOW_CONN_{conn_id.upper()}"
        raw = os.environ.get(variable)
        if not raw:
            raise ConfigError(
                f"connection '{conn_id}' is not configured: set {variable} (JSON or URI, as for Airflow); "
                "see README, 'Configuration'"
            )
        if raw.lstrip().startswith("{"):
            try:
                fields = json.loads(raw)
            except json.JSONDecodeError as error:
                raise ConfigError(f"{variable} is not valid JSON: {error.msg} at character {error.pos}") from None
            return cls.from_json(conn_id, fields)
        parts = urlsplit(raw)
        return cls(
            conn_id=conn_id,
            conn_type=parts.scheme.replace("-", "_").replace("postgresql", "postgres"),
            host=unquote(parts.hostname or "") or None,
            schema=unquote(parts.path.lstrip("/")) or None,
            login=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            port=parts.port,
            extra=dict(parse_qsl(parts.query)),
        )


# --- Files people save ---
# The text of a file a person saved with their own tools: a client file, a voucher file. Read: UTF-8
# with or without a byte order mark (editors, Excel's "CSV UTF-8"), UTF-16 with one (Excel's "Unicode
# text"), and Windows-1252 (Notepad and Excel on Swedish Windows). Anything else is refused, naming them.
ENCODINGS_READ = "UTF-8 (with or without a byte order mark), UTF-16 with a byte order mark, or Windows-1252"
_NAMES = {"utf-16": "UTF-16", "utf-8-sig": "UTF-8", "cp1252": "Windows-1252"}


class NotText(ValueError):
    """The bytes are no text in the encodings read; the message follows the file's name ("x.csv is not ...")."""


def text_of(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif b"\x00" in data:
        raise NotText(f"not a text file in {ENCODINGS_READ} (it holds zero bytes, as UTF-16 without a byte "
                      "order mark or a binary file does)")
    else:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "cp1252"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise NotText(f"not a text file in {ENCODINGS_READ}: byte {error.start + 1} is not "
                      f"{_NAMES[encoding]}") from None
