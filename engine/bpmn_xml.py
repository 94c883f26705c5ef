"""Hardened reading of uploaded BPMN XML: no DTDs, no entities, no network, bounded size."""
from __future__ import annotations

from lxml import etree

from engine.errors import Problem

MAX_BPMN_BYTES = 5 * 1024 * 1024
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NSMAP = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}


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
    if len(data) > MAX_BPMN_BYTES:
        return None, [Problem(filename, None, None, "file is larger than {limit} MB",
                              {"limit": MAX_BPMN_BYTES // 1024 // 1024})]
    if not data.strip():
        return None, [Problem(filename, 1, None, "file is empty")]
    # Refuse document type declarations outright: they are how entity attacks arrive. Other
    # encodings (UTF-16) are caught after parsing, by the docinfo check below.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return None, [Problem(filename, _line_of(data, b"<!"), None, "DTDs and entity declarations are not allowed")]
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as error:
        return None, [Problem(filename, error.lineno or 1, None, "not well-formed XML: {reason}", {"reason": error.msg})]
    except (ValueError, etree.LxmlError) as error:
        return None, [Problem(filename, 1, None, "cannot read XML: {reason}", {"reason": str(error)})]
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        return None, [Problem(filename, 1, None, "DTDs and entity declarations are not allowed")]
    root = tree.getroot()
    if root.tag != f"{{{BPMN_NS}}}definitions":
        found = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        return None, [
            Problem(filename, root.sourceline, None, "not a BPMN 2.0 file: the root element is {found}, "
                    "expected definitions in the BPMN 2.0 model namespace", {"found": found})
        ]
    return tree, []


def _line_of(data: bytes, needle: bytes) -> int:
    index = data.find(needle)
    return data.count(b"\n", 0, index) + 1 if index >= 0 else 1


def line_of_id(tree: etree._ElementTree, element_id: str | None) -> int | None:
    """The source line of the element with ``id``, if there is one."""
    if not element_id:
        return None
    found = tree.xpath("//*[@id=$i]", i=element_id)
    return found[0].sourceline if found else None
