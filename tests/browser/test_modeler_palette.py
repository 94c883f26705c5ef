"""The modeler's palette floats over the canvas: the diagram must start to its right, not under it."""
from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Live, screenshot

pytestmark = pytest.mark.browser

# The left edge of the leftmost drawn shape (pools and lanes included) and the palette's right edge, in px.
EDGES = """() => {
  const palette = document.querySelector('#design-modeler .djs-palette').getBoundingClientRect();
  const shapes = [...document.querySelectorAll('#design-modeler g.djs-shape .djs-visual')]
    .map((node) => node.getBoundingClientRect()).filter((box) => box.width > 0);
  const canvas = document.querySelector('#design-modeler').getBoundingClientRect();
  return {palette: palette.right, left: Math.min(...shapes.map((b) => b.left)),
          right: Math.max(...shapes.map((b) => b.right)), canvas: canvas.right};
}"""


@pytest.mark.parametrize("width", [1280, 1024])
def test_the_diagram_starts_right_of_the_palette(page_as: Any, live: Live, width: int) -> None:
    page = page_as("designer")
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{live.base}/design/whistle/edit")
    page.wait_for_selector("#design-modeler[data-ready=true]")
    edges = page.evaluate(EDGES)
    assert edges["left"] >= edges["palette"], edges  # nothing of the diagram under the palette
    assert edges["right"] <= edges["canvas"] + 1, edges  # and nothing pushed off the right edge
    screenshot(page, f"modeler-palette-{width}-{live.backend}")
