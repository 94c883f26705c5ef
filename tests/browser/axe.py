"""axe-core in the page: the WCAG 2.1 AA findings that block (serious, critical), for the browser tests.

axe-core is vendored under ``tests/browser/vendor/`` (MPL-2.0, its LICENSE beside it), so the check
runs offline. It is injected through the DevTools protocol, which the pages' strict CSP does not block.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
# Rules outside the WCAG tags (axe calls them best practice) that the issue saw fail: any finding counts.
ALSO = ["empty-table-header"]


def violations(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page as it stands, one line per rule and node."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    script = ("only => axe.run(document, {runOnly: only}).then(r => r.violations.map(v => ({id: v.id,"
              " impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)})))")
    found = [v for v in page.evaluate(script, {"type": "tag", "values": TAGS}) if v["impact"] in BLOCKING]
    found += page.evaluate(script, {"type": "rule", "values": ALSO})
    return [f"{v['id']} ({v['impact']}) {node}" for v in found for node in v["nodes"]]
