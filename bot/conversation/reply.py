"""What the chat sends back: a structured `Reply`, and its plain-text form for any channel.

The text is short on purpose (a chat bubble, an SMS): the risk in words, the scam's name, two or
three of the citizen's own words with why each is a warning sign, the single most important thing
to do, and the hotline. Everything longer (all warning signs, advice before and after paying) is in
the structured fields for a page to lay out. Every sentence comes from dialogue.yaml.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from bot.conversation.faq import FaqAnswer
from bot.conversation.phrases import Harm, Phrases
from bot.engine.types import Advice, Evidence, Indicator, Risk, Verdict
from bot.engine.verdict import Localiser
from bot.library.loader import Library
from bot.library.regions import RegionText, fill_placeholders, region_text
from bot.library.schema import Region

MAX_EVIDENCE_LINES = 3


class ReplyKind(StrEnum):
    INTRO = "intro"  # a greeting or "help": what the bot can do
    THANKS = "thanks"
    VERDICT = "verdict"  # warning signs were found in the story
    FAQ = "faq"  # a question answered from the FAQ
    CANT_TELL = "cant_tell"  # nothing recognised: never "safe"
    URGENT = "urgent"  # money, a code or access has gone: what to do in the next minutes
    ANSWER = "answer"  # a question about the verdict answered (what now, how to report, is it real...)
    TOO_LONG = "too_long"  # over the length limit: refused whole, never cut


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    question: str


@dataclass(frozen=True, slots=True)
class Reply:
    kind: ReplyKind
    text: str
    lang: str
    risk: Risk | None  # None: nothing was assessed (a greeting, an FAQ answer)
    scam_type: str | None  # TAXONOMY id
    scam_type_name: str | None
    evidence: tuple[Evidence, ...]  # spans of the CURRENT message
    warning_signs: tuple[str, ...]
    advice: Advice
    next_step: str | None
    indicators: tuple[Indicator, ...]  # spans of the CURRENT message
    urgent: bool
    question: str | None = None  # the follow-up question asked, if any
    faq: FaqAnswer | None = None
    related: tuple[Topic, ...] = ()
    intent: str | None = None  # which question an ANSWER answers (dialogue.yaml `intents`)
    harms: tuple[str, ...] = ()  # what the citizen said they gave away (dialogue.yaml `paid.harms`)
    # The story reads like an anti-fraud reminder, news or a report rather than the scam itself (the
    # verdict's awareness): channels that build replies from fields (SMS) say so too.
    awareness: bool = False
    # Said they want to die: the care text the reply opens with (channels that build replies from fields put their own
    # short version first).
    care: str | None = None


NO_ADVICE = Advice((), ())
# The texts `Writer.fixed` says as they are (dialogue.yaml `texts`).
FixedText = Literal[
    "distress", "official_warning", "another_message", "answer_tell_them", "answer_not_mine", "answer_new_card"
]


class RegionTexts:
    """Library texts (dialogue.yaml, sms.yaml) filled with one region's facts, each worked out once per
    language: replies say the same few dozen sentences again and again, and filling one (sentences
    split, facts checked, script converted) cost more than the rest of writing it. Callers pass only
    the library's own texts, so what is kept is bounded by the library."""

    def __init__(self, region: Region, default_language: str) -> None:
        self._region = region
        self._default_language = default_language
        self._filled: dict[tuple[str, str], str] = {}

    def fill(self, text: str, lang: str, **extra: str) -> str:
        """What `RegionText.fill(text, **extra)` gives: the caller's placeholders filled each time, after
        the region's facts and script, exactly as it fills them."""
        key = (lang, text)
        filled = self._filled.get(key)
        if filled is None:
            filled = self._filled[key] = region_text(self._region, lang, self._default_language).fill(text)
        return fill_placeholders(filled, extra) if extra else filled


class ReplyWriter:
    """Turns verdicts into reply texts in one region; built once, then it only remembers the library
    texts it has filled (RegionTexts, urgent steps)."""

    def __init__(self, library: Library, phrases: Phrases, region: Region) -> None:
        self._library = library
        self._texts = phrases.dialogue.texts
        self._region = region
        self._default_language = library.settings.default_language
        self._filled = RegionTexts(region, self._default_language)
        self._steps: dict[tuple[tuple[str, ...], str], tuple[str, ...]] = {}  # by dialogue.yaml harm ids

    def local(self, lang: str) -> Localiser:
        return Localiser(lang, self._default_language)

    def region(self, lang: str) -> RegionText:
        return region_text(self._region, lang, self._default_language)

    def say(self, value: dict[str, str], lang: str, **extra: str) -> str:
        """A text from dialogue.yaml in `lang` with the region's facts filled in; a sentence that
        needs a fact the region lacks is left out (issue 11)."""
        return self._filled.fill(self.local(lang)(value), lang, **extra)

    def text(self, value: dict[str, str], lang: str) -> str:
        """Library text with no placeholders (a question, a topic) in the region's script."""
        return self.region(lang).script(self.local(lang)(value))

    def type_name(self, verdict: Verdict, lang: str) -> str | None:
        if verdict.subtype is None:
            return None
        return self.text(self._library.scam_type(verdict.subtype).name, lang)

    def intro(self, lang: str) -> str:
        return self.say(self._texts.intro, lang)

    def thanks(self, lang: str) -> str:
        return self.say(self._texts.thanks, lang)

    def verdict(self, verdict: Verdict, quoted: Sequence[Evidence], lang: str) -> str:
        """Risk in words, the type, the verdict's notes (it reads like a warning, only part was checked...),
        the citizen's words that gave it away, one action, the hotline."""
        lines = [self.say(getattr(self._texts.risk, str(verdict.risk)), lang)]
        name = self.type_name(verdict, lang)
        if name:
            lines.append(self.say(self._texts.type_line, lang, name=name))
        lines += verdict.notes
        lines += self._evidence_lines(quoted, lang)
        if verdict.advice.before:
            lines.append(self.say(self._texts.action, lang, action=verdict.advice.before[0]))
        lines.append(self.say(self._texts.hotline, lang))
        return "\n".join(line for line in lines if line)

    def nothing_new(self, verdict: Verdict, lang: str) -> str:
        """A later message with no sign of its own: the story's risk, type and one action, not its signs again (the
        citizen has just read them; an elderly reader scrolling back through the same list finds nothing new)."""
        lines = [self.say(self._texts.nothing_new, lang), self.say(getattr(self._texts.risk, str(verdict.risk)), lang)]
        name = self.type_name(verdict, lang)
        if name:
            lines.append(self.say(self._texts.type_line, lang, name=name))
        lines += verdict.notes
        if verdict.advice.before:
            lines.append(self.say(self._texts.action, lang, action=verdict.advice.before[0]))
        return "\n".join(line for line in lines if line)

    def cant_tell(self, verdict: Verdict, lang: str, related: Sequence[Topic], question: bool = False) -> str:
        """Honest about not knowing, with the general safe steps, the hotline and topics to try. `question`: the
        citizen asked something the bot cannot answer (not "I can't tell whether it is a scam", which they did not
        ask)."""
        lines = [self.say(self._texts.cant_tell_question if question else self._texts.cant_tell, lang)]
        if verdict.advice.before:
            lines.append(self.say(self._texts.action, lang, action=verdict.advice.before[0]))
        lines.append(self.say(self._texts.hotline, lang))
        if related:
            lines.append(self.say(self._texts.related, lang))
            lines += [f"- {topic.question}" for topic in related]
        return "\n".join(line for line in lines if line)

    def urgent_steps(self, harms: Sequence[Harm], lang: str) -> tuple[str, ...]:
        """The steps for what was given away, then (unless every harm named needs none) the general
        ones; one call to the bank and one report to the police at most (money gone: the general report, with the time,
        amount and account), each step once, bank and police in the region's order.
        Worked out once for each list of harms: every reply after money has gone lays them out."""
        key = (tuple(harm.id for harm in harms), lang)
        steps = self._steps.get(key)
        if steps is None:
            steps = self._steps[key] = self._urgent_steps(harms, lang)
        return steps

    def _urgent_steps(self, harms: Sequence[Harm], lang: str) -> tuple[str, ...]:
        local = self.local(lang)
        raw: list[str] = []
        for harm in harms:
            raw += local.many(harm.steps)
        general = not harms or any(harm.general for harm in harms)
        if general:
            raw += local.many(self._texts.urgent_steps)
        bank = next((step for step in raw if step.startswith("(bank)")), None)
        report = next((step for step in local.many(self._texts.urgent_steps) if step.startswith("(police)")), None)
        if not general or report is None:
            report = next((step for step in raw if step.startswith("(police)")), None)
        raw = [
            step
            for step in raw
            if not (step.startswith("(bank)") and step is not bank)
            and not (step.startswith("(police)") and step != report)
        ]
        if bank is not None and report is not None and bank in raw and report in raw:
            raw.remove(report)  # side by side, so the region's order puts its first call first
            raw.insert(raw.index(bank) + 1, report)
        return tuple(dict.fromkeys(self.region(lang).fill_all(raw)))

    def urgent(self, verdict: Verdict, lang: str, harms: Sequence[Harm] = ()) -> str:
        """The first minutes after paying: what was understood, the steps for that harm, report,
        freeze, keep evidence, and what not to do next."""
        local = self.local(lang)
        region = self.region(lang)
        # "start with your bank" only where a harm named puts the bank first (or nothing precise was named): not for an
        # ID given away, whose first step is protecting the identity
        needs_bank = not harms or any(harm.general or _bank_first(local.many(harm.steps)) for harm in harms)
        lines = [self.say(self._texts.urgent_header if needs_bank else self._texts.urgent_header_plain, lang)]
        if harms:
            said = ("; " if lang != "zh" else "；").join(self.text(harm.said, lang) for harm in harms)
            lines.append(self.say(self._texts.urgent_said, lang, said=said))
        lines += [f"{number}. {step}" for number, step in enumerate(self.urgent_steps(harms, lang), 1)]
        lines.append(self.say(self._texts.urgent_do_not_header, lang))
        lines += [f"- {item}" for item in region.fill_all(local.many(self._texts.urgent_do_not))]
        name = self.type_name(verdict, lang)
        if name:
            lines.append(self.say(self._texts.type_line, lang, name=name))
        return "\n".join(line for line in lines if line)

    def what_now(self, verdict: Verdict, lang: str) -> str:
        """The story's two or three most important actions, and the hotline."""
        lines = [self.say(self._texts.answer_what_now, lang)]
        lines += [f"{number}. {item}" for number, item in enumerate(verdict.advice.before[:3], 1)]
        lines.append(self.say(self._texts.hotline, lang))
        return "\n".join(line for line in lines if line)

    def stop_now(self, verdict: Verdict, lang: str) -> str:
        """Paying, about to pay or still on the call right now: stop, step away, who can help on the spot; the scam's
        name when the story has one."""
        lines = [self.stop_now_prefix(lang)]
        name = self.type_name(verdict, lang) if verdict.risk.flagged else None
        if name:
            lines.append(self.say(self._texts.type_line, lang, name=name))
        return "\n".join(line for line in lines if line)

    def fixed(self, name: FixedText, lang: str) -> str:
        """One of dialogue.yaml's texts said as it is, with the region's facts: the care text, an official warning
        explained, "yes, tell your bank", "this is another message"..."""
        return self.say(getattr(self._texts, name), lang)

    def stop_now_prefix(self, lang: str) -> str:
        """The stop text alone, before a first message's verdict."""
        return self.say(self._texts.answer_stop_now, lang)

    def should_not(self, verdict: Verdict, lang: str) -> str:
        """ "Should I pay / give the code / call their number?": no, why, then the story's first step."""
        lines = [self.say(self._texts.answer_should_not, lang)]
        if verdict.advice.before:
            lines.append(self.say(self._texts.action, lang, action=verdict.advice.before[0]))
        return "\n".join(line for line in lines if line)

    def did_right(self, lang: str) -> str:
        """ "I hung up", "I blocked him": the right thing, and what to do if they come back."""
        return self.say(self._texts.answer_did_right, lang)

    def report(self, lang: str) -> str:
        """Where to report, with the region's own channels only (a sentence without its fact drops out)."""
        return self.say(self._texts.answer_report, lang)

    def verify(self, lang: str, verdict: Verdict | None = None) -> str:
        """How to check a number, link, account or job through official channels; never "it is real". With a story,
        its scam's own first step too ("call the person on the number you already have for them")."""
        lines = [self.say(self._texts.answer_verify, lang)]
        if verdict is not None and verdict.advice.before:
            lines.append(self.say(self._texts.action, lang, action=verdict.advice.before[0]))
        return "\n".join(line for line in lines if line)

    def doubt(self, truth: dict[str, str] | None, verdict: Verdict, lang: str) -> str:
        """A doubt answered with what is true (a rebuttal's or a known doubt's), then the one action."""
        lines = [
            self.say(self._texts.answer_doubt, lang, truth=self.text(truth, lang))
            if truth
            else self.say(self._texts.answer_doubt_general, lang)
        ]
        if verdict.advice.before:
            lines.append(self.say(self._texts.action, lang, action=verdict.advice.before[0]))
        return "\n".join(line for line in lines if line)

    def explain(self, verdict: Verdict, lang: str) -> FaqAnswer | None:
        """A general question about the scam `verdict` names (its type, signs and advice), answered from that scam's
        own texts: what it is, its first warning signs and what to do (an FAQ-shaped answer, so every channel shows
        it as one)."""
        if verdict.subtype is None:
            return None
        scam_type = self._library.scam_type(verdict.subtype)
        lines = [self.text(scam_type.summary, lang)]
        if verdict.warning_signs:
            lines += [self.say(self._texts.answer_more, lang), *(f"- {sign}" for sign in verdict.warning_signs[:4])]
        lines.append(self.what_now(verdict, lang))
        heading = self.say(self._texts.explain_heading, lang, name=self.text(scam_type.name, lang))
        return FaqAnswer(f"type:{verdict.subtype}", heading, "\n".join(line for line in lines if line))

    def more(self, verdict: Verdict, lang: str) -> str:
        """Every warning sign of the story's scam, and what the script asks for next."""
        lines = [self.say(self._texts.answer_more, lang)] if verdict.warning_signs else []
        lines += [f"- {sign}" for sign in verdict.warning_signs]
        if verdict.next_step:
            lines += [self.say(self._texts.answer_next, lang), verdict.next_step]
        lines.append(self.say(self._texts.hotline, lang))
        return "\n".join(line for line in lines if line)

    def too_long(self, length: int, limit: int, lang: str) -> str:
        """A message over the limit, refused whole: how long it was, the limit, what to send instead."""
        return self.say(self._texts.too_long, lang, length=f"{length:,}", limit=f"{limit:,}")

    def official_number(
        self, listed: Sequence[tuple[str, str, str, str]], lang: str, caution_first: bool = False
    ) -> str:
        """What a number is where each region lists it ((number, label, region, checked) each), and the caution that
        callers fake it: first when the citizen is in the middle of a scam (the number is likely on their screen)."""
        lines = [
            self.say(self._texts.official_number, lang, number=number, name=name, place=place, checked=checked)
            for number, name, place, checked in listed
        ]
        caution = self.say(self._texts.official_number_caution, lang)
        return "\n".join([caution, *lines] if caution_first else [*lines, caution])

    def no_case(self, lang: str) -> str:
        return self.say(self._texts.answer_no_case, lang)

    def new_story(self, lang: str) -> str:
        return self.say(self._texts.new_story, lang)

    def _evidence_lines(self, evidence: Sequence[Evidence], lang: str) -> list[str]:
        """«the citizen's words» — why, for the few strongest distinct pieces."""
        seen: set[str] = set()
        lines: list[str] = []
        for item in evidence:
            text = item.text.strip()
            if text and text not in seen and len(lines) < MAX_EVIDENCE_LINES:
                seen.add(text)
                lines.append(f"- «{text}» — {item.why}")
        return [self.say(self._texts.evidence_header, lang), *lines] if lines else []

    def urgent_reminder(self, lang: str, harms: Sequence[Harm] = ()) -> str:
        """Above each later reply once something has gone: the first step for what went ("call the company that issued
        the gift card", "cut them off"), or, when nothing precise was named, the police report and the bank call."""
        steps = self.urgent_steps(harms, lang) if harms else ()
        if steps:
            return self.say(self._texts.urgent_reminder_step, lang, action=steps[0])
        return self.say(self._texts.urgent_reminder, lang)

    def related(self, lang: str) -> str:
        return self.say(self._texts.related, lang)

    def acknowledged(self, lang: str) -> str:
        return self.say(self._texts.acknowledged, lang)


def _bank_first(steps: Sequence[str]) -> bool:
    """Whether a harm's own steps start with the call to the bank (a card lent: yes; an ID given away: no)."""
    return bool(steps) and steps[0].startswith("(bank)")
