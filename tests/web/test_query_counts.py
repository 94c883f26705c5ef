"""No N+1: the inbox page and the task list API run the same statements for 2 rows as for 12."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from engine.database import Database
from tests.support import Flow
from tests.web.conftest import Api, Pages


@contextmanager
def counted(db: Database) -> Iterator[list[str]]:
    """Collect the data statements the app sends while the block runs (not BEGIN, pings or pragmas)."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        # SQLite's BEGIN comes from whichever pooled connection is handed out, not from the page.
        if statement.lstrip().split(" ", 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"}:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def test_the_inbox_page_and_the_task_api_read_a_fixed_number_of_statements(pages: Pages, api: Api,
                                                                            flow: Flow) -> None:
    flow.deploy_policy()
    flow.blow(departments=["CGW"], title="第一件")
    flow.blow(departments=["CGW"], title="第二件")
    page_client = pages.as_("CGW.dispatcher")
    # Not api.client: it preserves its last request's app context, which the page requests would then share
    # (with its g and read session), so a page would reuse the previous page's session and its caches.
    api_client = api.client.application.test_client()
    token = api.token("CGW.dispatcher")

    def statements() -> tuple[int, int]:
        """(page, API) statement counts, after checking both list what was blown."""
        page_client.get("/tasks?tab=department")  # warm: the first request loads caches
        with counted(flow.db) as page:
            html = page_client.get("/tasks?tab=department").get_data(as_text=True)
        with counted(flow.db) as listing:
            items = api_client.get("/api/v1/tasks?scope=department&status=open",
                                   headers={"Authorization": f"Bearer {token}"}).get_json()["items"]
        assert html.count('class="task-row') == min(len(items), 20) and items
        return len(page), len(listing)

    few = statements()
    for n in range(10):
        flow.clock.advance(minutes=1)
        flow.blow(departments=["CGW"], title=f"第{n + 3}件")
    many = statements()
    assert many == few, f"statements for 2 rows {few}, for 12 rows {many}"
    # The page: the user, memberships, the roles, two tab counts, rows, rungs, departments, the deployed catalogs
    # (which unit kinds start cases: the street filter), categories, the whistle's starter role (the menu).
    # The API: user, the roles, memberships, rows.
    assert few == (11, 4)
