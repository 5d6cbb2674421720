"""What a citizen says has already gone, read clause by clause (dialogue.yaml `paid.harms[].acts`).

The harms' regexes catch the usual phrasings; a clause holding a harm's act in any order ("验证码我给他了",
"the code, I read it to him", "装了个他发的apk") is caught here too: one of the act's verbs and one of its objects
in the same clause, a sign that it is done (zh: 了 / 咗 / 已经), before the verb no negation ("还没") and no
word saying it was only asked for or nearly done ("让我", "要不要", "asked me to", "nearly"), and just after it no
word making it a condition ("交了保证金就能提现"). A clause that is a question ("我要不要给他验证码？") says nothing
has gone.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import ahocorasick

from bot.conversation.phrases import PaidCues

_BREAKS = ",，.。!！?？;；\n"  # what ends a clause
_CLAUSE = re.compile(rf"[^{_BREAKS}]+[?？]?")
CLAUSE_BREAK = re.compile(rf"[{_BREAKS}]")
_SPACE_BESIDE_CJK = re.compile(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")


def clause_text(message: str, fold: Callable[[str], str]) -> str:
    """The message folded with each space beside Chinese turned into a comma: folding drops spaces between Chinese
    words, and in a chat such a space ends a clause ("嗯 他让我下载个app", "交了两万 他说还要交")."""
    return fold(_SPACE_BESIDE_CJK.sub("，", message.strip())).strip()


def clauses(text: str) -> list[str]:
    """The clauses of a `clause_text`, each with its question mark if it ends with one."""
    return [match.group() for match in _CLAUSE.finditer(text)]


# An amount of money, for acts whose object it can be ("垫了800", "zelle 2,500", "转了两万"): three digits or more,
# digits with a unit or currency, or a Chinese number of hundreds and up.
_AMOUNT = re.compile(
    r"[$£€¥]\s?\d|\d[\d,.]*\s?(k|w|万|千|块|元|蚊|刀|grand|thousand|bucks|dollars|pounds|quid)(?![a-z])|\d{3,}"
    r"|[一二三四五六七八九十两几]*[百千万]"
)
_ASKING_END = ("?", "？", "吗", "么", "吧", "嘛")


def _alternation(words: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for the words, longest first; a Latin word only as a whole word ("sent", not "consent")."""
    parts = []
    for word in sorted(set(words), key=len, reverse=True):
        escaped = re.escape(word)
        # Edges against Latin letters and digits only: "OTP都畀埋佢" says "otp" (Chinese characters are word
        # characters to `\b`).
        if word[:1].isascii() and word[:1].isalnum():
            escaped = "(?<![a-z0-9])" + escaped
        if word[-1:].isascii() and word[-1:].isalnum():
            escaped += "(?![a-z0-9])"
        parts.append(escaped)
    return re.compile("|".join(parts)) if parts else None


@dataclass(frozen=True, slots=True)
class _Act:
    harm: str
    verbs: re.Pattern[str]
    objects: re.Pattern[str]
    amounts: bool  # an amount of money is one of its objects
    needs_done: bool  # the clause must say it is done (`paid.done`); otherwise the verbs themselves say so
    not_before: re.Pattern[str] | None  # negations and "asked to" words, looked for just before the verb
    first_person: bool  # the citizen's own act: "I" (or nothing but fillers) before the verb


_WORD = re.compile(r"[a-z0-9']+|[^\sa-z0-9']")
_TO_ME_EN = re.compile(r"\s+(me|us)\b")  # right after an English act's verb: given to the citizen
_VERBS_PER_CLAUSE = 8  # a clause saying the same verb more often than this is not a citizen telling what they did
_FILLERS_REACH = 40  # characters: more before a verb than "yes, already" is someone's sentence
_OBJECT_WINDOW = 30  # characters either side of a verb where its object is looked for
_NOT_BEFORE_WINDOW = 12  # characters before a verb where "asked me to", "还没" or "让我" keep it from being done
_TOPIC_CHARS = 12  # a clause this short beside an act's clause can be its topic ("验证码，我给他了")
_CONDITIONAL_WINDOW = 12  # characters after a verb where "就能" makes the act a condition ("交了两万块就可以")
_CONDITIONAL_REACH = 8  # characters after a harm pattern's match where "就能" makes it a condition


def _names_object(act: _Act, topics: list[str]) -> bool:
    """One of the act's objects (or an amount) in a short neighbouring clause: the thing the act's clause speaks of."""
    return any(act.objects.search(topic) is not None or (act.amounts and _AMOUNT.search(topic)) for topic in topics)


class ActReader:
    """Built once from the dialogue's `paid` cues (words folded as messages are); `harms` is then pure."""

    def __init__(self, cues: PaidCues, fold: Callable[[str], str]) -> None:
        acts = []
        verb_words: set[tuple[str, int]] = set()
        for harm in cues.harms:
            for lang, act in ((lang, act) for lang, several in harm.acts.items() for act in several):
                verbs = _alternation(fold(word) for word in act.verbs)
                objects = _alternation(fold(word) for word in act.objects)
                if verbs is None or objects is None:
                    continue
                not_before = _alternation(fold(word) for word in (*cues.negations.get(lang, ()), *cues.not_done))
                acts.append(_Act(harm.id, verbs, objects, act.amounts, act.needs_done, not_before, act.first_person))
                verb_words.update((fold(word), len(acts) - 1) for word in act.verbs if fold(word))
        self._acts = tuple(acts)
        # Per harm, the words that make a clause another harm's (`Harm.unless`).
        self._unless = {
            harm.id: pattern
            for harm in cues.harms
            if (pattern := _alternation(fold(word) for word in harm.unless)) is not None
        }
        # The same for every act: read once a clause, when an act there needs them.
        self._done = _alternation(fold(word) for word in cues.done)
        self._first_person = _alternation(fold(word) for word in cues.first_person)
        self._third_person = _alternation(fold(word) for word in cues.third_person)
        # Read for someone the citizen speaks for: their subjects are the victim's, the others still someone else's.
        victims = {fold(word) for word in cues.victims}
        self._victims = _alternation(victims)
        self._third_person_beside_victims = _alternation(
            fold(word) for word in cues.third_person if fold(word) not in victims
        )
        self._relatives = _alternation(fold(word) for word in cues.relatives)
        # A later clause asking or refusing ("..., 让我提供验证码") is no topic of the deed before it.
        self._not_done = _alternation(
            fold(word) for word in (*itertools.chain.from_iterable(cues.negations.values()), *cues.not_done)
        )
        self._to_me = _alternation(fold(word) for word in cues.to_me)
        self._conditional = _alternation(fold(word) for word in cues.conditional)
        # Every act's verbs in one automaton: one pass over a clause tells which acts it can say at all (a regex
        # search of each act's verbs cost ~240 µs a short message; reading every act in every clause, ~140 µs).
        by_word: dict[str, set[int]] = {}
        for word, index in verb_words:
            by_word.setdefault(word, set()).add(index)
        self._verbs = ahocorasick.Automaton()
        for word, indexes in by_word.items():
            self._verbs.add_word(word, frozenset(indexes))
        if by_word:
            self._verbs.make_automaton()
        self._fillers = frozenset(fold(word) for word in cues.fillers)

    def speaks_for_someone(self, folded: str) -> bool:
        """Whether the (folded) story names someone the citizen speaks for ("my dad", "my mum")."""
        return self._relatives is not None and self._relatives.search(folded) is not None

    def harms(self, folded: str, for_someone: bool = False) -> list[str]:
        """The harm ids whose act a clause of the message (its `clause_text`) says is done, in the order of the
        acts. `for_someone`: the story is about someone the citizen speaks for, whose deeds count as theirs."""
        found: dict[str, int] = {}  # harm -> the first of its acts heard
        if self._verbs.kind != ahocorasick.AHOCORASICK:
            return []
        parts = clauses(folded)
        for position, clause in enumerate(parts):
            if clause.rstrip().endswith(_ASKING_END):
                continue
            possible: set[int] = set()
            for _, indexes in self._verbs.iter(clause):  # only the acts whose verbs this clause holds
                possible.update(indexes)
            if not possible:
                continue
            # A short clause beside this one that only names a thing is its topic: "验证码，我已经给他了", "the
            # code, I gave it to him", "I sent it already, the 2000".
            topics = [
                parts[other]
                for other in (position - 1, position + 1)
                if 0 <= other < len(parts)
                and len(parts[other].strip()) <= _TOPIC_CHARS
                and not parts[other].rstrip().endswith(_ASKING_END)
                # a request after the clause cannot be what it did ("打过来说卡有异常，让我提供验证码"); before it, it
                # can ("要我提供认证码，我就提供了")
                and not (other > position and self._not_done is not None and self._not_done.search(parts[other]))
            ]
            done: bool | None = None
            mine: int | None = None
            for index in sorted(possible):
                act = self._acts[index]
                if act.harm in found and found[act.harm] <= index:
                    continue
                veto = self._unless.get(act.harm)
                if veto is not None and veto.search(clause):
                    continue
                if act.needs_done:
                    if done is None:
                        done = self._done is not None and self._done.search(clause) is not None
                    if not done:
                        continue
                if act.first_person and mine is None:
                    said_i = self._first_person.search(clause) if self._first_person is not None else None
                    mine = said_i.start() if said_i is not None else len(clause)
                    if for_someone and self._victims is not None:
                        victim = self._victims.search(clause)
                        mine = min(mine, victim.start()) if victim is not None else mine
                if any(
                    (self._near_object(act, clause, verb.start(), verb.end()) or _names_object(act, topics))
                    and self._said_done(
                        act, clause, verb.start(), mine if mine is not None else len(clause), for_someone
                    )
                    and not self._towards_me(act, clause, verb.start(), verb.end())
                    for verb in itertools.islice(act.verbs.finditer(clause), _VERBS_PER_CLAUSE)
                ):
                    found[act.harm] = min(index, found.get(act.harm, index))
        return sorted(found, key=found.__getitem__)

    @staticmethod
    def _near_object(act: _Act, clause: str, start: int, end: int) -> bool:
        """One of the act's objects (or an amount) close to the verb: "I sent her photos and now she wants money"
        sent photos, not money."""
        low, high = max(0, start - _OBJECT_WINDOW), end + _OBJECT_WINDOW
        return act.objects.search(clause, low, high) is not None or (
            act.amounts and _AMOUNT.search(clause, low, high) is not None
        )

    def another_harms(self, harm_id: str, text: str, start: int, end: int) -> bool:
        """Whether the clause of the folded message around `start`-`end` (a harm pattern's match) holds one of the
        harm's `unless` words: "身份证照片发给他了" sent an ID, not private photos."""
        veto = self._unless.get(harm_id)
        if veto is None:
            return False
        before = max((text.rfind(mark, 0, start) for mark in _BREAKS), default=-1)
        after = CLAUSE_BREAK.search(text, end)
        return veto.search(text, before + 1, after.start() if after is not None else len(text)) is not None

    def turned_aside(self, text: str, start: int, end: int) -> bool:
        """Words at `start`-`end` of the folded message (a harm pattern's match) that tell no deed of the citizen's: a
        condition follows them in their clause ("交了保证金就能提现"), or they went to the citizen ("把验证码发给我",
        "发了验证码给我"). The same `paid` cues the acts are read with."""
        stop = end + _CONDITIONAL_REACH
        clause_end = CLAUSE_BREAK.search(text, end, stop)
        if clause_end is not None:
            stop = clause_end.start()
        if self._conditional is not None and self._conditional.search(text, end, stop):
            return True
        return self._to_me is not None and self._to_me.search(text, start, end + 3) is not None

    def _towards_me(self, act: _Act, clause: str, verb: int, verb_end: int) -> bool:
        """The act comes to the citizen: one of `to_me` as the verb itself ("给我"), right after it or after its
        object, a character ("了") apart at most ("发给我", "发了验证码给我", "转了两万给我"). "转到他给我的账户"
        is not: its "给我" is further on."""
        if act.first_person and _TO_ME_EN.match(clause, verb_end):
            return True  # "he gave me the sort code", "she sent us a link": someone else's giving, to the citizen
        to_me = self._to_me
        if to_me is None:
            return False
        if to_me.match(clause, verb) or to_me.match(clause, verb_end) or to_me.match(clause, verb_end + 1):
            return True
        reach = verb_end + _OBJECT_WINDOW
        thing = act.objects.search(clause, verb_end, reach)
        if thing is None and act.amounts:
            thing = _AMOUNT.search(clause, verb_end, reach)
        return thing is not None and bool(to_me.match(clause, thing.end()) or to_me.match(clause, thing.end() + 1))

    def _said_done(self, act: _Act, clause: str, verb: int, mine: int, for_someone: bool = False) -> bool:
        """No negation and no "asked to" word in the few characters before this verb ("他叫我装个app，我有装": the
        second one is done), and for an act that must be the citizen's own, "I" before it (`mine`: where the
        clause first says "I") or nothing but a few fillers. Each check reads a bounded stretch: linear time."""
        if act.not_before is not None and act.not_before.search(clause, max(0, verb - _NOT_BEFORE_WINDOW), verb):
            return False
        if self._conditional is not None and self._conditional.search(clause, verb, verb + _CONDITIONAL_WINDOW):
            return False
        if not act.first_person:
            return True
        if mine < verb:  # "I ... gave", unless someone else is the subject in between ("i must... he gave me")
            others = self._third_person_beside_victims if for_someone else self._third_person
            return others is None or others.search(clause, mine, verb) is None
        return verb <= _FILLERS_REACH and all(word in self._fillers for word in _WORD.findall(clause, 0, verb))
