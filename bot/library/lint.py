"""Cross-file checks a single schema cannot express, in the manner of Sigma's repository linter.

Errors stop the library from loading; warnings (`library_warnings`) are coverage goals an
editor should meet before a type is marked reviewed, reported by `antifraud validate`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING, get_args

from bot.engine.model import BENIGN
from bot.library.loader import Problem
from bot.library.schema import FactId, ScamType

if TYPE_CHECKING:
    from bot.library.loader import Library

# Placeholders advice and FAQ text may use: the facts a region pack may hold (schema.FactId),
# filled from the deployment's region; a sentence needing a fact the region lacks is left out.
PLACEHOLDERS: frozenset[str] = frozenset(get_args(FactId))
# A fact is "stale" once checked longer ago than this: a warning, never an error, so CI stays green.
STALE_AFTER_DAYS = 365
_FORWARDING = re.compile(r"(?<!coming )\bforward|转发|轉發", re.IGNORECASE)
_PRACTICE = re.compile(r"\{([A-Z][A-Z_]*)\}")
_STEP_TAG = re.compile(r"(?:^|(?<=[。！？；])|(?<=[.!?] ))\(([a-z]+)\) ")

# Coverage goals per type and language (issue 4): fewer is a warning, not an error.
MIN_LINES = 12
MIN_REBUTTALS = 6
MIN_WARNING_SIGNS = 5
MIN_ALSO_CALLED = 3  # names people call the type: a citizen asking about it by name finds it


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
        for signal_id in concept.signals:
            if signal_id not in signal_ids:
                problems.append(
                    Problem("scripts_library/concepts.yaml", where, "signals", f"{signal_id!r} is not a signal")
                )

    def check_concepts(file: str, where: str, sets: list[list[str]]) -> None:
        for concept_set in sets:
            for concept_id in concept_set:
                if concept_id not in concept_ids:
                    problems.append(Problem(file, where, "concepts", f"{concept_id!r} is not a concept"))

    for signal in library.signals.signals:
        check_concepts("scripts_library/signals.yaml", f"signals (id={signal.id})", signal.concepts)
        if signal.link_check is not None and library.links is None:
            problems.append(
                Problem(
                    "scripts_library/signals.yaml",
                    f"signals (id={signal.id})",
                    "link_check",
                    "needs scripts_library/links.yaml (brands and their own sites)",
                )
            )
    problems.extend(_link_problems(library))
    if library.model is not None and settings.learned is not None:
        if len(library.model.bands) != len(settings.learned.band_points):
            problems.append(
                Problem(
                    "scripts_library/library.yaml",
                    "learned",
                    "band_points",
                    f"the model has {len(library.model.bands)} fitted bands for "
                    f"{len(settings.learned.band_points)} band_points: run `antifraud train`",
                )
            )
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
            # Scammer lines and scripted answers may hold {AMOUNT}-style placeholders: the drill says
            # them as obviously fake practice values (scripts_library/drill.yaml, issue 14).
            practice = field.startswith("lines (") or (field.startswith("rebuttals (") and field.endswith(".answer"))
            for text in _texts(value):
                allowed = PLACEHOLDERS | set(_PRACTICE.findall(text)) if practice else PLACEHOLDERS
                problems.extend(text_problems(file, entry, field, text, frozenset(allowed)))
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
                problems.extend(text_problems(file, entry, "answer", text, PLACEHOLDERS))
    for field in ("general_advice.before", "general_advice.after", "general_signs"):
        section, _, part = field.partition(".")
        value = getattr(library.signals, section)
        items = getattr(value, part) if part else value
        for text in _texts(items):
            problems.extend(text_problems("scripts_library/signals.yaml", "", field, text, PLACEHOLDERS))

    region_ids = [region.id for region in library.regions.regions]
    for scam_type in library.types:  # a line or doubt written for regions names regions the library has
        file = type_files.get(scam_type.id, f"scripts_library/types/{scam_type.id}.yaml")
        tagged = [("lines", item.id, item.regions) for item in scam_type.lines]
        tagged += [("rebuttals", item.id, item.regions) for item in scam_type.rebuttals]
        for section, item_id, regions in tagged:
            for region_id in regions:
                if region_id not in region_ids:
                    problems.append(
                        Problem(file, f"{section} (id={item_id})", "regions", f"{region_id!r} is not a region")
                    )
    if library.regions.default not in region_ids:
        problems.append(
            Problem("scripts_library/regions.yaml", "", "default", f"{library.regions.default!r} is not a region")
        )
    for region in library.regions.regions:
        file = f"scripts_library/regions/{region.id}.yaml"
        if region.default_language not in languages:
            problems.append(Problem(file, f"region {region.id}", "default_language", "not a library language"))
        for lang in region.script:
            if lang not in languages:
                problems.append(Problem(file, f"region {region.id}", "script", f"{lang!r} is not a library language"))
        problems.extend(check_languages(file, f"region {region.id}", "name", region.name, languages))
        for fact_id, fact in region.facts.items():
            if not isinstance(fact.value, str):
                problems.extend(check_languages(file, f"facts ({fact_id})", "value", fact.value, languages))
            if fact.label is not None:
                problems.extend(check_languages(file, f"facts ({fact_id})", "label", fact.label, languages))
        if region_ids.count(region.id) > 1:
            problems.append(Problem(file, f"region {region.id}", "id", "duplicate region id"))
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
                "names it is also called": (len(scam_type.also_called.get(lang, [])), MIN_ALSO_CALLED),
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
    named: dict[str, str] = {}
    for scam_type in library.types:
        for name in (name.lower() for names in scam_type.also_called.values() for name in names):
            if named.setdefault(name, scam_type.id) != scam_type.id:
                warnings.append(
                    f"type {scam_type.id}: also_called {name!r} is also {named[name]}'s: a question naming it finds"
                    f" {named[name]}"
                )
    covered = {scam_type.category for scam_type in library.types}
    for category in sorted(library.categories - covered):
        warnings.append(f"category {category}: no scam type covers it yet")
    return warnings + _line_layer_warnings(library)


def _line_layer_warnings(library: Library) -> list[str]:
    """The line layer names entries by id: one it names that the library lost is never shown (the engine
    skips it), one it does not know is never recognised in other words. Either way it wants retraining."""
    if library.line_model is None:
        return []
    entries = {entry for entry, _ in library.line_wordings()}
    named = set(library.line_model.classes) - {BENIGN}
    warnings = []
    for what, ids in (("names entries the library does not have", named - entries), ("does not know", entries - named)):
        if ids:
            listed = ", ".join(sorted(ids)[:5]) + (" ..." if len(ids) > 5 else "")
            warnings.append(f"the line layer {what} ({len(ids)}: {listed}): run `antifraud train --lines-only`")
    return warnings


def text_problems(file: str, entry: str, field: str, text: str, allowed: frozenset[str]) -> list[Problem]:
    """A text's placeholders are known, its optional [..] parts and @step tags well formed, and a
    sentence about forwarding texts names no fact but the SMS-reporting one."""
    from bot.library.regions import FACT_IDS, STEP_TAGS, placeholders, split_sentences

    try:
        names = placeholders(text)
    except ValueError:
        return [Problem(file, entry, field, f"unbalanced braces in {text!r}")]
    problems = []
    unknown = names - allowed
    if unknown:
        problems.append(Problem(file, entry, field, f"unknown placeholder(s) {sorted(unknown)} in {text!r}"))
    if text.count("[") != text.count("]"):
        problems.append(Problem(file, entry, field, f"unbalanced [optional] part in {text!r}"))
    for tag in _STEP_TAG.findall(text):
        if tag not in STEP_TAGS:
            problems.append(Problem(file, entry, field, f"unknown step tag ({tag}) in {text!r}"))
    for sentence in split_sentences(text):
        if _FORWARDING.search(sentence):
            wrong = placeholders(sentence) & FACT_IDS - {"sms_report", "report_scam", "report_email"}
            if wrong:
                problems.append(
                    Problem(file, entry, field, f"a sentence about forwarding names {sorted(wrong)}: {sentence!r}")
                )
    return problems


def stale_facts(library: Library, today: date | None = None) -> list[str]:
    """Region facts last checked more than a year ago: re-check them against their source."""
    today = today or date.today()
    stale = []
    for region in library.regions.regions:
        for fact_id, fact in region.facts.items():
            age = (today - fact.checked).days
            if age > STALE_AFTER_DAYS:
                stale.append(
                    f"region {region.id}: fact {fact_id} was last checked {fact.checked} ({age} days ago); "
                    f"re-check it at {fact.source}"
                )
            elif age < 0:
                stale.append(f"region {region.id}: fact {fact_id} has a check date in the future ({fact.checked})")
    return stale


def _link_problems(library: Library) -> list[Problem]:
    """Brand ids unique; no domain claimed by two brands (a link could not mismatch them both)."""
    problems: list[Problem] = []
    if library.links is None:
        return problems
    file = "scripts_library/links.yaml"
    brand_ids: set[str] = set()
    owners: dict[str, str] = {}
    for brand in library.links.brands:
        where = f"brands (id={brand.id})"
        if brand.id in brand_ids:
            problems.append(Problem(file, where, "id", "duplicate brand id"))
        brand_ids.add(brand.id)
        if not any(brand.names.values()):
            problems.append(Problem(file, where, "names", "a brand needs at least one name"))
        for domain in brand.domains:
            if domain in owners and owners[domain] != brand.id:
                problems.append(Problem(file, where, "domains", f"{domain!r} is also {owners[domain]}'s"))
            owners.setdefault(domain, brand.id)
    concept_ids = {concept.id for concept in library.concepts}
    for concept_id in library.links.official_link_clears:
        if concept_id not in concept_ids:
            problems.append(Problem(file, "", "official_link_clears", f"{concept_id!r} is not a concept"))
    signal_ids = {signal.id for signal in library.signals.signals}
    for signal_id in library.links.official_link_clears_signals:
        if signal_id not in signal_ids:
            problems.append(Problem(file, "", "official_link_clears_signals", f"{signal_id!r} is not a signal"))
    return problems
