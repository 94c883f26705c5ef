"""Designers deploy SLA policies from the browser: checked like the CLI, located problems, N+1 or unchanged."""
from __future__ import annotations

import re

from sqlalchemy import select

from escalation.models import SlaPolicy
from tests.support import WHISTLE_PACK, Flow
from tests.web.conftest import Pages

SOURCE = (WHISTLE_PACK / "policies" / "whistle.yaml").read_text(encoding="utf-8")


def stored(flow: Flow) -> list[tuple[int, str]]:
    """The whistle policy's versions and their sources, oldest first."""
    with flow.db.transaction(write=False) as session:
        return [(r.version, r.source) for r in session.execute(
            select(SlaPolicy).where(SlaPolicy.process_key == "whistle").order_by(SlaPolicy.version)).scalars()]


def test_a_designer_deploys_a_changed_policy_as_the_next_version_and_an_unchanged_one_as_nothing(
        pages: Pages, flow: Flow) -> None:
    flow.deploy_policy()
    designer = pages.as_("designer")
    page = designer.get("/design/policies").get_data(as_text=True)
    assert 'name="action" value="deploy"' in page
    changed = SOURCE + "\n# longer report-in for the winter\n"
    answer = designer.post("/design/policies", {"source": changed, "action": "deploy"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("#policy-whistle-2")
    assert [v for v, _ in stored(flow)] == [1, 2] and stored(flow)[1][1] == changed
    shown = designer.get("/design/policies").get_data(as_text=True)
    assert "第 2 版" in shown and 'id="policy-whistle-2"' in shown
    again = designer.post("/design/policies", {"source": changed, "action": "deploy"})
    assert again.status_code == 302 and [v for v, _ in stored(flow)] == [1, 2]
    assert "未改动" in designer.get("/design/policies").get_data(as_text=True)


def test_a_broken_policy_is_not_deployed_and_its_problems_are_located(pages: Pages, flow: Flow) -> None:
    flow.deploy_policy()
    broken = SOURCE.replace('at: "80%"', 'at: "180%"')
    answer = pages.as_("designer").post("/design/policies", {"source": broken, "action": "deploy"})
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert "未部署" in text and re.search(r"<code translate=\"no\">policy\.yaml:\d+</code>", text)
    assert "180%" in text  # the text stays in the form to be fixed
    assert [v for v, _ in stored(flow)] == [1]


def test_deploying_needs_a_designer_and_the_csrf_token(pages: Pages, flow: Flow) -> None:
    flow.deploy_policy()
    changed = SOURCE + "\n# changed\n"
    assert pages.as_("CGW.head").post("/design/policies", {"source": changed, "action": "deploy"}).status_code == 403
    designer = pages.as_("designer")
    assert designer.client.post("/design/policies", data={"source": changed, "action": "deploy"}).status_code == 400
    assert [v for v, _ in stored(flow)] == [1]
