"""One conversation as a small explicit state machine: pure logic, state in, state and reply out.

A citizen rarely pastes a whole scam at once; they tell it in pieces ("a policeman called",
"he says my card was used for money laundering", "now he wants me to move my savings"). So the
story is kept (bounded) and checked again as a whole each turn, while the evidence shown points
at the message just sent. When the verdict is unclear, one follow-up question is asked; a short
"yes"/"没有" answers it. The moment the citizen says money, a code, card details, control of the
phone or private photos have already gone, every reply switches to what to do in the next minutes,
with the steps for that harm. Once a verdict is given, the citizen's questions about it ("what do I
do now?", "how do I report it?", "is this number real?", "he is so kind, surely not a scam?", "tell
me more", "here is another message") get answers rather than the verdict again (dialogue.yaml
`intents`). Replies use the conversation's region (its hotlines) and the citizen's script
(traditional characters in, traditional out). A message is read whole or, over the limit, refused.

Phases and what moves between them:

    GREETING --greeting/help--> IDLE           nothing recognised yet, or only FAQ questions
    any ------warning signs---> ASSESSING      a story is being told; evidence accumulates
    ASSESSING --unclear--------> AWAITING_ANSWER  a follow-up question is waiting for yes/no
    AWAITING_ANSWER --yes/no---> ASSESSING (or URGENT when "yes, I paid")
    any ------"I already paid"--> URGENT        sticky: every later reply keeps the urgent steps in view
    ASSESSING/URGENT --a question about the verdict--> the same phase, answered
    any ------"another message"--> IDLE         the story starts over
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal, TypeVar

from rapidfuzz import fuzz

from bot.conversation.faq import FaqAnswer, FaqIndex, FaqResult, TypeNames, scam_type_entries
from bot.conversation.harms import CLAUSE_BREAK, ActReader, clause_text, clauses
from bot.conversation.phrases import Harm, Phrases, Question, load_phrases
from bot.conversation.reply import NO_ADVICE, FixedText, Reply, ReplyKind, ReplyWriter, Topic
from bot.conversation.small_talk import SmallTalk
from bot.conversation.triggers import Markers, Triggers
from bot.engine.normalise import NormalisedText
from bot.engine.patterns import LazyPattern
from bot.engine.pipeline import Engine
from bot.engine.types import Evidence, Indicator, Risk, Verdict
from bot.library.schema import Region
from bot.library.script import convert_verdict, written_in

MAX_TURNS = 6  # citizen messages kept per conversation
# A question about the world is short; a longer message with a question in it tells a story or quotes one.
MAX_WORLD_QUESTION_CHARS = 160
# The longest message read, in characters: the API, the page and the dialogue share this one limit
# (Settings.max_message_chars); a longer one is refused whole, never cut.
MAX_MESSAGE_CHARS = 5000
# The language of a message is read from its first this many characters.
_DETECT_CHARS = 2000
_ANSWER_NEGATION_WINDOW = 12  # characters before a question's own reading where "没" or "didn't" cancels it
# A question about the verdict is a story of its own when it is this long and itself high risk.
_FOLLOW_UP_CHARS = 60
# How close (rapidfuzz, 0-100) a doubt must be to a rebuttal's doubt or canned answer to be answered
# with that rebuttal's truth.
_REBUTTAL_MATCH = 62
_PUNCTUATION = re.compile(r"[\W_]+")
# Intents answered by one of dialogue.yaml's texts as it is, with or without a story.
_FIXED_ANSWERS: dict[str, FixedText] = {
    "tell_them": "answer_tell_them",
    "not_mine": "answer_not_mine",
    "new_card": "answer_new_card",
}
# A message this long or longer can be another scam message pasted into an open case (shorter ones continue the story).
_ANOTHER_MESSAGE_CHARS = 30
# An FAQ entry about another topic answers a question naming a scam only from this score (FaqIndex's weighted F1).
_FAQ_OVER_NAMED_SCAM = 0.5
# A phone number as citizens write it: digits, perhaps a leading +, spaces or dashes between groups ("1834 633").
_NUMBER = re.compile(r"\+?\d(?:[ -]?\d){2,17}")
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
    region: str | None = None  # hotlines and channels: the client's, else the service's
    script: str | None = None  # the citizen's Chinese script (bot/library/script.py), once they have written any
    harms: tuple[str, ...] = ()  # what they said they gave away (dialogue.yaml paid.harms ids)


@dataclass(frozen=True, slots=True)
class _Turn:
    """What one message is answered with: its language, region, script and the writer for them."""

    lang: str
    region: Region
    script: str | None  # the script replies are shown in, when the region's own is not it
    writer: ReplyWriter


class Dialogue:
    """Built once per service from the engine, the FAQ index and the deployment's region."""

    def __init__(
        self,
        engine: Engine,
        faq_index: FaqIndex,
        region: str | None = None,
        phrases: Phrases | None = None,
        max_turns: int = MAX_TURNS,
        max_message_chars: int = MAX_MESSAGE_CHARS,
    ) -> None:
        self._engine = engine
        self._faq = faq_index
        self._region = engine.region(region)
        self._phrases = phrases or load_phrases(engine.library)
        self._writer = ReplyWriter(engine.library, self._phrases, self._region)
        self._writers: dict[tuple[str, str | None], tuple[Region, ReplyWriter]] = {}
        self._max_turns = max_turns
        self.max_message_chars = max_message_chars
        self._han = tuple(lang.id for lang in engine.library.settings.languages if lang.script == "han")
        cues = self._phrases.dialogue
        self._small_talk = SmallTalk(
            self._bare_set(cues.greetings), self._bare_set(cues.thanks), self._bare_set(cues.courtesy)
        )
        self._paid_answers = self._bare_set(cues.paid.answers)
        self._affirm = self._words(cues.answers.affirm)
        self._deny = self._words(cues.answers.deny)
        self._particles = "".join(dict.fromkeys(self._fold(particle) for particle in cues.answers.particles))
        self._deny_openers = self._longest_first(cues.answers.deny_openers)
        self._topics = self._longest_first(cues.answers.topics)
        self._subjects = self._longest_first(self._fold(word) for word in cues.answers.subjects)
        self._paid_question = next(
            (question for question in self._phrases.questions if question.purpose == "paid"), None
        )
        self._harms = {harm.id: harm for harm in cues.paid.harms}
        self._harm_patterns = [
            (harm.id, lang, LazyPattern(pattern))
            for harm in cues.paid.harms
            for lang, items in harm.patterns.items()
            for pattern in items
        ]
        self._harm_triggers = Triggers(pattern.source for _, _, pattern in self._harm_patterns)
        self._paid_negations = {
            lang: tuple(self._fold(word) for word in words) for lang, words in cues.paid.negations.items()
        }
        self._negation_window = dict(cues.paid.negation_window)
        self._all_negations = tuple(word for words in self._paid_negations.values() for word in words)
        self._acts = ActReader(cues.paid, self._fold)
        self._official = _official_numbers(engine.library.regions.regions)
        # (no, yes) readings of each follow-up question beyond a yes or a no
        self._question_patterns = {
            question.id: tuple(
                [LazyPattern(pattern) for items in patterns.values() for pattern in items]
                for patterns in (question.no_patterns, question.yes_patterns)
            )
            for question in self._phrases.questions
        }
        self._intents = [
            (intent.id, [LazyPattern(p) for items in intent.patterns.values() for p in items])
            for intent in cues.intents
        ]
        # Every intent's patterns in dialogue.yaml's order, beside the intent each belongs to.
        self._intent_patterns = [(intent_id, pattern) for intent_id, patterns in self._intents for pattern in patterns]
        self._intent_triggers = Triggers(pattern.source for _, pattern in self._intent_patterns)
        self._intent_unless = {
            intent.id: [LazyPattern(p) for items in intent.unless.values() for p in items]
            for intent in cues.intents
            if intent.unless
        }
        entries = {entry.id: entry for entry in faq_index.entries}
        self._intent_faq = {intent.id: entries[intent.faq] for intent in cues.intents if intent.faq in entries}
        self._doubts = [
            (doubt, [LazyPattern(p) for items in doubt.patterns.values() for p in items]) for doubt in cues.doubts
        ]
        # Compiled when first used (checked when the phrases were loaded): ~80 ms less at start-up.
        self._question_markers = Markers(p for patterns in cues.question_markers.values() for p in patterns)
        self._definition_markers = Markers(p for patterns in cues.definition_markers.values() for p in patterns)
        self._told_markers = Markers(p for patterns in cues.told_markers.values() for p in patterns)
        self._distress = Markers(p for patterns in cues.distress.values() for p in patterns)
        self._continuation = Markers(p for patterns in cues.continuation.values() for p in patterns)
        self._official_warning = Markers(p for patterns in cues.official_warning.values() for p in patterns)
        self._long_ago = Markers(p for patterns in cues.long_ago.values() for p in patterns)
        self._topic_markers = Markers(p for patterns in cues.topic_markers.values() for p in patterns)
        self._weak_faq_score = cues.weak_faq_score

    @property
    def writer(self) -> ReplyWriter:
        return self._writer

    def answers_pending(self, state: SessionState | None, message: str) -> tuple[Question, bool] | None:
        """The waiting question `message` answers, and whether it said yes: for a channel (SMS) that
        words the acknowledgement itself. Reads only; `handle` still decides what happens."""
        if state is None or state.phase is not Phase.AWAITING_ANSWER or not state.pending:
            return None
        question = self._phrases.question(state.pending)
        answer = self._answer(clause_text(message, self._fold), question)
        return (question, answer[0]) if question is not None and answer is not None else None

    def handle(
        self, state: SessionState | None, message: str, lang: str | None = None, region: str | None = None
    ) -> tuple[SessionState, Reply]:
        """The reply to one message, and the conversation's state after it. `region` (a region id)
        sets the conversation's hotlines; unknown or None keeps the conversation's, else the service's.
        Someone who says they want to die is answered with care and a crisis line first, whatever else they said."""
        state, reply = self._reply(state, message, lang, region)
        if reply.kind is ReplyKind.TOO_LONG or not self._distress or not self._distress.search(self._fold(message)):
            return state, reply
        turn = self._turn(reply.lang, state.region or self._engine.library.regions.default, state.script)
        care = turn.writer.fixed("distress", reply.lang)
        if reply.kind in (ReplyKind.CANT_TELL, ReplyKind.INTRO, ReplyKind.THANKS):
            return state, replace(self._plain(ReplyKind.ANSWER, care, reply.lang, state), intent="distress", care=care)
        return state, replace(reply, text=f"{care}\n\n{reply.text}", care=care)

    def _reply(
        self, state: SessionState | None, message: str, lang: str | None, region: str | None
    ) -> tuple[SessionState, Reply]:
        state = state or SessionState()
        detect = lang not in self._engine.library.languages and any(char.isalpha() for char in message)
        # Normalised once: the language is read from it, and for most messages it is the folded text too.
        normalised = self._engine.normaliser.normalise(message[:_DETECT_CHARS]) if detect else None
        lang = self._language(normalised, lang, state)
        region_id = self._region_id(region, state)
        script = written_in(message) or state.script
        state = replace(state, lang=lang, region=region_id, script=script)
        turn = self._turn(lang, region_id, script)
        if len(message) > self.max_message_chars:  # refused whole: never judged on a silently cut part
            text = turn.writer.too_long(len(message), self.max_message_chars, lang)
            return state, self._plain(ReplyKind.TOO_LONG, text, lang, state)
        folded = normalised.text if normalised is not None and len(message) <= _DETECT_CHARS else self._fold(message)
        bare = _PUNCTUATION.sub("", folded)
        pending = (
            self._phrases.question(state.pending) if state.phase is Phase.AWAITING_ANSWER and state.pending else None
        )

        said = clause_text(message, self._fold)  # read once for the harms, a paid answer and a short answer
        harms = self._given(folded, said, self._speaks_for_someone(state, folded))
        if self._intent(folded) == "recovery":
            return self._recovery(turn, state, message, harms)
        if bare in self._paid_answers or harms or self._opens_with_paid(said):
            return self._urgent(turn, state, message, harms)
        if pending is not None:
            answer = self._answer(said, pending)
            if answer is not None:
                said_yes, more = answer
                return self._answered(turn, state, pending, said_yes, message if more else None)
        elif state.phase is Phase.ASSESSING and self._paid_question is not None:
            # No question waiting, but a case open: "我冇俾錢", "I haven't paid them anything" answers the one that
            # matters most (it is not the scam's "give money" said again).
            denied = self._denies_paying(said)
            if denied is not None:
                return self._answered(
                    turn, state, self._paid_question, False, message if denied else None, nothing_new=True
                )
        small_talk = self._small_talk.kind(bare)
        if small_talk == "greeting":
            return self._settled(state), self._plain(ReplyKind.INTRO, turn.writer.intro(lang), lang, state)
        if small_talk == "thanks":
            return self._settled(state), self._plain(ReplyKind.THANKS, turn.writer.thanks(lang), lang, state)
        intent = self._intent(folded)
        if intent == "new_story":
            return self._new_story(turn, state, message)
        standalone = self._standalone(turn, intent) if intent is not None else None
        if (intent == "report" and not state.turns) or (
            standalone is not None and (not state.turns or state.phase is Phase.IDLE)
        ):
            # Asked before any story: the region's own channels (an FAQ entry may name another region's); telling the
            # bank, the police or the family is a yes; shame and self-blame get "it is not your fault".
            text = standalone if standalone is not None else turn.writer.report(lang)
            reply = replace(self._plain(ReplyKind.ANSWER, text, lang, state), intent=intent)
            return self._settled(state), reply
        if intent is not None and state.turns and state.phase is not Phase.IDLE:
            answered = self._follow_up(turn, state, message, intent)
            if answered is not None:
                return answered
        return self._assess(turn, state, message, intent, folded)

    # --- the paths ---------------------------------------------------------------------------

    def _assess(
        self, turn: _Turn, state: SessionState, message: str, intent: str | None = None, folded: str | None = None
    ) -> tuple[SessionState, Reply]:
        """`folded`: the message already folded, when the caller has it."""
        lang = turn.lang
        case_open = state.phase in (Phase.ASSESSING, Phase.AWAITING_ANSWER, Phase.URGENT)
        folded = self._fold(message) if folded is None else folded
        asked = self._is_question(folded)
        named = self._type_names.first(folded) if asked else None  # a scam called by one of its names
        faq = self._faq.search(message, lang) if asked else None
        answer = self._faq.render(faq.best, lang, turn.region) if faq is not None and faq.best is not None else None
        # Only a question the FAQ answers needs the message judged on its own (is it a question, or
        # a scam quoted as one?); every other turn analyses the story once and quotes its last part.
        current = self._analyse(turn, message) if answer is not None else None
        if faq is not None and current is not None and self._loose_and_off_topic(faq, current, folded, named):
            answer = None
        if asked and answer is None:
            official = self._official_number(turn, message)
            if official is not None and self._analyse(turn, message).risk is Risk.NONE:
                # "18222係咩號碼？": a region pack's own number, asked about (not a caller from it asking for money)
                phase = state.phase if case_open else Phase.IDLE
                return replace(state, phase=phase, pending=None), self._plain(ReplyKind.ANSWER, official, lang, state)
        # "What is a loan unfreezing fee?" or "can a prosecutor issue a warrant by video?" asks about the world: it is
        # answered, not judged as if it were the scam. Not when it carries a link, a number or an account (a pasted
        # message asked about), nor once money has gone (the urgent path below). The FAQ's answer when there is one,
        # whatever the risk of its words; otherwise the explanation of the scam it names: a "what is" question names it;
        # another only when its words point at one type alone (no runner-up: "would the tax office take iTunes cards?"
        # reads as a loan fee as much as an official's demand).
        # A question that calls a scam by one of its names ("loan scam warning signs", "怎么识别假冒购物网站") is about
        # that scam, whatever else its words point at.
        about = self._asks_about_the_world(folded) if asked else None
        if about is not None:
            current = current or self._analyse(turn, message)
            if (
                named is not None
                and faq is not None
                and faq.best is not None
                and named not in faq.best.types
                and faq.score < _FAQ_OVER_NAMED_SCAM
            ):
                # "how does the hi mum scam work": a loose match with another topic is not the answer; the scam it
                # names is ("how do I protect my parents from the grandparent scam" matches its entry well).
                answer = None
            if current.indicators or (current.stage == "aftermath" and current.risk.flagged):
                about = None
            elif answer is None and (
                about == "what" or named is not None or (current.risk.flagged and not current.candidates)
            ):
                answer = turn.writer.explain(self._named_scam(turn, message, current, named), lang)
        if answer is not None and current is not None and (about is not None or current.risk is not Risk.HIGH):
            # A question rather than a story: answer it, and keep it only if a story is open.
            turns = self._remember(state.turns, message) if case_open else state.turns
            text = f"{answer.question}\n{answer.answer}"
            if state.phase is Phase.URGENT:
                text = f"{turn.writer.urgent_reminder(lang, self._harm_list(state.harms))}\n\n{text}"
            reply = replace(
                self._plain(ReplyKind.FAQ, text, lang, state),
                faq=answer,
                evidence=current.evidence,
                indicators=current.indicators,
            )
            phase = state.phase if state.phase is Phase.URGENT else (Phase.ASSESSING if case_open else Phase.IDLE)
            return replace(state, phase=phase, turns=turns, pending=None), reply

        if case_open and state.phase is not Phase.URGENT and self._another_message(turn, state, message, folded):
            # A second message pasted into an open case that is plainly another scam ("USPS: your package..." then
            # "hi mum, new number"): judged on its own, not read into the first story.
            fresh = SessionState(phase=Phase.IDLE, lang=state.lang, region=state.region, script=state.script)
            fresh_state, reply = self._assess(turn, fresh, message, intent, folded)
            return fresh_state, replace(reply, text=f"{turn.writer.fixed('another_message', lang)}\n{reply.text}")
        turns = self._remember(state.turns, message)
        story, told = self._story(turn, turns, state.confirmed)
        current = _latest(story, turns)
        # The story itself says money has already gone: a verdict's worth of signs, not one word of the aftermath's
        # ("what is a money mule", "帮信罪判几年" name the consequence, they do not tell it).
        if story.stage == "aftermath" and story.risk.flagged:
            return self._urgent(turn, state, message, ())
        if not story.risk.flagged and self._official_warning and self._official_warning.search(folded):
            # "【12381】您可能正在遭遇电信网络诈骗": a warning meant for them, not a scam to judge
            # (kept out of the story: its warning words would read what follows as a reminder, not as the scam)
            text = turn.writer.fixed("official_warning", lang)
            reply = replace(self._plain(ReplyKind.ANSWER, text, lang, state), intent="warned")
            return replace(state, phase=state.phase if case_open else Phase.IDLE, pending=None), reply
        if story.risk is Risk.NONE:
            if intent in ("report", "verify") and not case_open:
                # Asked before any story: the general answer still helps (the region's channels).
                text = turn.writer.report(lang) if intent == "report" else turn.writer.verify(lang)
                reply = replace(self._plain(ReplyKind.ANSWER, text, lang, state), intent=intent)
                return replace(state, phase=Phase.IDLE, pending=None), reply
            related = (
                tuple(Topic(entry.id, turn.writer.text(entry.question, lang)) for entry in faq.related)
                if faq is not None
                else ()
            )
            # A question that tells no story, or holds nothing the engine knows, is not a message to judge.
            unanswered = asked and (about is not None or not story.evidence)
            text = turn.writer.cant_tell(story, lang, related, question=unanswered)
            phase = Phase.URGENT if state.phase is Phase.URGENT else Phase.IDLE
            reply = self._from_verdict(turn, ReplyKind.CANT_TELL, text, story, current, state, related=related)
            return replace(state, phase=phase, turns=turns, pending=None), reply

        question = None if state.phase is Phase.URGENT else self.choose_question(story, state.asked)
        # A later message of an open case that adds no sign of its own ("是工商银行", "they're from Barclays"): the
        # story's verdict without its list of signs again.
        nothing_new = case_open and _adds_no_sign(current)
        return self._verdict_reply(
            turn,
            replace(state, turns=turns),
            story,
            told,
            current,
            question,
            # a first message that says they are paying or still on the call now: stop, then the verdict
            turn.writer.stop_now_prefix(lang) if intent == "stop_now" and story.risk.flagged else None,
            answer,
            nothing_new=nothing_new,
        )

    def _another_message(self, turn: _Turn, state: SessionState, message: str, folded: str) -> bool:
        """Whether `message`, added to an open case, is another scam message rather than more of the story: long enough
        to stand alone, not told as a continuation ("then he said...", "他又说"), high risk by itself, and of a kind
        that shares no type with the story so far (neither's named type among the other's candidates)."""
        if len(message) < _ANOTHER_MESSAGE_CHARS or not state.turns or self._continuation.search(folded):
            return False
        alone = self._analyse(turn, message)
        if alone.risk is not Risk.HIGH or alone.scam_type is None:
            return False
        before, _ = self._story(turn, state.turns, state.confirmed)
        if not before.risk.flagged or before.scam_type is None:
            return False
        theirs = {before.scam_type, *(candidate.scam_type for candidate in before.candidates)}
        mine = {alone.scam_type, *(candidate.scam_type for candidate in alone.candidates)}
        return not theirs & mine

    def _answered(
        self,
        turn: _Turn,
        state: SessionState,
        question: Question,
        said_yes: bool,
        more: str | None,
        nothing_new: bool = False,
    ) -> tuple[SessionState, Reply]:
        """A yes or no to the pending question; `more` is the message when it said more than that; `nothing_new`: the
        verdict was given already, so without its signs again unless `more` adds one."""
        lang = turn.lang
        if said_yes and question.purpose == "paid":
            return self._urgent(turn, state, more or "", ())
        local = turn.writer.local(lang)
        confirmed = state.confirmed
        if said_yes and question.yes_means is not None:
            confirmed = (*confirmed, local(question.yes_means))
        turns = self._remember(state.turns, more) if more else state.turns
        story, told = self._story(turn, turns, confirmed)
        current = _latest(story, turns) if more else None
        state = replace(state, turns=turns, confirmed=confirmed, pending=None, phase=Phase.ASSESSING)
        if said_yes:
            prefix = turn.writer.acknowledged(lang)
            follow_up = self.choose_question(story, state.asked)
        else:
            prefix = turn.writer.text(question.no_reply, lang) if question.no_reply else turn.writer.acknowledged(lang)
            follow_up = None
        if story.risk is Risk.NONE:
            text = f"{prefix}\n{turn.writer.cant_tell(story, lang, ())}"
            return replace(state, phase=Phase.IDLE), self._from_verdict(
                turn, ReplyKind.CANT_TELL, text, story, current, state
            )
        if nothing_new and current is not None:
            nothing_new = _adds_no_sign(current)
        return self._verdict_reply(turn, state, story, told, current, follow_up, prefix=prefix, nothing_new=nothing_new)

    def _urgent(
        self, turn: _Turn, state: SessionState, message: str, harms: tuple[str, ...]
    ) -> tuple[SessionState, Reply]:
        turns = self._remember(state.turns, message) if message.strip() else state.turns
        known = self._named((*state.harms, *harms))
        state = replace(state, phase=Phase.URGENT, turns=turns, pending=None, harms=known)
        story, _ = self._story(turn, turns, state.confirmed)
        current = _latest(story, turns) if message.strip() else None
        text = turn.writer.urgent(story, turn.lang, self._harm_list(known))
        # Urgent, with every harm known: the state says so, and the reply is built from it.
        return state, self._from_verdict(turn, ReplyKind.URGENT, text, story, current, state)

    def _follow_up(
        self, turn: _Turn, state: SessionState, message: str, intent: str
    ) -> tuple[SessionState, Reply] | None:
        """A question about the verdict already given, answered from the story; None when the message
        is rather a new part of the story (long, and high risk by itself)."""
        lang = turn.lang
        writer = turn.writer
        if intent == "stop_now":  # paying or still on the call right now: whatever else it says, stop first
            turns = self._remember(state.turns, message)
            story, _ = self._story(turn, turns, state.confirmed)
            state = replace(state, turns=turns, pending=None)
            return state, self._answer_reply(turn, state, writer.stop_now(story, lang), intent, story)
        alone = self._analyse(turn, message)
        rebuttal = next((item for item in alone.evidence if item.kind == "rebuttal"), None)
        if alone.risk is Risk.HIGH and len(message) > _FOLLOW_UP_CHARS and rebuttal is None:
            return None
        if intent == "did_right" and (alone.risk.flagged or len(message) > _FOLLOW_UP_CHARS):
            return None  # "I hung up, but he called back and now wants a fee": more of the story
        # A doubt that retells the scammer's canned answer is also part of the story.
        # ("he is calling again" is more of the story too)
        more = rebuttal is not None or intent == "calling_again"
        turns = self._remember(state.turns, message) if more else state.turns
        story, _ = self._story(turn, turns, state.confirmed)
        state = replace(state, turns=turns)
        if intent in self._intent_faq:
            answer = self._faq.render(self._intent_faq[intent], lang, turn.region)
            text = f"{answer.question}\n{answer.answer}"
        elif (standalone := self._standalone(turn, intent)) is not None:
            text = standalone
        elif intent == "should_not":
            text = writer.should_not(story, lang)
        elif intent == "did_right":
            text = writer.did_right(lang)
        elif intent == "what_now":
            if state.phase is Phase.URGENT or state.harms:
                text = writer.urgent(story, lang, self._harm_list(state.harms))
            else:
                text = writer.what_now(story, lang)
        elif intent == "report":
            text = writer.report(lang)
        elif intent == "verify":
            # "is 159 a real number?": a number the region pack lists is said to be what it is (and can be faked)
            official = self._official_number(turn, message, caution_first=story.risk.flagged)
            text = official or writer.verify(lang, story if story.risk.flagged else None)
        elif intent == "doubt":
            text = writer.doubt(self._truth(message, story, rebuttal.entry if rebuttal else None), story, lang)
        else:  # more
            text = writer.more(story, lang)
        if state.phase is Phase.URGENT and intent != "what_now":
            text = f"{writer.urgent_reminder(lang, self._harm_list(state.harms))}\n\n{text}"
        return state, self._answer_reply(turn, state, text, intent, story)

    def _recovery(
        self, turn: _Turn, state: SessionState, message: str, harms: tuple[str, ...]
    ) -> tuple[SessionState, Reply]:
        """Someone offering to get lost money back for a fee (or a question about such offers): the recovery-scam
        answer. Money named in the message is most often the old loss ("I lost 40k last year"), so the urgent steps
        follow it only when something has just gone."""
        lang = turn.lang
        answer = self._faq.render(self._intent_faq["recovery"], lang, turn.region)
        text = f"{answer.question}\n{answer.answer}"
        turns = self._remember(state.turns, message)
        if harms and not self._long_ago.search(self._fold(message)):
            state, urgent = self._urgent(turn, replace(state, turns=turns), message, harms)
            return state, replace(urgent, text=f"{text}\n\n{urgent.text}", intent="recovery")
        state = replace(state, turns=turns, phase=Phase.ASSESSING, pending=None)
        return state, replace(self._plain(ReplyKind.FAQ, text, lang, state), intent="recovery", faq=answer)

    def _standalone(self, turn: _Turn, intent: str) -> str | None:
        """The answer to an intent that needs no story (a fixed text, or shame's FAQ entry), else None."""
        if intent == "ashamed":
            entry = self._faq.render(self._intent_faq["ashamed"], turn.lang, turn.region)
            return f"{entry.question}\n{entry.answer}"
        name = _FIXED_ANSWERS.get(intent)
        return turn.writer.fixed(name, turn.lang) if name is not None else None

    def _answer_reply(self, turn: _Turn, state: SessionState, text: str, intent: str, story: Verdict) -> Reply:
        """An answer about the story: the text, the intent it answers and the story's scam."""
        return replace(
            self._plain(ReplyKind.ANSWER, text, turn.lang, state),
            intent=intent,
            scam_type=story.scam_type,
            scam_type_name=turn.writer.type_name(story, turn.lang),
            harms=state.harms,
        )

    def _new_story(self, turn: _Turn, state: SessionState, message: str) -> tuple[SessionState, Reply]:
        """Another message or case: the old story is set aside; judged at once when it came along."""
        fresh = SessionState(phase=Phase.IDLE, lang=state.lang, region=state.region, script=state.script)
        folded = self._fold(message)
        content = self._beyond_intent(folded, "new_story")
        if len(content) > 8:  # "还有一条短信：【银行】您的账户..." carries the new story itself
            return self._assess(turn, fresh, message, folded=folded)
        return fresh, self._plain(ReplyKind.INTRO, turn.writer.new_story(turn.lang), turn.lang, fresh)

    def _verdict_reply(
        self,
        turn: _Turn,
        state: SessionState,
        story: Verdict,
        told: int,
        current: Verdict | None,
        question: Question | None,
        prefix: str | None,
        faq: FaqAnswer | None = None,
        nothing_new: bool = False,
    ) -> tuple[SessionState, Reply]:
        """The verdict's reply; `faq`: the FAQ's answer to the message, shown beside it; `nothing_new`: the message
        added no sign of its own to a story already judged."""
        lang = turn.lang
        # Quote the message just sent; failing that, the citizen's earlier words (never a "yes" statement).
        quoted = (
            current.evidence
            if current is not None and current.evidence
            else [e for e in story.evidence if e.span[1] <= told]
        )
        text = turn.writer.nothing_new(story, lang) if nothing_new else turn.writer.verdict(story, quoted, lang)
        if prefix:
            text = f"{prefix}\n{text}"
        if state.phase is Phase.URGENT:
            text = f"{turn.writer.urgent_reminder(lang, self._harm_list(state.harms))}\n\n{text}"
        asked = turn.writer.text(question.text, lang) if question else None
        if asked:
            text = f"{text}\n\n{asked}"
        reply = self._from_verdict(turn, ReplyKind.VERDICT, text, story, current, state, question=asked, faq=faq)
        if question is not None:
            state = replace(state, phase=Phase.AWAITING_ANSWER, pending=question.id, asked=(*state.asked, question.id))
        elif state.phase is not Phase.URGENT:
            state = replace(state, phase=Phase.ASSESSING, pending=None)
        return state, reply

    # --- choosing the follow-up question ------------------------------------------------------

    def choose_question(self, story: Verdict, asked: tuple[str, ...]) -> Question | None:
        """The one question whose answer would change the reply most, or None when it is clear enough.
        A question about particular scam types is asked only when one of them is in play (the story's
        type or a close candidate): never about game items during a loan scam."""
        if len(asked) >= self._phrases.dialogue.max_questions:
            return None
        in_play = {story.scam_type, story.subtype} | {c.scam_type for c in story.candidates}
        in_play |= {c.subtype for c in story.candidates}
        in_play.discard(None)
        available = [
            question
            for question in self._phrases.questions
            if question.id not in asked and (not question.types or in_play & set(question.types))
        ]

        def first(purpose: str, scam_type: str | None = None) -> Question | None:
            return next(
                (q for q in available if q.purpose == purpose and (scam_type is None or scam_type in q.types)),
                None,
            )

        if story.candidates:  # two scripts scored close: ask what tells them apart
            for candidate in (*story.candidates, None):
                scam_type = candidate.scam_type if candidate is not None else story.scam_type
                question = first("separate", scam_type)
                if question is None and candidate is not None:
                    question = first("separate", candidate.subtype)
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

    def _opens_with_paid(self, said: str) -> bool:
        """The message's first clause (`said`: its `clause_text`), past particles and interjections, is one of
        `paid.answers` ("俾咗喇", "唉 转过去了", "轉咗喇 三萬蚊"): something has gone, whatever follows."""
        for clause in clauses(said):
            bare = _PUNCTUATION.sub("", clause).strip(self._particles)
            if bare:
                return bare in self._paid_answers
        return False

    def _bare_set(self, words: dict[str, list[str]]) -> frozenset[str]:
        return frozenset(_PUNCTUATION.sub("", self._fold(word)) for items in words.values() for word in items)

    def _words(self, words: dict[str, list[str]]) -> tuple[str, ...]:
        """Answer words of every language, longest first."""
        return self._longest_first(word for items in words.values() for word in items)

    def _longest_first(self, words: Iterable[str]) -> tuple[str, ...]:
        """Words folded, each once, longest first, so "是的" is tried before "是"."""
        return tuple(sorted({self._fold(word) for word in words}, key=len, reverse=True))

    def _language(self, normalised: NormalisedText | None, explicit: str | None, state: SessionState) -> str:
        """An explicit language, else the message's own (`normalised`: its start, when it has letters),
        else the conversation's, else the region's."""
        if explicit in self._engine.library.languages:
            return str(explicit)
        if normalised is not None:
            return self._engine.detect_language(normalised)
        return state.lang or self._region.default_language

    def _region_id(self, requested: str | None, state: SessionState) -> str:
        """The client's region when the library has it, else the conversation's, else the service's."""
        for region_id in (requested, state.region):
            if region_id and self._engine.region(region_id).id == region_id:
                return region_id
        return self._region.id

    def _turn(self, lang: str, region_id: str, script: str | None) -> _Turn:
        """The writer for a region, in the citizen's script when they write traditional characters and
        the region's own script is simplified (built once per pair, then shared)."""
        region = self._engine.region(region_id)
        own = {region.script.get(han) for han in self._han}
        shown = script if script in ("hant-hk", "hant-tw") and not own & {"hant-hk", "hant-tw"} else None
        key = (region.id, shown)
        found = self._writers.get(key)
        if found is None:
            variant = region
            if shown is not None:
                variant = region.model_copy(update={"script": {**region.script, **dict.fromkeys(self._han, shown)}})
            writer = (
                self._writer if variant is self._region else ReplyWriter(self._engine.library, self._phrases, variant)
            )
            found = self._writers.setdefault(key, (variant, writer))
        return _Turn(lang, region, shown, found[1])

    def _answer(self, text: str, question: Question | None = None) -> tuple[bool, bool] | None:
        """(said yes, said more than that) when the message (`text`: its `clause_text`, where a space beside
        Chinese ends the answer as a comma does) starts with a short answer, or answers `question` in other words
        (its `no_patterns` / `yes_patterns`: "he only asked for my name", "he told me to download one app")."""
        denied = self._denied_act(text)
        if denied is not None:
            return False, denied
        for said_yes, words in ((False, self._deny), (True, self._affirm)):
            for word in words:
                if not text.startswith(word):
                    continue
                rest = self._past_the_answer(text[len(word) :], words)
                if rest and (rest[0].isalnum() or (word.isascii() and rest[0] == "'")):
                    continue  # "对方..." is not "对", "nothing" is not "no"
                return said_yes, bool(_PUNCTUATION.sub("", rest))
        if question is not None:
            for said_yes, patterns in (
                (False, self._question_patterns[question.id][0]),
                (True, self._question_patterns[question.id][1]),
            ):
                if any(
                    not _negated(text, match.start(), _ANSWER_NEGATION_WINDOW, self._all_negations)
                    for pattern in patterns
                    for match in pattern.compiled.finditer(text)
                ):
                    return said_yes, True
        return None

    def _denied_act(self, text: str) -> bool | None:
        """Whether more follows, when `text` opens by denying an act, whatever its object ("没转钱", "冇講code俾佢"),
        also after its topic ("验证码没给，钱也没转") or the citizen's own name for themselves ("我冇俾錢").
        None when it does not."""
        subject = next((word for word in self._subjects if text.startswith(word)), "")
        text = text[len(subject) :].lstrip("都也还") if subject else text
        topic = next((word for word in self._topics if text.startswith(word)), "")
        after_topic = text[len(topic) :].lstrip("都也还")
        for opener in self._deny_openers:
            if text.startswith(opener) or (topic and after_topic.startswith(opener)):
                return len(text) > len(opener)
        return None

    def _denies_paying(self, said: str) -> bool | None:
        """Whether another clause follows, when a message unprompted opens by denying an act or says what the
        "already paid" question's `no_patterns` hear ("I haven't paid them anything"); never a bare "no" (no to what?).
        The denial's own clause is not more of the story: its "give money" is not the scam's."""
        question = self._paid_question
        # "no i didnt pay": a bare no before a denial with its own subject says nothing more
        for word in self._deny:
            rest = said[len(word) :].lstrip(" ,") if word.isascii() and said.startswith(word + " ") else ""
            if rest.startswith(("i ", "we ")):
                said = rest
                break
        if self._denied_act(said) is None and not (
            question is not None and any(p.compiled.search(said) for p in self._question_patterns[question.id][0])
        ):
            return None
        clauses = CLAUSE_BREAK.split(said, maxsplit=1)
        return len(clauses) > 1 and bool(_PUNCTUATION.sub("", clauses[1]))

    def _past_the_answer(self, rest: str, words: tuple[str, ...]) -> str:
        """What follows an answer word past its particles ("是呀", "冇喎") and the answer said again ("对的对的",
        "没有没有"): a few rounds at most."""
        for _ in range(4):
            while rest and rest[0] in self._particles:
                rest = rest[1:]
            again = next((word for word in words if word and not word.isascii() and rest.startswith(word)), None)
            if again is None:
                break
            rest = rest[len(again) :]
        return rest

    def _speaks_for_someone(self, state: SessionState, folded: str) -> bool:
        """The story (its turns so far, or this message) is about someone the citizen speaks for ("my dad")."""
        told = self._fold("\n".join(state.turns)) if state.turns else ""
        return self._acts.speaks_for_someone(folded) or self._acts.speaks_for_someone(told)

    def _given(self, folded: str, said: str, for_someone: bool = False) -> tuple[str, ...]:
        """What the message (`folded`: as the engine folds it) says has already been given away (harm ids, in
        dialogue.yaml's order), each unless a negation comes just before it in the same clause ("还没转", "I did
        not pay"). The acts are read clause by clause in `said`, its `clause_text`."""
        found: list[str] = []
        possible = self._harm_triggers.possible(folded)
        for index, (harm_id, lang, pattern) in enumerate(self._harm_patterns):
            if harm_id in found or index not in possible:
                continue
            window, negations = self._negation_window.get(lang, 4), self._paid_negations.get(lang, ())
            if any(
                not _negated(folded, match.start(), window, negations)
                and not self._acts.turned_aside(folded, match.start(), match.end())
                and not self._acts.another_harms(harm_id, folded, match.start(), match.end())
                for match in pattern.compiled.finditer(folded)
            ):
                found.append(harm_id)
        return self._named((*found, *self._acts.harms(said, for_someone)))

    def _named(self, harm_ids: Iterable[str]) -> tuple[str, ...]:
        """Harm ids in dialogue.yaml's order, each once; one that is named only `alone` ("I was scammed")
        gives way to any other (money, a code), whether said in this message or before, and one another harm says more
        precisely (its `instead_of`) gives way to it."""
        found = [harm_id for harm_id in dict.fromkeys(harm_ids) if harm_id in self._harms]
        if any(not self._harms[harm_id].alone for harm_id in found):
            found = [harm_id for harm_id in found if not self._harms[harm_id].alone]
        covered = {other for harm_id in found for other in self._harms[harm_id].instead_of}
        found = [harm_id for harm_id in found if harm_id not in covered]
        order = list(self._harms)
        return tuple(sorted(found, key=order.index))

    def _harm_list(self, harm_ids: tuple[str, ...]) -> tuple[Harm, ...]:
        return tuple(self._harms[harm_id] for harm_id in harm_ids if harm_id in self._harms)

    def _intent(self, folded: str) -> str | None:
        """The first intent (dialogue.yaml order) whose pattern the message matches and none of its `unless`."""
        possible = self._intent_triggers.possible(folded)
        for index in sorted(possible):  # the first match in file order is the first intent's
            intent_id, pattern = self._intent_patterns[index]
            if pattern.search(folded) and not any(
                veto.search(folded) for veto in self._intent_unless.get(intent_id, ())
            ):
                return intent_id
        return None

    def _beyond_intent(self, folded: str, intent_id: str) -> str:
        """The message without the words that said the intent ("另外一条短信：" dropped)."""
        for found_id, patterns in self._intents:
            if found_id == intent_id:
                for pattern in patterns:
                    folded = pattern.compiled.sub("", folded)
        return _PUNCTUATION.sub("", folded)

    def _truth(self, message: str, story: Verdict, entry: str | None) -> dict[str, str] | None:
        """What is true, for a doubt: the rebuttal the message retells (`entry`), else the story's
        scam's rebuttal closest to it, else a known doubt's, else None (a general answer)."""
        library = self._engine.library
        if entry is not None and ".rebuttals." in entry:
            type_id, _, rest = entry.partition(".rebuttals.")
            rebuttal_id = rest.split(".")[0]
            found = next((r for r in library.scam_type(type_id).rebuttals if r.id == rebuttal_id), None)
            if found is not None:
                return found.truth
        folded = self._fold(message)
        subtypes = [subtype for subtype in (story.subtype, *(c.subtype for c in story.candidates)) if subtype]
        best: tuple[float, dict[str, str] | None] = (0.0, None)
        for subtype in subtypes:
            for rebuttal in library.scam_type(subtype).rebuttals:
                texts = [*rebuttal.doubt.values(), *(a for items in rebuttal.answer.values() for a in items)]
                for text in texts:
                    score = fuzz.token_set_ratio(folded, self._fold(text))
                    if score > best[0]:
                        best = (score, rebuttal.truth)
        if best[0] >= _REBUTTAL_MATCH:
            return best[1]
        for doubt, patterns in self._doubts:
            if any(pattern.search(folded) for pattern in patterns):
                return doubt.truth
        return None

    def _official_number(self, turn: _Turn, message: str, caution_first: bool = False) -> str | None:
        """What a number the message names is, when a region pack lists it (the citizen's region's entry, else every
        region's): its label, the region and when it was checked, from the verified facts; None for any other number."""
        for match in _NUMBER.finditer(message):
            listed = self._official.get(re.sub(r"\D", "", match.group()))
            if not listed:
                continue
            own = tuple(entry for entry in listed if entry.region.id == turn.region.id)
            writer, lang = turn.writer, turn.lang
            shown = [
                (entry.number, writer.text(entry.label, lang), writer.text(entry.region.name, lang), entry.checked)
                for entry in own or listed
            ]
            return writer.official_number(shown, lang, caution_first)
        return None

    def _is_question(self, folded: str) -> bool:
        return self._question_markers.search(folded.strip())

    def _loose_and_off_topic(self, faq: FaqResult, current: Verdict, folded: str, named: str | None) -> bool:
        """The FAQ's match is loose and nothing in the question is about a scam ("how do I freeze my lost debit card"
        shares words with the entry on loan fees): no topic word, no scam's name, no sign the engine knows."""
        return (
            faq.score < self._weak_faq_score
            and not current.evidence
            and named is None
            and not self._topic_markers.search(folded)
        )

    @functools.cached_property
    def _type_index(self) -> FaqIndex:
        """The scam types searched by name and summary; built when first needed (two threads may both build it: the
        same index), not at start-up."""
        return FaqIndex(self._engine.library, self._engine.normaliser, entries=scam_type_entries(self._engine.library))

    @functools.cached_property
    def _type_names(self) -> TypeNames:
        """The scam types by what people call them; built when first needed, like `_type_index`."""
        return TypeNames(self._engine.library, self._fold)

    def _named_scam(self, turn: _Turn, message: str, verdict: Verdict, named: str | None = None) -> Verdict:
        """The verdict naming the scam type the message calls by name (`named`), else `verdict` when it names one,
        else the type whose name and summary the message shares most words with ("gambling rebate"), with that
        type's signs and advice (if any is close)."""
        if named is None:
            if verdict.subtype is not None:
                return verdict
            found = self._type_index.search(message, turn.lang).best
            if found is None:
                return verdict
            named = found.id
        if named == verdict.subtype:
            return verdict
        scam_type = self._engine.library.scam_type(named)
        texts = self._engine.verdicts.rendered(named, turn.lang, turn.region.id)
        explained = replace(
            verdict,
            scam_type=scam_type.category,
            subtype=scam_type.id,
            warning_signs=texts.warning_signs,
            advice=texts.advice,
        )
        return convert_verdict(explained, turn.script)

    def _asks_about_the_world(self, folded: str) -> Literal["what", "general"] | None:
        """Of a short question: "what" when it asks what a kind of scam is (dialogue.yaml `definition_markers`),
        "general" when it says nothing of anyone's own story (none of its `told_markers`: no "I", "he said", "this",
        relative, quoted message; a scam's own name does not count: "how does the hi mum scam work", "猜猜我是谁骗局");
        None when it tells a story, or is long."""
        folded = folded.strip()
        if len(folded) > MAX_WORLD_QUESTION_CHARS:
            return None
        if self._definition_markers.search(folded):
            return "what"
        if not self._told_markers:  # without them every question would read as "general": none does
            return None
        return None if self._told_markers.search(self._type_names.without(folded)) else "general"

    def _analyse(self, turn: _Turn, text: str, going_on: bool = False) -> Verdict:
        """One text judged in the conversation's region, its texts in the citizen's script."""
        verdict = self._engine.analyse(text, lang=turn.lang, region=turn.region.id, going_on=going_on)
        return convert_verdict(verdict, turn.script)

    def _story(self, turn: _Turn, turns: tuple[str, ...], confirmed: tuple[str, ...]) -> tuple[Verdict, int]:
        """The whole story checked as one text, and how much of it the citizen wrote themselves. Once they
        have confirmed part of it in answer to a question, it is happening now, not told afterwards."""
        told = "\n".join(turns)
        text = "\n".join(part for part in (told, *confirmed) if part)
        return self._analyse(turn, text, going_on=bool(confirmed)), len(told)

    def _remember(self, turns: tuple[str, ...], message: str) -> tuple[str, ...]:
        """The story with one more message, whole: the last few turns, earlier ones dropped while the
        story is longer than the message limit (the newest message is always kept entire)."""
        kept = (*turns, message)[-self._max_turns :]
        while len(kept) > 1 and sum(len(turn) + 1 for turn in kept) > self.max_message_chars:
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
        self,
        turn: _Turn,
        kind: ReplyKind,
        text: str,
        story: Verdict,
        current: Verdict | None,
        state: SessionState,
        question: str | None = None,
        faq: FaqAnswer | None = None,
        related: tuple[Topic, ...] = (),
    ) -> Reply:
        """The reply to a story's verdict, built whole (each `replace` of a Reply copies all its fields)."""
        advice = story.advice
        if state.harms:
            # What was given away decides the steps a page lays out as "after": that harm's, then the
            # general ones (the scam type's own after-advice is longer and speaks of money only).
            advice = replace(advice, after=turn.writer.urgent_steps(self._harm_list(state.harms), turn.lang))
        return Reply(
            kind=kind,
            text=text,
            lang=turn.lang,
            risk=story.risk,
            scam_type=story.scam_type,
            scam_type_name=turn.writer.type_name(story, turn.lang),
            evidence=current.evidence if current is not None else (),
            warning_signs=story.warning_signs,
            advice=advice,
            next_step=story.next_step,
            indicators=current.indicators if current is not None else (),
            urgent=state.phase is Phase.URGENT,
            question=question,
            faq=faq,
            related=related,
            harms=state.harms,
            awareness=story.awareness,
        )


@dataclass(frozen=True, slots=True)
class _OfficialNumber:
    """A phone or SMS number one region pack lists under a label (a verified fact)."""

    region: Region
    number: str  # as the pack writes it ("1834 633")
    label: dict[str, str]
    checked: str  # the date the fact was last checked


def _official_numbers(regions: Iterable[Region]) -> dict[str, tuple[_OfficialNumber, ...]]:
    """Every phone or SMS number a region pack lists under a label, by its digits, with the regions listing it."""
    found: dict[str, list[_OfficialNumber]] = {}
    for region in regions:
        for fact in region.facts.values():
            if fact.kind in ("phone", "sms") and fact.label is not None and isinstance(fact.value, str):
                digits = re.sub(r"\D", "", fact.value)
                if len(digits) >= 3:
                    found.setdefault(digits, []).append(
                        _OfficialNumber(region, fact.value, fact.label, str(fact.checked))
                    )
    return {digits: tuple(listed) for digits, listed in found.items()}


def _negated(text: str, start: int, window: int, negations: Iterable[str]) -> bool:
    """One of `negations` in the `window` characters before `start`, within its clause ("还没转", "I did not pay")."""
    before = CLAUSE_BREAK.split(text[max(0, start - window) : start])[-1]
    return any(negation in before for negation in negations)


def _adds_no_sign(latest: Verdict) -> bool:
    """The latest message (`_latest`) holds no sign of its own: no link or number, no evidence but the learned layer's
    reading of the words around it."""
    return not latest.indicators and all(item.kind == "model" for item in latest.evidence)


def _latest(story: Verdict, turns: tuple[str, ...]) -> Verdict:
    """The story's verdict with only the evidence and indicators inside its last turn, as spans of
    that turn: what a separate analysis of the message would quote, without analysing it twice."""
    last = turns[-1] if turns else ""
    offset = sum(len(turn) + 1 for turn in turns[:-1])  # the story joins turns with "\n"
    end = offset + len(last)
    evidence = tuple(
        _shifted(item, offset) for item in story.evidence if offset <= item.span[0] and item.span[1] <= end
    )
    indicators = tuple(
        _shifted(item, offset) for item in story.indicators if offset <= item.span[0] and item.span[1] <= end
    )
    if len(evidence) == len(story.evidence) and len(indicators) == len(story.indicators) and not offset:
        return story  # a one-message story: its verdict is the message's
    return replace(story, evidence=evidence, indicators=indicators)


_Spanned = TypeVar("_Spanned", Evidence, Indicator)


def _shifted(item: _Spanned, offset: int) -> _Spanned:
    """`item` with its span `offset` characters earlier; itself when there is nothing to move."""
    return replace(item, span=(item.span[0] - offset, item.span[1] - offset)) if offset else item
