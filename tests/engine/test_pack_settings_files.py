"""A pack's public.yaml and consultation.yaml: a file that is no mapping, an unknown key or a bad value is refused
with the file, the line and the key named; a sound file reads."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine import consultations, public_channels
from engine.errors import DefinitionInvalid
from tests.support import PROCESSES

READERS = {"public.yaml": public_channels.read, "consultation.yaml": consultations.read}
SHIPPED = {"public.yaml": PROCESSES / "ywtb" / "public.yaml",
           "consultation.yaml": PROCESSES / "yishi" / "consultation.yaml"}


def problems(path: Path) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(DefinitionInvalid) as refused:
        READERS[path.name](path)
    return [(p.line, p.element, p.template.format(**p.params)) for p in refused.value.problems]


@pytest.mark.parametrize("name", sorted(READERS))
def test_a_file_that_is_no_mapping_is_refused_naming_its_keys(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("- just\n- a list\n", encoding="utf-8")
    [(line, _key, text)] = problems(path)
    assert line == 1 and text.startswith(f"{name} must be a mapping of process, ")


@pytest.mark.parametrize("name", sorted(READERS))
def test_an_unknown_key_is_refused_on_its_line(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    shipped = SHIPPED[name].read_text(encoding="utf-8")
    path.write_text(shipped + "\nextra_setting: 1\n", encoding="utf-8")
    found = problems(path)
    line = len((shipped + "\n").splitlines()) + 1
    assert (line, "extra_setting") in [(at, key) for at, key, _text in found]
    assert any(f"{name} takes no key extra_setting; it takes process" in text for _at, _key, text in found)


@pytest.mark.parametrize("name", sorted(READERS))
def test_the_shipped_files_read(name: str) -> None:
    assert READERS[name](SHIPPED[name]).process


@pytest.mark.parametrize(("name", "key", "bad", "said"), [
    ("consultation.yaml", "window", "'not a name!'", "window must be a name"),
    ("public.yaml", "shown", "5", "shown must list 1 to"),
])
def test_a_bad_value_is_refused_at_its_key(tmp_path: Path, name: str, key: str, bad: str, said: str) -> None:
    lines = SHIPPED[name].read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(f"{key}:"))
    lines[at] = f"{key}: {bad}"
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert any(line == at + 1 and element == key and text.startswith(said)
               for line, element, text in problems(path)), problems(path)


def test_a_rating_asks_only_other_fields_and_a_few(tmp_path: Path) -> None:
    shipped = SHIPPED["public.yaml"].read_text(encoding="utf-8")
    start = shipped.index("rate_on:")
    end = shipped.index("\n", shipped.index("set: {rated_by", start)) + 1
    for asks in ("[rating]", "[a, b, c, d, e, f]", "solved"):
        path = tmp_path / "public.yaml"
        path.write_text(shipped[:start] + f"rate_on: {{forms: [ywtb_rate], field: rating, asks: {asks}}}\n"
                        + shipped[end:], encoding="utf-8")
        assert any(element == "rate_on" and "asks must list at most 5" in text
                   for _line, element, text in problems(path)), asks
    assert public_channels.read(SHIPPED["public.yaml"]).rating.asks == ("solved",)  # type: ignore[union-attr]
