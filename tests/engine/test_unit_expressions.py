"""Assignment expressions: what parse accepts and refuses, what evaluate finds in a small tree."""
from __future__ import annotations

import pytest

from engine.unit_expressions import MAX_DEPTH, MAX_LENGTH, ExpressionInvalid, Node, NoUnit, evaluate, parse


class FakeTree:
    """A city with a district, a street, a community, a supervision room and one category owner."""

    #            code      id  parent  kind
    UNITS = {"CITY": (1, None, "city"), "D1": (2, 1, "district"), "S1": (3, 2, "street"),
             "C1": (4, 3, "community"), "SUP": (5, 2, "supervision"), "DEP": (6, 2, "department"),
             "SUP2": (7, 2, "supervision")}
    OWNERS = {"WFJS": 6}

    def __init__(self) -> None:
        self.by_id = {uid: (code, parent, kind) for code, (uid, parent, kind) in self.UNITS.items()}

    def id_of(self, code):
        return self.UNITS.get(code, (None,))[0]

    def parent_of(self, unit_id):
        return self.by_id[unit_id][1]

    def ancestor_of_kind(self, unit_id, kind):
        while unit_id is not None:
            if self.by_id[unit_id][2] == kind:
                return unit_id
            unit_id = self.by_id[unit_id][1]
        return None

    def within_of_kind(self, unit_id, kind):
        def below(uid):
            found = {uid}
            for other, (_, parent, _) in self.by_id.items():
                if parent == uid:
                    found |= below(other)
            return found
        hits = sorted((self.by_id[u][0], u) for u in below(unit_id) if self.by_id[u][2] == kind)
        return hits[0][1] if hits else None

    def owner_of(self, category):
        return self.OWNERS.get(category)


TREE = FakeTree()


@pytest.mark.parametrize("text, op", [
    ("street", "var"),
    ("department", "var"),
    ("unit(DCS)", "unit"),
    ("unit(HP-01)", "unit"),
    ("parent(community)", "parent"),
    ("up(district, street)", "up"),
    ("within(command_room, town)", "within"),
    ("owner(category)", "owner"),
    ("within(supervision, up(district, street))", "within"),
    ("  up( district ,street )  ", "up"),
])
def test_parse_accepts_the_documented_forms(text, op):
    assert parse(text).op == op


def test_parse_builds_the_nested_tree():
    node = parse("within(supervision, up(district, street))")
    assert node == Node("within", ("supervision", Node("up", ("district", Node("var", ("street",))))))


@pytest.mark.parametrize("text, words", [
    ("", "empty"),
    ("   ", "empty"),
    ("boss(street)", "unknown function boss"),
    ("unit(A, B)", "unit takes 1 arguments"),
    ("up(district)", "up takes 2 arguments"),
    ("up(, street)", "up needs a kind as argument 1"),
    ("up(district, street, town)", "up takes 2 arguments"),
    ("parent()", "expected a variable or a function"),
    ("unit()", "unit needs a code"),
    ("street; drop", "unexpected character ';'"),
    ("str$eet", "unexpected character '$'"),
    ("街道", "unexpected character"),
    ("street town", "unexpected 'town' after the expression"),
    ("parent(street", "parent takes 1 arguments"),
    ("owner(bad-name)", "bad-name is not a variable name"),
    ("bad-name", "bad-name is not a variable name"),
])
def test_parse_refuses_with_a_reason(text, words):
    with pytest.raises(ExpressionInvalid) as caught:
        parse(text)
    assert words in str(caught.value)


def test_parse_refuses_non_text():
    with pytest.raises(ExpressionInvalid):
        parse(None)  # type: ignore[arg-type]


def test_length_limit_is_exactly_200():
    assert MAX_LENGTH == 200
    fits = "parent(" * 7 + "s" + ")" * 7
    assert parse(fits + " " * (MAX_LENGTH - len(fits))).op == "parent"
    with pytest.raises(ExpressionInvalid, match="longer than 200"):
        parse(fits + " " * (MAX_LENGTH - len(fits) + 1))


def test_nesting_limit_is_eight():
    assert MAX_DEPTH == 8
    deepest = "parent(" * (MAX_DEPTH - 1) + "street" + ")" * (MAX_DEPTH - 1)
    assert len(parse(deepest).walk()) == MAX_DEPTH
    with pytest.raises(ExpressionInvalid, match="deeper than 8"):
        parse("parent(" * MAX_DEPTH + "street" + ")" * MAX_DEPTH)


def test_references_name_variables_kinds_and_codes():
    node = parse("within(supervision, up(district, parent(street)))")
    assert node.references() == ({"street"}, {"supervision", "district"}, set())
    assert parse("unit(DCS)").references() == (set(), set(), {"DCS"})
    assert parse("owner(category)").references() == ({"category"}, set(), set())
    assert parse("up(city, unit(HP))").references() == (set(), {"city"}, {"HP"})


@pytest.mark.parametrize("text, data, expected", [
    ("street", {"street": "S1"}, 3),
    ("department", {"department": "DEP"}, 6),
    ("unit(SUP)", {}, 5),
    ("parent(community)", {"community": "C1"}, 3),
    ("parent(parent(community))", {"community": "C1"}, 2),
    ("up(district, community)", {"community": "C1"}, 2),
    ("up(street, street)", {"street": "S1"}, 3),          # itself first
    ("up(city, unit(C1))", {}, 1),
    ("within(supervision, up(district, street))", {"street": "S1"}, 5),  # first by code of SUP, SUP2
    ("within(community, street)", {"street": "S1"}, 4),
    ("owner(category)", {"category": "WFJS"}, 6),
])
def test_evaluate_walks_the_tree(text, data, expected):
    assert evaluate(parse(text), data, TREE) == expected


@pytest.mark.parametrize("text, data, words", [
    ("street", {}, "the case variable street names no unit (value: None)"),
    ("street", {"street": ""}, "the case variable street names no unit"),
    ("street", {"street": 7}, "the case variable street names no unit (value: 7)"),
    ("street", {"street": "NOPE"}, "no unit has the code 'NOPE' (from the variable street)"),
    ("unit(NOPE)", {}, "no unit has the code NOPE"),
    ("owner(category)", {"category": "XX"}, "the category 'XX' (variable category) has no owner"),
    ("owner(category)", {}, "has no owner"),
    ("parent(unit(CITY))", {}, "there is no parent the unit found by unit(CITY)"),
    ("up(town, street)", {"street": "S1"}, "there is no town above the unit found by street"),
    ("within(supervision, community)", {"community": "C1"},
     "there is no supervision within the unit found by community"),
    ("within(street, up(city, parent(street)))", {"street": "C1"}, None),  # found: no error expected
])
def test_evaluate_says_where_it_stopped(text, data, words):
    if words is None:
        assert evaluate(parse(text), data, TREE) == 3
        return
    with pytest.raises(NoUnit) as caught:
        evaluate(parse(text), data, TREE)
    assert words in str(caught.value)


def test_a_long_value_is_shortened_in_the_message():
    with pytest.raises(NoUnit) as caught:
        evaluate(parse("street"), {"street": "X" * 500}, TREE)
    assert len(str(caught.value)) < 120 and "…" in str(caught.value)
