"""The due badge's countdown in a real browser: the server's time, not the device's, and the full lateness."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.browser.conftest import Live, screenshot
from tests.browser.test_inbox import blow, fresh_title, open_task
from tests.support import SHANGHAI

pytestmark = pytest.mark.browser

MONDAY = datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI)  # 综合执法哨: signing is due 2 working hours on, 11:00


def head_badge(page: Any) -> str:
    """The text of the due badge at the head of a task page, after the script has had its first tick."""
    return page.locator(".task-head [data-countdown] .remaining").inner_text().strip()


def sign_task_page(page_as: Any, live: Live, device_time: datetime) -> Any:
    """The dispatcher's 签收 task page, with the browser's clock standing at ``device_time``."""
    case, tokens = blow(live, fresh_title("倒计时"))
    task = open_task(live, tokens["CGW.dispatcher"], case, "Task_sign")
    page = page_as("CGW.dispatcher")
    page.clock.set_fixed_time(device_time)
    page.goto(f"{live.base}/tasks/{task['id']}")
    return page


def test_a_late_task_keeps_how_late_even_when_the_device_clock_is_behind(page_as: Any, live: Live) -> None:
    live.clock.set(MONDAY)
    page_as("CGW.dispatcher")  # sign in before the server's clock jumps (sessions idle out)
    late = MONDAY + timedelta(days=2, hours=3)  # Wednesday 12:00: 2 days 1 hour after the 11:00 deadline
    case, tokens = blow(live, fresh_title("倒计时"))
    task = open_task(live, tokens["CGW.dispatcher"], case, "Task_sign")
    live.clock.set(late)
    page = page_as("CGW.dispatcher")
    page.clock.set_fixed_time(MONDAY)  # the device thinks it is still Monday 09:00
    page.goto(f"{live.base}/tasks/{task['id']}")
    assert head_badge(page) == "已超时 2天1小时（自然时间）"
    screenshot(page, f"countdown-late-{live.backend}")


def test_the_countdown_reads_the_servers_time_when_the_device_clock_runs_ahead(page_as: Any, live: Live) -> None:
    live.clock.set(MONDAY)
    page = sign_task_page(page_as, live, MONDAY + timedelta(hours=5))  # the device says 14:00: past the deadline
    assert head_badge(page) == "剩余 2个工作小时"


def test_the_countdown_runs_down_from_the_servers_time(page_as: Any, live: Live) -> None:
    live.clock.set(MONDAY)
    case, tokens = blow(live, fresh_title("倒计时"))
    task = open_task(live, tokens["CGW.dispatcher"], case, "Task_sign")
    page = page_as("CGW.dispatcher")
    page.clock.install(time=MONDAY - timedelta(days=30))  # a device a month behind, whose clock runs
    page.goto(f"{live.base}/tasks/{task['id']}")
    assert head_badge(page) == "剩余 2个工作小时"
    page.clock.run_for(31 * 60 * 1000)  # half an hour and a minute later, by the device's own clock
    assert head_badge(page) == "剩余 1个工作小时29分"
