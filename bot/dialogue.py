"""One conversation as a small explicit state machine: pure logic, state in, state and reply out.

A citizen rarely pastes a whole scam at once; they tell it in pieces ("a policeman called",
"he says my card was used for money laundering", "now he wants me to move my savings"). So the
story is kept (bounded) and checked again as a whole each turn, while the evidence shown points
at the message just sent. When the verdict is unclear, one follow-up question is asked; a short
"yes"/"没有" answers it. The moment the citizen says money or a code has already gone, every
reply switches to what to do in the next minutes.

Phases and what moves between them:

    GREETING --greeting/help--> IDLE           nothing recognised yet, or only FAQ questions
    any ------warning signs---> ASSESSING      a story is being told; evidence accumulates
    ASSESSING --unclear--------> AWAITING_ANSWER  a follow-up question is waiting for yes/no
    AWAITING_ANSWER --yes/no---> ASSESSING (or URGENT when "yes, I paid")
    any ------"I already paid"--> URGENT        sticky: every later reply keeps the urgent steps in view
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.engine import Engine
from bot.faq import FaqIndex
from bot.phrases import Phrases, Question, load_phrases
from bot.reply import NO_ADVICE, Reply, ReplyKind, ReplyWriter, Topic
from bot.types import Risk, Verdict

MAX_TURNS = 6  # citizen messages kept per conversation
MAX_STORY_CHARS = 4000  # and at most this many characters of them
_PUNCTUATION = re.compile(r"[\W_]+")
# Stages after which money or access has usually gone already.
_LATE_STAGES = frozenset({"tool", "payment"})


class Phase(StrEnum):
    GREETING = "greeting"
    IDLE = "idle"
    ASSESSING = "assessing"
    AWAITING_ANSWER = "awaiting_answer"
    URGENT = "urgent"


@dataclass(frozen=True, slots=True)
class SessionState:
    """Everything remembered between two messages; immutable, so a store can share it safely."""

    phase: Phase = Phase.GREETING
    lang: str | None = None
    turns: tuple[str, ...] = ()  # the citizen's story so far, oldest first
    confirmed: tuple[str, ...] = ()  # what "yes" answers told us, in words the recogniser reads
    asked: tuple[str, ...] = ()  # ids of follow-up questions already asked
    pending: str | None = None  # the question waiting for an answer


class Dialogue:
    """Built once per service from the engine, the FAQ index and the deployment's region."""

    def __init__(
        self,
        engine: Engine,
        faq_index: FaqIndex,
        region: str | None = None,
        phrases: Phrases | None = None,
        max_turns: int = MAX_TURNS,
        max_story_chars: int = MAX_STORY_CHARS,
    ) -> None:
        self._engine = engine
        self._faq = faq_index
        self._region = engine.region(region)
        self._phrases = phrases or load_phrases(engine.library)
        self._writer = ReplyWriter(engine.library, self._phrases, self._region)
        self._max_turns = max_turns
        self._max_story_chars = max_story_chars
        cues = self._phrases.dialogue
        self._greetings = self._bare_set(cues.greetings)
        self._thanks = self._bare_set(cues.thanks)
        self._paid_answers = self._bare_set(cues.paid.answers)
        self._affirm = self._words(cues.answers.affirm)
        self._deny = self._words(cues.answers.deny)
        self._paid = [(lang, re.compile(p)) for lang, patterns in cues.paid.patterns.items() for p in patterns]
        self._paid_negations = {
            lang: tuple(self._fold(word) for word in words) for lang, words in cues.paid.negations.items()
        }
        self._negation_window = dict(cues.paid.negation_window)
        self._question_markers = [re.compile(p) for patterns in cues.question_markers.values() for p in patterns]

    @property
    def writer(self) -> ReplyWriter:
        return self._writer

    def answers_pending(self, state: SessionState | None, message: str) -> tuple[Question, bool] | None:
        """The waiting question `message` answers, and whether it said yes: for a channel (SMS) that
        words the acknowledgement itself. Reads only; `handle` still decides what happens."""
        if state is None or state.phase is not Phase.AWAITING_ANSWER or not state.pending:
            return None
        question = self._phrases.question(state.pending)
        answer = self._answer(self._fold(message))
        return (question, answer[0]) if question is not None and answer is not None else None

    def handle(self, state: SessionState | None, message: str, lang: str | None = None) -> tuple[SessionState, Reply]:
        """The reply to one message, and the conversation's state after it."""
        state = state or SessionState()
        lang = self._language(message, lang, state)
        state = replace(state, lang=lang)
        folded = self._fold(message)
        bare = _PUNCTUATION.sub("", folded)
        pending = (
            self._phrases.question(state.pending) if state.phase is Phase.AWAITING_ANSWER and state.pending else None
        )

        if bare in self._paid_answers or self._says_paid(folded):
            return self._urgent(state, message, lang)
        if pending is not None:
            answer = self._answer(folded)
            if answer is not None:
                said_yes, more = answer
                return self._answered(state, pending, said_yes, message if more else None, lang)
        if bare in self._greetings:
            return self._settled(state), self._plain(ReplyKind.INTRO, self._writer.intro(lang), lang, state)
        if bare in self._thanks:
            return self._settled(state), self._plain(ReplyKind.THANKS, self._writer.thanks(lang), lang, state)
        return self._assess(state, message, lang)

    # --- the paths ---------------------------------------------------------------------------

    def _assess(self, state: SessionState, message: str, lang: str) -> tuple[SessionState, Reply]:
        case_open = state.phase in (Phase.ASSESSING, Phase.AWAITING_ANSWER, Phase.URGENT)
        faq = self._faq.search(message, lang) if self._is_question(message) else None
        answer = self._faq.render(faq.best, lang, self._region) if faq is not None and faq.best is not None else None
        # Only a question the FAQ answers needs the message judged on its own (is it a question, or
        # a scam quoted as one?); every other turn analyses the story once and quotes its last part.
        current = self._engine.analyse(message, lang=lang, region=self._region.id) if answer is not None else None
        if answer is not None and current is not None and current.risk is not Risk.HIGH:
            # A question rather than a story: answer it, and keep it only if a story is open.
            turns = self._remember(state.turns, message) if case_open else state.turns
            text = f"{answer.question}\n{answer.answer}"
            if state.phase is Phase.URGENT:
                text = f"{self._writer.urgent_reminder(lang)}\n\n{text}"
            reply = replace(
                self._plain(ReplyKind.FAQ, text, lang, state),
                faq=answer,
                evidence=current.evidence,
                indicators=current.indicators,
            )
            phase = state.phase if state.phase is Phase.URGENT else (Phase.ASSESSING if case_open else Phase.IDLE)
            return replace(state, phase=phase, turns=turns, pending=None), reply

        turns = self._remember(state.turns, message)
        story, told = self._story(turns, state.confirmed, lang)
        current = _latest(story, turns)
        if story.stage == "aftermath":  # the story itself says money has already gone
            return self._urgent(state, message, lang)
        if story.risk is Risk.NONE:
            related = (
                tuple(Topic(entry.id, self._writer.text(entry.question, lang)) for entry in faq.related)
                if faq is not None
                else ()
            )
            text = self._writer.cant_tell(story, lang, related)
            phase = Phase.URGENT if state.phase is Phase.URGENT else Phase.IDLE
            reply = self._from_verdict(ReplyKind.CANT_TELL, text, story, current, lang, state)
            return replace(state, phase=phase, turns=turns, pending=None), replace(reply, related=related)

        question = None if state.phase is Phase.URGENT else self.choose_question(story, state.asked)
        new_state, reply = self._verdict_reply(
            replace(state, turns=turns), story, told, current, lang, question, prefix=None
        )
        return new_state, replace(reply, faq=answer)

    def _answered(
        self, state: SessionState, question: Question, said_yes: bool, more: str | None, lang: str
    ) -> tuple[SessionState, Reply]:
        """A yes or no to the pending question; `more` is the message when it said more than that."""
        if said_yes and question.purpose == "paid":
            return self._urgent(state, more or "", lang)
        local = self._writer.local(lang)
        confirmed = state.confirmed
        if said_yes and question.yes_means is not None:
            confirmed = (*confirmed, local(question.yes_means))
        turns = self._remember(state.turns, more) if more else state.turns
        story, told = self._story(turns, confirmed, lang)
        current = _latest(story, turns) if more else None
        state = replace(state, turns=turns, confirmed=confirmed, pending=None, phase=Phase.ASSESSING)
        if said_yes:
            prefix = self._writer.acknowledged(lang)
            follow_up = self.choose_question(story, state.asked)
        else:
            prefix = (
                self._writer.text(question.no_reply, lang) if question.no_reply else self._writer.acknowledged(lang)
            )
            follow_up = None
        if story.risk is Risk.NONE:
            text = f"{prefix}\n{self._writer.cant_tell(story, lang, ())}"
            return replace(state, phase=Phase.IDLE), self._from_verdict(
                ReplyKind.CANT_TELL, text, story, current, lang, state
            )
        return self._verdict_reply(state, story, told, current, lang, follow_up, prefix=prefix)

    def _urgent(self, state: SessionState, message: str, lang: str) -> tuple[SessionState, Reply]:
        turns = self._remember(state.turns, message) if message.strip() else state.turns
        story, _ = self._story(turns, state.confirmed, lang)
        current = _latest(story, turns) if message.strip() else None
        reply = self._from_verdict(ReplyKind.URGENT, self._writer.urgent(story, lang), story, current, lang, state)
        return replace(state, phase=Phase.URGENT, turns=turns, pending=None), replace(reply, urgent=True)

    def _verdict_reply(
        self,
        state: SessionState,
        story: Verdict,
        told: int,
        current: Verdict | None,
        lang: str,
        question: Question | None,
        prefix: str | None,
    ) -> tuple[SessionState, Reply]:
        # Quote the message just sent; failing that, the citizen's earlier words (never a "yes" statement).
        quoted = (
            current.evidence
            if current is not None and current.evidence
            else [e for e in story.evidence if e.span[1] <= told]
        )
        text = self._writer.verdict(story, quoted, lang)
        if prefix:
            text = f"{prefix}\n{text}"
        if state.phase is Phase.URGENT:
            text = f"{self._writer.urgent_reminder(lang)}\n\n{text}"
        asked = self._writer.text(question.text, lang) if question else None
        if asked:
            text = f"{text}\n\n{asked}"
        reply = replace(self._from_verdict(ReplyKind.VERDICT, text, story, current, lang, state), question=asked)
        if question is not None:
            state = replace(state, phase=Phase.AWAITING_ANSWER, pending=question.id, asked=(*state.asked, question.id))
        elif state.phase is not Phase.URGENT:
            state = replace(state, phase=Phase.ASSESSING, pending=None)
        return state, reply

    # --- choosing the follow-up question ------------------------------------------------------

    def choose_question(self, story: Verdict, asked: tuple[str, ...]) -> Question | None:
        """The one question whose answer would change the reply most, or None when it is clear enough."""
        if len(asked) >= self._phrases.dialogue.max_questions:
            return None
        available = [question for question in self._phrases.questions if question.id not in asked]

        def first(purpose: str, scam_type: str | None = None) -> Question | None:
            return next(
                (q for q in available if q.purpose == purpose and (scam_type is None or scam_type in q.types)),
                None,
            )

        if story.candidates:  # two scripts scored close: ask what tells them apart
            for scam_type in (*(c.scam_type for c in story.candidates), story.scam_type):
                question = first("separate", scam_type)
                if question is not None:
                    return question
        if story.risk is Risk.HIGH or story.stage in _LATE_STAGES:
            return first("paid")  # triage: has money already gone?
        if story.risk in (Risk.MEDIUM, Risk.LOW):
            return first("raise") or first("paid")
        return None

    # --- reading the message ------------------------------------------------------------------

    def _fold(self, text: str) -> str:
        return self._engine.normaliser.fold_pattern(text)

    def _bare_set(self, words: dict[str, list[str]]) -> frozenset[str]:
        return frozenset(_PUNCTUATION.sub("", self._fold(word)) for items in words.values() for word in items)

    def _words(self, words: dict[str, list[str]]) -> tuple[str, ...]:
        """Answer words, longest first, so "是的" is tried before "是"."""
        folded = {self._fold(word) for items in words.values() for word in items}
        return tuple(sorted(folded, key=len, reverse=True))

    def _language(self, message: str, explicit: str | None, state: SessionState) -> str:
        """An explicit language, else the message's own, else the conversation's, else the region's."""
        if explicit in self._engine.library.languages:
            return str(explicit)
        if any(char.isalpha() for char in message):
            return self._engine.detect_language(self._engine.normaliser.normalise(message))
        return state.lang or self._region.default_language

    def _answer(self, folded: str) -> tuple[bool, bool] | None:
        """(said yes, said more than that) when the message starts with a short answer."""
        text = folded.strip()
        for said_yes, words in ((False, self._deny), (True, self._affirm)):
            for word in words:
                if not text.startswith(word):
                    continue
                rest = text[len(word) :]
                if rest and (rest[0].isalnum() or (word.isascii() and rest[0] == "'")):
                    continue  # "对方..." is not "对", "nothing" is not "no"
                return said_yes, bool(_PUNCTUATION.sub("", rest))
        return None

    def _says_paid(self, folded: str) -> bool:
        """Money, a code or access already gone, unless a negation comes just before ("还没转")."""
        for lang, pattern in self._paid:
            for match in pattern.finditer(folded):
                window = self._negation_window.get(lang, 4)
                before = folded[max(0, match.start() - window) : match.start()]
                before = re.split(r"[,.;!?，。；！？\n]", before)[-1]
                if not any(negation in before for negation in self._paid_negations.get(lang, ())):
                    return True
        return False

    def _is_question(self, message: str) -> bool:
        folded = self._fold(message).strip()
        return any(marker.search(folded) for marker in self._question_markers)

    def _story(self, turns: tuple[str, ...], confirmed: tuple[str, ...], lang: str) -> tuple[Verdict, int]:
        """The whole story checked as one text, and how much of it the citizen wrote themselves."""
        told = "\n".join(turns)
        return self._engine.analyse(
            "\n".join(part for part in (told, *confirmed) if part), lang=lang, region=self._region.id
        ), len(told)

    def _remember(self, turns: tuple[str, ...], message: str) -> tuple[str, ...]:
        """The story with one more message: the last few turns, within a character budget."""
        kept = (*turns, message[: self._max_story_chars])[-self._max_turns :]
        while len(kept) > 1 and sum(len(turn) for turn in kept) > self._max_story_chars:
            kept = kept[1:]
        return kept

    # --- building replies ---------------------------------------------------------------------

    def _settled(self, state: SessionState) -> SessionState:
        """After a greeting or thanks: a pending question lapses, an open case stays open."""
        if state.phase in (Phase.GREETING, Phase.IDLE):
            return replace(state, phase=Phase.IDLE, pending=None)
        if state.phase is Phase.AWAITING_ANSWER:
            return replace(state, phase=Phase.ASSESSING, pending=None)
        return state

    def _plain(self, kind: ReplyKind, text: str, lang: str, state: SessionState) -> Reply:
        return Reply(
            kind=kind,
            text=text,
            lang=lang,
            risk=None,
            scam_type=None,
            scam_type_name=None,
            evidence=(),
            warning_signs=(),
            advice=NO_ADVICE,
            next_step=None,
            indicators=(),
            urgent=state.phase is Phase.URGENT,
        )

    def _from_verdict(
        self, kind: ReplyKind, text: str, story: Verdict, current: Verdict | None, lang: str, state: SessionState
    ) -> Reply:
        return Reply(
            kind=kind,
            text=text,
            lang=lang,
            risk=story.risk,
            scam_type=story.scam_type,
            scam_type_name=self._writer.type_name(story, lang),
            evidence=current.evidence if current is not None else (),
            warning_signs=story.warning_signs,
            advice=story.advice,
            next_step=story.next_step,
            indicators=current.indicators if current is not None else (),
            urgent=state.phase is Phase.URGENT,
        )


def _latest(story: Verdict, turns: tuple[str, ...]) -> Verdict:
    """The story's verdict with only the evidence and indicators inside its last turn, as spans of
    that turn: what a separate analysis of the message would quote, without analysing it twice."""
    last = turns[-1] if turns else ""
    offset = sum(len(turn) + 1 for turn in turns[:-1])  # the story joins turns with "\n"
    end = offset + len(last)
    evidence = tuple(
        replace(item, span=(item.span[0] - offset, item.span[1] - offset))
        for item in story.evidence
        if offset <= item.span[0] and item.span[1] <= end
    )
    indicators = tuple(
        replace(item, span=(item.span[0] - offset, item.span[1] - offset))
        for item in story.indicators
        if offset <= item.span[0] and item.span[1] <= end
    )
    return replace(story, evidence=evidence, indicators=indicators)
