"""A bounded fuzz of the readers of files people hand us (the long run is `make fuzz`): random bytes,
mutated real and example files and made-up ones; only the readers' own errors may escape, a refused
import leaves staging as it was, and what is accepted comes back the same."""
from __future__ import annotations

from fuzz_readers import Readers, run


def test_only_the_readers_own_errors_escape_and_what_is_accepted_round_trips(tmp_path):
    findings = run(Readers(tmp_path), inputs_per_reader=150, derandomize=True)
    assert findings.escaped == []
    assert findings.tried == {"vouchers add": 150, "sie import": 150, "clients.yaml": 150}
    assert all(findings.accepted[reader] for reader in findings.tried), "every reader accepted some of its inputs"
