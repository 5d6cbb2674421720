"""The web page's own words (web/page_words.yaml), checked once when the service starts.

The knowledge the page shows (verdicts, advice, FAQ answers) comes from the library; these are the
labels around it. They live in a data file so a translator or an operator can change them, or add a
language, without touching code. A broken file stops the start with the file, entry and field named,
like the library's files (bot/library/loader.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import Field, StringConstraints

from bot.library.cache import side_file_cached
from bot.library.loader import LibraryError, Problem, parse_model, read_yaml
from bot.library.schema import Identifier, Model

PAGE_WORDS_FILE = Path(__file__).resolve().parents[3] / "web" / "page_words.yaml"

Words = Annotated[str, StringConstraints(min_length=1)]
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class PageWords(Model):
    languages: dict[Identifier, Words] = Field(min_length=1)  # page language -> BCP 47 tag for <html lang>
    interface: dict[Identifier, dict[Identifier, Words]] = Field(min_length=1)  # the chat page and widget
    faq_page: dict[Identifier, dict[Identifier, Words]] = Field(min_length=1)  # the FAQ page's own words

    def by_language(self, section: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        """{language: {key: words}}: what a template renders for one language."""
        return {lang: {key: words[lang] for key, words in section.items()} for lang in self.languages}


def _problems(words: PageWords, file: str) -> list[Problem]:
    """Every entry in every page language, with the same {placeholders} in each."""
    problems: list[Problem] = []
    for section_name, section in (("interface", words.interface), ("faq_page", words.faq_page)):
        for key, texts in section.items():
            entry = f"{section_name} > {key}"
            for lang in words.languages:
                if lang not in texts:
                    problems.append(Problem(file, entry, lang, "missing: every page language needs its words"))
            for lang in texts:
                if lang not in words.languages:
                    problems.append(Problem(file, entry, lang, "not a page language (see `languages`)"))
            placeholders = {lang: set(_PLACEHOLDER.findall(text)) for lang, text in texts.items()}
            if len({frozenset(found) for found in placeholders.values()}) > 1:
                problems.append(Problem(file, entry, "", f"languages use different placeholders: {placeholders}"))
    return problems


def load_page_words(path: Path = PAGE_WORDS_FILE) -> PageWords:
    """The checked words (from the library cache when the file is unchanged); raises LibraryError listing
    every problem found."""
    words = side_file_cached(path, PageWords, lambda: _read_page_words(path))
    assert words is not None  # _read_page_words returns the words or raises
    return words


def _read_page_words(path: Path) -> PageWords:
    problems: list[Problem] = []
    words = parse_model(PageWords, read_yaml(path), str(path), problems)
    if words is not None:
        problems += _problems(words, str(path))
    if problems or words is None:
        raise LibraryError(problems)
    return words
