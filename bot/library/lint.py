"""Cross-file checks a single schema cannot express, in the manner of Sigma's repository linter.

Errors stop the library from loading; warnings (`library_warnings`) are coverage goals an
editor should meet before a type is marked reviewed, reported by `antifraud validate`.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from bot.library.loader import Problem
from bot.library.schema import ScamType

if TYPE_CHECKING:
    from bot.library.loader import Library

# Placeholders advice and FAQ text may use; filled from the deployment's region.
PLACEHOLDERS = frozenset({"police", "antifraud", "sms_report"})

# Coverage goals per type and language (issue 4): fewer is a warning, not an error.
MIN_LINES = 12
MIN_REBUTTALS = 6
MIN_WARNING_SIGNS = 5


def _localised_fields(scam_type: ScamType) -> Iterator[tuple[str, dict[str, str] | dict[str, list[str]]]]:
    yield "name", scam_type.name
    yield "summary", scam_type.summary
    yield "warning_signs", scam_type.warning_signs
    yield "advice.before", scam_type.advice.before
    yield "advice.after", scam_type.advice.after
    if scam_type.legal_warning is not None:
        yield "legal_warning", scam_type.legal_warning
    for step in scam_type.stages:
        yield f"stages ({step.id}).next", step.next
    for line in scam_type.lines:
        yield f"lines (id={line.id}).text", line.text
    for rebuttal in scam_type.rebuttals:
        for part in ("doubt", "answer", "truth"):
            yield f"rebuttals (id={rebuttal.id}).{part}", getattr(rebuttal, part)
    for rule in scam_type.rules:
        yield f"rules (id={rule.id}).explain", rule.explain
    for combo in scam_type.combos:
        yield f"combos (id={combo.id}).explain", combo.explain


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _texts(value: dict[str, str] | dict[str, list[str]]) -> Iterable[str]:
    for item in value.values():
        if isinstance(item, str):
            yield item
        else:
            yield from item


def lint_library(library: Library, type_files: dict[str, str]) -> list[Problem]:
    """Errors: unknown categories, dangling references, missing languages, bad placeholders."""
    problems: list[Problem] = []
    settings = library.settings
    languages = set(library.languages)
    if settings.default_language not in languages:
        problems.append(Problem("scripts_library/library.yaml", "", "default_language", "not among languages"))
    signal_ids: set[str] = set()
    for signal in library.signals.signals:
        if signal.id in signal_ids:
            problems.append(Problem("scripts_library/signals.yaml", f"signals (id={signal.id})", "id", "duplicate id"))
        signal_ids.add(signal.id)
        problems.extend(
            check_languages(
                "scripts_library/signals.yaml", f"signals (id={signal.id})", "explain", signal.explain, languages
            )
        )
        type_ids = {scam_type.id for scam_type in library.types}
        for suggested in signal.suggests:
            if suggested not in type_ids:
                problems.append(
                    Problem(
                        "scripts_library/signals.yaml",
                        f"signals (id={signal.id})",
                        "suggests",
                        f"{suggested!r} is not a scam type",
                    )
                )

    concept_ids: set[str] = set()
    for concept in library.concepts:
        where = f"concepts (id={concept.id})"
        if concept.id in concept_ids:
            problems.append(Problem("scripts_library/concepts.yaml", where, "id", "duplicate concept id"))
        concept_ids.add(concept.id)
        for field in ("name", "terms"):
            problems.extend(
                check_languages("scripts_library/concepts.yaml", where, field, getattr(concept, field), languages)
            )

    def check_concepts(file: str, where: str, sets: list[list[str]]) -> None:
        for concept_set in sets:
            for concept_id in concept_set:
                if concept_id not in concept_ids:
                    problems.append(Problem(file, where, "concepts", f"{concept_id!r} is not a concept"))

    for signal in library.signals.signals:
        check_concepts("scripts_library/signals.yaml", f"signals (id={signal.id})", signal.concepts)
    if library.model is not None:
        type_ids = {scam_type.id for scam_type in library.types}
        for class_name in library.model.classes:
            if class_name != "benign" and class_name not in type_ids and class_name not in library.categories:
                problems.append(
                    Problem("scripts_library/library.yaml", "learned", "model", f"class {class_name!r} is not a type")
                )

    for scam_type in library.types:
        file = type_files.get(scam_type.id, scam_type.id)
        entry = f"type {scam_type.id}"
        for rule in scam_type.rules:
            check_concepts(file, f"rules (id={rule.id})", rule.concepts)
        for line in scam_type.lines:
            check_concepts(file, f"lines (id={line.id})", line.concepts)
        for rebuttal in scam_type.rebuttals:
            check_concepts(file, f"rebuttals (id={rebuttal.id})", rebuttal.concepts)
        if scam_type.category not in library.categories:
            problems.append(Problem(file, entry, "category", f"{scam_type.category!r} is not a TAXONOMY id"))
        problems.extend(_check_ids(file, scam_type))
        stage_ids = {step.id for step in scam_type.stages}
        for kind, items in (("lines", scam_type.lines), ("rebuttals", scam_type.rebuttals)):
            for item in items:
                if item.stage not in stage_ids:
                    problems.append(
                        Problem(file, f"{kind} (id={item.id})", "stage", f"{item.stage!r} is not in the type's stages")
                    )
        rule_ids = {rule.id for rule in scam_type.rules}
        for combo in scam_type.combos:
            for ref in combo.all:
                known = ref in rule_ids or (ref.startswith("signal.") and ref[7:] in signal_ids)
                if not known:
                    problems.append(
                        Problem(
                            file,
                            f"combos (id={combo.id})",
                            "all",
                            f"{ref!r} is neither a rule of this type nor signal.<id>",
                        )
                    )
        for field, value in _localised_fields(scam_type):
            problems.extend(check_languages(file, entry, field, value, languages))
            for text in _texts(value):
                unknown = _placeholders(text) - PLACEHOLDERS
                if unknown:
                    problems.append(
                        Problem(file, entry, field, f"unknown placeholder(s) {sorted(unknown)} in {text!r}")
                    )
        for line in scam_type.lines:
            problems.extend(
                _check_line_length(file, f"lines (id={line.id})", "text", line.text, settings.fuzzy.min_chars)
            )
        for rebuttal in scam_type.rebuttals:
            problems.extend(
                _check_line_length(
                    file, f"rebuttals (id={rebuttal.id})", "answer", rebuttal.answer, settings.fuzzy.min_chars
                )
            )

    faq_ids: set[str] = set()
    for topic, faq_file in library.faq_topics:
        file = f"faq/{topic}.yaml"
        for faq_entry in faq_file.entries:
            entry = f"entries (id={faq_entry.id})"
            if faq_entry.id in faq_ids:
                problems.append(Problem(file, entry, "id", "duplicate FAQ id"))
            faq_ids.add(faq_entry.id)
            for scam in faq_entry.types:
                if scam not in library.categories and scam not in {t.id for t in library.types}:
                    problems.append(Problem(file, entry, "types", f"{scam!r} is not a scam type"))
            for field in ("question", "wordings", "answer"):
                problems.extend(check_languages(file, entry, field, getattr(faq_entry, field), languages))
            for text in _texts(faq_entry.answer):
                unknown = _placeholders(text) - PLACEHOLDERS
                if unknown:
                    problems.append(Problem(file, entry, "answer", f"unknown placeholder(s) {sorted(unknown)}"))

    region_ids = [region.id for region in library.regions.regions]
    if library.regions.default not in region_ids:
        problems.append(
            Problem("scripts_library/regions.yaml", "", "default", f"{library.regions.default!r} is not a region")
        )
    for region in library.regions.regions:
        if region.default_language not in languages:
            problems.append(
                Problem(
                    "scripts_library/regions.yaml",
                    f"regions (id={region.id})",
                    "default_language",
                    "not a library language",
                )
            )
        if region_ids.count(region.id) > 1:
            problems.append(
                Problem("scripts_library/regions.yaml", f"regions (id={region.id})", "id", "duplicate region id")
            )
    return problems


def _check_ids(file: str, scam_type: ScamType) -> list[Problem]:
    problems = []
    for kind, ids in (
        ("lines/rebuttals", [x.id for x in scam_type.lines] + [x.id for x in scam_type.rebuttals]),
        ("rules/combos", [x.id for x in scam_type.rules] + [x.id for x in scam_type.combos]),
    ):
        seen: set[str] = set()
        for entry_id in ids:
            if entry_id in seen:
                problems.append(Problem(file, f"{kind} (id={entry_id})", "id", "duplicate id"))
            seen.add(entry_id)
    stages = [step.id for step in scam_type.stages]
    if len(set(stages)) != len(stages):
        problems.append(Problem(file, f"type {scam_type.id}", "stages", "a stage is listed twice"))
    return problems


def check_languages(
    file: str, entry: str, field: str, value: dict[str, str] | dict[str, list[str]], languages: set[str]
) -> list[Problem]:
    """Every declared language present, no undeclared one, no empty list: shared by all knowledge files."""
    problems = []
    missing = languages - set(value)
    if missing:
        problems.append(Problem(file, entry, field, f"missing language(s) {sorted(missing)}"))
    extra = set(value) - languages
    if extra:
        problems.append(Problem(file, entry, field, f"language(s) {sorted(extra)} not declared in library.yaml"))
    for lang, item in value.items():
        if isinstance(item, list) and not item:
            problems.append(Problem(file, entry, f"{field}.{lang}", "empty list"))
    return problems


def _check_line_length(
    file: str, entry: str, field: str, value: dict[str, list[str]], min_chars: dict[str, int]
) -> list[Problem]:
    problems = []
    for lang, texts in value.items():
        for text in texts:
            if len(text) < min_chars.get(lang, 1):
                problems.append(
                    Problem(
                        file,
                        entry,
                        f"{field}.{lang}",
                        f"{text!r} is shorter than {min_chars[lang]} characters: make it a keyword rule",
                    )
                )
    return problems


def library_warnings(library: Library) -> list[str]:
    """Coverage goals not yet met; `antifraud validate` prints them and fails on them with --strict."""
    warnings = []
    for scam_type in library.types:
        for lang in library.languages:
            counts = {
                "scammer lines": (sum(len(x.text.get(lang, [])) for x in scam_type.lines), MIN_LINES),
                "rebuttals": (sum(1 for x in scam_type.rebuttals if lang in x.answer), MIN_REBUTTALS),
                "warning signs": (len(scam_type.warning_signs.get(lang, [])), MIN_WARNING_SIGNS),
            }
            for what, (have, need) in counts.items():
                if have < need:
                    warnings.append(f"type {scam_type.id} ({lang}): {have} {what}, the goal is {need}")
        for rule in scam_type.rules:
            if not rule.examples.match:
                warnings.append(f"type {scam_type.id}: rule {rule.id} has no match example")
        if scam_type.status == "draft":
            warnings.append(f"type {scam_type.id}: status is draft")
        if not scam_type.references:
            warnings.append(f"type {scam_type.id}: no references")
    covered = {scam_type.category for scam_type in library.types}
    for category in sorted(library.categories - covered):
        warnings.append(f"category {category}: no scam type covers it yet")
    return warnings
