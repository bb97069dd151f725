"""schemathesis against the OpenAPI document, in process, on both engines: no 500, every response as documented.

Each operation gets up to ``MAX_EXAMPLES`` generated requests (hypothesis, derandomized so the count
is the same on every run; operations with few possible inputs get fewer). The count of cases per
engine is printed and recorded in docs/security.md. Requests carry an admin key, so every operation,
the Cypher console included, is reached; the graph must be unchanged afterwards.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.keys import Role
from graph.engine import GraphEngine
from tests.secure import secure_app

MAX_EXAMPLES = 15
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


def _fuzz(operation: schemathesis.APIOperation, headers: dict[str, str], cases: Counter[str], statuses: Counter[int]) -> None:
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=operation.as_strategy())
    def check(case: schemathesis.Case) -> None:
        cases[operation.label] += 1
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    check()


def test_openapi_contract(reference_engine: GraphEngine, tmp_path: Path) -> None:
    app = secure_app(reference_engine, tmp_path)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app.client.app)
    headers = app.headers(Role.admin)
    before = (reference_engine.node_counts(), reference_engine.rel_counts())
    cases: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        try:
            _fuzz(operation, headers, cases, statuses)
        except Exception as exc:  # collect every operation's failure, not just the first
            failures.append(f"{operation.label}: {str(exc)[-1500:]}")
    total = sum(cases.values())
    print(f"\nschemathesis on {reference_engine.kind}: {total} cases over {len(operations)} operations; "
          f"statuses {dict(sorted(statuses.items()))}")
    assert not failures, "\n\n".join(failures)
    assert total >= 10 * len(operations)
    assert (reference_engine.node_counts(), reference_engine.rel_counts()) == before
