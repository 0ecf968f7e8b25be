"""The real material beside the repository: ../shared (SIE files from other programs, recorded Fortnox answers).

CI lays a copy of shared/ next to its clone; a checkout without it skips these tests, saying why.
"""
from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or the test is skipped with the reason when the material is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the real material lives in shared/ beside the repository (CI has it)")
    return path
