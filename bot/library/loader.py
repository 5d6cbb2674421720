"""Read the knowledge files into an immutable `Library`, or fail with every problem named.

A broken data file must fail loudly at load time with file, entry and field, and all problems
are reported at once (like spaCy's `validate()`), so an editor fixes a file in one pass.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.engine.model import LearnedModel, ModelError, NGramIndex
from bot.library.schema import (
    Concept,
    ConceptsFile,
    FaqEntry,
    FaqFile,
    LibrarySettings,
    LinksFile,
    NormaliseFile,
    Region,
    RegionsFile,
    ScamType,
    SignalsFile,
)

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_LIBRARY = PACKAGE_ROOT / "scripts_library"
DEFAULT_FAQ = PACKAGE_ROOT / "faq"


@dataclass(frozen=True)
class Problem:
    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        where = " ".join(part for part in (self.entry, f"field '{self.field}'" if self.field else "") if part)
        return f"{self.file}: {where}: {self.message}" if where else f"{self.file}: {self.message}"


class LibraryError(Exception):
    """The knowledge files are broken; `problems` lists every one found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the knowledge files:\n{lines}")


@dataclass(frozen=True)
class Library:
    """Everything the engine and the dialogue know; built once, shared read-only by all threads."""

    root: Path
    settings: LibrarySettings
    categories: frozenset[str]
    types: tuple[ScamType, ...]
    signals: SignalsFile
    normalise: NormaliseFile
    faq: tuple[FaqEntry, ...]
    faq_topics: tuple[tuple[str, FaqFile], ...]
    regions: RegionsFile
    concepts: tuple[Concept, ...] = ()
    links: LinksFile | None = None  # brands and their own sites, for the link checks
    model: LearnedModel | None = None  # the learned layer, when library.yaml names one
    report_model: LearnedModel | None = (
        None  # tells reports about scams from scams (library.yaml's learned.report_model)
    )
    line_model: LearnedModel | None = None  # names the line or rebuttal a message retells (learned.line_model)
    # The n-grams of the learned layers above in one table, so a message's are found once for all of them
    # (built with them, cached with them; a layer replaced later is looked up in its own table).
    ngram_index: NGramIndex | None = field(default=None, compare=False, repr=False)  # derived from the three

    def line_wordings(self) -> list[tuple[str, list[str]]]:
        """Every scammer line's and rebuttal's entry id ("type.lines.id", "type.rebuttals.id") with its
        own wordings in every language: what the line layer is trained on and names."""
        lines = [
            (f"{scam_type.id}.lines.{line.id}", [text for texts in line.text.values() for text in texts])
            for scam_type in self.types
            for line in scam_type.lines
        ]
        return lines + [
            (f"{scam_type.id}.rebuttals.{rebuttal.id}", [text for texts in rebuttal.answer.values() for text in texts])
            for scam_type in self.types
            for rebuttal in scam_type.rebuttals
        ]

    def scam_type(self, type_id: str) -> ScamType:
        for scam_type in self.types:
            if scam_type.id == type_id:
                return scam_type
        raise KeyError(type_id)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(language.id for language in self.settings.languages)


@functools.cache
def _unique_key_loader() -> Any:
    """A YAML loader that refuses duplicate keys: PyYAML keeps the last of two silently, a knowledge file
    must not. Built on first use: a start from the library cache reads no YAML (PyYAML costs ~40 ms to import).
    On libyaml's C parser where PyYAML has it (its wheels do): the pure-Python one took 85% of a library load."""
    import yaml

    class UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        pass

    def construct_mapping(loader: UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first on line {seen[key] + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        mapping: dict[Any, Any] = loader.construct_mapping(node, deep=deep)
        return mapping

    UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return UniqueKeyLoader


def read_yaml(path: Path) -> Any:
    """Parse one YAML file, rejecting duplicate keys; raises LibraryError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LibraryError([Problem(str(path), "", "", f"cannot read: {exc}")]) from exc
    import yaml

    try:
        return yaml.load(text, Loader=_unique_key_loader())
    except yaml.YAMLError as exc:
        raise LibraryError([Problem(str(path), "", "", f"invalid YAML: {exc}")]) from exc


M = TypeVar("M", bound=BaseModel)


def _entry_label(data: Any, loc: tuple[int | str, ...]) -> tuple[str, str]:
    """Turn a pydantic error location into ('rules[3] (id=safe_account)', 'points')."""
    entry_parts: list[str] = []
    node = data
    index = 0
    while index < len(loc):
        key = loc[index]
        nxt = loc[index + 1] if index + 1 < len(loc) else None
        if isinstance(nxt, int) and isinstance(node, dict) and isinstance(node.get(key), list):
            items = node[key]
            item = items[nxt] if nxt < len(items) else None
            label = f"{key}[{nxt}]"
            if isinstance(item, dict) and "id" in item:
                label += f" (id={item['id']})"
            entry_parts.append(label)
            node = item
            index += 2
            continue
        break
    field = ".".join(str(part) for part in loc[index:])
    return " > ".join(entry_parts), field


def parse_model(model: type[M], data: Any, file: str, problems: list[Problem]) -> M | None:
    """Validate `data` against `model`; on failure record one Problem per error and return None."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            entry, field = _entry_label(data, tuple(error["loc"]))
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = "unknown field"
            problems.append(Problem(file, entry, field, message))
        return None


def _yaml_files(folder: Path) -> Iterable[Path]:
    return sorted(p for p in folder.glob("*.y*ml") if p.suffix in {".yaml", ".yml"})


def load_library(root: Path | None = None, faq_root: Path | None = None, with_model: bool = True) -> Library:
    """Load and check the whole library; raises LibraryError listing every problem found."""
    from bot.library.lint import lint_library  # lint needs the loaded models

    # The same variables as the service settings, so the CLI and a container see the same data.
    root = Path(root or os.environ.get("ANTIFRAUD_LIBRARY_PATH") or DEFAULT_LIBRARY)
    faq_root = Path(
        faq_root
        or os.environ.get("ANTIFRAUD_FAQ_PATH")
        or (DEFAULT_FAQ if root == DEFAULT_LIBRARY else root.parent / "faq")
    )
    problems: list[Problem] = []

    def load(path: Path, model: type[M]) -> M | None:
        try:
            data = read_yaml(path)
        except LibraryError as exc:
            display = _display(path, root)
            problems.extend(Problem(display, p.entry, p.field, p.message) for p in exc.problems)
            return None
        return parse_model(model, data, _display(path, root), problems)

    settings = load(root / "library.yaml", LibrarySettings)
    signals = load(root / "signals.yaml", SignalsFile)
    normalise = load(root / "normalise.yaml", NormaliseFile)
    regions = load(root / "regions.yaml", RegionsFile)
    packs: list[Region] = []
    for path in _yaml_files(root / "regions"):  # one verified pack per region (issue 11)
        pack = load(path, Region)
        if pack is not None:
            if pack.id != path.stem:
                problems.append(Problem(_display(path, root), f"region {pack.id}", "id", "must match the file name"))
            packs.append(pack)
    if regions is not None:
        regions = regions.model_copy(update={"regions": [*regions.regions, *packs]})
    concepts = load(root / "concepts.yaml", ConceptsFile)
    links = load(root / "links.yaml", LinksFile) if (root / "links.yaml").exists() else None
    model: LearnedModel | None = None
    report_model: LearnedModel | None = None
    line_model: LearnedModel | None = None
    if with_model and settings is not None and settings.learned is not None:
        learned = settings.learned
        model = _load_model(root, learned.model, problems)
        if learned.report_model is not None:
            report_model = _load_model(root, learned.report_model, problems, needs_cut_offs=True)
        if learned.line_model is not None:
            line_model = _load_model(root, learned.line_model, problems)

    types: list[ScamType] = []
    type_files: dict[str, str] = {}
    for path in _yaml_files(root / "types"):
        scam_type = load(path, ScamType)
        if scam_type is None:
            continue
        display = _display(path, root)
        if scam_type.id in type_files:
            problems.append(
                Problem(
                    display, f"type {scam_type.id}", "id", f"duplicate type id (also in {type_files[scam_type.id]})"
                )
            )
            continue
        type_files[scam_type.id] = display
        types.append(scam_type)
    if not types and not problems:
        problems.append(Problem(_display(root / "types", root), "", "", "no scam types found"))

    faq_topics: list[tuple[str, FaqFile]] = []
    for path in _yaml_files(faq_root):
        faq_file = load(path, FaqFile)
        if faq_file is not None:
            faq_topics.append((path.stem, faq_file))

    if problems or settings is None or signals is None or normalise is None or regions is None or concepts is None:
        raise LibraryError(problems)

    library = Library(
        root=root,
        settings=settings,
        categories=frozenset(settings.categories),
        types=tuple(types),
        signals=signals,
        normalise=normalise,
        faq=tuple(entry for _, faq_file in faq_topics for entry in faq_file.entries),
        faq_topics=tuple(faq_topics),
        regions=regions,
        concepts=tuple(concepts.concepts),
        links=links,
        model=model,
        report_model=report_model,
        line_model=line_model,
        ngram_index=_ngram_index(model, report_model, line_model),
    )
    problems.extend(lint_library(library, type_files))
    if problems:
        raise LibraryError(problems)
    return library


def load_side_file(library: Library, name: str, model: type[M], problems: list[Problem]) -> M | None:
    """One more knowledge file beside the library's (dialogue, SMS and drill texts), read and checked
    the same way: its problems are appended naming the file, entry and field; None when broken.
    From the compiled cache when the file is unchanged (bot/library/cache.py)."""
    from bot.library.cache import side_file_cached  # the cache imports this module

    return side_file_cached(library.root / name, model, lambda: _read_side_file(library, name, model, problems))


def _read_side_file(library: Library, name: str, model: type[M], problems: list[Problem]) -> M | None:
    display = f"scripts_library/{name}"
    try:
        data = read_yaml(library.root / name)
    except LibraryError as exc:
        problems.extend(Problem(display, p.entry, p.field, p.message) for p in exc.problems)
        return None
    return parse_model(model, data, display, problems)


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _ngram_index(*models: LearnedModel | None) -> NGramIndex | None:
    """One index over the learned layers that were loaded (see `NGramIndex`); None without any."""
    loaded = tuple(model for model in models if model is not None)
    return NGramIndex(loaded) if loaded else None


def _load_model(
    root: Path, relative: str, problems: list[Problem], needs_cut_offs: bool = False
) -> LearnedModel | None:
    """A learned layer's file, or None with the problem recorded (naming the file); the report layer's must
    hold the cut-offs training fitted."""
    path = root / relative
    try:
        model = LearnedModel.load(path)
        if needs_cut_offs and model.cut_offs is None:
            raise ModelError("it has no fitted cut-offs (report_cut_off...): run `antifraud train`")
    except ModelError as exc:
        problems.append(Problem(_display(path, root), "", "", str(exc)))
        return None
    return model
