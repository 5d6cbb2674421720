"""Shared fixtures: the bundled library and engine are loaded once per test session."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from bot.engine.pipeline import Engine
from bot.library.loader import DEFAULT_FAQ, DEFAULT_LIBRARY, Library, load_library

# The service keeps opt-outs, insights and the last good library in a state folder: the tests' own,
# never the user's (~/.local/state/antifraud).
os.environ.setdefault("ANTIFRAUD_STATE_DIR", tempfile.mkdtemp(prefix="antifraud-test-state-"))

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def library() -> Library:
    return load_library()


@pytest.fixture(scope="session")
def engine(library: Library) -> Engine:
    return Engine(library)


@pytest.fixture()
def library_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled library (and FAQ beside it) for tests that break files."""
    shutil.copytree(DEFAULT_LIBRARY, tmp_path / "scripts_library")
    shutil.copytree(DEFAULT_FAQ, tmp_path / "faq")
    return tmp_path / "scripts_library"
