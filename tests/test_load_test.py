"""The load test of bench/load_test.py in its reduced CI form: 10 clients for 5 s on loopback, zero errors."""

from __future__ import annotations

from pathlib import Path

from api.app import create_app
from api.keys import Role
from bench.load_test import default_mix, free_port, run_load, serve_in_thread, wait_until_serving
from graph.ladybug_engine import LadybugEngine
from tests.secure import issue_keys, secure_settings


def test_ten_clients_for_five_seconds_without_errors(reference_embedded: LadybugEngine, tmp_path: Path) -> None:
    keys = {role.value: key for role, key in issue_keys(tmp_path).items()}
    member = reference_embedded.read("MATCH (a:Member)-[:BELONGS_TO]->(:HometownGroup {id: 'htg-01'}) "
                                     "RETURN a.id AS id ORDER BY id LIMIT 1")[0]["id"]
    app = create_app(secure_settings(reference_embedded, tmp_path), engine=reference_embedded)
    with serve_in_thread(app, free_port()) as base_url:
        wait_until_serving(base_url, keys[Role.viewer.value])
        report = run_load(base_url, keys, clients=10, seconds=5, mix=default_mix(member=member))
    print("\n" + report.table())
    assert not report.errors, report.errors[:5]
    assert report.requests >= 20 and len(report.latencies) >= 10
    assert report.percentiles()["p50"] > 0
