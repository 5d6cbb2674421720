"""Correct advice in every region (issue 11): every text that may hold a region's facts, rendered for
every region and language, with no unfilled placeholder, no fact standing in for another, no voice
line offered for forwarding texts, urgent steps in the region's own order, and every fact sourced
and checked within a year."""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.channels.sms import load_sms_texts
from bot.conversation.phrases import load_phrases
from bot.library.lint import STALE_AFTER_DAYS, stale_facts
from bot.library.loader import DEFAULT_LIBRARY, Library, LibraryError, load_library
from bot.library.regions import FACT_IDS, RegionText, placeholders, region_text, split_sentences
from bot.library.schema import Region

# The day the facts were last verified. Bump it when they are re-checked: the test then insists
# every fact was checked within a year of it (`antifraud validate` warns against today's date).
AS_OF = date(2026, 12, 7)
EXTRAS = {
    "name": "NAME",
    "action": "ACTION",
    "risk": "RISK",
    "quote": "QUOTE",
    "why": "WHY",
    "truth": "TRUTH",
    "said": "SAID",
    "length": "LENGTH",
    "limit": "LIMIT",
}
FORWARDING = re.compile(r"(?<!coming )\bforward|转发|轉發", re.IGNORECASE)
OPTIONAL_PART = re.compile(r"\[([^\[\]]*\{[a-z_]+\}[^\[\]]*)\]")
UNFILLED = re.compile(r"\{[a-z_]+\}")
TAGS = re.compile(r"\((?:bank|police)\)")
SIMPLIFIED_ONLY = set("这诈骗银话转账报请们说钱时对发项东长门见车")

_LIBRARY = load_library(with_model=False)
REGIONS = [region.id for region in _LIBRARY.regions.regions]


# --- every text that may hold a placeholder ------------------------------------------------------


def _localised(model: BaseModel, prefix: str) -> Iterator[tuple[str, dict[str, str] | dict[str, list[str]]]]:
    for name, value in model:
        if isinstance(value, BaseModel):
            yield from _localised(value, f"{prefix}.{name}")
        elif isinstance(value, dict) and value and all(isinstance(item, str | list) for item in value.values()):
            yield f"{prefix}.{name}", value


def texts(library: Library) -> Iterator[tuple[str, dict[str, str] | dict[str, list[str]]]]:
    """(where, text by language): every text of the library, FAQ, dialogue and SMS files."""
    for scam_type in library.types:
        yield f"{scam_type.id}.warning_signs", scam_type.warning_signs
        yield f"{scam_type.id}.advice.before", scam_type.advice.before
        yield f"{scam_type.id}.advice.after", scam_type.advice.after
        if scam_type.legal_warning:
            yield f"{scam_type.id}.legal_warning", scam_type.legal_warning
    yield "signals.general_signs", library.signals.general_signs
    yield "signals.general_advice.before", library.signals.general_advice.before
    yield "signals.general_advice.after", library.signals.general_advice.after
    for entry in library.faq:
        yield f"faq.{entry.id}", entry.answer
    phrases = load_phrases(library)
    yield from _localised(phrases.dialogue.texts, "dialogue.texts")
    for question in phrases.questions:
        yield from _localised(question, f"questions.{question.id}")
    sms = load_sms_texts(library)
    yield from _localised(sms.texts, "sms.texts")
    for type_id, action in sms.actions.items():
        yield f"sms.actions.{type_id}", action
    for detail in sms.details:
        yield f"sms.details.{detail.key}", detail.lines


TEXTS = list(texts(_LIBRARY))


def render(text: RegionText, value: str | list[str]) -> list[str]:
    if isinstance(value, str):
        # The caller's own placeholders ({name}, {quote}...) are filled after the region's facts.
        extras = {name: EXTRAS.get(name, name.upper()) for name in placeholders(value) - FACT_IDS}
        return [text.fill(value, **extras)]
    return list(text.fill_all(value))


def fact_values(region: Region, lang: str) -> dict[str, str]:
    return {fact_id: region.fact_text(fact_id, lang, lang) or "" for fact_id in region.facts}


def digits(text: str) -> set[str]:
    return set(re.findall(r"\d{3,}", text.replace(" ", "").replace("-", "")))


# --- the tests -----------------------------------------------------------------------------------


def test_every_text_of_interest_is_found() -> None:
    wheres = {where for where, _ in TEXTS}
    assert any(where.startswith("faq.") for where in wheres)
    assert "dialogue.texts.urgent_steps" in wheres and "sms.texts.urgent" in wheres
    assert sum(1 for _, value in TEXTS for item in value.values() if "{" in str(item)) > 100


@pytest.mark.parametrize("region_id", REGIONS)
@pytest.mark.parametrize("lang", _LIBRARY.languages)
def test_every_text_renders_in_every_region_and_language(region_id: str, lang: str) -> None:
    region = next(r for r in _LIBRARY.regions.regions if r.id == region_id)
    text = region_text(region, lang, _LIBRARY.settings.default_language)
    # Only the region's own facts: nothing derived, nothing borrowed from another fact.
    assert text.values == {k: v for k, v in fact_values(region, lang).items()}
    own_digits = set().union(*(digits(value) for value in text.values.values()))
    phone_values = [fact_values(region, lang)[f] for f, fact in region.facts.items() if fact.kind == "phone"]
    for where, value in TEXTS:
        template = value.get(lang)
        if template is None:
            continue
        literal = " ".join([template] if isinstance(template, str) else template)
        for rendered in render(text, template):
            assert not UNFILLED.search(rendered), f"{region_id}/{lang} {where}: unfilled {rendered!r}"
            assert not TAGS.search(rendered), f"{region_id}/{lang} {where}: step tag left in {rendered!r}"
            # An optional [...] part is kept or dropped, never shown with its brackets (a sentence break inside one
            # once left "...show you[. You can also check it with the ScamShield app]").
            outside = OPTIONAL_PART.sub("", literal).replace("[链接]", "").replace("[link]", "")
            if "[" not in outside and "]" not in outside:
                shown = re.sub(r"\[(链接|鏈接|連結|link)\]", "", rendered)
                assert "[" not in shown and "]" not in shown, f"{region_id}/{lang} {where}: brackets in {rendered!r}"
            # A number in the text is the region's own or written in the text itself: no fallback.
            foreign = digits(rendered) - own_digits - digits(literal)
            assert not foreign, f"{region_id}/{lang} {where}: numbers {foreign} are not this region's: {rendered!r}"
            for sentence in split_sentences(rendered):
                if FORWARDING.search(sentence):
                    for number in phone_values:
                        assert number not in sentence, f"{region_id}/{lang} {where}: voice line to forward to"
            if lang == "zh" and region.script.get("zh", "").startswith("hant"):
                wrong = set(rendered) & SIMPLIFIED_ONLY
                assert not wrong, f"{region_id} {where}: simplified {wrong} in {rendered!r}"


@pytest.mark.parametrize("region_id", [r.id for r in _LIBRARY.regions.regions if r.vocabulary])
def test_a_regions_texts_use_its_own_words(region_id: str) -> None:
    """Taiwan reads 軟體, 簡訊, 帳戶, not the mainland's 軟件, 短信, 賬戶 that the character converter keeps."""
    region = next(r for r in _LIBRARY.regions.regions if r.id == region_id)
    for lang, words in region.vocabulary.items():
        text = region_text(region, lang, _LIBRARY.settings.default_language)
        for where, value in TEXTS:
            template = value.get(lang)
            if template is None:
                continue
            for rendered in render(text, template):
                left = [word for word in words if word in rendered]
                assert not left, f"{region_id}/{lang} {where}: {left} in {rendered!r}"
    if region_id == "tw":
        sample = region_text(region, "zh", "zh").script("下载软件，把短信里的链接和账户发给我")
        assert sample == "下載軟體，把簡訊裡的連結和帳戶發給我"


MAINLAND_WORDS = ("中国大陆", "中國大陸", "开设赌场罪", "開設賭場罪", "mainland China")


@pytest.mark.parametrize("region_id", REGIONS)
def test_mainland_chinas_law_is_quoted_only_where_it_applies(region_id: str) -> None:
    """帮信罪 and 开设赌场罪 are told to mainland citizens; in Hong Kong, Taiwan or the UK the warning keeps its general
    sentences and drops those."""
    region = next(r for r in _LIBRARY.regions.regions if r.id == region_id)
    mainland = "mainland_law" in region.facts
    for scam_type in _LIBRARY.types:
        if scam_type.legal_warning is None:
            continue
        for lang in _LIBRARY.languages:
            rendered = region_text(region, lang, _LIBRARY.settings.default_language).fill(scam_type.legal_warning[lang])
            assert rendered.strip()
            said = any(word in rendered for word in MAINLAND_WORDS)
            assert said == (mainland and scam_type.id in ("card_renting", "gambling", "overseas_job")) or (
                scam_type.id == "click_farming"
            ), f"{region_id}/{lang} {scam_type.id}: {rendered!r}"


@pytest.mark.parametrize("region_id", REGIONS)
def test_a_sentence_needing_a_missing_fact_is_left_out(region_id: str) -> None:
    region = next(r for r in _LIBRARY.regions.regions if r.id == region_id)
    for lang in _LIBRARY.languages:
        text = region_text(region, lang, _LIBRARY.settings.default_language)
        missing = FACT_IDS - set(region.facts)
        for where, value in TEXTS:
            template = value.get(lang)
            items = [template] if isinstance(template, str) else (template or [])
            for item in items:
                for sentence in split_sentences(item):
                    needed = placeholders(re.sub(r"\[[^\[\]]*\]", "", sentence)) & missing
                    if needed:
                        assert text.sentence(sentence) is None, f"{region_id}/{lang} {where}: {sentence!r}"


def test_no_question_is_left_without_the_sentence_that_answers_it() -> None:
    """A bare "Paid?" would be left where the region lacks the fact the next sentence needs."""
    for where, value in TEXTS:
        for item in (x for v in value.values() for x in ([v] if isinstance(v, str) else v)):
            sentences = split_sentences(item)
            for before, after in itertools.pairwise(sentences):
                if before.rstrip().endswith(("?", "？", ":", "：")):
                    assert not placeholders(after) & FACT_IDS, f"{where}: {before!r} {after!r}"


def test_no_sentence_offers_a_voice_line_for_forwarding_texts() -> None:
    for where, value in TEXTS:
        for item in (x for v in value.values() for x in ([v] if isinstance(v, str) else v)):
            for sentence in split_sentences(item):
                if FORWARDING.search(sentence):
                    used = placeholders(sentence) & FACT_IDS
                    assert used <= {"sms_report", "report_scam", "report_email"}, f"{where}: {sentence!r}"
    for region in _LIBRARY.regions.regions:
        if "sms_report" in region.facts:
            assert region.facts["sms_report"].kind == "sms"
    # The examples: Hong Kong's and Singapore's voice helplines are not for forwarding texts.
    for region_id in ("hk", "sg", "tw"):
        assert "sms_report" not in next(r for r in _LIBRARY.regions.regions if r.id == region_id).facts


@pytest.mark.parametrize("region_id", REGIONS)
def test_urgent_steps_follow_the_regions_own_order(region_id: str) -> None:
    region = next(r for r in _LIBRARY.regions.regions if r.id == region_id)
    first = region.facts["after_loss"].first if "after_loss" in region.facts else None
    expected = {"cn": "police", "tw": "police", "hk": "police", "sg": "bank", "uk": "bank", "us": "bank"}
    assert first == expected.get(region_id)
    if first is None:
        return
    for lang in _LIBRARY.languages:
        text = region_text(region, lang, _LIBRARY.settings.default_language)
        lists = [value[lang] for where, value in TEXTS if isinstance(value.get(lang), list)]
        checked = 0
        for items in lists:
            tagged = {tag: [i for i in items if i.startswith(f"({tag})")] for tag in ("bank", "police")}
            if not tagged["bank"] or not tagged["police"]:
                continue
            rendered = list(text.fill_all(items))
            position = {tag: rendered.index(text.fill_all([tagged[tag][0]])[0]) for tag in tagged}
            other = "bank" if first == "police" else "police"
            assert position[first] < position[other], f"{region_id}/{lang}: {rendered}"
            checked += 1
        assert checked >= 15


@pytest.mark.parametrize("region_id", REGIONS)
def test_every_fact_has_a_source_and_was_checked_within_a_year(region_id: str) -> None:
    region = next(r for r in _LIBRARY.regions.regions if r.id == region_id)
    for fact_id, fact in region.facts.items():
        assert fact.source.startswith(("https://", "http://")), fact_id
        assert fact.checked <= AS_OF, f"{region_id}.{fact_id} checked after {AS_OF}"
        assert (AS_OF - fact.checked).days <= STALE_AFTER_DAYS, f"{region_id}.{fact_id} is stale"
    assert not stale_facts(_LIBRARY, today=AS_OF)


def test_stale_facts_are_warnings_with_the_page_to_recheck() -> None:
    later = stale_facts(_LIBRARY, today=AS_OF + timedelta(days=STALE_AFTER_DAYS + 30))
    assert later and all("re-check it at http" in line for line in later)
    assert any(line.startswith("region cn: fact police") for line in later)


def test_regions_are_named_and_written_as_their_authorities_write_them() -> None:
    regions = {region.id: region for region in _LIBRARY.regions.regions}
    assert set(regions) >= {"cn", "hk", "tw", "sg", "uk", "us", "intl"}
    assert regions["tw"].name["zh"] == "臺灣" and regions["hk"].name["zh"] == "香港"
    assert all("中国" not in regions[r].name["zh"] for r in ("hk", "tw"))
    assert regions["hk"].script["zh"] == "hant-hk" and regions["tw"].script["zh"] == "hant-tw"
    tw = region_text(regions["tw"], "zh", "zh")
    assert tw.fill("请拨打反诈专线{antifraud}。") == "請撥打反詐專線165。"


def test_the_neutral_region_names_no_number() -> None:
    intl = next(r for r in _LIBRARY.regions.regions if r.id == "intl")
    assert intl.facts == {}
    text = region_text(intl, "en", "zh")
    assert text.fill("Call your bank. Call the anti-fraud line {antifraud}.") == "Call your bank."
    assert text.fill_all(["(police) Report it to the police[ ({report_loss})].", "Forward it to {sms_report}."]) == (
        "Report it to the police.",
    )


def test_warning_texts_sender_is_never_offered_as_a_number_to_call() -> None:
    cn = next(r for r in _LIBRARY.regions.regions if r.id == "cn")
    assert cn.facts["warning_sms"].label is None  # not in the footer
    assert cn.facts["warning_sms"].kind == "sms"


def test_a_sentence_offering_a_voice_line_for_forwarding_is_a_load_error(tmp_path: Path) -> None:
    copy = tmp_path / "scripts_library"
    shutil.copytree(DEFAULT_LIBRARY, copy)
    shutil.copytree(DEFAULT_LIBRARY.parent / "faq", tmp_path / "faq")
    path = copy / "types" / "phishing_link.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "      - Forward the scam text to {sms_report}.", "      - Forward the scam text to {antifraud}."
        ),
        encoding="utf-8",
    )
    with pytest.raises(LibraryError, match="forwarding names \\['antifraud'\\]"):
        load_library(copy, with_model=False)


def test_a_fact_of_the_wrong_kind_is_a_load_error(tmp_path: Path) -> None:
    copy = tmp_path / "scripts_library"
    shutil.copytree(DEFAULT_LIBRARY, copy)
    shutil.copytree(DEFAULT_LIBRARY.parent / "faq", tmp_path / "faq")
    path = copy / "regions" / "hk.yaml"
    path.write_text(
        path.read_text(encoding="utf-8") + '  sms_report:\n    value: "18222"\n    kind: phone\n'
        "    source: https://www.adcc.gov.hk/\n    checked: 2026-12-04\n",
        encoding="utf-8",
    )
    with pytest.raises(LibraryError, match="sms_report"):
        load_library(copy, with_model=False)
