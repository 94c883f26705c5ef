"""Packs: the folders under ``processes/`` that each hold one practice, read and put in requirement order."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import yaml_lines
from engine.errors import Problem
from engine.yaml_lines import LocatedDict, quoted

PACK_FILE = "pack.yaml"
FORMS, POLICIES, CALENDARS = "forms", "policies", "calendars"
ORGANISATION_FILE, DEMO_FILE = "organisation.yaml", "demo.yaml"
CODE = re.compile(r"[a-z][a-z0-9-]{0,31}")
MAX_NAME = 100
MAX_REQUIRES = 32
MAX_PACKS = 100  # packs under one processes folder; a practice rarely needs more than a handful
MAX_FILES = 500  # BPMN, form, policy and calendar files of one pack (the whistle pack holds 10)
# A YAML file is refused by the loader above yaml_lines.MAX_CHARACTERS characters; UTF-8 takes at most
# 4 bytes a character, so a larger file is refused unread, before it costs memory.
MAX_YAML_BYTES = yaml_lines.MAX_CHARACTERS * 4
_KEYS = ("code", "name", "name_en", "requires")


@dataclass(frozen=True)
class Pack:
    """One practice: what its pack.yaml says and which files it holds."""

    code: str
    name: str
    name_en: str
    requires: tuple[str, ...]
    folder: Path
    requires_line: int  # where requirement problems are located in pack.yaml
    bpmn: tuple[Path, ...]
    forms: Path | None
    policies: tuple[Path, ...]
    calendars: Path | None
    organisation: Path | None
    demo: Path | None

    @property
    def file(self) -> Path:
        """The pack's pack.yaml."""
        return self.folder / PACK_FILE


def is_pack(folder: Path) -> bool:
    """Whether ``folder`` is a pack (it holds a pack.yaml)."""
    return (folder / PACK_FILE).is_file()


def holds_packs(folder: Path) -> bool:
    """Whether ``folder`` is a processes folder: one or more of its sub-folders is a pack."""
    return folder.is_dir() and any(is_pack(child) for child in _children(folder))


def read_pack(folder: Path) -> tuple[Pack | None, list[Problem]]:
    """Read a pack folder; None with located problems when its pack.yaml or its contents cannot be used."""
    path = folder / PACK_FILE
    problems: list[Problem] = []
    data = _read_yaml(path, problems)
    if data is None:
        return None, problems

    def problem(at: str, template: str, **params: Any) -> None:
        problems.append(Problem(str(path), data.line_of(at), at, template, {k: quoted(v) for k, v in params.items()}))

    for key in data:
        if key not in _KEYS:
            problem(key, "unknown key {key}: a pack.yaml holds code, name, name_en and requires", key=key)
    code = data.get("code")
    if not (isinstance(code, str) and CODE.fullmatch(code)):
        problem("code", "code must be 1 to 32 characters: a lowercase letter, then lowercase letters, digits or -")
    elif code != folder.name:
        problem("code", "code {code} must be the name of the pack's folder ({folder})", code=code, folder=folder.name)
    name = data.get("name")
    if not (isinstance(name, str) and name.strip() and len(name) <= MAX_NAME):
        problem("name", "name is required: the practice's name, at most {limit} characters", limit=MAX_NAME)
    name_en = data.get("name_en", "")
    if not (isinstance(name_en, str) and len(name_en) <= MAX_NAME):
        problem("name_en", "name_en must be text of at most {limit} characters", limit=MAX_NAME)
    requires = data.get("requires") or []
    if not (isinstance(requires, list) and len(requires) <= MAX_REQUIRES
            and all(isinstance(r, str) and CODE.fullmatch(r) for r in requires)):
        problem("requires", "requires must be a list of at most {limit} pack codes, e.g. [demo-city]",
                limit=MAX_REQUIRES)
        requires = []
    elif code in requires:
        problem("requires", "a pack cannot require itself")
    if problems:
        return None, problems
    pack = _contents(folder, str(code), str(name), str(name_en), tuple(dict.fromkeys(requires)),
                     data.line_of("requires"), problems)
    return (None if problems else pack), problems


def find_packs(folder: Path) -> tuple[list[Pack], list[Problem]]:
    """Every pack under a processes folder, each after the packs it requires; problems located in pack.yaml."""
    found: list[Pack] = []
    problems: list[Problem] = []
    folders = [child for child in _children(folder) if is_pack(child)]
    if len(folders) > MAX_PACKS:
        problems.append(Problem(str(folder), None, None, "{count} packs in one folder; at most {limit} are read",
                                {"count": len(folders), "limit": MAX_PACKS}))
        folders = folders[:MAX_PACKS]
    for child in folders:
        pack, pack_problems = read_pack(child)
        problems += pack_problems
        if pack is not None:
            found.append(pack)
    ordered, order_problems = in_requirement_order(found, folder)
    return ordered, problems + order_problems


def with_requirements(pack: Pack) -> tuple[list[Pack], list[Problem]]:
    """A pack and the packs it requires, read from beside it (its parent folder), in requirement order."""
    known = {pack.code: pack}
    problems: list[Problem] = []
    waiting = list(pack.requires)
    while waiting and len(known) <= MAX_PACKS:
        code = waiting.pop()
        if code in known or not is_pack(pack.folder.parent / code):
            continue  # a missing one is reported by in_requirement_order, located in the pack that needs it
        required, required_problems = read_pack(pack.folder.parent / code)
        problems += required_problems
        if required is not None:
            known[code] = required
            waiting += required.requires
    ordered, order_problems = in_requirement_order(list(known.values()), pack.folder.parent)
    return ordered, problems + order_problems


def in_requirement_order(packs: Iterable[Pack], folder: Path) -> tuple[list[Pack], list[Problem]]:
    """Packs ordered so that each comes after those it requires (by code where free to choose).

    A pack whose requirement is missing, or that is part of a circle of requirements, is left
    out, with a problem located in its pack.yaml.
    """
    by_code = {pack.code: pack for pack in packs}
    problems: list[Problem] = []
    for pack in sorted(by_code.values(), key=lambda p: p.code):
        for code in pack.requires:
            if code not in by_code:
                problems.append(Problem(str(pack.file), pack.requires_line, "requires",
                                        "requires pack {code}, which is not in {folder}",
                                        {"code": code, "folder": str(folder)}))
    ordered: list[Pack] = []
    state: dict[str, str] = {}  # code -> "visiting" | "done" | "failed"

    def visit(pack: Pack, path: list[str]) -> bool:
        if state.get(pack.code) in ("done", "failed"):
            return state[pack.code] == "done"
        if state.get(pack.code) == "visiting":
            circle = path[path.index(pack.code):] + [pack.code]
            first = by_code[min(circle)]
            problems.append(Problem(str(first.file), first.requires_line, "requires",
                                    "the packs require each other in a circle: {circle}",
                                    {"circle": " → ".join(circle)}))
            return False
        state[pack.code] = "visiting"
        ready = True
        for code in pack.requires:
            ready = code in by_code and visit(by_code[code], [*path, pack.code]) and ready
        state[pack.code] = "done" if ready else "failed"
        if ready:
            ordered.append(pack)
        return ready

    for pack in sorted(by_code.values(), key=lambda p: p.code):
        visit(pack, [])
    return ordered, problems


def calendar_folders(folder: Path) -> tuple[list[Path], list[Problem]]:
    """The calendars folders of a processes folder: every pack's, in requirement order.

    A folder that is a pack gives its own; one that holds no pack, its ``calendars/`` folder if any.
    """
    if is_pack(folder):
        pack, problems = read_pack(folder)
        return ([pack.calendars] if pack is not None and pack.calendars else []), problems
    if not holds_packs(folder):
        return ([folder / CALENDARS] if (folder / CALENDARS).is_dir() else []), []
    packs, problems = find_packs(folder)
    return [pack.calendars for pack in packs if pack.calendars is not None], problems


def strays(folder: Path) -> list[Problem]:
    """BPMN files of a processes folder that no pack holds (left at the top or in a folder without pack.yaml)."""
    problems = [Problem(str(path), None, None, "this BPMN file is in no pack: move it into a pack's folder")
                for path in sorted(folder.glob("*.bpmn"))]
    for child in _children(folder):
        if not is_pack(child) and any(child.glob("*.bpmn")):
            problems.append(Problem(str(child), None, None,
                                    "this folder holds BPMN files but no pack.yaml: add one to make it a pack"))
    return problems


def _children(folder: Path) -> list[Path]:
    """Sub-folders by name, leaving out hidden ones and Python's (``.git``, ``__pycache__``)."""
    if not folder.is_dir():
        return []
    return sorted(child for child in folder.iterdir() if child.is_dir() and not child.name.startswith((".", "_")))


def _read_yaml(path: Path, problems: list[Problem]) -> LocatedDict | None:
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_YAML_BYTES + 1)
        if len(raw) > MAX_YAML_BYTES:
            raise yaml_lines.YamlError("size", 1, limit=yaml_lines.MAX_CHARACTERS // 1024)
        data = yaml_lines.load(raw.decode("utf-8"))
    except yaml_lines.YamlError as error:
        problems.append(Problem(str(path), error.line, None, error.template, error.params))
        return None
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        problems.append(Problem(str(path), None, None, "cannot read: {reason}", {"reason": reason}))
        return None
    if not isinstance(data, LocatedDict):
        problems.append(Problem(str(path), 1, None, "pack.yaml must be a mapping of code, name, name_en and requires"))
        return None
    return data


def _contents(folder: Path, code: str, name: str, name_en: str, requires: tuple[str, ...], requires_line: int,
              problems: list[Problem]) -> Pack:
    """What the pack folder holds, its file count and its YAML files' sizes bounded."""
    forms, calendars = folder / FORMS, folder / CALENDARS
    pack = Pack(
        code=code, name=name, name_en=name_en, requires=requires, folder=folder, requires_line=requires_line,
        bpmn=tuple(p for p in sorted(folder.glob("*.bpmn")) if p.is_file()),
        forms=forms if forms.is_dir() else None,
        policies=tuple(p for p in sorted((folder / POLICIES).glob("*.yaml")) if p.is_file()),
        calendars=calendars if calendars.is_dir() else None,
        organisation=_file(folder / ORGANISATION_FILE),
        demo=_file(folder / DEMO_FILE),
    )
    form_files = sorted(forms.glob("*.json")) if pack.forms else []
    calendar_files = sorted(calendars.glob("*.yaml")) if pack.calendars else []
    count = len(pack.bpmn) + len(form_files) + len(pack.policies) + len(calendar_files)
    if count > MAX_FILES:
        problems.append(Problem(str(folder), None, None, "the pack holds {count} files; at most {limit} are read",
                                {"count": count, "limit": MAX_FILES}))
        return pack
    yaml_files = [*pack.policies, *calendar_files, *(p for p in (pack.organisation, pack.demo) if p)]
    for path in yaml_files:
        if path.stat().st_size > MAX_YAML_BYTES:
            too_large = yaml_lines.YamlError("size", 1, limit=yaml_lines.MAX_CHARACTERS // 1024)
            problems.append(Problem(str(path), too_large.line, None, too_large.template, too_large.params))
    return pack


def _file(path: Path) -> Path | None:
    return path if path.is_file() else None
