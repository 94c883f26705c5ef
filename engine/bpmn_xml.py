"""Hardened reading of uploaded BPMN XML: no DTDs, no entities, no network, bounded size."""
from __future__ import annotations

import re

from lxml import etree

from engine.errors import Problem

MAX_BPMN_BYTES = 5 * 1024 * 1024
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NSMAP = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}
XINCLUDE_NAMESPACES = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")
# Comments, CDATA and processing instructions are skipped; group 1 is the name of a start tag.
_MARKUP = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<([^\s/>!?][^\s/>]*)", re.DOTALL)


def _parser() -> etree.XMLParser:
    # Entities stay unresolved, DTDs are neither loaded nor validated, nothing is fetched.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_bpmn(data: bytes, filename: str) -> tuple[etree._ElementTree | None, list[Problem]]:
    """Parse uploaded bytes; return the tree, or None with located problems."""
    return parse_model(data, filename, f"{{{BPMN_NS}}}definitions",
                       "not a BPMN 2.0 file: the root element is {found}, "
                       "expected definitions in the BPMN 2.0 model namespace")


def parse_model(data: bytes, filename: str, root_tag: str, not_this: str
                ) -> tuple[etree._ElementTree | None, list[Problem]]:
    """Parse an uploaded model file whose root must be ``root_tag``; ``not_this`` says otherwise ({found})."""
    if len(data) > MAX_BPMN_BYTES:
        return None, [Problem(filename, None, None, "file is larger than {limit} MB",
                              {"limit": MAX_BPMN_BYTES // 1024 // 1024})]
    if not data.strip():
        return None, [Problem(filename, 1, None, "file is empty")]
    # Refuse document type declarations outright: they are how entity attacks arrive. Other
    # encodings (UTF-16) are caught after parsing, by the docinfo check below.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        needle = b"<!DOCTYPE" if b"<!DOCTYPE" in data else b"<!ENTITY"
        return None, [Problem(filename, _line_of(data, needle), None, "DTDs and entity declarations are not allowed")]
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as error:
        reason = {"reason": error.msg}
        return None, [Problem(filename, error.lineno or 1, None, "not well-formed XML: {reason}", reason)]
    except (ValueError, etree.LxmlError) as error:
        return None, [Problem(filename, 1, None, "cannot read XML: {reason}", {"reason": str(error)})]
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        return None, [Problem(filename, _doctype_line(data, tree.docinfo.encoding), None,
                              "DTDs and entity declarations are not allowed")]
    root = tree.getroot()
    _number_by_start_tag(root, data, tree.docinfo.encoding)
    if root.tag != root_tag:
        found = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        return None, [Problem(filename, root.sourceline, None, not_this, {"found": found})]
    # Nothing processes XInclude here, but tools that later open the stored file might.
    included = [n for ns in XINCLUDE_NAMESPACES for n in root.iter(f"{{{ns}}}*")]
    if included:
        return None, [
            Problem(filename, node.sourceline, _owner_id(node), "XInclude ({tag}) is not allowed",
                    {"tag": etree.QName(node).localname})
            for node in included
        ]
    return tree, []


def _number_by_start_tag(root: etree._Element, data: bytes, encoding: str | None) -> None:
    """Give each element the line its start tag begins on (libxml2 gives the line where it ends)."""
    try:
        text = data.decode(encoding or "utf-8")
    except (LookupError, UnicodeDecodeError):
        return
    elements = [n for n in root.iter() if isinstance(n.tag, str)]
    lines: list[int] = []
    line, position = 1, 0
    for match in _MARKUP.finditer(text):
        if match.group(1) is None:
            continue
        line += text.count("\n", position, match.start())
        position = match.start()
        lines.append(line)
        if len(lines) > len(elements) or match.group(1) != _qualified(elements[len(lines) - 1]):
            return  # the scan disagrees with the parser: keep the parser's numbers
    if len(lines) != len(elements):
        return
    for node, start in zip(elements, lines, strict=True):
        if start < 65535 and node.sourceline != start:  # libxml2 stores lines in 16 bits
            node.sourceline = start


def _qualified(node: etree._Element) -> str:
    local = etree.QName(node).localname
    return f"{node.prefix}:{local}" if node.prefix else local


def _owner_id(node: etree._Element) -> str | None:
    """The id of ``node`` or of its nearest ancestor that has one."""
    current: etree._Element | None = node
    while current is not None:
        if current.get("id"):
            return current.get("id")
        current = current.getparent()
    return None


def _doctype_line(data: bytes, encoding: str | None) -> int:
    """The line of the DOCTYPE in a file whose encoding is not ASCII-compatible (UTF-16, UTF-32)."""
    try:
        text = data.decode(encoding or "utf-8")
    except (LookupError, UnicodeDecodeError):
        return 1
    return _line_of(text.encode("utf-8"), b"<!DOCTYPE")


def _line_of(data: bytes, needle: bytes) -> int:
    index = data.find(needle)
    return data.count(b"\n", 0, index) + 1 if index >= 0 else 1


def line_of_id(tree: etree._ElementTree, element_id: str | None) -> int | None:
    """The source line of the element with ``id``, if there is one."""
    if not element_id:
        return None
    found = tree.xpath("//*[@id=$i]", i=element_id)
    return found[0].sourceline if found else None
