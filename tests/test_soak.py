"""The reliability soak (tests/soak.py) at a small size: signed deliveries with duplicates
and forgeries, the service SIGKILLed and restarted while they arrive, the Graph API failing
a tenth of the hides; afterwards everything valid is archived once, every hide done once
after its snapshot, nothing forged stored, and the audit chain intact.

Scale it with UPPSIKT_SOAK_EVENTS and UPPSIKT_SOAK_KILLS; bench/soak.py runs it at full size.
"""

from __future__ import annotations

import os
import random

import httpx

from app.fakegraph.server import FakeGraphServer
from app.rules.engine import RuleEngine
from tests.soak import SoakConfig, check, describe, make_plan, run_soak


def test_soak_with_kills_duplicates_forgeries_and_graph_failures(db, database_url, tmp_path):
    config = SoakConfig(events=int(os.environ.get("UPPSIKT_SOAK_EVENTS", "3000")),
                        kills=int(os.environ.get("UPPSIKT_SOAK_KILLS", "2")),
                        drain_timeout=600)
    result = run_soak(config, database_url, tmp_path / "soak")
    report = "\n".join(describe(result))
    print(report)
    f = result.figures
    assert result.problems == [], report
    assert result.audit_returncode == 0, report
    # The run did what it says: the kills, the forgeries and the failures happened.
    assert f["kills"] == config.kills and f["restarts"] == config.kills, report
    assert f["invalid_refused"] == f["invalid_sent"] > 0, report
    assert f["injected_failures"] > 0 and f["action_retries"] >= f["injected_failures"], report
    assert f["actions_done"] == f["to_hide"] > 0, report


def test_the_checks_see_a_lost_a_repeated_and_a_forged_delivery(db, database_url):
    """The end-state checks are not blind: a plan the database does not match is named."""
    plan = make_plan(SoakConfig(events=200), RuleEngine.from_directory(), "c")
    with FakeGraphServer() as fake:  # nothing arrived, nothing was hidden
        problems = check(db, plan, fake)
    assert any("archived items differ" in p for p in problems)
    assert any("inbox rows differ" in p for p in problems)
    assert any("done hide actions differ" in p for p in problems)
    assert any("successful Graph calls" in p for p in problems)
    plan.posts[-1].status = 200
    plan.posts[-1].kind = "invalid"
    assert any("forged delivery was not refused" in p for p in check(db, plan, fake))


def test_fake_graph_fails_the_given_share_of_action_calls():
    with FakeGraphServer() as fake:
        fake.state.objects["1_2"] = {"message": "Hej"}
        fake.state.rng = random.Random(7)
        fake.state.action_failure_rate = 0.3
        with httpx.Client(base_url=fake.base_url,
                          headers={"Authorization": f"Bearer {fake.state.token}"}) as http:
            answers = [http.post("/v24.0/1_2", data={"is_hidden": "true"}) for _ in range(200)]
            gets = [http.get("/v24.0/1_2").status_code for _ in range(20)]
    failed = [r for r in answers if r.status_code == 503]
    assert 30 <= len(failed) <= 90
    assert {r.json()["error"]["code"] for r in failed} == {2}
    assert len(failed) == fake.state.injected_failures
    assert [c["injected"] for c in fake.state.actions] == [r.status_code == 503
                                                           for r in answers]
    assert set(gets) == {200}  # reads are not failed
