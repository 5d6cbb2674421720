"""The knowledge files: every broken file is a load error naming the file, the entry and the
field; every rule's own examples hold; every scammer line is recognised as its own type."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.engine.pipeline import Engine
from bot.library.lint import library_warnings
from bot.library.loader import Library, LibraryError, load_library
from tests.conftest import SHARED

TYPE_FILE = "types/fake_authority.yaml"


def edit_yaml(root: Path, relative: str, change: object) -> None:
    path = root / relative
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def load_errors(root: Path) -> str:
    with pytest.raises(LibraryError) as caught:
        load_library(root)
    return "\n".join(str(problem) for problem in caught.value.problems)


def test_the_bundled_library_loads_with_no_warnings(library: Library) -> None:
    assert library.types
    assert library_warnings(library) == []


def test_a_type_with_few_names_or_a_name_another_type_has_is_warned_about(library_copy: Path) -> None:
    """A citizen asking "what is pig butchering" finds the type by what people call it: a type needs a few such names
    in each language, and a name two types share would always find the first."""
    edit_yaml(library_copy, TYPE_FILE, lambda d: d.update(also_called={"zh": ["冒充公检法"], "en": ["pig butchering"]}))
    warnings = library_warnings(load_library(library_copy))
    assert "type fake_authority (zh): 1 names it is also called, the goal is 3" in warnings
    assert any("also_called 'pig butchering'" in warning and "investment_romance" in warning for warning in warnings)


def test_categories_match_the_shared_taxonomy(library: Library) -> None:
    taxonomy = SHARED / "TAXONOMY.md"
    if not taxonomy.exists():
        pytest.skip("shared/TAXONOMY.md is not beside this checkout")
    ids = set(re.findall(r"^\|\s*`([a-z_]+)`\s*\|", taxonomy.read_text(encoding="utf-8"), re.MULTILINE))
    assert set(library.settings.categories) == ids


def test_every_taxonomy_category_has_a_scam_type(library: Library) -> None:
    assert {scam_type.category for scam_type in library.types} == set(library.settings.categories)


def test_an_unknown_field_is_named(library_copy: Path) -> None:
    edit_yaml(library_copy, TYPE_FILE, lambda d: d["rules"][0].update(pointz=3))
    errors = load_errors(library_copy)
    assert "fake_authority.yaml" in errors and "rules[0] (id=safe_account)" in errors and "pointz" in errors
    assert "unknown field" in errors


def test_a_wrong_type_is_named(library_copy: Path) -> None:
    edit_yaml(library_copy, TYPE_FILE, lambda d: d["rules"][1].update(points="lots"))
    errors = load_errors(library_copy)
    assert "rules[1] (id=case_involved)" in errors and "'points'" in errors


def test_a_duplicate_yaml_key_is_rejected_with_its_line(library_copy: Path) -> None:
    path = library_copy / TYPE_FILE
    path.write_text(
        path.read_text(encoding="utf-8").replace("status: reviewed", "status: reviewed\nstatus: draft"),
        encoding="utf-8",
    )
    errors = load_errors(library_copy)
    assert "duplicate key 'status'" in errors and "fake_authority.yaml" in errors


def test_a_duplicate_entry_id_is_rejected(library_copy: Path) -> None:
    edit_yaml(library_copy, TYPE_FILE, lambda d: d["rules"].append(dict(d["rules"][0])))
    assert "(id=safe_account)" in load_errors(library_copy)


def test_a_duplicate_type_id_is_rejected(library_copy: Path) -> None:
    source = library_copy / TYPE_FILE
    (library_copy / "types/zz_copy.yaml").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    assert "duplicate type id" in load_errors(library_copy)


def test_a_regex_that_does_not_compile_is_named(library_copy: Path) -> None:
    edit_yaml(library_copy, TYPE_FILE, lambda d: d["rules"][0].update(regex={"zh": ["(unclosed"]}))
    errors = load_errors(library_copy)
    assert "rules[0] (id=safe_account)" in errors and "does not compile" in errors


def test_a_catastrophic_regex_is_refused(library_copy: Path) -> None:
    edit_yaml(library_copy, TYPE_FILE, lambda d: d["rules"][0].update(regex={"en": ["(a+)+b"]}))
    assert "nests quantifiers" in load_errors(library_copy)


def test_a_category_outside_the_taxonomy_is_refused(library_copy: Path) -> None:
    edit_yaml(library_copy, TYPE_FILE, lambda d: d.update(category="alien_abduction"))
    errors = load_errors(library_copy)
    assert "category" in errors and "alien_abduction" in errors


def test_a_missing_language_is_named(library_copy: Path) -> None:
    edit_yaml(library_copy, TYPE_FILE, lambda d: d["summary"].pop("en"))
    errors = load_errors(library_copy)
    assert "summary" in errors and "missing language(s) ['en']" in errors


def test_a_combo_naming_an_unknown_rule_is_refused(library_copy: Path) -> None:
    edit_yaml(library_copy, TYPE_FILE, lambda d: d["combos"][0].update(all=["safe_account", "no_such_rule"]))
    assert "'no_such_rule' is neither a rule of this type nor signal.<id>" in load_errors(library_copy)


def test_an_unknown_placeholder_in_advice_is_refused(library_copy: Path) -> None:
    edit_yaml(library_copy, TYPE_FILE, lambda d: d["advice"]["after"]["en"].append("Call {polise} now."))
    assert "unknown placeholder(s) ['polise']" in load_errors(library_copy)


def test_a_too_short_script_line_is_refused(library_copy: Path) -> None:
    edit_yaml(library_copy, TYPE_FILE, lambda d: d["lines"][0]["text"]["zh"].append("安全账户"))
    assert "make it a keyword rule" in load_errors(library_copy)


def test_invalid_yaml_names_the_file(library_copy: Path) -> None:
    (library_copy / TYPE_FILE).write_text("id: [unclosed\n", encoding="utf-8")
    errors = load_errors(library_copy)
    assert "fake_authority.yaml" in errors and "invalid YAML" in errors


def test_every_problem_is_reported_at_once(library_copy: Path) -> None:
    def break_twice(data: dict[str, list[dict[str, object]]]) -> None:
        data["rules"][0]["pointz"] = 1
        data["rules"][1]["points"] = "lots"

    edit_yaml(library_copy, TYPE_FILE, break_twice)
    (library_copy / "signals.yaml").write_text("signals: [\n", encoding="utf-8")
    with pytest.raises(LibraryError) as caught:
        load_library(library_copy)
    problems = "\n".join(str(problem) for problem in caught.value.problems)
    assert "pointz" in problems and "'points'" in problems and "signals.yaml" in problems


def test_every_rules_own_examples_hold(engine: Engine) -> None:
    from bot.cli import example_failures

    assert example_failures(engine) == []


def test_every_scammer_line_and_rebuttal_is_recognised_as_its_own_type(engine: Engine) -> None:
    misses = []
    for scam_type in engine.library.types:
        texts = [text for line in scam_type.lines for texts in line.text.values() for text in texts]
        texts += [text for rebuttal in scam_type.rebuttals for texts in rebuttal.answer.values() for text in texts]
        for text in texts:
            verdict = engine.analyse(text)
            if verdict.subtype != scam_type.id:
                misses.append(f"{scam_type.id}: {text!r} -> {verdict.subtype}")
    total = sum(len(t) for s in engine.library.types for line in [*s.lines] for t in line.text.values()) + sum(
        len(t) for s in engine.library.types for r in s.rebuttals for t in r.answer.values()
    )
    assert len(misses) <= total * 0.02, "\n".join(misses)
