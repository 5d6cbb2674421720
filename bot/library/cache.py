"""The validated library, compiled once and kept in a cache keyed by the hash of its files.

Reading and validating the YAML knowledge files takes about a second (PyYAML and pydantic over
some 700 rules, 1,000 script lines and 60 FAQ entries); unpickling the validated `Library` takes a
few milliseconds. The key is a SHA-256 over every file under the library and FAQ folders (path and
bytes), the loader's own source files and the Python version, so an edited file, a new schema or
a new interpreter never reads a stale entry. A broken or unreadable cache entry is ignored and
rewritten; a read-only cache folder only costs the speed-up.

Beside the library, the entry holds what building an engine from it computes that only depends on
the files (bot/engine/memo.py: regex prefilters, the normaliser's folding table, the library's texts
folded, the parsed public-suffix list): the first start records them while building an engine, later
starts load them back, so building the engine takes about 0.15 s instead of half a second or more (issue 13). The
key also covers the code that computes them and OpenCC's version (its dictionaries fold the table).

The service's side files (dialogue, questions, SMS and drill texts: `loader.load_side_file`) are cached
the same way one by one (`side_file_cached`), keyed by the file's bytes and the whole package's code
(the models that check them span several modules): parsing their YAML was a sixth of the service's start.
The web page's own words (web/page_words.yaml) are cached the same way, so a start from the cache imports
no YAML parser at all.

Where: `ANTIFRAUD_CACHE_DIR`, else `$XDG_CACHE_HOME/antifraud`, else `~/.cache/antifraud`.
`ANTIFRAUD_CACHE_DIR=off` turns the cache off. The folder is created private (0700): a pickle is
code, so only its owner may write it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import opencc

from bot.engine import memo
from bot.library.loader import DEFAULT_FAQ, DEFAULT_LIBRARY, Library, load_library

if TYPE_CHECKING:
    from bot.engine.pipeline import Engine

log = logging.getLogger(__name__)

_CACHE_VERSION = b"2"
# A change in how files are read, or in what is derived from them and stored, invalidates the cache.
_CODE_FILES = (
    "library/loader.py",
    "library/schema.py",
    "library/lint.py",
    "engine/model.py",
    "engine/memo.py",
    "engine/prefilter.py",
    "engine/regex_tree.py",
    "engine/normalise.py",
    "engine/links.py",
)


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
    digest.update(f"\0opencc {getattr(opencc, '__version__', '?')}\0".encode())
    code = Path(__file__).resolve().parents[1]  # the bot package
    for name in _CODE_FILES:
        digest.update(name.encode() + b"\0" + (code / name).read_bytes())
    for label, folder in (("library", library_root), ("faq", faq)):
        digest.update(f"\0{label}:{folder.resolve()}\0".encode())
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest.update(_file_digest(path))
    return digest.hexdigest()


_SETTLED_S = 2.0  # a file last changed this long before it was hashed cannot change unseen within its timestamp


def _file_digest(path: Path) -> bytes:
    """SHA-256 of a file's bytes, hashed once a process while its size, times and inode stay the same (a start
    asks for the fingerprint three times, a reload again). As git does for its index: a file changed less than
    `_SETTLED_S` before it was hashed is hashed again next time, since a second change within the file system's
    timestamp resolution would not show."""
    status = path.stat()
    key = (str(path), status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)
    known = _FILE_DIGESTS.get(key)
    if known is not None:
        return known
    value = hashlib.sha256(path.read_bytes()).digest()
    if time.time() - max(status.st_mtime, status.st_ctime) > _SETTLED_S:
        if len(_FILE_DIGESTS) >= _MAX_FILE_DIGESTS:  # many libraries read in one process (the tests)
            _FILE_DIGESTS.clear()
        _FILE_DIGESTS[key] = value  # two threads hashing one file store the same value
    return value


_MAX_FILE_DIGESTS = 10_000
_FILE_DIGESTS: dict[tuple[str, int, int, int, int], bytes] = {}


M = TypeVar("M")


def _read_entry(path: Path, kind: type[M]) -> M | None:
    """The object pickled at `path` when it is a `kind`; None when there is none, or it is truncated or
    foreign (the caller then builds it again and rewrites the entry)."""
    try:
        with path.open("rb") as handle:
            cached = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception as exc:
        log.warning("ignoring the cache entry %s: %s", path, exc)
        return None
    return cached if isinstance(cached, kind) else None


def _cache_place(root: Path | None, faq_root: Path | None) -> tuple[Path, str] | None:
    """The cache folder and the files' key; None when the cache is off or the files cannot be read (the
    loader then names them)."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        return folder, fingerprint(root, faq_root)
    except OSError:
        return None


def load_library_cached(root: Path | None = None, faq_root: Path | None = None) -> Library:
    """`load_library`, from the cache when the files are unchanged; raises LibraryError like it."""
    place = _cache_place(root, faq_root)
    return load_library(root, faq_root) if place is None else _library_entry(*place, root, faq_root)


def load_engine_cached(root: Path | None = None, faq_root: Path | None = None) -> Engine:
    """An engine over `load_library_cached`'s library, both from the cache when neither the files nor the
    package's code changed (the engine is pickled with its library, keyed by both): unpickling one takes about
    half the time of building it. Raises LibraryError like `load_library`."""
    from bot.engine.pipeline import Engine  # the engine's modules are imported by whoever asks for one

    place = _cache_place(root, faq_root)
    if place is None:
        return Engine(load_library(root, faq_root))
    folder, key = place
    digest = hashlib.sha256(key.encode() + b"\0engine\0" + _package_digest()).hexdigest()
    path = folder / f"engine-{digest[:32]}.pickle"
    cached = _read_entry(path, Engine)
    if cached is not None:
        return cached
    engine = Engine(_library_entry(folder, key, root, faq_root))
    _store(folder, path, engine, "engine-*.pickle")
    return engine


@contextlib.contextmanager
def pieces_cached(label: str, root: Path | None = None, faq_root: Path | None = None) -> Iterator[None]:
    """Inside the block, what the memoised pure functions compute from the knowledge files (bot/engine/memo.py)
    comes from the cache entry `label` of these files and this code, or is recorded into it: the service builds
    its FAQ index and dialogue inside one, so a start does not fold their 3,000 words again (~50 ms). Only this
    thread's work is recorded; an exception in the block stores nothing."""
    place = _cache_place(root, faq_root)
    if place is None:
        yield
        return
    folder, key = place
    digest = hashlib.sha256(f"{key}\0pieces\0{label}\0".encode() + _package_digest()).hexdigest()
    path = folder / f"pieces-{label}-{digest[:32]}.pickle"
    entries = _read_entry(path, dict)
    if entries is not None:
        memo.preload(entries)
        yield
        return
    with memo.recording() as recorded:
        yield
    _store(folder, path, recorded, f"pieces-{label}-*.pickle")


def _library_entry(folder: Path, key: str, root: Path | None, faq_root: Path | None) -> Library:
    path = folder / f"library-{key[:32]}.pickle"
    cached = _read_entry(path, dict)
    if cached is not None and isinstance(cached.get("library"), Library):
        memo.preload(cached.get("memo") or {})
        library: Library = cached["library"]
        return library
    library = load_library(root, faq_root)  # only a library that passed every check is cached
    _store(folder, path, {"library": library, "memo": _engine_memo(library)})
    return library


def side_file_cached(path: Path, model: type[M], load: Callable[[], M | None]) -> M | None:
    """`load()` (which reads and checks `path` as a `model`), from the cache when the file, the
    model's module and the loader's code are unchanged. Only a file that passed every check is cached."""
    folder = cache_dir()
    if folder is None:
        return load()
    try:
        digest = hashlib.sha256(_CACHE_VERSION + b"\0side\0" + sys.version.encode() + _package_digest())
        digest.update(f"\0{model.__module__}.{model.__qualname__}\0".encode() + path.read_bytes())
    except OSError:
        return load()  # unreadable: let the loader name the problem
    entry = folder / f"side-{path.stem}-{digest.hexdigest()[:32]}.pickle"
    cached = _read_entry(entry, model)
    if cached is not None:
        return cached
    value = load()
    if value is not None:
        _store(folder, entry, value, f"side-{path.stem}-*.pickle")
    return value


@functools.lru_cache(maxsize=1)
def _package_digest() -> bytes:
    """SHA-256 of every source file of the bot package (a few milliseconds, once per process)."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for source in sorted(package.rglob("*.py")):
        digest.update(str(source.relative_to(package)).encode() + b"\0" + source.read_bytes())
    return digest.digest()


def _engine_memo(library: Library) -> dict[str, dict[Any, Any]]:
    """What building an engine from `library` computes from its files alone (bot/engine/memo.py)."""
    from bot.engine.pipeline import Engine  # the engine's modules are needed only when the cache is written

    try:
        with memo.recording() as entries:
            Engine(library)
    except Exception as exc:  # the caller's own engine build will report it
        log.info("engine pieces not cached (%s)", exc)
        return {}
    return entries


def _store(folder: Path, path: Path, entry: Any, family: str = "library-*.pickle") -> None:
    temporary: str | None = None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".library-", suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            pickle.dump(entry, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)  # atomic: a concurrent reader sees the old file or the whole new one
    except Exception as exc:  # a read-only folder, or something in the library that cannot be pickled
        log.info("library cache not written (%s); loading from the files each start", exc)
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        return
    for old in folder.glob(family):  # keep only the current entry
        if old != path:
            with contextlib.suppress(OSError):
                old.unlink()
