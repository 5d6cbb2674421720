"""Where a message's links really go.

Real smishing is often a brand's name and a link and little else ("CHASE: a new payee was added,
not you? visit cb1-secure.top"): the words are the bank's own, only the link gives it away. The
checks here compare each link's registrable domain (the public-suffix list's ICANN section, through
publicsuffixlist's bundled copy, never the network) with the sites the named brand really owns (links.yaml).
"""

from __future__ import annotations

import ipaddress
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import publicsuffixlist
from publicsuffixlist import PublicSuffixList
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.engine.memo import Memo
from bot.library.schema import LinksFile

_SCHEME = re.compile(r"^[a-z]{3,5}\s?:/+|^[a-z]{3,5}//")
# Dots a sender broke to slip past filters: "uber-check [.] club", "amaz0n-orders dot info".
_DEFANGED = re.compile(r"\s*(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\bdot\b|\.)\s*")
# A host ends at a path, query, space, bracket or quote, or at a character no host name holds (a pasted link runs
# straight into the Chinese words after it: "（www.example.gov.tw）或…").
_AUTHORITY_END = re.compile(r"[/?#\\\s)\]}>\"'<,;]|[^\x00-\x7f]")
_HOST = re.compile(r"^[a-z0-9!$-]+(\.[a-z0-9!$-]+)+$")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_PART_SPLIT = re.compile(r"[.\-]+|\d+")
# Look-alike characters in a host ("netfl!x", "amaz0n", "paypa1"), read both ways a 1 can go.
_DELEET = (str.maketrans("0134@$!5", "oleaasis"), str.maketrans("0134@$!5", "oieaasis"))
# What counts as a word beside a bare link: a Latin word or number, or two Chinese characters.
_LATIN_WORD = re.compile(r"[a-z0-9][a-z0-9']*")
_HAN = re.compile(r"[\u3400-\u9fff]")
_LETTERS = re.compile(r"[^a-z0-9]+")
_MAX_ADDRESSES = 64  # distinct e-mail addresses judged in one message
# Parsing the bundled list takes ~50 ms of every start; the parsed list is kept in the library cache.
_SUFFIX_LISTS: Memo[PublicSuffixList] = Memo("links.public_suffixes")


def _icann_suffixes() -> PublicSuffixList:
    """The list publicsuffixlist bundles (no download), its ICANN section only: with the companies'
    section every blog on blogspot.com would be a registrable domain of its own."""
    version = getattr(publicsuffixlist, "__version__", "?")
    return _SUFFIX_LISTS.get(("icann", version), lambda: PublicSuffixList(only_icann=True, accept_unknown=False))


@dataclass(frozen=True, slots=True)
class LinkFinding:
    """One link check that fired, on the link at [start, end) of the folded text."""

    check: str  # brand_mismatch | lookalike_host | risky_suffix | bare_lure | brand_mail
    start: int
    end: int


def link_host(link: str) -> str | None:
    """The host a link leads to, lower case: scheme, user part ("paypal.com@evil.top") and port
    dropped, defanged dots restored; None when it is not a host name."""
    text = _SCHEME.sub("", unicodedata.normalize("NFKC", link).strip().lower())
    text = _DEFANGED.sub(".", text)
    authority = _AUTHORITY_END.split(text, maxsplit=1)[0]
    authority = authority.rsplit("@", 1)[-1].split(":", 1)[0].strip(".,;!)]}'\"_")
    if authority.startswith("www."):
        authority = authority[4:]
    return authority if _HOST.match(authority) else None


def _names_site(name: str, parts: list[str], letters: str, sender: str) -> bool:
    """Whether a message names the site a link goes to: the start of the link's name part (four letters or
    more, three fifths of it) or one of its words (`parts`: "luigis" of luigis-trattoria) among the message's
    own letters ("Disney+: ... disneyplus.com", "Table at Luigi's: luigis-trattoria.co.uk"), or the name the
    message opens with close to it ("Holland & Barrett:" and hollandandbarrett.com, "Crypto.com:")."""
    if len(name) < 4 or name.isdigit():
        return False
    if name[: max(4, round(len(name) * 0.6))] in letters or any(len(part) >= 4 and part in letters for part in parts):
        return True
    return len(sender) >= 4 and (
        sender in name or name in sender or Levenshtein.normalized_similarity(sender, name) >= 0.8
    )


def _outside(text: str, links: Sequence[tuple[int, int, str]]) -> str:
    """The text without its links."""
    edges = [0, *itertools.chain.from_iterable((start, end) for start, end, _ in sorted(links)), len(text)]
    return " ".join(text[edges[i] : edges[i + 1]] for i in range(0, len(edges), 2))


def _said_names(text: str) -> frozenset[str]:
    """Every run of one to three consecutive Latin words of `text`, letters and digits only ("britishgas" of
    "British Gas"): the names a link's domain is compared with."""
    # An apostrophe only ever sits inside a word here, so dropping them first gives the same words ("its" of
    # "it's") in one C-level pass, and the runs are joined by `map` (a long pasted text has 20,000 words).
    words = _LATIN_WORD.findall(text.replace("'", ""))
    return frozenset(
        itertools.chain(words, map(str.__add__, words, words[1:]), map("{}{}{}".format, words, words[1:], words[2:]))
    )


def _is_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class LinkAssessment:
    findings: tuple[LinkFinding, ...]
    official: tuple[tuple[int, int], ...]  # links to a brand's own site or a government's
    all_official: bool  # every link in the message is one of those


class LinkChecker:
    """Built once from links.yaml; `findings` is then a pure function of the links and brands."""

    def __init__(self, links: LinksFile) -> None:
        self._suffixes = _icann_suffixes()
        self.brands = tuple(links.brands)
        self._owner = {domain: brand.id for brand in links.brands for domain in brand.domains}
        self._neutral = frozenset(links.neutral_domains)
        self._shorteners = frozenset(links.shorteners)
        self._bare_lure_max_words = links.bare_lure_max_words
        self._named_site_min_letters = links.named_site_min_letters
        self._institution_suffixes = frozenset(links.institution_suffixes)
        self._own_site_words = tuple(word for words in links.own_site_words.values() for word in words)
        self._official_suffixes = frozenset(links.official_suffixes)
        self._risky = frozenset(links.risky_suffixes)
        self.official_link_clears = tuple(links.official_link_clears)
        self.official_link_clears_signals = tuple(links.official_link_clears_signals)
        self._host_words = tuple((word, brand.id) for brand in links.brands for word in brand.host_words)
        self._host_parts = {part: brand.id for brand in links.brands for part in brand.host_parts}
        # The name part of every brand's own domains ("steamcommunity" of steamcommunity.com).
        self._own_labels = {self._split(domain)[0]: brand.id for brand in links.brands for domain in brand.domains}
        self._own_labels_list = sorted(self._own_labels)

    def names(self) -> Iterable[str]:
        """Every way a message names a brand (for the keyword automaton)."""
        for brand in self.brands:
            for names in brand.names.values():
                yield from names

    def assess(
        self,
        links: Sequence[tuple[int, int, str]],
        names_a_brand: bool,
        checks: frozenset[str],
        sender: str = "",
        text: str = "",
    ) -> LinkAssessment:
        """Check each link (folded start, end, and the citizen's own characters of it) against the
        message naming a brand outside its links or not; only the `checks` the library defines.
        `sender` is the name the text opens with, letters and digits only ("ninjavan" of "Ninja Van:"):
        a shop or courier that names another brand ("your Shopee parcel") and links to its own site,
        called as it signs, is not sending you elsewhere. `text` is the folded message the links are in: a
        message that is little more than a link to a site it does not name is a bare lure."""
        found: list[LinkFinding] = []
        official: list[tuple[int, int]] = []
        lures: list[tuple[int, int, str]] = []  # links to a site that is nobody's we know, and their name part
        outside: str | None = None  # the message without its links, worked out when first needed
        named: frozenset[str] | None = None  # the names it says there
        for start, end, original in links:
            host = link_host(original)
            if host is None:
                continue
            label, suffix = self._split(host)
            if not label:  # a bare suffix: "GOV.UK" is the UK government's own site
                if suffix in self._official_suffixes:
                    official.append((start, end))
                continue
            domain = f"{label}.{suffix}"
            if domain in self._owner or suffix in self._official_suffixes or self._country_site(label, suffix):
                official.append((start, end))
                continue
            if self._named_site_min_letters and text:
                if named is None:
                    outside = _outside(text, links) if outside is None else outside
                    named = _said_names(outside)
                if self._is_named_site(host, label, suffix, domain, named):
                    official.append((start, end))
                    continue
            # A bare name with no scheme, "www" or path ("a purchase at BESTBUY.COM") is more often a
            # merchant's name than a link to follow: only the brand's own name inside it counts.
            looks_like_a_link = "/" in original or original.lower().lstrip().startswith("www")
            if domain in self._shorteners:
                lures.append((start, end, ""))
                continue
            if domain in self._neutral:
                continue
            if looks_like_a_link and suffix not in self._institution_suffixes:
                lures.append((start, end, label))
            if "risky_suffix" in checks and self._is_risky(suffix):
                found.append(LinkFinding("risky_suffix", start, end))
            borrowed = self._borrowed_brand(host[: len(host) - len(suffix)]) or self._typosquat(label)
            if borrowed is not None and "lookalike_host" in checks:
                found.append(LinkFinding("lookalike_host", start, end))
            own_site = bool(sender) and label.replace("-", "") == sender
            if names_a_brand and "brand_mismatch" in checks and looks_like_a_link and not own_site:
                found.append(LinkFinding("brand_mismatch", start, end))
        if "bare_lure" in checks and lures and not official:
            lured = self._bare_lures(_outside(text, links) if outside is None else outside, lures, sender)
            found.extend(LinkFinding("bare_lure", start, end) for start, end in lured)
        return LinkAssessment(tuple(found), tuple(official), len(official) == len(links))

    def mail_findings(self, addresses: Sequence[tuple[int, int, str]]) -> tuple[LinkFinding, ...]:
        """The e-mail addresses (folded start, end, the address) that borrow a brand's name on a domain that is
        not the brand's: "amazon.refund.desk@gmail.com", "support@paypal-resolution.com". Companies write from
        their own domains; a brand's name on a free mailbox or a stranger's domain is how scammers sign."""
        found = []
        judged: dict[str, bool] = {}  # each address once, and a bounded number of them: a list of thousands is a paste
        for start, end, address in addresses:
            address = address.lower()
            if address in judged:
                if judged[address]:
                    found.append(LinkFinding("brand_mail", start, end))
                continue
            if len(judged) >= _MAX_ADDRESSES:
                break
            judged[address] = False
            local, _, host = address.rpartition("@")
            label, suffix = self._split(host)
            domain = f"{label}.{suffix}"
            if not label or suffix in self._official_suffixes:
                continue
            owner = self._owner.get(domain)
            if owner is None and self._country_site(label, suffix):
                owner = self._own_labels.get(label)
            borrowed = self._borrowed_brand(local) or (None if domain in self._neutral else self._borrowed_brand(label))
            if borrowed is not None and borrowed != owner:
                judged[address] = True
                found.append(LinkFinding("brand_mail", start, end))
        return tuple(found)

    def _bare_lures(self, outside: str, lures: list[tuple[int, int, str]], sender: str) -> list[tuple[int, int]]:
        """The links of a message that says little besides them (at most `bare_lure_max_words` words: "hi
        <link>", "you have a new notification <link>") and that go to a site the message does not name: a
        shop texting "Nike: your order has shipped, track at nike.com" names its own site; a stranger's
        lure does not say whose site it is. `outside`: the message without its links."""
        words = len(_LATIN_WORD.findall(outside)) + (len(_HAN.findall(outside)) + 1) // 2
        if words > self._bare_lure_max_words or any(word in outside for word in self._own_site_words):
            return []
        letters = _LETTERS.sub("", outside)
        return [
            (start, end)
            for start, end, label in lures
            if not _names_site(_LETTERS.sub("", label), _LETTERS.split(label), letters, sender)
        ]

    def _is_named_site(self, host: str, label: str, suffix: str, domain: str, named: frozenset[str]) -> bool:
        """A link to the site the message itself names as the one writing ("Your sign-in link for Medium ...
        medium.com", "British Gas ... britishgas.co.uk"): the name part of its domain, at least
        `named_site_min_letters` letters, is one, two or three of the message's own words run together. Not
        a shortener, a risky suffix, a brand's name inside another host or a typing slip away from one."""
        name = _LETTERS.sub("", label)
        return (
            len(name) >= self._named_site_min_letters
            and not name.isdigit()
            and name in named
            and domain not in self._shorteners
            and not self._is_risky(suffix)
            and self._borrowed_brand(host[: len(host) - len(suffix)]) is None
            and self._typosquat(label) is None
        )

    def _is_risky(self, suffix: str) -> bool:
        """A name ending scam sites favour, whole ("com.ru") or by its last part ("top" of "xyz.top")."""
        return suffix in self._risky or suffix.rsplit(".", 1)[-1] in self._risky

    def _country_site(self, label: str, suffix: str) -> bool:
        """A brand's own name, exactly, under a country's suffix ("paypal.co.uk", "apple.com.cn"): brands
        hold their names in the countries they serve and a registry does not hand them to others, while
        fakes add words ("paypal-help.co.uk") or take a cheap suffix (risky ones never count here)."""
        country = suffix.rsplit(".", 1)[-1]
        return label in self._own_labels and len(country) == 2 and not self._is_risky(suffix)

    def _split(self, host: str) -> tuple[str, str]:
        """A host's registrable name and its public suffix: ("secure-check", "net") of
        "chase.secure-check.net"; ("", "gov.uk") of a bare suffix; an IP address or a name under no
        known suffix is all name ("192.168.1.1", "") / ("localhost", "")."""
        if _IPV4.match(host) and _is_ipv4(host):
            return host, ""
        suffix = self._suffixes.publicsuffix(host)
        if not isinstance(suffix, str):
            return host.rsplit(".", 1)[-1], ""
        if suffix == host:
            return "", suffix
        return host[: len(host) - len(suffix) - 1].rsplit(".", 1)[-1], suffix

    def _borrowed_brand(self, host: str) -> str | None:
        """The brand whose name is inside a host that is not the brand's own (as written, or with
        its look-alike characters read as letters)."""
        for spelling in dict.fromkeys((host, *(host.translate(table) for table in _DELEET))):
            for word, brand in self._host_words:
                if word in spelling:
                    return brand
            for part in _PART_SPLIT.split(spelling):
                if part in self._host_parts:
                    return self._host_parts[part]
        return None

    def _typosquat(self, label: str) -> str | None:
        """The brand whose own domain name is one typing slip away ("steamcommunlty", "arnazon"):
        names of five letters or more, one edit (two from nine letters on)."""
        if len(label) < 5 or label in self._own_labels:
            return None
        best = process.extractOne(
            label, self._own_labels_list, scorer=Levenshtein.distance, score_cutoff=2 if len(label) >= 9 else 1
        )
        if best is None or len(best[0]) < 5:
            return None
        return self._own_labels[best[0]]
