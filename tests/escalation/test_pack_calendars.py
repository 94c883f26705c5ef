"""The calendars/ folders of several packs read as one set: one holidays file, each name, department, default once."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from escalation.calendars import merge_calendars

STANDARD = ('name: 标准\ndefault: true\nwindows: [["08:30", "12:00"], ["13:00", "17:30"]]\n'
            "workdays: [mon, tue, wed, thu, fri]\n")
DUTY = 'name: 值守\nwindows: [["00:00", "24:00"]]\nworkdays: [mon, tue, wed, thu, fri, sat, sun]\ndepartments: [YJJ]\n'
HOLIDAYS = "years:\n  2027:\n    complete: true\n    holidays: [2027-01-01]\n"


def folder(root: Path, pack: str, files: dict[str, str]) -> Path:
    calendars = root / pack / "calendars"
    calendars.mkdir(parents=True)
    for name, body in files.items():
        (calendars / name).write_text(body, encoding="utf-8")
    return calendars


def test_one_packs_holidays_serve_the_calendars_of_every_pack(tmp_path: Path) -> None:
    city = folder(tmp_path, "city", {"holidays.yaml": HOLIDAYS, "duty.yaml": DUTY})
    office = folder(tmp_path, "office", {"standard.yaml": STANDARD})
    calendars, problems = merge_calendars([city, office])
    assert problems == []
    assert calendars.default.name == "标准" and calendars.for_department("YJJ").name == "值守"
    assert not calendars.default.is_workday(date(2027, 1, 1))  # the holiday comes from the city pack's file
    assert calendars.default.knows(2027)


def test_what_two_packs_both_give_is_refused_naming_both_files(tmp_path: Path) -> None:
    first = folder(tmp_path, "city", {"holidays.yaml": HOLIDAYS, "standard.yaml": STANDARD, "duty.yaml": DUTY})
    second = folder(tmp_path, "hotline", {"holidays.yaml": HOLIDAYS, "main.yaml": STANDARD.replace("标准", "热线"),
                                          "night.yaml": DUTY.replace("值守", "夜班")})
    _, problems = merge_calendars([first, second])
    assert sorted((Path(p.file).relative_to(tmp_path).as_posix(), p.line, p.element, p.message) for p in problems) == [
        ("hotline/calendars/holidays.yaml", 1, None,
         f"holidays are already given by {first / 'holidays.yaml'}: keep one holidays file"),
        ("hotline/calendars/main.yaml", 2, "default",
         f"only one calendar may be the default: {first / 'standard.yaml'} is the default already"),
        ("hotline/calendars/night.yaml", 4, "departments",
         f"YJJ already works by the calendar of {first / 'duty.yaml'}"),
    ]


def test_a_department_listed_twice_in_one_file_is_not_a_clash(tmp_path: Path) -> None:
    only = folder(tmp_path, "city", {"duty.yaml": DUTY.replace("[YJJ]", "[YJJ, YJJ]")})
    calendars, problems = merge_calendars([only])
    assert problems == [] and calendars.for_department("YJJ").name == "值守"
