import pytest

from fortnox_etl.config import (
    DEFAULT_CLIENTS_FILE,
    ConfigError,
    ConnectionSettings,
    load_clients,
    organisation_number_is_valid,
    organisation_number_normal_form,
    same_organisation,
)


def write(tmp_path, body: str):
    path = tmp_path / "clients.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_project_clients_file_has_the_demo_clients():
    clients = load_clients(DEFAULT_CLIENTS_FILE)
    assert len(clients) >= 2
    assert {c.fiscal_year_start_month for c in clients} >= {1, 7}, "a calendar-year and a broken-year client"


@pytest.mark.parametrize("number, valid", [("556677-8899", True), ("559123-4561", True), ("556677-8898", False),
                                           ("5566778899", True), ("556677-889", False)])
def test_organisation_number_check_digit(number, valid):
    assert organisation_number_is_valid(number) is valid


@pytest.mark.parametrize("body, message", [
    ("clients:\n  - key: acme\n    name: A\n    organisation_number: '556677-8898'\n", "not valid"),
    ("clients:\n  - key: acme\n    name: A\n", "missing organisation_number"),
    ("clients:\n  - key: Acme!\n    name: A\n    organisation_number: '556677-8899'\n", "lower-case"),
    ("clients:\n  - {key: a, name: A, organisation_number: '556677-8899'}\n"
     "  - {key: a, name: B, organisation_number: '559123-4561'}\n", "appears twice"),
    ("clients:\n  - {key: a, name: A, organisation_number: '556677-8899', fiscal_year_start_month: 13}\n", "1-12"),
    ("clients:\n  - {key: a, name: A, organisation_number: '556677-8899', fiscal_year: 7}\n", "unknown field"),
    ("clients: [\n", "not valid YAML"),
    ("{}\n", "'clients:' list"),
])
def test_bad_client_files_say_what_to_fix(tmp_path, body, message):
    with pytest.raises(ConfigError, match=message):
        load_clients(write(tmp_path, body))


def test_missing_client_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_clients(tmp_path / "nope.yaml")


@pytest.mark.parametrize("value, expected", [
    ('{"conn_type": "sqlite", "host": "/tmp/x.db"}', ("sqlite", "/tmp/x.db", None, None, None)),
    ("postgresql://bob:s%40cret@db.example:5433/staging", ("postgres", "db.example", "bob", "s@cret", 5433)),
])
def test_connections_from_the_environment_as_airflow_writes_them(monkeypatch, value, expected):
    monkeypatch.setenv("AIRFLOW_CONN_FORTNOX_STAGING", value)
    settings = ConnectionSettings.from_env("fortnox_staging")
    assert (settings.conn_type, settings.host, settings.login, settings.password, settings.port) == expected


def test_a_missing_connection_says_which_variable_to_set(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_FORTNOX_APP", raising=False)
    with pytest.raises(ConfigError, match="set AIRFLOW_CONN_FORTNOX_APP"):
        ConnectionSettings.from_env("fortnox_app")


@pytest.mark.parametrize(("written", "normal"), [
    ("556677-8899", "556677-8899"), ("5566778899", "556677-8899"), ("16556677-8899", "556677-8899"),
    ("165566778899", "556677-8899"), ("19121212-1212", "121212-1212"), ("121212+1212", "121212-1212"),
    (" 556677-8899 ", "556677-8899"),
    ("556677-8890", None), ("٥٥6677-8899", None), ("55667788991", None), ("", None), ("17556677-8899", None),
])
def test_organisation_numbers_are_read_in_one_normal_form(written, normal):
    assert organisation_number_normal_form(written) == normal


def test_the_same_organisation_however_written_and_never_an_invalid_one():
    assert same_organisation("5566778899", "556677-8899")
    assert same_organisation("19121212-1212", "121212-1212")
    assert not same_organisation("556677-8899", "559123-4561")
    assert not same_organisation("", "")
    assert not same_organisation(None, None)


CLIENT = "clients:\n  - key: cafe\n    name: Café Åre AB\n    organisation_number: '556677-8899'\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_a_client_file_is_read_as_editors_and_windows_save_it(tmp_path, encoding):
    path = tmp_path / "clients.yaml"
    path.write_bytes(CLIENT.encode(encoding))  # Python's utf-16 writes the BOM, as Notepad's "Unicode" does
    [client] = load_clients(path)
    assert (client.key, client.name) == ("cafe", "Café Åre AB")


@pytest.mark.parametrize("data", [CLIENT.encode("utf-16-le"), b"clients:\n  - key: \x81\x8d\x90\n", b"\x00\x01\x02"])
def test_a_client_file_in_any_other_encoding_is_refused_naming_those_read(tmp_path, data):
    path = tmp_path / "clients.yaml"
    path.write_bytes(data)
    with pytest.raises(ConfigError) as refused:
        load_clients(path)
    assert str(refused.value).startswith(f"{path}: not a text file")
    assert str(refused.value).endswith("; save it as UTF-8 and try again")


@pytest.mark.parametrize("body, lines, key", [
    ("clients:\n  - key: acme\n    name: A\n    organisation_number: '556677-8899'\n    name: B\n", (3, 5), "name"),
    ("clients: []\nclients:\n  - {key: a, name: A, organisation_number: '556677-8899'}\n", (1, 2), "clients"),
])
def test_a_key_given_twice_is_an_error_naming_both_lines(tmp_path, body, lines, key):
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as refused:
        load_clients(path)
    assert str(refused.value) == f"{path}: line {lines[0]} and line {lines[1]} both set '{key}'; keep one of them"


def test_a_key_given_twice_on_one_line_is_an_error_naming_it(tmp_path):
    path = write(tmp_path, "clients:\n  - {key: acme, name: A, organisation_number: '556677-8899', name: B}\n")
    with pytest.raises(ConfigError) as refused:
        load_clients(path)
    assert str(refused.value) == f"{path}: line 2 sets 'name' twice; keep one of them"


@pytest.mark.parametrize("entry, message", [
    ('key: "evil\\n"', r"key 'evil\\n' must be lower-case"),
    ("key: acme, fiscal_year_start_month: true", "fiscal_year_start_month must be a month number 1-12, not True"),
    ("key: acme, tenant_id: true", "tenant_id must be the Fortnox tenant .database. number, not True"),
])
def test_client_keys_are_matched_whole_and_booleans_are_not_numbers(tmp_path, entry, message):
    with pytest.raises(ConfigError, match=message):
        load_clients(write(tmp_path, f"clients:\n  - {{{entry}, name: A, organisation_number: '556677-8899'}}\n"))


@pytest.mark.parametrize("number", ["５５６６７７-８８９９", "٥٥٦٦٧٧-٨٨٩٩"])
def test_organisation_numbers_in_other_scripts_digits_are_refused(tmp_path, number):
    assert organisation_number_normal_form(number) is None
    with pytest.raises(ConfigError, match="is not valid"):
        load_clients(write(tmp_path, f"clients:\n  - {{key: a, name: A, organisation_number: '{number}'}}\n"))


def test_a_client_name_with_a_control_character_is_refused(tmp_path):
    """A YAML escape puts a form feed into a name the file itself holds none of."""
    with pytest.raises(ConfigError, match=r"\(acme\): name 'Acme\\x0cBygg' holds a control character \(such as a line "
                                          r"break or tab\); write it on one line"):
        load_clients(write(tmp_path, 'clients:\n  - {key: acme, name: "Acme\\fBygg", organisation_number: \'556677-8899\'}\n'))


@pytest.mark.parametrize("body, answer", [
    ("clients:\n  - key: acme\n\tname: A\n", "line 3 is not valid YAML: found a tab character that violates "
                                             "indentation (while scanning a plain scalar)"),
    ("clients: [\n", "line 2 is not valid YAML: did not find expected node content (while parsing a flow node)"),
    ("clients:\n  - key: a\u0080b\n", "line 2 is not valid YAML: unacceptable character #x0080: control characters "
                                      "are not allowed"),
])
def test_a_yaml_mistake_is_one_line_naming_its_line(tmp_path, body, answer):
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as refused:
        load_clients(path)
    assert str(refused.value) == (f"{path}: {answer}; see config/clients.yaml in the project for how entries are "
                                  "written")


@pytest.mark.parametrize("name", ["[Acme, Bygg]", "{a: 1}", "true"])
def test_a_name_that_yaml_reads_as_something_else_than_a_text_is_refused(tmp_path, name):
    with pytest.raises(ConfigError, match=r"client #1 \(acme\): name must be a text"):
        load_clients(write(tmp_path, f"clients:\n  - {{key: acme, name: {name}, organisation_number: '556677-8899'}}\n"))
