"""A promotion peak in miniature, on the real Serve app with tiny models: past capacity a turn is refused at once
(503 in the envelope, with Retry-After), never left to time out; the service answers again as soon as the burst is
over; and /metrics shows what happened, under the names the dashboard and the alert rules of configs/monitoring/
read."""

from __future__ import annotations

import concurrent.futures
import json
import re
import time

import httpx
import pytest
import yaml

from tests.conftest import ROOT
from tests.serving.conftest import free_port, start_kefu, stop_kefu, tiny_args

MONITORING = ROOT / "configs" / "monitoring"
TURN_ROUTE = "/v1/conversations/{conversation_id}/messages"


@pytest.fixture(scope="module")
def narrow(tmp_path_factory, tiny_whisper, tiny_clip, tiny_yolo) -> str:
    """kefu whose Dialogue answers one turn at a time and lets one more wait: a burst of 24 must be refused in
    part."""
    args = tiny_args(tmp_path_factory.mktemp("peak"), tiny_whisper, tiny_clip, tiny_yolo,
                     dialogue={"workers": 1, "max_waiting": 1, "retry_after_s": 2})
    url = start_kefu(args, free_port())
    yield url
    stop_kefu()


def turn(url: str, i: int) -> httpx.Response:
    return httpx.post(f"{url}/v1/conversations/peak-{i}/messages", timeout=60,
                      json={"customer_id": f"C100{1 + i % 6}", "text": "我的订单发货了吗？"})


def test_past_capacity_turns_are_refused_at_once_with_retry_after_and_the_service_recovers(narrow):
    with concurrent.futures.ThreadPoolExecutor(24) as pool:
        started = time.perf_counter()
        answers = list(pool.map(lambda i: (turn(narrow, i), time.perf_counter() - started), range(24)))
    statuses = [r.status_code for r, _ in answers]
    assert set(statuses) <= {200, 503}, statuses
    assert statuses.count(200) >= 1 and statuses.count(503) >= 1, statuses
    for refused, _ in (a for a in answers if a[0].status_code == 503):
        assert refused.headers["Retry-After"] == "2"
        assert refused.text.startswith("{"), (refused.text, dict(refused.headers))
        assert refused.json()["error"]["code"] == "backpressure"
    # A refusal is not a wait: it comes back before the slowest answered turn.
    assert max(s for (r, s) in answers if r.status_code == 503) <= max(s for (r, s) in answers if r.status_code == 200)
    after = turn(narrow, 99)
    assert after.status_code == 200, after.text


def _scrape(url: str, want: list[str], timeout_s: float = 30.0) -> str:
    """/metrics once every pattern of `want` is on it (Ray reports to its node's page about once a second here)."""
    deadline = time.monotonic() + timeout_s
    page = ""
    while time.monotonic() < deadline:
        r = httpx.get(f"{url}/metrics", timeout=10)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/plain")
        page = r.text
        if all(re.search(pattern, page, re.M) for pattern in want):
            return page
        time.sleep(1)
    missing = [p for p in want if not re.search(p, page, re.M)]
    raise AssertionError(f"not on /metrics after {timeout_s} s: {missing}")


def test_metrics_count_the_turns_their_stages_and_the_refusals(narrow):
    from prometheus_client.parser import text_string_to_metric_families

    for i in range(3):
        assert turn(narrow, 200 + i).status_code == 200
    route = re.escape(TURN_ROUTE)
    page = _scrape(narrow, [
        rf'^ray_kefu_http_requests_total{{.*route="{route}".*status="200".*}} [1-9]',
        rf'^ray_kefu_http_requests_total{{.*route="{route}".*status="503".*}} [1-9]',
        r'^ray_kefu_turn_seconds_bucket{.*kind="text".*stage="dialogue".*} [1-9]',
        r'^ray_kefu_turn_seconds_count{.*kind="text".*stage="total".*} [1-9]',
        r"^ray_kefu_handoff_queue_depth{",
        r"^ray_kefu_automation_rate{",
    ])
    families = {f.name: f for f in text_string_to_metric_families(page)}  # a well-formed exposition
    routes = {s.labels.get("route") for s in families["ray_kefu_http_requests"].samples}
    assert not any(r and re.search(r"peak-\d", r) for r in routes), routes  # templates, never raw ids


def _exprs() -> list[str]:
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    rules = yaml.safe_load((MONITORING / "alerts.yaml").read_text())
    return exprs + [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def test_the_dashboard_and_the_alerts_read_metrics_the_service_exports(narrow):
    from serving import metrics

    exprs = _exprs()
    assert len(exprs) >= 10
    read = {re.sub(r"_(bucket|count|sum)$", "", n) for expr in exprs for n in re.findall(r"\b(ray_[a-z_]+)", expr)}
    page = _scrape(narrow, [r"^ray_serve_deployment_queued_queries", r"^ray_serve_deployment_replica_healthy"])
    exported = {re.sub(r"_(bucket|count|sum)$", "", m.group(1))
                for m in re.finditer(r"^(ray_[a-z_]+)[{ ]", page, re.M)}
    # kefu's own names are those serving/metrics.py declares (a batch size appears once a model batches); it
    # exports no other; Ray Serve's must be on the page.
    assert {n for n in read if n.startswith("ray_kefu_")} <= set(metrics.NAMES)
    assert {n for n in exported if n.startswith("ray_kefu_")} <= set(metrics.NAMES)
    assert {n for n in read if not n.startswith("ray_kefu_")} <= exported, sorted(read - exported)


def test_the_alert_rules_cover_slow_answers_errors_and_queues():
    rules = {rule["alert"]: rule for group in yaml.safe_load((MONITORING / "alerts.yaml").read_text())["groups"]
             for rule in group["rules"]}
    slow = rules["KefuAnswersOver2s"]
    assert "0.95" in slow["expr"] and "> 2" in slow["expr"] and slow["for"] == "5m"
    assert any("status=~\"5" in r["expr"] for r in rules.values())
    assert any("handoff_queue_depth" in r["expr"] for r in rules.values())
