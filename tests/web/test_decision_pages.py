"""The decision table editor's server side: the deployed DMN is served, an edit deploys a new version of the
process, a broken or hostile table is refused with the rule and column named (nothing deployed), and only
designers may deploy."""
from __future__ import annotations

from lxml import html as lxml_html
from sqlalchemy import select

from engine.models import ProcessDefinition
from tests.support import Flow
from tests.web.conftest import Pages
from tests.web.test_pages_design import post_xml
from tests.web.test_ywtb_http import YWTB

URL = "/design/ywtb/decisions/ywtb_dispatch"


def versions(flow: Flow) -> list[int]:
    """Deployed versions of ywtb."""
    with flow.db.transaction(write=False) as session:
        return list(session.execute(select(ProcessDefinition.version).where(ProcessDefinition.key == "ywtb")
                                    .order_by(ProcessDefinition.version)).scalars())


def test_an_edited_table_deploys_and_a_broken_one_is_refused(pages: Pages, flow: Flow) -> None:
    flow.deploy(YWTB / "ywtb.bpmn")
    designer = pages.as_("designer")
    viewer = lxml_html.fromstring(designer.get("/design/ywtb").get_data(as_text=True))
    assert sorted(viewer.xpath("//a/@data-decision")) == ["ywtb_auto", "ywtb_auto_handler", "ywtb_dispatch",
                                                           "ywtb_fallback"]
    assert designer.get(URL).status_code == 200
    deployed = designer.get(URL + ".dmn").get_data()
    assert deployed == (YWTB / "decisions" / "ywtb_dispatch.dmn").read_bytes()

    hostile = deployed.replace(b"<text>0.3</text>", b'<text>__import__("os")</text>')
    refused = post_xml(designer, URL, hostile, filename="ywtb_dispatch.dmn")
    assert refused.status_code == 422 and versions(flow) == [1]
    assert [p["message"] for p in refused.get_json()["problems"]] == [
        "第 21 条规则，输出列 2（confidence）：未知函数 __import__"]

    edited = post_xml(designer, URL, deployed.replace(b"<text>0.3</text>", b"<text>0.35</text>"),
                      filename="ywtb_dispatch.dmn")
    assert edited.status_code == 201 and edited.get_json()["version"] == 2 and versions(flow) == [1, 2]
    assert b"<text>0.35</text>" in designer.get(URL + ".dmn").get_data()
    # The other tables came along unchanged: the new version still decides all four.
    assert sorted(lxml_html.fromstring(designer.get("/design/ywtb").get_data(as_text=True))
                  .xpath("//a/@data-decision")) == ["ywtb_auto", "ywtb_auto_handler", "ywtb_dispatch", "ywtb_fallback"]

    assert post_xml(pages.as_("SFQ-CY.dispatcher"), URL, deployed, filename="x.dmn").status_code == 403
    assert designer.get("/design/ywtb/decisions/nothing_here").status_code == 404
    assert versions(flow) == [1, 2]
