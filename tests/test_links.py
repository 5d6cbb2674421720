"""Where a message's links really go: a brand's name on someone else's site gives smishing away."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.links import link_host
from bot.engine.pipeline import Engine
from bot.engine.types import Evidence, Verdict
from tests.test_library import edit_yaml, load_errors

LINK_SIGNS = {"signal.lookalike_host", "signal.brand_mismatch", "signal.risky_suffix", "signal.bare_link_lure"}


def link_signs(engine: Engine, text: str) -> set[str]:
    return {item.entry for item in engine.analyse(text).evidence} & LINK_SIGNS


def sign_on_own_words(verdict: Verdict, text: str, entry: str) -> Evidence:
    """The first piece of evidence `entry` gave, asserting there is one and that it quotes the citizen's own text."""
    found = [item for item in verdict.evidence if item.entry == entry]
    assert found, [item.entry for item in verdict.evidence]
    assert text[slice(*found[0].span)] == found[0].text  # the evidence is the citizen's own characters
    return found[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The brand's name inside a host that is not the brand's.
        ("USPS: the parcel could not be delivered, confirm your address at usps-redeliver.info/x", "lookalike_host"),
        ("Your account is on hold. Verify at chase.secure-check.net today", "lookalike_host"),
        ("【中国移动】您的积分即将清零，请登录 http://10086-jfdh.vip 兑换", "lookalike_host"),
        # The message names the brand, the link goes somewhere else.
        ("CITIBANK: a new device was added. Not you? visit https://cb1online.com/ to secure it", "brand_mismatch"),
        ("Wells Fargo: $714.02 was deducted. Not you, cancel at https://wfsecure-portal.us/x", "brand_mismatch"),
        ("中華電信：您的點數今日到期，請至 cht-point.net 兌換獎品", "lookalike_host"),
        # A cheap name ending scam sites favour.
        ("Congratulations! Claim your gift at bestgift-now.top", "risky_suffix"),
    ],
)
def test_a_link_that_is_not_the_brands_own_is_a_sign(engine: Engine, text: str, expected: str) -> None:
    assert sign_on_own_words(engine.analyse(text), text, f"signal.{expected}").why


@pytest.mark.parametrize(
    "text",
    [
        "Chase: your statement is ready. Sign in at chase.com to view it.",
        "USPS: your package 9400 1000 0000 0000 0000 00 was delivered. Track at https://tools.usps.com/go/Track",
        "Your Amazon order shipped with UPS: https://www.ups.com/track?tracknum=1Z999AA10123456784",
        "Commonwealth Bank: we never send links to log in. Type netbank.com.au yourself.",
        "Read this about Amazon's earnings: https://www.bbc.co.uk/news/business-67890",
        "I chase my dreams every day, my blog is at www.sunnyroadtrips.com",
        "HMRC: your tax return is due, see https://www.gov.uk/self-assessment-tax-returns",
        "中華電信帳單已出，請至 www.cht.com.tw 或官方 App 查詢",
        # India's banks moved to bank.in (2025): a public suffix the list knows, so the bank's own site.
        "Axis Bank: your statement for A/c XX4821 is ready. Sign in at https://axis.bank.in to view it.",
        # A brand's own name under a country's suffix is the brand's country site.
        "PayPal: you sent £16.74 to Valve Corporation. Details at https://www.paypal.co.uk/myaccount",
        # An e-mail address is not a link, and its "@" is not a look-alike "a".
        "From: PayPal <service@paypal.co.uk> Subject: Receipt for your payment to Steam",
    ],
)
def test_official_and_neutral_links_are_not_held_against_a_message(engine: Engine, text: str) -> None:
    assert link_signs(engine, text) == set()


def test_a_look_alike_spelling_is_judged_as_written_not_as_folded(engine: Engine) -> None:
    # Folding reads "paypa1" as "paypal"; the link check must see the host the citizen would visit.
    assert "signal.lookalike_host" in link_signs(engine, "PayPal: your account is limited, restore it at paypa1.com")


def test_a_sender_linking_to_its_own_site_is_not_a_mismatch(engine: Engine) -> None:
    # A courier or shop that names another brand ("your Shopee parcel") and links to the site of the
    # name it signs with is not sending the citizen elsewhere; a bank's name with a stranger's link is.
    assert "signal.brand_mismatch" not in link_signs(
        engine, "Ninja Van: your parcel from Shopee is out for delivery. Track on ninjavan.co/en-sg/tracking"
    )
    assert "signal.brand_mismatch" not in link_signs(
        engine, "Lululemon: your order has shipped via FedEx. Track: lululemon.com/orders"
    )
    assert "signal.brand_mismatch" in link_signs(
        engine, "Wells Fargo: a payment was flagged, visit cb1online.com/secure"
    )


def test_a_brand_named_with_a_mail_address_is_not_a_site_mismatch(engine: Engine) -> None:
    assert "signal.brand_mismatch" not in link_signs(engine, "Amazon refund questions: write to jane.doe@gmail.com")


@pytest.mark.parametrize(
    ("link", "host"),
    [
        ("https://www.UnionBank.Org_@bit.ly/3T1lhlE", "bit.ly"),
        ("hxxp://usps-track[.]top/abc", "usps-track.top"),
        ("HTTPS://Secure.Chase.com:443/login", "secure.chase.com"),
        ("http //", None),
        ("not a link", None),
        ("www.example.gov.tw）或「統一發票兌獎」App", "example.gov.tw"),  # a pasted link runs into the words after it
    ],
)
def test_the_host_a_link_really_leads_to(link: str, host: str | None) -> None:
    assert link_host(link) == host


def test_a_broken_links_file_names_file_entry_and_field(library_copy: Path) -> None:
    def break_domain(data: dict[str, list[dict[str, object]]]) -> None:
        data["brands"][0]["domains"] = ["not a domain"]

    edit_yaml(library_copy, "links.yaml", break_domain)
    errors = load_errors(library_copy)
    assert "scripts_library/links.yaml" in errors
    assert "domains" in errors


def test_a_link_signal_without_a_links_file_fails_at_load(library_copy: Path) -> None:
    (library_copy / "links.yaml").unlink()
    errors = load_errors(library_copy)
    assert "link_check" in errors and "links.yaml" in errors


def test_a_link_to_the_brands_own_site_is_not_an_ask_to_open_a_link(engine: Engine) -> None:
    # "If not you, sign in at chase.com": the genuine alert's own link is no warning sign, so the
    # alarm plus "open a link" concept pattern of phishing texts does not fire on it.
    genuine = "Chase: A new device signed in to your account. If this wasn't you, sign in at chase.com and change it."
    entries = {item.entry for item in engine.analyse(genuine).evidence}
    assert "signal.url" not in entries
    assert not any(entry.startswith("phishing_link.") for entry in entries)
    fake = "Chase: A new device signed in to your account. If this wasn't you, sign in at chase-login.help/secure."
    assert engine.analyse(fake).risk.value in {"medium", "high"}


QUILLPAD_SIGN_IN = (
    "Subject: Your sign-in link for Quillpad\n\nHi Sam, click the link below to sign in to your Quillpad account: "
    "{link}. The link expires in 15 minutes. If you didn't ask for it, you can ignore this email. The Quillpad team"
)


def test_a_link_to_the_site_the_message_names_as_its_writer_is_its_own(engine: Engine) -> None:
    """A sign-in mail from a site no list knows, linking to the site it names, is how genuine notices read;
    the same words linking elsewhere keep the signs of a lure."""
    genuine = engine.analyse(QUILLPAD_SIGN_IN.format(link="https://quillpad.com/auth/callback?t=8812"))
    assert not genuine.risk.flagged
    assert not {"signal.url", "phishing_link.combos.link_to_log_in"} & {item.entry for item in genuine.evidence}
    lure = engine.analyse(QUILLPAD_SIGN_IN.format(link="https://quillpad-login.help/auth/callback?t=8812"))
    assert lure.risk.flagged and any(item.entry == "signal.url" for item in lure.evidence)
    # A name is whole words run together, not a fragment of them: "delivery preferences" names no "deliverypref".
    fragment = engine.analyse("Your parcel is waiting: set your delivery preferences at https://deliverypref.com/gb")
    assert any(item.entry == "signal.url" for item in fragment.evidence)


def test_a_link_pasted_against_chinese_words_is_judged_on_its_host(engine: Engine) -> None:
    """A link that runs straight into the words after it ("（www….gov.tw）或…") is still read as the host it is:
    here a government's site, so no link sign."""
    verdict = engine.analyse(
        "可至財政部電子發票整合服務平台（www.einvoice.nat.gov.tw）或「統一發票兌獎」App 查詢中獎明細。"
    )
    assert not any(item.entry == "signal.url" for item in verdict.evidence)


def test_a_governments_bare_domain_is_its_own_site(engine: Engine) -> None:
    """ "GOV.UK" is a government's site, not a link to warn about: a one-time code naming it is harmless."""
    verdict = engine.analyse(
        "GOV.UK One Login: your security code is 118733. It expires in 15 minutes. Do not share it."
    )
    assert not verdict.risk.flagged, [(item.text, item.entry) for item in verdict.evidence]
    assert not any(item.entry == "signal.url" for item in verdict.evidence)
    fake = "GOV.UK: your tax refund of £318 is ready, claim it at gov.uk-refund.help before Friday"
    assert engine.analyse(fake).risk.flagged
    # "Sign in at the official site" is how a genuine notice points there; at a look-alike it is the lure.
    genuine = (
        "HMRC: your PAYE coding notice has been updated. Sign in to your personal tax account at gov.uk to view it."
    )
    assert not any(item.entry == "signal.login_request" for item in engine.analyse(genuine).evidence)
    lure = "HMRC: your PAYE notice has an error. Sign in to your tax account at hmrc-gov.uk-paye.help today."
    assert any(item.entry == "signal.login_request" for item in engine.analyse(lure).evidence)


@pytest.mark.parametrize(
    "text",
    [
        "Steam: your account was reported, verify at steamcommunlty.com/appeal",  # one letter off
        "N_e_t_f_l_i_x: ur plan is on hold, update card: netfl!x-renew .site",  # look-alike characters
        "Ub3r: verify your account: uber-acctcheck [.] club",  # a dot broken with spaces
        "Amazon: confirm payment at amaz0n-orders dot info",  # "dot" for the dot
        # Zero-width spaces and a word joiner slipped into the host: invisible on screen, and they
        # used to hide the host from the link checks (found by scripts/robustness.py).
        "Your PayPal account is limited, log in at pay\u200bpal-secure-lo\u200bgin.com",
        "Chase alert: sign in at cha\u200bse.secure-verify.com",
        "USPS: parcel on hold, update your address at usps-rede\u2060livery-help.t\u200bop/track",
    ],
)
def test_a_disguised_look_alike_link_is_still_seen(engine: Engine, text: str) -> None:
    assert "signal.lookalike_host" in link_signs(engine, text)


def test_an_email_address_is_not_a_link_to_open(engine: Engine) -> None:
    """A password-reset mail that names the citizen's own address asks them to open nothing."""
    text = "Hi Tariq, we got a request to reset the password for your account linked to t.m***@outlook.com."
    entries = {item.entry for item in engine.analyse(text).evidence}
    assert "signal.url" not in entries
    assert not any(entry.startswith("phishing_link.") for entry in entries)


def test_a_country_site_needs_the_brands_exact_name_and_an_honest_suffix(engine: Engine) -> None:
    assert "signal.lookalike_host" in link_signs(engine, "PayPal: confirm your details at paypal-help.co.uk/verify")
    assert link_signs(engine, "Amazon: your refund is ready at amazon.tk/claim")


@pytest.mark.parametrize(
    "text",
    [
        # Real smishing is often a lure of a few words and a stranger's link, nothing the rules know.
        "hey is this you in the video?? vidz-share.com/v/88121",
        "wow she was the best host ever https://clip-hub.net/x/5521",
        "You have 1 new notification: https://qrt-alerts.com/n/5521",
        "hi bit.ly/3xYzQ",
        "您有一条新消息，请查看 http://kf-msg.cn/a8",
        "還記得我嗎？照片在這 https://pic-share.cc/p/22",
    ],
)
def test_a_message_that_is_little_more_than_a_strangers_link_is_a_bare_lure(engine: Engine, text: str) -> None:
    verdict = engine.analyse(text)
    sign_on_own_words(verdict, text, "signal.bare_link_lure")
    assert verdict.risk.flagged


@pytest.mark.parametrize(
    "text",
    [
        # A shop or courier names its own site; a friend shares a site everyone knows.
        "Nike: your order has shipped! Track it at nike.com/orders",
        "Disney+: Your subscription renews on 05/07 for $13.99. Manage at disneyplus.com/account",
        "Holland & Barrett: your order has been dispatched, track it at hollandandbarrett.com/my-account",
        "Mum this is the recipe I told you about https://www.bbcgoodfood.com/recipes/lemon-drizzle-cake",
        "lol watch this https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "meet you here https://maps.app.goo.gl/Xy7Pq2",
        "Your appointment is confirmed for Tue 3pm. Reschedule: https://calendly.com/drlee/r/88",
        "参加明天的活动请先报名 https://www.wjx.cn/vm/abc.aspx",
        "Table for 4 at Luigi's tonight 7pm, menu: https://luigis-trattoria.co.uk/menu",
        # A site named as a word, not a link to follow; a school's page; the writer's own blog.
        "chess.com rating finally over 1200 after a month of puzzles",
        "这个网址你看一下 学校官网上的招生简章 https://zsb.xxdx.edu.cn/2024/jianzhang.html",
        "I chase my dreams every day, my blog is at www.sunnyroadtrips.com",
        # More than a few words: judged by what they say, not by the link alone.
        "Hi all, the minutes of Tuesday's residents' meeting and the new bin rota are on our page "
        "https://elmroad-residents.org/minutes/2024-11, shout if anything is wrong",
    ],
)
def test_a_short_message_whose_link_is_named_or_well_known_is_not_a_bare_lure(engine: Engine, text: str) -> None:
    assert "signal.bare_link_lure" not in link_signs(engine, text)


def test_a_bare_lure_word_limit_out_of_range_fails_at_load(library_copy: Path) -> None:
    def zero_words(data: dict[str, object]) -> None:
        data["bare_lure_max_words"] = 0

    edit_yaml(library_copy, "links.yaml", zero_words)
    errors = load_errors(library_copy)
    assert "links.yaml" in errors and "bare_lure_max_words" in errors


@pytest.mark.parametrize(
    "text",
    [
        "For your refund write to amazon.refund.desk@gmail.com with your card details",
        "Contact our billing team at support@paypal-resolution.com today",
        "请把材料发到 alipay_kefu888@163.com 邮箱办理退款",
    ],
)
def test_an_address_borrowing_a_brands_name_off_its_domain_is_a_sign(engine: Engine, text: str) -> None:
    assert "@" in sign_on_own_words(engine.analyse(text), text, "signal.brand_mail_address").text


@pytest.mark.parametrize(
    "text",
    [
        "Amazon order questions? Write to auto-confirm@amazon.co.uk",  # the brand's own country site
        "From: service@paypal.com: you sent a payment of $11.99",
        "My e-mail is jane.doe@gmail.com, send me the photos",
    ],
)
def test_an_address_on_the_brands_own_domain_or_naming_no_brand_is_not(engine: Engine, text: str) -> None:
    assert "signal.brand_mail_address" not in {item.entry for item in engine.analyse(text).evidence}


NEW_PAYEE = (
    'Subject: New payee added\n\nA new payee, "K MORRIS", was added to your Barclays account {where} today at 09:14. '
    "{rest}"
)


def test_a_genuine_notices_words_beside_an_impostors_link_are_the_templates(engine: Engine) -> None:
    """ "If this was you, no action is required" and "we will never ask for your PIN" are how the real bank
    writes; beside a link that borrows its name they are the copied template, not a sign of a genuine contact."""
    genuine = engine.analyse(
        NEW_PAYEE.format(
            where="in the app",
            rest="If this was you, no action is needed. If you don't recognise it, open the Barclays app yourself"
            " or call the number on the back of your card.",
        )
    )
    assert not genuine.risk.flagged
    phishing = engine.analyse(
        NEW_PAYEE.format(
            where="from a new device",
            rest="If you did not make this change, cancel it now to stop a payment of £980:"
            " https://barclays-payee-check.com/cancel. If this was you, no action is required. We will never ask"
            " for your PIN.",
        )
    )
    assert phishing.risk.flagged and not phishing.awareness
    assert {"signal.lookalike_host", "signal.brand_mismatch"} <= {item.entry for item in phishing.evidence}
