"""Every message the product shows has a Chinese translation that keeps its placeholders."""
from __future__ import annotations

import re

from tests.i18n_messages import all_messages
from web.i18n import load_catalog

PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)s")


def test_every_message_has_a_chinese_translation() -> None:
    catalog = load_catalog("zh_CN")
    missing = [f"{path.relative_to(path.parents[2])}:{line}: {text!r}"
               for text, (path, line) in sorted(all_messages().items()) if catalog.get(text) is None]
    assert missing == [], "untranslated messages:\n" + "\n".join(missing)


def test_translations_keep_their_placeholders() -> None:
    catalog = load_catalog("zh_CN")
    broken = []
    for message in catalog:
        if not message.id or not isinstance(message.string, str):
            continue
        if sorted(PLACEHOLDER.findall(str(message.id))) != sorted(PLACEHOLDER.findall(message.string)):
            broken.append(f"{message.id!r} -> {message.string!r}")
    assert broken == []


def test_chinese_translations_are_chinese() -> None:
    catalog = load_catalog("zh_CN")
    latin_only = [str(m.id) for m in catalog if m.id and isinstance(m.string, str)
                  and re.search(r"[A-Za-z]{4,}", PLACEHOLDER.sub("", m.string))
                  and not re.search(r"[\u4e00-\u9fff]", m.string)]
    assert latin_only == [], latin_only


def test_nested_messages_are_translated_on_their_own(app: object) -> None:
    from engine.errors import Text
    from web.i18n import translate

    with app.test_request_context("/"):  # type: ignore[attr-defined]
        text = translate("{what} {expression} refused: {reason}",
                         {"what": "timer", "expression": "open('x')", "reason": Text("unknown function {name}",
                                                                                     {"name": "open"})})
    assert text == "timer open('x') 被拒绝：未知函数 open"
