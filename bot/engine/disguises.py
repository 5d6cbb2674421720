"""The evasions scam senders use, applied to a message automatically: to measure that they hide nothing.

Scam texts are written to slip past keyword filters: look-alike letters (Cyrillic "а", small capitals
"ᴀᴍᴀᴢᴏɴ", "p@yp4l"), letters spaced or dotted apart, invisible characters, circled and key-cap digits,
broken links ("bit[.]ly", "http //"), emoji between words, traditional characters, symbols between Chinese
characters ("刷*单"), homophones and pinyin (裙 for 群, V信, 米 for money); and pasted text carries what it was
copied from: HTML entities ("don&#x27;t"), a chat export's date and time before every line, the app's own safety
banner. The normaliser
(normalise.py) undoes them; these functions apply them to a message already labelled, so `scripts/robustness.py`
and the tests can compare the verdicts on the message as written and disguised. Pure functions of the text and
a seed: the same row gets the same disguise on every run.
"""

from __future__ import annotations

import hashlib
import html
import random
import re
from collections.abc import Callable
from functools import lru_cache

import opencc

Disguise = Callable[[str, random.Random], str]

_CYRILLIC = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і"}
_SMALL_CAPITALS = dict(zip("abcdefghijklmnopqrstuvwyz", "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘǫʀꜱᴛᴜᴠᴡʏᴢ", strict=True))
_LEET = {"o": "0", "i": "1", "a": "@", "s": "$", "e": "3", "l": "1"}
_CIRCLED = dict(zip("0123456789", "⓪①②③④⑤⑥⑦⑧⑨", strict=True))
_KEYCAP = {digit: digit + "\ufe0f\u20e3" for digit in "0123456789"}
_FULLWIDTH = {digit: chr(0xFF10 + int(digit)) for digit in "0123456789"}
# Written forms seen in gray-market posts and bulk ads (docs/corpus.md lists them); each applies with
# some chance, so a disguised message mixes plain and disguised words as real ones do.
_HOMOPHONES = (
    ("群", "裙"),
    ("微信", "V信"),
    ("钱", "米"),
    ("博彩", "菠菜"),
    ("银行卡", "yhk"),
    ("支付宝", "zfb"),
    ("贷款", "dk"),
    ("兼职", "兼zhi"),
    ("刷单", "刷dan"),
    ("加", "+"),
    ("转账", "转zhang"),
    ("验证码", "验证ma"),
    ("充值", "冲值"),
    ("返利", "返li"),
)
_WORD = re.compile(r"[A-Za-z]{3,}")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,4}")
_BETWEEN_HAN = re.compile(r"(?<=[\u4e00-\u9fff])(?=[\u4e00-\u9fff])")
_SCHEME = re.compile(r"https?://")
_DOT_ENDING = re.compile(r"\.(com|net|org|top|xyz|cc|vip|info|co|ly|cn|hk|tw|uk)\b")


# A link as written: a sender disguises words, never their own link (a changed link is another site).
_LINK = re.compile(r"(?:https?://|www\.)\S+|[\w.-]+" + _DOT_ENDING.pattern + r"\S*", re.IGNORECASE)


def _some_words(text: str, rng: random.Random, change: Callable[[str], str], share: float) -> str:
    links = [match.span() for match in _LINK.finditer(text)]

    def maybe(match: re.Match[str]) -> str:
        inside = any(start <= match.start() < end for start, end in links)
        return change(match.group()) if not inside and rng.random() < share else match.group()

    return _WORD.sub(maybe, text)


def cyrillic_letters(text: str, rng: random.Random) -> str:
    return _some_words(text, rng, lambda w: "".join(_CYRILLIC.get(c, c) if rng.random() < 0.5 else c for c in w), 0.35)


def small_capitals(text: str, rng: random.Random) -> str:
    return _some_words(text, rng, lambda w: "".join(_SMALL_CAPITALS.get(c.lower(), c) for c in w), 0.35)


def digits_for_letters(text: str, rng: random.Random) -> str:
    return _some_words(text, rng, lambda w: "".join(_LEET.get(c, c) if rng.random() < 0.5 else c for c in w), 0.35)


def spaced_letters(text: str, rng: random.Random) -> str:
    return _some_words(text, rng, " ".join, 0.2)


def dotted_letters(text: str, rng: random.Random) -> str:
    return _some_words(text, rng, ".".join, 0.2)


def invisible_characters(text: str, rng: random.Random) -> str:
    return "".join(c + ("\u200b" if rng.random() < 0.3 else "") for c in text)


def capitals(text: str, rng: random.Random) -> str:
    return text.upper()


def no_apostrophes(text: str, rng: random.Random) -> str:
    return text.replace("'", "").replace("\u2019", "")


def no_currency_signs(text: str, rng: random.Random) -> str:
    return re.sub(r"[$£€¥￥]", "", text)


def other_digits(text: str, rng: random.Random) -> str:
    table = rng.choice((_CIRCLED, _KEYCAP, _FULLWIDTH))
    return "".join(table.get(c, c) for c in text)


_EMOJI = ("🎁", "🔥", "💰", "✅", "👉", "❗", "😊", "🎉", "📦", "⚠️", "💯", "🙏")


def emoji_after_words(text: str, rng: random.Random) -> str:
    """Decoration as in posts and bulk texts: "Congratulations🎉🎉 you won 🎁"."""
    return " ".join(
        word + (rng.choice(_EMOJI) * rng.randint(1, 3) if rng.random() < 0.25 else "") for word in text.split(" ")
    )


def emoji_for_spaces(text: str, rng: random.Random) -> str:
    return re.sub(" ", lambda m: rng.choice(_EMOJI) if rng.random() < 0.3 else " ", text)


def html_entities(text: str, rng: random.Random) -> str:
    """Text copied from a web page, a mail's source or a feed: "don&#x27;t", "&amp;"."""
    return html.escape(text, quote=True)


def chat_export_stamps(text: str, rng: random.Random) -> str:
    """A chat exported from WhatsApp, WeChat or QQ: a date and time before every line."""
    day, month, hour, minute = rng.randint(1, 28), rng.randint(1, 12), rng.randint(8, 22), rng.randint(0, 50)
    style = rng.randrange(3)
    lines = []
    for number, line in enumerate(text.split("\n")):
        if not line.strip():
            lines.append(line)
            continue
        minute_now = minute + number
        if style == 0:
            stamp = f"[{day:02d}/{month:02d}/2025, {hour}:{minute_now:02d}:{rng.randint(10, 59)}] "
        elif style == 1:
            stamp = f"{day}/{month}/25, {hour % 12 or 12}:{minute_now:02d} {'pm' if hour >= 12 else 'am'} - "
        else:
            stamp = f"2025-{month:02d}-{day:02d} {hour}:{minute_now:02d}:{rng.randint(10, 59)} "
        lines.append(stamp + line)
    return "\n".join(lines)


# What chat and SMS apps show around a message from a stranger, copied with it (our own wording of the kind).
_BANNERS = {
    "en": (
        "This sender is not in your contacts. Be careful: never share codes or send money to people you don't know.",
        "Messages: this may be spam. Report junk.",
        "Safety tip: scammers may pretend to be someone you know. Be careful before sending money.",
    ),
    "zh": (
        "温馨提示：对方不是你的微信好友，请注意核实对方身份，谨防诈骗。",
        "【安全提示】如对方要求转账汇款，请提高警惕，谨防诈骗。",
        "该消息可能为诈骗信息，请勿点击链接",
    ),
}


def _app_banner(lang: str) -> Disguise:
    def app_safety_banner(text: str, rng: random.Random) -> str:
        """A chat app's safety banner copied above or below the message (it says several warning words)."""
        banner = rng.choice(_BANNERS[lang])
        return f"{banner}\n{text}" if rng.random() < 0.5 else f"{text}\n{banner}"

    return app_safety_banner


# A mail client's forwarding header, in the client's language (an English client forwards Chinese mail too),
# line by line. The sender and recipient are people: the header's format is the disguise, not its names.
_FORWARD_HEADERS = {
    "en": (
        (
            "---------- Forwarded message ---------",
            "From: {name} <{address}>",
            "Date: {weekday}, {day} Mar 2025 at {hour}:{minute}",
            "Subject: Fwd: {subject}",
            "To: <{me}>",
        ),
        (
            "-----Original Message-----",
            "From: {name} [mailto:{address}]",
            "Sent: {weekday}, March {day}, 2025 {hour}:{minute} AM",
            "To: {me}",
            "Subject: RE: {subject}",
        ),
        ("Begin forwarded message:", "", "From: {name} <{address}>", "Subject: {subject}", "Date: {day} March 2025"),
    ),
    "zh": (
        (
            "-------- 转发邮件信息 --------",
            "发件人：{name} <{address}>",
            "发送时间：2025年3月{day}日 {hour}:{minute}",
            "收件人：<{me}>",
            "主题：转发：{subject}",
        ),
        (
            "------------------ 原始邮件 ------------------",
            '发件人: "{name}"<{address}>;',
            "发送时间: 2025年3月{day}日(星期二) 上午{hour}:{minute}",
            '收件人: "{me}"<{me}>;',
            "主题: {subject}",
        ),
    ),
}


def _forwarded_header(lang: str) -> Disguise:
    def forwarded_email_header(text: str, rng: random.Random) -> str:
        """The message forwarded from a mail client: its header block first, in the client's language (a
        Chinese message forwarded from an English client has an English header); the subject is the
        message's first words."""
        client = "en" if lang == "en" or rng.random() < 0.5 else "zh"
        lines = rng.choice(_FORWARD_HEADERS[client])
        subject = " ".join(text.split()[:6]) if lang == "en" else "".join(text.split())[:14]
        values = {
            "name": rng.choice(("Li Ming", "Mary Lee", "Chen Wei", "David Brown")),
            "address": rng.choice(("liming88@163.com", "mary.lee@gmail.com", "chenwei@qq.com", "dbrown@outlook.com")),
            "me": rng.choice(("wangfang@qq.com", "j.smith@yahoo.com")),
            "weekday": rng.choice(("Mon", "Tue", "Wed")),
            "day": rng.randint(1, 28),
            "hour": rng.randint(8, 11),
            "minute": f"{rng.randint(0, 59):02d}",
            "subject": subject,
        }
        return "\n".join(line.format(**values) for line in lines) + "\n\n" + text

    return forwarded_email_header


def broken_links(text: str, rng: random.Random) -> str:
    text = _SCHEME.sub(lambda m: rng.choice(("hxxp://", "http //", "https//", "")), text)
    return _DOT_ENDING.sub(lambda m: rng.choice((" dot ", "[.]", "(.)", " . ")) + m.group(1), text)


@lru_cache(maxsize=1)
def _to_traditional() -> opencc.OpenCC:
    return opencc.OpenCC("s2hk")


def traditional_characters(text: str, rng: random.Random) -> str:
    return str(_to_traditional().convert(text))


def spaced_characters(text: str, rng: random.Random) -> str:
    return _HAN_RUN.sub(lambda m: " ".join(m.group()) if rng.random() < 0.3 else m.group(), text)


def symbols_between_characters(text: str, rng: random.Random) -> str:
    return _BETWEEN_HAN.sub(lambda m: rng.choice("*_~·❤") if rng.random() < 0.15 else "", text)


def homophones(text: str, rng: random.Random) -> str:
    for plain, disguised in _HOMOPHONES:
        if rng.random() < 0.7:
            text = text.replace(plain, disguised)
    return text


# Which disguises each language's senders use.
DISGUISES: dict[str, tuple[Disguise, ...]] = {
    "en": (
        cyrillic_letters,
        small_capitals,
        digits_for_letters,
        spaced_letters,
        dotted_letters,
        invisible_characters,
        capitals,
        no_apostrophes,
        no_currency_signs,
        other_digits,
        broken_links,
        emoji_after_words,
        emoji_for_spaces,
        html_entities,
        chat_export_stamps,
        _app_banner("en"),
        _forwarded_header("en"),
    ),
    "zh": (
        traditional_characters,
        spaced_characters,
        symbols_between_characters,
        homophones,
        invisible_characters,
        other_digits,
        broken_links,
        emoji_after_words,
        chat_export_stamps,
        _app_banner("zh"),
        _forwarded_header("zh"),
    ),
}


def disguised(text: str, disguise: Disguise, seed: str) -> str:
    """`text` with `disguise` applied, its random choices drawn from `seed` (e.g. the row id): stable across runs."""
    digest = hashlib.blake2b(f"{seed}\t{disguise.__name__}".encode(), digest_size=8).digest()
    return disguise(text, random.Random(int.from_bytes(digest, "big")))
