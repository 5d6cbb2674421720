"""The web pages router: routes, content types, security headers, languages, regions, static files."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.channels.web import pages
from bot.channels.web.settings import Settings
from bot.channels.web.words import PAGE_WORDS_FILE, load_page_words
from bot.library.loader import LibraryError, load_library

HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def make_client(settings: Settings | None = None) -> TestClient:
    app = FastAPI()
    app.include_router(pages.router)
    app.state.settings = settings or Settings()
    return TestClient(app)


@pytest.fixture(scope="module")
def client() -> TestClient:
    return make_client()


def csp_directives(header: str) -> dict[str, str]:
    directives: dict[str, str] = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        assert name not in directives, f"directive {name} twice"
        directives[name] = value.strip()
    return directives


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


# --- pages and headers ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/embed"])
def test_pages_are_html_with_a_strict_csp(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    csp = csp_directives(response.headers["content-security-policy"])
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["img-src"] == "'self' data:"
    assert csp["connect-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert "unsafe" not in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_main_page_may_only_be_framed_by_itself() -> None:
    client = make_client(Settings(frame_ancestors="https://police.example"))
    response = client.get("/")
    assert csp_directives(response.headers["content-security-policy"])["frame-ancestors"] == "'self'"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"


def test_embed_frame_ancestors_come_from_settings() -> None:
    client = make_client(Settings(frame_ancestors="https://police.example https://*.bank.example:8443"))
    response = client.get("/embed")
    csp = csp_directives(response.headers["content-security-policy"])
    assert csp["frame-ancestors"] == "https://police.example https://*.bank.example:8443"
    assert "x-frame-options" not in response.headers  # it cannot express a list; CSP decides


def test_embed_default_frame_ancestors_is_self(client: TestClient) -> None:
    response = client.get("/embed")
    assert csp_directives(response.headers["content-security-policy"])["frame-ancestors"] == "'self'"


def test_a_broken_frame_ancestors_setting_cannot_inject_a_directive() -> None:
    client = make_client(
        Settings(frame_ancestors="https://ok.example; script-src 'unsafe-inline' https://evil.example")
    )
    header = client.get("/embed").headers["content-security-policy"]
    csp = csp_directives(header)  # no directive appears twice
    assert csp["script-src"] == "'self'"
    assert "unsafe-inline" not in header
    assert "https://ok.example;" not in header


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("'self'", "'self'"),
        ("*", "*"),
        ("'none'", "'none'"),
        ("https://a.example  https://b.example", "https://a.example https://b.example"),
        ("'self' http://localhost:8080", "'self' http://localhost:8080"),
        ("https://a.example 'none'", "https://a.example"),
        ("", "'self'"),
        ("'unsafe-inline' javascript:alert(1)", "'self'"),
        ("https://a.example,https://b.example", "'self'"),
    ],
)
def test_frame_ancestors_sanitised(value: str, expected: str) -> None:
    assert pages.frame_ancestors(value) == expected


def test_pages_have_no_inline_script_style_or_third_party_resource(client: TestClient) -> None:
    for path in ("/", "/embed?origin=https://police.example"):
        html = client.get(path).text
        tags = tags_of(html)
        assert not [tag for tag, _ in tags if tag == "style"]
        for tag, attrs in tags:
            assert "style" not in attrs, f"inline style on <{tag}>"
            assert not [name for name in attrs if name.startswith("on")], f"inline handler on <{tag}>"
            if tag == "script":
                assert attrs.get("src"), "inline <script>"
            for name in ("src", "href"):
                url = attrs.get(name)
                if url is not None:
                    assert url.startswith(("/", "#", "tel:")), f"<{tag} {name}={url}> leaves our origin"
        assert "http://" not in html and "https://" not in html.replace("https://police.example", "")


def test_head_requests_work(client: TestClient) -> None:
    for path in ("/", "/embed", "/widget.js", "/static/chat.css"):
        assert client.head(path).status_code == 200


# --- language and region --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "accept", "lang"),
    [
        ("?lang=en", "zh-CN,zh;q=0.9", "en"),
        ("?lang=zh", "en-US,en;q=0.9", "zh-Hans"),
        ("?lang=EN-gb", None, "en"),
        ("", "en-US,en;q=0.9", "en"),
        ("", "zh-TW,zh;q=0.9,en;q=0.8", "zh-Hans"),
        ("", "fr-FR, zh;q=0.2, en;q=0.8", "en"),
        ("", "fr-FR,de;q=0.5", "zh-Hans"),  # the cn region's own language
        ("", None, "zh-Hans"),
        ("?lang=fr", "en", "en"),
    ],
)
def test_language_from_query_then_accept_language(
    client: TestClient, query: str, accept: str | None, lang: str
) -> None:
    headers = {"Accept-Language": accept} if accept else {}
    html = client.get(f"/{query}", headers=headers).text
    assert f'<html lang="{lang}">' in html


def test_both_languages_have_every_ui_string() -> None:
    assert set(pages.UI_STRINGS["zh"]) == set(pages.UI_STRINGS["en"])
    for strings in pages.UI_STRINGS.values():
        assert all(text.strip() for text in strings.values())


def test_the_pages_words_are_data_and_a_broken_file_names_entry_and_field(tmp_path: Path) -> None:
    """web/page_words.yaml holds the page's own words; a missing translation or a placeholder one
    language lacks stops the start, naming the file, the entry and the field."""
    words = load_page_words()
    assert set(words.languages) == set(pages.LANGUAGES) == {"zh", "en"}
    assert pages.UI_STRINGS["en"]["send"] == words.interface["send"]["en"]
    broken = PAGE_WORDS_FILE.read_text(encoding="utf-8")
    broken = broken.replace("    en: Check\n", "", 1)  # the English "send" button label
    broken = broken.replace("立即联系{call}", "立即联系", 1)  # urgent_call without its placeholder
    path = tmp_path / "page_words.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(LibraryError) as raised:
        load_page_words(path)
    message = str(raised.value)
    assert f"{path}: interface > send field 'en': missing" in message
    assert "interface > urgent_call" in message and "placeholders" in message


def test_a_taiwan_page_reads_in_traditional_characters(client: TestClient) -> None:
    """The page's own words follow the region's script, like the advice it shows; <html lang> says so."""
    html = client.get("/?region=tw&lang=zh").text
    assert '<html lang="zh-Hant-TW">' in html
    assert "防騙助手" in html and "防骗助手" not in html
    assert '<html lang="zh-Hans">' in client.get("/?region=cn&lang=zh").text


def test_english_page_says_english_things(client: TestClient) -> None:
    html = client.get("/?lang=en").text
    assert "Scam Check" in html
    assert "Press Enter to send" in html
    assert "cannot guarantee" in html


def test_footer_lists_the_regions_hotlines_and_the_disclaimer(client: TestClient) -> None:
    html = client.get("/?lang=zh").text
    assert 'href="tel:110"' in html
    assert 'href="tel:96110"' in html
    assert "全国反诈劝阻专线" in html
    assert "不能保证任何消息是安全的" in html
    # Not a number: shown, never dialled; and named in the page's own language.
    assert "国家反诈中心 App" in html
    assert 'href="tel:国家' not in html
    assert 'data-text-en="the National Anti-Fraud Center app (国家反诈中心)"' in html
    # 12381 only SENDS warning texts: it is never offered as a number to call.
    assert 'href="tel:12381"' not in html


def test_region_from_settings_and_from_the_widget() -> None:
    html = make_client(Settings(region="sg")).get("/?lang=en").text
    assert 'href="tel:1799"' in html
    assert "ScamShield" in html
    embed = make_client(Settings(region="sg")).get("/embed?region=hk").text
    assert 'href="tel:18222"' in embed
    unknown = make_client(Settings(region="sg")).get("/embed?region=atlantis").text
    assert 'href="tel:1799"' in unknown


def test_scam_type_names_reach_the_page_for_the_script(client: TestClient, library: object) -> None:
    html = client.get("/").text
    match = re.search(r'data-scam-names="([^"]*)"', html)
    assert match
    assert "冒充公检法诈骗" in match.group(1)
    assert "&#34;fake_authority&#34;" in match.group(1)  # JSON quotes escaped inside the attribute


# --- hostile input --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/embed"])
def test_hostile_query_parameters_are_never_reflected_raw(client: TestClient, path: str) -> None:
    params = {"lang": HOSTILE, "region": HOSTILE, "origin": HOSTILE, "x": HOSTILE}
    response = client.get(path, params=params)
    assert response.status_code == 200
    assert "<script>alert" not in response.text
    assert "onerror" not in response.text
    assert "alert(" not in response.text


def test_embed_reflects_only_a_well_formed_parent_origin(client: TestClient) -> None:
    good = client.get("/embed", params={"origin": "https://police.example:8443"}).text
    assert 'data-parent-origin="https://police.example:8443"' in good
    for bad in ("javascript:alert(1)", "https://police.example/path", "*", 'https://a.example" onload="x', "null"):
        html = client.get("/embed", params={"origin": bad}).text
        assert 'data-parent-origin=""' in html, bad
    # The chat page never talks to a parent.
    assert "data-parent-origin" not in client.get("/", params={"origin": "https://police.example"}).text


def test_templates_autoescape_library_text(library_copy: Path) -> None:
    regions = library_copy / "regions" / "cn.yaml"
    regions.write_text(
        regions.read_text(encoding="utf-8").replace("全国反诈劝阻专线", "<script>alert(1)</script>"), encoding="utf-8"
    )
    app = FastAPI()
    app.include_router(pages.router)
    app.state.settings = Settings()
    app.state.library = load_library(library_copy)
    html = TestClient(app).get("/?lang=zh").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert pages.templates.env.autoescape is True


# --- static files and the widget ------------------------------------------------------------


def test_widget_js_is_javascript_cached_briefly_and_revalidated(client: TestClient) -> None:
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "max-age=3600" in response.headers["cache-control"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert response.headers["access-control-allow-origin"] == "*"  # so a site can pin it with integrity=
    assert "document.currentScript" in response.text
    etag = response.headers["etag"]
    again = client.get("/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("chat.css", "text/css; charset=utf-8"),
        ("chat.js", "text/javascript; charset=utf-8"),
        ("icon.svg", "image/svg+xml"),
    ],
)
def test_static_files_served_with_their_types(client: TestClient, name: str, media_type: str) -> None:
    response = client.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["cache-control"] == "public, max-age=300"


def test_versioned_static_links_are_cached_for_a_year(client: TestClient) -> None:
    html = client.get("/").text
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert len(links) >= 4
    for link in links:
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, link
        assert "immutable" in response.headers["cache-control"], link
    stale = client.get("/static/chat.css?v=0000")
    assert "immutable" not in stale.headers["cache-control"]


def test_pages_are_kept_per_app_and_a_changed_static_file_gets_a_new_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages are rendered once and kept: never another app's (its settings, its library), never with a
    file's old hash."""
    small, large = make_client(Settings(max_message_chars=1000)), make_client(Settings(max_message_chars=2000))
    for _ in range(2):
        assert 'data-max-chars="1000"' in small.get("/").text
        assert 'data-max-chars="2000"' in large.get("/").text
    static = tmp_path / "static"
    shutil.copytree(pages.STATIC_DIR, static)
    monkeypatch.setattr(pages, "STATIC_DIR", static)
    monkeypatch.setattr(pages, "STATIC_RECHECK_SECONDS", 0.0)
    monkeypatch.setattr(pages, "_static_cache", {})
    link = re.compile(r'href="(/static/chat\.css\?v=[0-9a-f]+)"')
    before, again = link.search(small.get("/").text), link.search(small.get("/").text)
    assert before is not None and again is not None and again.group(1) == before.group(1)  # same file, same link
    (static / "chat.css").write_text("/* changed */", encoding="utf-8")
    after = link.search(small.get("/").text)
    assert after is not None and after.group(1) != before.group(1)
    assert small.get(after.group(1)).text == "/* changed */"


@pytest.mark.parametrize(
    "path",
    ["/static/nope.js", "/static/..%2Fpyproject.toml", "/static/.hidden.js", "/static/chat.CSS", "/static/templates"],
)
def test_static_refuses_anything_else(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_scripts_never_write_html_or_evaluate_code() -> None:
    for path in pages.STATIC_DIR.glob("*.js"):
        source = path.read_text(encoding="utf-8")
        for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert forbidden not in source, f"{path.name} uses {forbidden}"


def test_static_files_load_nothing_from_elsewhere() -> None:
    css = (pages.STATIC_DIR / "chat.css").read_text(encoding="utf-8")
    assert "@import" not in css
    assert "url(" not in css
    chat = (pages.STATIC_DIR / "chat.js").read_text(encoding="utf-8")
    assert "http://" not in chat and "https://" not in chat


def test_page_still_renders_when_the_app_could_not_load_the_library() -> None:
    app = FastAPI()
    app.include_router(pages.router)
    app.state.settings = Settings()
    app.state.library = None  # what create_app leaves when the knowledge files are broken
    response = TestClient(app).get("/?lang=zh")
    assert response.status_code == 200
    assert "不能保证任何消息是安全的" in response.text
    assert "tel:" not in response.text
