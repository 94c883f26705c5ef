"""Every page, crawled as each role: no error answers, no English left untranslated, CSRF in every form.

The crawler signs in, follows the links a user can see (GET only), and checks each page:
it answers 2xx/3xx (a 4xx or 5xx behind a link the user was shown fails the test); visible
text and the attributes people read (placeholder, title, aria-label, alt, button values)
must carry no English words, except inside ``<code>``/``<pre>`` or elements marked
``translate="no"`` (codes, usernames, identifiers); every form that posts carries a CSRF token.
"""
from __future__ import annotations

import re
from collections import deque
from datetime import datetime

import pytest
from lxml import html as lxml_html

from engine import definitions
from escalation.config import Escalation
from escalation.policy_store import deploy_policy
from escalation.sweep import sweep
from tests.support import SHANGHAI, WHISTLE_DATA, WHISTLE_PACK
from tests.web.conftest import Api, PageClient, Pages

ROLES = ["CGW.staff", "CGW.head", "CGW.dispatcher", "HP.officer", "HP.leader", "DCS.supervisor", "designer",
         "admin"]
MAX_PAGES = 60
SKIP = ("/static/", "/api/", "/lang/", "/logout", "/attachments/")
WORD = re.compile(r"[A-Za-z][A-Za-z'’]{2,}")
# Words that are the same in Chinese texts: formats, standards, product names.
ALLOWED = {"BPMN", "API", "CSV", "JSON", "YAML", "XML", "ISO", "SLA", "PDF", "PNG", "English", "bpmn", "io",
           "Excel", "ECharts", "htmx", "Camunda", "Modeler"}
READ_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")


@pytest.fixture
def busy_district(api: Api, esc: Escalation) -> dict:
    """A whistle in progress with overdue clocks and fired rungs, so pages have real content."""
    with api.db.transaction() as session:
        definitions.deploy(session, api.app_ctx, definitions.bundle_from_path(WHISTLE_PACK / "whistle.bpmn"),
                           now=api.clock.now())
        deploy_policy(session, WHISTLE_PACK / "policies" / "whistle.yaml", now=api.clock.now())
    case = api.call("HP.officer", "POST", "/instances", {"process": "whistle", "data": {
        **WHISTLE_DATA, "departments": ["CGW", "ZJW"]}}).get_json()
    sign = next(t for t in case["open_tasks"] if t["department"] == "CGW")
    api.call("CGW.dispatcher", "POST", f"/tasks/{sign['id']}/complete", {"data": {"note": "已签收"}})
    api.clock.set(datetime(2026, 9, 29, 16, 0, tzinfo=SHANGHAI))
    assert sweep(api.db, api.app_ctx, esc, api.clock.now()).failed == 0
    return case


def _crawl(client: PageClient) -> tuple[dict[str, str], dict[str, int]]:
    """Pages reachable from the start page: path -> HTML, and the links that answered an error: path -> status.

    A link a user is shown must work for that user: any answer outside 2xx/3xx (after
    following redirects) is a broken page, never something to skip.
    """
    seen: dict[str, str] = {}
    broken: dict[str, int] = {}
    queue = deque(["/"])
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        response = client.get(path, follow_redirects=True)
        if not 200 <= response.status_code < 400:
            broken[path] = response.status_code
        if response.status_code != 200 or "text/html" not in response.content_type:
            seen[path] = ""
            continue
        body = response.get_data(as_text=True)
        seen[path] = body
        for href in lxml_html.fromstring(body).xpath("//a/@href"):
            target = href.split("#")[0]
            if target.startswith("/") and not target.startswith(SKIP) and "format=csv" not in target \
                    and not target.endswith(".bpmn") and target not in seen:
                queue.append(target)
    return {path: body for path, body in seen.items() if body}, broken


def _english(body: str) -> list[str]:
    tree = lxml_html.fromstring(body)
    found = []
    for node in tree.iter():
        if not isinstance(node.tag, str) or _exempt(node):
            continue
        for text in (node.text, *(child.tail for child in node)):
            found += [w for w in WORD.findall(text or "") if w not in ALLOWED]
        for attribute in READ_ATTRIBUTES:
            found += [w for w in WORD.findall(node.get(attribute) or "") if w not in ALLOWED]
        if node.tag == "input" and node.get("type") in ("submit", "button"):
            found += [w for w in WORD.findall(node.get("value") or "") if w not in ALLOWED]
    return found


def _exempt(node: lxml_html.HtmlElement) -> bool:
    for element in (node, *node.iterancestors()):
        if element.tag in ("script", "style", "code", "pre", "title", "head") or element.get("translate") == "no":
            return True
    return False


def _forms_without_csrf(body: str) -> list[str]:
    tree = lxml_html.fromstring(body)
    return [form.get("action") or "(this page)" for form in tree.xpath("//form")
            if (form.get("method") or "get").lower() == "post" and not form.xpath(".//input[@name='csrf_token']")]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_is_chinese_and_every_form_has_a_csrf_token(pages: Pages, busy_district: dict,
                                                              role: str) -> None:
    visited, broken = _crawl(pages.as_(role))
    assert broken == {}, f"links that answer an error to {role}"
    assert visited, f"{role} reached no page"
    untranslated = {path: sorted(set(words)) for path, body in visited.items() if (words := _english(body))}
    assert untranslated == {}, f"English words on Chinese pages seen by {role}"
    unprotected = {path: forms for path, body in visited.items() if (forms := _forms_without_csrf(body))}
    assert unprotected == {}, f"forms without a CSRF token seen by {role}"


def test_the_crawler_would_notice_english_and_missing_tokens() -> None:
    page = ('<html><body><p>办理 pending</p><code>Task_sign</code><span translate="no">CGW.staff</span>'
            '<form method="post"><button>提交</button></form></body></html>')
    assert _english(page) == ["pending"]
    assert _forms_without_csrf(page) == ["(this page)"]
