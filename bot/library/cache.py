"""The validated library, compiled once and kept in a cache keyed by the hash of its files.

Reading and validating the YAML knowledge files takes about a second (PyYAML and pydantic over
some 700 rules, 1,000 script lines and 60 FAQ entries); unpickling the validated `Library` takes a
few milliseconds. The key is a SHA-256 over every file under the library and FAQ folders (path and
bytes), the loader's own source files and the Python version, so an edited file, a new schema or
a new interpreter never reads a stale entry. A broken or unreadable cache entry is ignored and
rewritten; a read-only cache folder only costs the speed-up.

Where: `ANTIFRAUD_CACHE_DIR`, else `$XDG_CACHE_HOME/antifraud`, else `~/.cache/antifraud`.
`ANTIFRAUD_CACHE_DIR=off` turns the cache off. The folder is created private (0700): a pickle is
code, so only its owner may write it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import sys
import tempfile
from pathlib import Path

from bot.library.loader import DEFAULT_FAQ, DEFAULT_LIBRARY, Library, load_library

log = logging.getLogger(__name__)

_CACHE_VERSION = b"1"
_CODE_FILES = ("loader.py", "schema.py", "lint.py")  # a change in how files are read invalidates the cache


def cache_dir() -> Path | None:
    """The cache folder, or None when turned off (`ANTIFRAUD_CACHE_DIR=off`)."""
    configured = os.environ.get("ANTIFRAUD_CACHE_DIR", "")
    if configured.lower() in ("off", "none", "0", "false"):
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "antifraud"


def _roots(root: Path | None, faq_root: Path | None) -> tuple[Path, Path]:
    """The same folders `load_library` would read (the same environment variables)."""
    library_root = Path(root or os.environ.get("ANTIFRAUD_LIBRARY_PATH") or DEFAULT_LIBRARY)
    faq = Path(
        faq_root
        or os.environ.get("ANTIFRAUD_FAQ_PATH")
        or (DEFAULT_FAQ if library_root == DEFAULT_LIBRARY else library_root.parent / "faq")
    )
    return library_root, faq


def fingerprint(root: Path | None = None, faq_root: Path | None = None) -> str:
    """SHA-256 of every knowledge file (relative path and bytes), the loader's code and the Python version."""
    library_root, faq = _roots(root, faq_root)
    digest = hashlib.sha256(_CACHE_VERSION)
    digest.update(sys.version.encode())
    code = Path(__file__).resolve().parent
    for name in _CODE_FILES:
        digest.update(name.encode() + b"\0" + (code / name).read_bytes())
    for label, folder in (("library", library_root), ("faq", faq)):
        digest.update(f"\0{label}:{folder.resolve()}\0".encode())
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def load_library_cached(root: Path | None = None, faq_root: Path | None = None) -> Library:
    """`load_library`, from the cache when the files are unchanged; raises LibraryError like it."""
    folder = cache_dir()
    if folder is None:
        return load_library(root, faq_root)
    try:
        key = fingerprint(root, faq_root)
    except OSError:
        return load_library(root, faq_root)  # unreadable files: let the loader name them
    path = folder / f"library-{key[:32]}.pickle"
    try:
        with path.open("rb") as handle:
            cached = pickle.load(handle)
        if isinstance(cached, Library):
            return cached
    except FileNotFoundError:
        pass
    except Exception as exc:  # a truncated or foreign file: rebuild it
        log.warning("ignoring the library cache %s: %s", path, exc)
    library = load_library(root, faq_root)  # only a library that passed every check is cached
    _store(folder, path, library)
    return library


def _store(folder: Path, path: Path, library: Library) -> None:
    temporary: str | None = None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".library-", suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            pickle.dump(library, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)  # atomic: a concurrent reader sees the old file or the whole new one
    except Exception as exc:  # a read-only folder, or something in the library that cannot be pickled
        log.info("library cache not written (%s); loading from the files each start", exc)
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        return
    for old in folder.glob("library-*.pickle"):  # keep only the current entry
        if old != path:
            with contextlib.suppress(OSError):
                old.unlink()
