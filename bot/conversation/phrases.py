"""What the chat says and listens for, read from scripts_library/dialogue.yaml and questions.yaml.

Reply texts, follow-up questions and the short answers they expect are data, so an editor can
reword them or add a language without touching the dialogue's logic. Both files are validated
like the rest of the library: every problem is reported at once, with file, entry and field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator

from bot.library.lint import PLACEHOLDERS, check_languages, text_problems
from bot.library.loader import Library, LibraryError, Problem, load_side_file
from bot.library.schema import Identifier, Localised, LocalisedList, Model, NonEmpty

# Placeholders reply texts may use: the region's facts, {name} (a scam type's), {action} (advice),
# {truth} (what is really true, answering a doubt), {said} (what the citizen said they gave away),
# {length} and {limit} (a message over the length limit).
TEXT_PLACEHOLDERS = PLACEHOLDERS | {"name", "action", "truth", "said", "length", "limit", "number", "place", "checked"}
# What a citizen may ask once they have a verdict; each has its own answer (bot/conversation/dialogue.py).
IntentId = Literal[
    "stop_now",
    "recovery",
    "not_mine",
    "new_card",
    "tell_them",
    "should_not",
    "did_right",
    "persuade",
    "ashamed",
    "calling_again",
    "what_now",
    "report",
    "verify",
    "doubt",
    "more",
    "new_story",
]


def _compile_all(value: dict[str, list[str]]) -> dict[str, list[str]]:
    for lang, patterns in value.items():
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"regex {pattern!r} ({lang}) does not compile: {exc}") from exc
    return value


RegexList = Annotated[LocalisedList, AfterValidator(_compile_all)]


class Question(Model):
    """One follow-up question; `purpose` says what a "yes" does (see questions.yaml)."""

    id: Identifier
    purpose: Literal["paid", "raise", "separate"]
    types: list[Identifier] = Field(default_factory=list)
    text: Localised
    yes_means: Localised | None = None
    no_reply: Localised | None = None
    # A reply that answers this question without a yes or a no (on the folded clause text, unless a negation comes
    # just before the match): "he told me to download one app" is a yes to "did they ask you to pay or install
    # an app?", "he only asked for my address" a no.
    yes_patterns: RegexList = Field(default_factory=dict)
    no_patterns: RegexList = Field(default_factory=dict)

    @model_validator(mode="after")
    def _yes_has_a_meaning(self) -> Question:
        if self.purpose != "paid" and self.yes_means is None:
            raise ValueError(f"a '{self.purpose}' question needs yes_means")
        if self.purpose == "separate" and not self.types:
            raise ValueError("a 'separate' question needs the types it points to")
        return self


def _refuse_duplicates(what: str, ids: list[str]) -> None:
    duplicates = sorted({item for item in ids if ids.count(item) > 1})
    if duplicates:
        raise ValueError(f"duplicate {what} id(s) {duplicates}")


class QuestionsFile(Model):
    questions: list[Question] = Field(min_length=1)

    @field_validator("questions")
    @classmethod
    def _unique_ids(cls, value: list[Question]) -> list[Question]:
        _refuse_duplicates("question", [question.id for question in value])
        return value


class Answers(Model):
    affirm: LocalisedList
    deny: LocalisedList
    # Sentence-final particles an answer may end with ("是呀", "冇喎", "係囉"): still the bare answer. One list
    # for every language (a language without such particles adds none).
    particles: list[str] = Field(default_factory=list)
    # A denied act at the start is a "no" whatever its object ("没转钱", "冇講code俾佢"), unlike a bare "没" or "不".
    deny_openers: list[NonEmpty] = Field(default_factory=list)
    # What the question asked about, said first before a denied act ("验证码没给", "钱也还没转").
    topics: list[NonEmpty] = Field(default_factory=list)
    # The citizen naming themselves before a denied act ("我没转钱", "我冇俾錢"): still the denial.
    subjects: list[NonEmpty] = Field(default_factory=list)

    @field_validator("particles")
    @classmethod
    def _one_character_each(cls, value: list[str]) -> list[str]:
        longer = [particle for particle in value if len(particle) != 1]
        if longer:
            raise ValueError(f"a particle is one character: {longer}")
        return value


class Act(Model):
    """The act of giving one thing away, in one language, as words a clause holds in any order: one of `verbs`
    and one of `objects` ("验证码我给他了", "gave the man on the phone my OTP")."""

    verbs: list[NonEmpty] = Field(min_length=1)
    objects: list[NonEmpty] = Field(min_length=1)
    needs_done: bool = False  # the clause must also hold one of `paid.done` (Chinese: verbs have no past form)
    amounts: bool = False  # an amount of money ("800", "$2,500", "两万") is one of its objects
    # The citizen's own act: before the verb, in its clause, one of `paid.first_person` ("I", "we") or nothing but
    # `paid.fillers` ("yes", "already"): "sent him $500" is theirs, "the suspects sent a courier" a news report's.
    first_person: bool = False


class Harm(Model):
    """One thing a citizen can have given away (money, a code, card details, control of the phone...),
    how they say it, and the steps for that harm."""

    id: Identifier
    said: Localised  # "you said you ...": shown so the citizen sees what was understood
    patterns: RegexList  # anywhere in the message
    # Also said by a clause holding the act (bot/conversation/harms.py), by language: one act, or several when
    # the language says it in ways that need different checks (English past forms, and bare verbs with "already").
    acts: dict[Identifier, list[Act]] = Field(default_factory=dict)
    steps: LocalisedList  # what to do about this harm, first
    general: bool = True  # then the general urgent steps (report, freeze, keep evidence) too

    @field_validator("acts", mode="before")
    @classmethod
    def _one_or_several(cls, value: object) -> object:
        """`en: {verbs: ...}` is one act, `en: [{verbs: ...}, ...]` several."""
        if isinstance(value, dict):
            return {lang: [acts] if isinstance(acts, dict) else acts for lang, acts in value.items()}
        return value

    # Named only when no other harm is: "I was scammed" says something went, not what ("被骗了5000" names money).
    alone: bool = False
    # Harms this one says more precisely when both are heard: gift cards paid and their numbers read out are not a
    # bank payment or a one-time code ("i bought gift cards and read him the numbers").
    instead_of: list[Identifier] = Field(default_factory=list)
    # Words that make a clause another harm's: "身份证照片发给他了", "i sent a photo of my passport" gave an identity
    # away, not private photos. Neither its patterns nor its acts count in a clause holding one.
    unless: list[NonEmpty] = Field(default_factory=list)


class PaidCues(Model):
    """How a citizen says money, a code or access has already gone."""

    answers: LocalisedList  # the whole message: something has gone (which, unknown)
    harms: list[Harm] = Field(min_length=1)
    negations: LocalisedList
    negation_window: dict[Identifier, int]
    # An act counts only in a clause that says it is done (one of `done`, for acts that need it: 了 / 咗 / 已经) and
    # has none of `negations` or `not_done` before its verb ("让我", "要不要", "asked me to", "nearly"). One list
    # for every language: a word of one language is never in another's text.
    done: list[NonEmpty] = Field(default_factory=list)
    not_done: list[NonEmpty] = Field(default_factory=list)
    # Words just after an act that make it a condition, not a deed: "交了保证金就能提现" (pay the deposit and you can
    # withdraw), "转了钱就可以退款". Looked for in the few characters after the act, in its clause.
    conditional: list[NonEmpty] = Field(default_factory=list)
    # Words right after an act's verb or its object that turn it towards the citizen: "银行发了验证码给我" (the bank
    # sent me a code), "他转了两万给我", "佢過咗$500入嚟" (money put in). What came to them has not gone.
    to_me: list[NonEmpty] = Field(default_factory=list)
    first_person: list[NonEmpty] = Field(default_factory=list)
    # Someone else as the subject between "I" and a first-person act's verb: "he said i must move my savings... he gave
    # me the sort code" is his giving, not the citizen's.
    third_person: list[NonEmpty] = Field(default_factory=list)
    # Someone the citizen speaks for ("my dad", "my mum"): once the story names one, that person's deeds are read like
    # the citizen's own ("he handed 6k cash to a courier", "she did, 12,000 pounds"), with `victims` as their subjects.
    relatives: list[NonEmpty] = Field(default_factory=list)
    victims: list[NonEmpty] = Field(default_factory=list)
    fillers: list[NonEmpty] = Field(default_factory=list)

    @field_validator("harms")
    @classmethod
    def _unique_harms(cls, value: list[Harm]) -> list[Harm]:
        _refuse_duplicates("harm", [harm.id for harm in value])
        return value


class Intent(Model):
    """A question a citizen asks about the verdict they have ("what do I do now?", "is it real?")."""

    id: IntentId
    patterns: RegexList  # on the folded message (lower case, simplified Chinese)
    # Answered with this FAQ entry (its question and answer, in the conversation's region) rather than a dialogue text.
    faq: Identifier | None = None
    # Not this intent when one of these matches too: "I hung up, but he called back" is more of the story.
    unless: RegexList = Field(default_factory=dict)


class Doubt(Model):
    """A victim's doubt the library has no rebuttal for ("he is so kind"), and what is true."""

    id: Identifier
    patterns: RegexList
    truth: Localised


class RiskTexts(Model):
    high: Localised
    medium: Localised
    low: Localised
    none: Localised


class Texts(Model):
    intro: Localised
    thanks: Localised
    cant_tell: Localised
    # A question with nothing recognised in it ("how do I reset my email password", "what is an IBAN"): what the bot can
    # answer, and what to send it if a message or a call is why they ask
    cant_tell_question: Localised
    nothing_new: Localised
    related: Localised
    acknowledged: Localised
    urgent_header: Localised
    urgent_header_plain: Localised  # the same when no harm named needs the bank (a chat account taken over)
    urgent_steps: LocalisedList
    urgent_do_not_header: Localised
    urgent_do_not: LocalisedList
    urgent_reminder: Localised
    urgent_reminder_step: Localised  # the same with the first step for what went ({action})
    type_line: Localised
    evidence_header: Localised
    action: Localised
    hotline: Localised
    risk: RiskTexts
    urgent_said: Localised  # "You told me: {said}."
    answer_what_now: Localised  # header of the steps for the story's scam
    answer_report: Localised  # the region's reporting channels (sentences without the fact drop out)
    answer_verify: Localised  # how to check a number, link, account or job yourself; never "it is real"
    answer_doubt: Localised  # "{truth}" of the matching rebuttal or doubt
    answer_doubt_general: Localised  # a doubt with no known truth
    answer_more: Localised  # header of the scam's warning signs
    answer_next: Localised  # header of what the script asks for next
    answer_no_case: Localised  # a follow-up question before any story was told
    # "I'm at the ATM now", "正往银行走", "我现在还在跟他视频": stop, before anything else
    answer_stop_now: Localised
    # "should I just pay so it goes away?", "验证码要给他吗": no, and why
    # "should I tell my bank / the police / my family?": yes, now, and how
    answer_tell_them: Localised
    answer_not_mine: Localised  # "I didn't make this payment": the bank now, on a number they already have
    answer_new_card: Localised  # "Do I need a new card?": yes, when its details went
    answer_should_not: Localised
    # "I hung up", "我把他拉黑了", "I called her old number, she never sent it": the right thing, and what next
    answer_did_right: Localised
    new_story: Localised  # the conversation starts over
    another_message: Localised  # a second message pasted into an open case, judged on its own
    official_warning: Localised  # an official fraud warning the engine flags nothing in: what it means, what to do now
    too_long: Localised  # a message over the length limit: {length} and {limit} characters
    # "18222係咩號碼？": a number a region pack lists ({number}, its label {name}, the region {place}, {checked} the
    # date the fact was last checked), and that a caller can fake it
    official_number: Localised
    official_number_caution: Localised  # after it, once: a caller or sender can fake the number
    explain_heading: Localised  # "{name}": the kind of scam a question asks about, explained from its own texts
    # Someone who says they want to die ("我不想活了", "I want to end it all"): care, the region's crisis line, someone
    # near them, and the emergency number; before anything else the reply says.
    distress: Localised


class DialogueFile(Model):
    greetings: LocalisedList
    thanks: LocalisedList
    # Said around a greeting or a thanks and nothing more ("how are you today", "for the help", "在吗"): the message
    # is still small talk (bot/conversation/small_talk.py).
    courtesy: LocalisedList = Field(default_factory=dict)
    answers: Answers
    paid: PaidCues
    intents: list[Intent] = Field(min_length=1)  # tried in this order
    doubts: list[Doubt] = Field(default_factory=list)
    question_markers: RegexList
    # A question asking what a kind of scam is ("what is a loan unfreezing fee", "杀猪盘是什么意思", "grandparent scam
    # explained"): when the FAQ has no answer, the reply explains the scam the question names instead of judging
    # the question as if it were the scam.
    definition_markers: RegexList = Field(default_factory=dict)
    # Words that make a question about scams at all: the FAQ's loosest matches (below `weak_faq_score`) answer only a
    # question with one of them (or a scam's name, or a sign the engine knows).
    topic_markers: RegexList = Field(default_factory=dict)
    weak_faq_score: float = Field(default=0.0, ge=0.0, le=1.0)
    # Words that make a question someone's own story ("my", "he said", "对方让我", "打来", "this"): a short question
    # with none of them asks about the world ("can a prosecutor issue a warrant by video?") and is answered like one.
    told_markers: RegexList = Field(default_factory=dict)
    # Words of despair or of ending one's life: the reply opens with `texts.distress`, whatever else the message says.
    distress: RegexList = Field(default_factory=dict)
    # How a message continues the story told so far ("then he said", "他又说", "and now she wants"): never read as
    # another pasted message, whatever its words.
    continuation: RegexList = Field(default_factory=dict)
    # An official fraud warning sent to the citizen: when the engine flags nothing in it, `texts.official_warning`.
    official_warning: RegexList = Field(default_factory=dict)
    # A loss told as long past ("last year", "去年"): in a recovery offer, the old loss, not money gone now.
    long_ago: RegexList = Field(default_factory=dict)
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
    dialogue = load_side_file(library, "dialogue.yaml", DialogueFile, problems)
    questions = load_side_file(library, "questions.yaml", QuestionsFile, problems)
    languages = set(library.languages)
    if dialogue is not None:
        problems.extend(_language_problems("scripts_library/dialogue.yaml", "", dialogue, languages))
        problems.extend(_placeholder_problems("scripts_library/dialogue.yaml", "texts", dialogue.texts))
        listed: list[tuple[str, BaseModel]] = [
            *((f"paid.harms (id={harm.id})", harm) for harm in dialogue.paid.harms),
            *((f"intents (id={intent.id})", intent) for intent in dialogue.intents),
            *((f"doubts (id={doubt.id})", doubt) for doubt in dialogue.doubts),
        ]
        for entry, item in listed:
            problems.extend(_language_problems("scripts_library/dialogue.yaml", entry, item, languages))
            problems.extend(_placeholder_problems("scripts_library/dialogue.yaml", entry, item))
        known = {entry.id for entry in library.faq}
        for intent in dialogue.intents:
            if intent.faq is not None and intent.faq not in known:
                problems.append(
                    Problem(
                        "scripts_library/dialogue.yaml",
                        f"intents (id={intent.id})",
                        "faq",
                        f"no FAQ entry {intent.faq!r}",
                    )
                )
    if questions is not None:
        for question in questions.questions:
            entry = f"questions (id={question.id})"
            problems.extend(_language_problems("scripts_library/questions.yaml", entry, question, languages))
            problems.extend(_placeholder_problems("scripts_library/questions.yaml", entry, question))
    if problems or dialogue is None or questions is None:
        raise LibraryError(problems)
    return Phrases(dialogue, tuple(questions.questions))


def _localised(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, dict[str, str] | dict[str, list[str]]]]:
    """Every text-by-language field of a model, nested models included."""
    for name, value in model:
        field = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            yield from _localised(value, f"{field}.")
        elif isinstance(value, dict) and value and all(_is_text(item) for item in value.values()):
            yield field, value


def _is_text(item: object) -> bool:
    """A localised value: a text or a list of texts (a language's acts are a list of models, not texts)."""
    return isinstance(item, str) or (isinstance(item, list) and all(isinstance(text, str) for text in item))


def _language_problems(file: str, entry: str, model: BaseModel, languages: set[str]) -> list[Problem]:
    return [
        problem
        for field, value in _localised(model)
        for problem in check_languages(file, entry, field, value, languages)
    ]


def _placeholder_problems(file: str, entry: str, model: BaseModel) -> list[Problem]:
    problems = []
    for field, value in _localised(model):
        if field.endswith(("patterns", "unless")):  # regular expressions: braces are quantifiers, not placeholders
            continue
        for item in value.values():
            for text in [item] if isinstance(item, str) else item:
                problems.extend(text_problems(file, entry, field, text, TEXT_PLACEHOLDERS))
    return problems
