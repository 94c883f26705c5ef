"""How good the 一网通办 dispatch suggestions are, and how they improve as dispatchers' decisions accumulate.

The demo data is synthetic, and this script makes it (``--seed``): requests in the 12 streets and towns
of the demo district 示范区, over the 20 categories of the 一网通办 intake form, with descriptions built
from templates. The "true" unit of each request is what the dispatchers of this imagined district
choose. Mostly that is the category's lead department or, for litter, the street. Sometimes the words
decide: 电梯 in a property complaint goes to 市场监管局 (lifts are special equipment), 工地 dust to 住建委,
a blocked fire lane to the police, a street market to 城管委. A few decisions (``--noise``) are a
co-owner instead. The decision table (category × street) cannot see the words; the model can.

Everything runs through the product on a temporary SQLite database: the demo organisation is
seeded and the ywtb pack deployed. Training decisions are real cases: the clerk starts them and the
dispatcher completes 派单 with the true unit. The worker's training is ``learned_models.retrain``.
A held-out set (``--held-out``) is then suggested exactly as the business rule task does it: the
deployed DMN table decided, the learned ranking asked, the two merged. It is scored top-1 (the
suggested unit is the true one) and top-3 (the true one is the suggestion or one of its two
alternatives). This is measured after 0 decisions (a cold start from the category catalogue), after
100 and after 1,000, beside the rules alone. Latency is the time of one suggestion (decide, rank and
merge) per held-out request; p50 and p95 are reported.

    .venv/bin/python bench/dispatch_suggest.py [--steps 0,100,1000] [--held-out 300] [--seed 7]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import (  # noqa: E402
    accounts,
    decision_tables,
    definitions,
    instances,
    learned_models,
    learned_suggestions,
    organisation_files,
    schema,
    tasks,
)
from engine.actors import actor_of  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.database import Database  # noqa: E402
from engine.learned_choices import available  # noqa: E402
from engine.models import HumanTask, TaskStatus  # noqa: E402

PROCESSES = ROOT / "processes"
PACK = PROCESSES / "ywtb"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=8)))
STREETS = ["HP", "XH", "JS", "GM", "DF", "SL", "WH", "CY", "JHH", "HX", "CQ", "TP"]
OLD_TOWN = ("HP", "XH")
PLACES = ["小区门口", "楼下", "路口", "公园旁", "菜市场边", "学校附近", "地铁站出口", "小区北门", "胡同里", "商场后面"]
WHEN = ["今天早上", "最近一周", "每天晚上", "周末", "连续三天", "刚才", ""]

# category -> [(words that decide, true unit or "street", templates)], the first entry being the usual case.
PRACTICE: dict[str, list[tuple[str, str, list[str]]]] = {
    "WFJS": [("", "GHZY", ["{p}有人在楼顶搭建彩钢房", "{p}一楼住户私自扩建院墙", "{p}{w}有人违规加盖二层"])],
    "HJWS": [("", "street", ["{p}垃圾堆了好几天没人清", "{p}{w}垃圾桶满了溢出来", "{p}建筑垃圾随意倾倒"]),
             ("河道", "SWJ", ["{p}河道里漂着很多垃圾", "{w}河道边垃圾没人打捞"])],
    "DLBJ": [("", "street", ["{p}路面全是泥土很脏", "{p}{w}路上落叶和垃圾没人扫"])],
    "ZDJY": [("", "CGW", ["{p}早市摊贩占满人行道", "{p}{w}夜市摊位占道经营", "{p}水果摊摆到马路上"]),
             ("无照", "SJJ", ["{p}无照小餐馆占道经营", "{p}无照经营的摊点占用人行道"])],
    "SGZS": [("", "ZJW", ["{p}工地{w}深夜还在施工", "{p}夜里打桩声音很大", "{p}工地凌晨运渣土噪音扰民"])],
    "SHZS": [("", "GAFJ", ["{p}楼上邻居{w}半夜吵闹", "{p}有人深夜喝酒喧哗"]),
             ("广场舞", "street", ["{p}广场舞音响太响", "{p}{w}广场舞放音乐到很晚"]),
             ("喇叭", "CGW", ["{p}商铺门口喇叭一直循环播放", "{p}店铺用大喇叭招揽顾客"])],
    "WYGL": [("", "ZJW", ["{p}物业不管楼道卫生", "{p}物业乱收费", "{p}{w}物业不维修漏水的屋顶"]),
             ("电梯", "SJJ", ["{p}电梯经常困人物业不修", "{p}电梯{w}坏了好几次存在安全隐患"])],
    "GN": [("", "CGW", ["{p}暖气不热室温只有十几度", "{p}{w}暖气漏水没人修"])],
    "SDGD": [("", "SWJ", ["{p}{w}停水了没有通知", "{p}自来水管爆裂水流满地", "{p}水压太低楼上没水"])],
    "LMJG": [("", "CGW", ["{p}井盖松动很危险", "{p}路面塌陷出一个大坑", "{p}{w}井盖丢失没人补"])],
    "DLJS": [("", "SWJ", ["{p}下雨后路面积水很深", "{p}{w}积水排不出去"])],
    "LHYL": [("", "YLLH", ["{p}大树枝干断裂快掉下来", "{p}绿地被人毁坏", "{p}{w}树木遮挡路灯需要修剪"])],
    "YCYY": [("", "STHJ", ["{p}餐馆油烟直排熏得没法开窗", "{p}烧烤油烟{w}很大"]),
             ("工地", "ZJW", ["{p}工地扬尘很大没有覆盖", "{p}工地{w}尘土飞扬没有洒水"])],
    "TCGL": [("", "JTW", ["{p}停车位规划不合理", "{p}{w}路边停车收费混乱"]),
             ("消防通道", "GAFJ", ["{p}车辆乱停占用消防通道", "{p}消防通道被私家车堵死"])],
    "QZ": [("", "GAFJ", ["{p}一套房子住了二十多人", "{p}{w}群租房人员复杂"])],
    "SCJG": [("", "SJJ", ["{p}超市卖过期食品", "{p}菜市场缺斤短两", "{p}{w}饭店卫生很差"])],
    "LJXQ": [("", "ZJW", ["{p}老楼想加装电梯怎么申请", "{p}老旧小区改造进度太慢", "{p}{w}改造后外墙开裂"])],
    "LDBZ": [("", "RSJ", ["{p}工地老板拖欠工资三个月", "{p}{w}公司不发工资"])],
    "MZ": [("", "MZJ", ["{p}独居老人需要养老服务", "{p}困难家庭申请救助没人管"])],
    "YLWS": [("", "WJW", ["{p}诊所无证行医", "{p}{w}社区卫生站排队太久"])],
}
CO_OWNERS = {"WFJS": "ZJW", "ZDJY": "CGW", "SGZS": "CGW", "SDGD": "CGW", "LMJG": "JTW", "DLJS": "CGW",
             "TCGL": "GAFJ", "QZ": "ZJW", "LJXQ": "GHZY"}


@dataclass(frozen=True)
class Request:
    """One synthetic request and the unit the district's dispatchers choose for it."""

    category: str
    street: str
    description: str
    truth: str

    def data(self, number: int) -> dict[str, Any]:
        """The intake form's data (a unique address: the duplicate check stays out of the way)."""
        return {"channel": "hotline", "request_kind": "complaint", "limit_class": "general",
                "category": self.category, "street": self.street, "community": "示范社区",
                "address": f"示范路 {number} 号", "description": self.description,
                "requester_phone": "13800000000", "disposition": "dispatch"}


def requests(count: int, rng: random.Random, noise: float) -> list[Request]:
    """``count`` requests drawn from the district's practice."""
    made = []
    for _ in range(count):
        category = rng.choice(sorted(PRACTICE))
        street = rng.choice(STREETS)
        _words, unit, templates = rng.choice(PRACTICE[category])
        if category == "TCGL" and street in OLD_TOWN and unit == "JTW":
            unit = "street"  # the old town's streets manage their own parking
        text = rng.choice(templates).format(p=rng.choice(PLACES), w=rng.choice(WHEN))
        truth = street if unit == "street" else unit
        if rng.random() < noise and category in CO_OWNERS:
            truth = CO_OWNERS[category]
        made.append(Request(category, street, text, truth))
    return made


class Bench:
    """A temporary database with the ywtb pack, its dispatchers' decisions and the deployed table."""

    def __init__(self, folder: Path) -> None:
        self.db = Database(f"sqlite:///{folder / 'bench.sqlite3'}")
        schema.upgrade(self.db)
        self.ctx = EngineContext()
        with self.db.transaction() as session:
            organisation_files.seed_demo(session, [PROCESSES / "demo-city", PACK], password="whistle-demo", now=NOW)
        with self.db.transaction() as session:
            definitions.deploy(session, self.ctx, definitions.bundle_from_path(PACK / "ywtb.bpmn"), now=NOW)
        with self.db.transaction() as session:
            self.clerk = actor_of(accounts.user_by_name(session, "SFQ-CY.clerk"))
            self.dispatcher = actor_of(accounts.user_by_name(session, "SFQ-CY.dispatcher"))
            [learner] = [found for found in learned_models.plans(session) if found.process_key == "ywtb"]
            self.element, self.plan = learner.element_id, learner.plan
        tables, problems = decision_tables.read((PACK / "decisions" / "ywtb_dispatch.dmn").read_bytes(),
                                                "ywtb_dispatch.dmn", self.ctx.evaluator)
        assert not problems, problems
        self.table = tables[0]
        self.decided = 0
        self.started = 0

    def decide(self, batch: list[Request]) -> None:
        """The clerk takes each request in and the dispatcher sends it to its true unit."""
        for request in batch:
            self.started += 1
            now = NOW + timedelta(minutes=self.started)
            with self.db.transaction() as session:
                case = instances.start(session, self.ctx, self.clerk, "ywtb", request.data(self.started), now=now)
                task = session.query(HumanTask).filter_by(instance_id=case.id, element_id="Task_dispatch",
                                                           status=TaskStatus.OPEN).one_or_none()
                if task is None:
                    continue  # dispatched automatically: no person decided
                tasks.complete(session, self.ctx, self.dispatcher, task.id, {"handler": request.truth}, now=now)
                self.decided += 1

    def train(self) -> float:
        """The worker's training; its seconds."""
        began = time.perf_counter()
        with self.db.transaction() as session:
            learned_models.retrain(session, NOW + timedelta(days=1))
        return time.perf_counter() - began

    def score(self, held_out: list[Request], *, learning: bool) -> tuple[float, float, list[float]]:
        """Top-1 and top-3 accuracy and each suggestion's seconds, as the business rule task suggests."""
        top1 = top3 = 0
        seconds = []
        with self.db.transaction(write=False) as session:
            learned = self.ctx.learned.for_process(session, "ywtb") if learning else None
            for number, request in enumerate(held_out):
                data = request.data(number)
                began = time.perf_counter()
                result = decision_tables.decide(self.table, data, self.ctx.evaluator)
                if learned is not None:
                    ruled = (result or {}).get(self.plan.output)
                    result = learned_suggestions.merge(result, self.plan, learned(self.element, self.plan, data, ruled))
                seconds.append(time.perf_counter() - began)
                unit = (result or {}).get("unit")
                ranked = [unit, *((result or {}).get("alternatives") or [])]
                top1 += unit == request.truth
                top3 += request.truth in ranked[:3]
        return top1 / len(held_out), top3 / len(held_out), seconds


def main() -> int:
    """Run the learning curve and print it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="0,100,1000", help="decisions learned at each measurement")
    parser.add_argument("--held-out", type=int, default=300, help="requests scored at each step")
    parser.add_argument("--noise", type=float, default=0.05, help="share of decisions that pick a co-owner")
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    if not available():
        print("install the learning extra first: pip install -e '.[learning]'", file=sys.stderr)
        return 2
    steps = sorted({int(s) for s in options.steps.split(",")})
    rng = random.Random(options.seed)
    held_out = requests(options.held_out, rng, options.noise)
    pool = requests(max(steps) * 2, rng, options.noise)  # automatic dispatches make some starts decide nothing
    with tempfile.TemporaryDirectory(prefix="whistle-suggest-") as folder:
        bench = Bench(Path(folder))
        rules1, rules3, rule_seconds = bench.score(held_out, learning=False)
        print(f"held-out requests: {len(held_out)}, seed {options.seed}, noise {options.noise:.0%}")
        print(f"{'decisions':>10} {'top-1':>7} {'top-3':>7} {'p50 ms':>7} {'p95 ms':>7} {'train s':>8}")
        print(f"{'rules':>10} {rules1:>7.1%} {rules3:>7.1%} {_ms(rule_seconds, 50):>7.2f} "
              f"{_ms(rule_seconds, 95):>7.2f} {'-':>8}")
        for step in steps:
            while bench.decided < step and pool:
                bench.decide([pool.pop()])
            trained = bench.train()
            top1, top3, seconds = bench.score(held_out, learning=True)
            print(f"{bench.decided:>10} {top1:>7.1%} {top3:>7.1%} {_ms(seconds, 50):>7.2f} {_ms(seconds, 95):>7.2f} "
                  f"{trained:>8.2f}")
    return 0


def _ms(seconds: list[float], percentile: int) -> float:
    """A percentile of ``seconds`` in milliseconds."""
    if percentile == 50:
        return statistics.median(seconds) * 1000
    return statistics.quantiles(seconds, n=100)[percentile - 1] * 1000


if __name__ == "__main__":
    sys.exit(main())
