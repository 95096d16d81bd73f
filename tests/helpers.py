"""Plain helpers the tests import (`from helpers import ...`; fixtures are in conftest.py): the repository's
paths."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
