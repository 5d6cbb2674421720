"""What the chat says and listens for, read from scripts_library/dialogue.yaml and questions.yaml.

Reply texts, follow-up questions and the short answers they expect are data, so an editor can
reword them or add a language without touching the dialogue's logic. Both files are validated
like the rest of the library: every problem is reported at once, with file, entry and field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator

from bot.library.lint import PLACEHOLDERS, check_languages, text_problems
from bot.library.loader import Library, LibraryError, Problem, parse_model, read_yaml
from bot.library.schema import Identifier, Localised, LocalisedList, Model

# Placeholders reply texts may use: the region's facts, {name} (a scam type's) and {action} (advice).
TEXT_PLACEHOLDERS = PLACEHOLDERS | {"name", "action"}


def _compile_all(value: dict[str, list[str]]) -> dict[str, list[str]]:
    for lang, patterns in value.items():
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"regex {pattern!r} ({lang}) does not compile: {exc}") from exc
    return value


RegexList = Annotated[LocalisedList, AfterValidator(_compile_all)]
M = TypeVar("M", bound=BaseModel)


class Question(Model):
    """One follow-up question; `purpose` says what a "yes" does (see questions.yaml)."""

    id: Identifier
    purpose: Literal["paid", "raise", "separate"]
    types: list[Identifier] = Field(default_factory=list)
    text: Localised
    yes_means: Localised | None = None
    no_reply: Localised | None = None

    @model_validator(mode="after")
    def _yes_has_a_meaning(self) -> Question:
        if self.purpose != "paid" and self.yes_means is None:
            raise ValueError(f"a '{self.purpose}' question needs yes_means")
        if self.purpose == "separate" and not self.types:
            raise ValueError("a 'separate' question needs the types it points to")
        return self


class QuestionsFile(Model):
    questions: list[Question] = Field(min_length=1)

    @field_validator("questions")
    @classmethod
    def _unique_ids(cls, value: list[Question]) -> list[Question]:
        ids = [question.id for question in value]
        duplicates = sorted({question_id for question_id in ids if ids.count(question_id) > 1})
        if duplicates:
            raise ValueError(f"duplicate question id(s) {duplicates}")
        return value


class Answers(Model):
    affirm: LocalisedList
    deny: LocalisedList


class PaidCues(Model):
    """How a citizen says money, a code or access has already gone."""

    answers: LocalisedList  # the whole message
    patterns: RegexList  # anywhere in the message
    negations: LocalisedList
    negation_window: dict[Identifier, int]


class RiskTexts(Model):
    high: Localised
    medium: Localised
    low: Localised
    none: Localised


class Texts(Model):
    intro: Localised
    thanks: Localised
    cant_tell: Localised
    related: Localised
    acknowledged: Localised
    urgent_header: Localised
    urgent_steps: LocalisedList
    urgent_do_not_header: Localised
    urgent_do_not: LocalisedList
    urgent_reminder: Localised
    type_line: Localised
    evidence_header: Localised
    action: Localised
    hotline: Localised
    risk: RiskTexts


class DialogueFile(Model):
    greetings: LocalisedList
    thanks: LocalisedList
    answers: Answers
    paid: PaidCues
    question_markers: RegexList
    texts: Texts
    max_questions: int = Field(ge=0, le=10)


@dataclass(frozen=True)
class Phrases:
    """Both files, loaded and checked; shared read-only by every conversation."""

    dialogue: DialogueFile
    questions: tuple[Question, ...]

    def question(self, question_id: str) -> Question | None:
        return next((question for question in self.questions if question.id == question_id), None)


def load_phrases(library: Library) -> Phrases:
    """Read dialogue.yaml and questions.yaml beside the library's other files; raises LibraryError."""
    problems: list[Problem] = []
    dialogue = _load(library, "dialogue.yaml", DialogueFile, problems)
    questions = _load(library, "questions.yaml", QuestionsFile, problems)
    languages = set(library.languages)
    if dialogue is not None:
        problems.extend(_language_problems("scripts_library/dialogue.yaml", "", dialogue, languages))
        problems.extend(_placeholder_problems("scripts_library/dialogue.yaml", "texts", dialogue.texts))
    if questions is not None:
        for question in questions.questions:
            entry = f"questions (id={question.id})"
            problems.extend(_language_problems("scripts_library/questions.yaml", entry, question, languages))
            problems.extend(_placeholder_problems("scripts_library/questions.yaml", entry, question))
    if problems or dialogue is None or questions is None:
        raise LibraryError(problems)
    return Phrases(dialogue, tuple(questions.questions))


def _load(library: Library, name: str, model: type[M], problems: list[Problem]) -> M | None:
    display = f"scripts_library/{name}"
    try:
        data = read_yaml(library.root / name)
    except LibraryError as exc:
        problems.extend(Problem(display, p.entry, p.field, p.message) for p in exc.problems)
        return None
    return parse_model(model, data, display, problems)


def _localised(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, dict[str, str] | dict[str, list[str]]]]:
    """Every text-by-language field of a model, nested models included."""
    for name, value in model:
        field = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            yield from _localised(value, f"{field}.")
        elif isinstance(value, dict) and value and all(isinstance(item, str | list) for item in value.values()):
            yield field, value


def _language_problems(file: str, entry: str, model: BaseModel, languages: set[str]) -> list[Problem]:
    return [
        problem
        for field, value in _localised(model)
        for problem in check_languages(file, entry, field, value, languages)
    ]


def _placeholder_problems(file: str, entry: str, model: BaseModel) -> list[Problem]:
    problems = []
    for field, value in _localised(model):
        for item in value.values():
            for text in [item] if isinstance(item, str) else item:
                problems.extend(text_problems(file, entry, field, text, TEXT_PLACEHOLDERS))
    return problems
