"""The web pages' login: a key in an HttpOnly, SameSite=Strict cookie, checked on every request.

Covers docs/security.md "Web pages: login": the cookie and its attributes, the role's redaction on the
pages, wrong and revoked keys, open redirects, logout, the redirect of pages (and only pages) to the
login, and the CSRF rule (the cookie never authenticates a POST).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import Role, key_id_of, revoke_key
from api.routes.login import COOKIE_MAX_AGE_S, safe_next
from api.security import SESSION_COOKIE, PublicRoute, declared_access, effective_routes
from api.settings import Settings
from graph.ladybug_engine import LadybugEngine
from tests.secure import SecureApp, secure_app

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
LOGOUT_BUTTON = 'action="/logout"'
ROLE_ZH = {Role.viewer: "查看者", Role.analyst: "分析员", Role.admin: "管理员"}


@pytest.fixture
def keyed(reference_embedded: LadybugEngine, tmp_path: Path) -> Iterator[SecureApp]:
    app = secure_app(reference_embedded, tmp_path)
    with app.client:
        yield app


def login(app: SecureApp, role: Role | None, next_page: str = "/", key: str | None = None, **headers: str) -> Any:
    """POST the login form as a browser would (the client keeps the cookie it gets)."""
    form = {"key": key if key is not None else app.keys[role] if role else "", "next": next_page}
    return app.client.post("/login", data=form, headers={**HTML, **headers}, follow_redirects=False)


def page(app: SecureApp, path: str, **kwargs: Any) -> Any:
    """GET a page as a browser does: no X-API-Key header, Accept: text/html, the client's cookies."""
    return app.client.get(path, headers=HTML, follow_redirects=False, **kwargs)


def cookie_attributes(response: Any) -> dict[str, str]:
    """The attributes of the login cookie a response sets, lower-cased names (``Set-Cookie`` parsed by hand)."""
    [header] = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{SESSION_COOKIE}=")]
    name_value, *attributes = [part.strip() for part in header.split(";")]
    parsed = {"value": name_value.split("=", 1)[1]}
    for attribute in attributes:
        name, _, value = attribute.partition("=")
        parsed[name.lower()] = value
    return parsed


def first_member(engine: LadybugEngine) -> dict[str, Any]:
    row: dict[str, Any] = engine.read("MATCH (a:Member)-[:MEMBER_OF]->(b:PartyOrg) RETURN a.id AS id, a.name AS name, "
                                      "a.joined AS joined, b.id AS branch ORDER BY a.id LIMIT 1")[0]
    return row


# ------------------------------------------------------------------------------------------ logging in


def test_login_page_explains_what_to_paste(keyed: SecureApp) -> None:
    response = page(keyed, "/login?next=/facts")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "粘贴" in response.text and "og_" in response.text and 'name="key"' in response.text
    assert 'name="next" value="/facts"' in response.text
    assert '<a href="/login">登录</a>' in response.text and LOGOUT_BUTTON not in response.text, "not logged in yet"


def test_login_sets_the_cookie_and_goes_back(keyed: SecureApp) -> None:
    response = login(keyed, Role.viewer, "/facts?status=agrees")
    assert response.status_code == 303 and response.headers["location"] == "/facts?status=agrees"
    cookie = cookie_attributes(response)
    assert cookie["value"] == keyed.keys[Role.viewer], "the cookie holds the key, checked on every request"
    assert {"httponly", "path", "samesite", "max-age"} <= set(cookie) and "secure" not in cookie, "plain http: not Secure"
    assert cookie["path"] == "/" and cookie["samesite"].lower() == "strict" and cookie["max-age"] == str(COOKIE_MAX_AGE_S)
    facts = page(keyed, "/facts?status=agrees")
    assert facts.status_code == 200 and "公开数据与图谱核对" in facts.text
    assert ROLE_ZH[Role.viewer] in facts.text and LOGOUT_BUTTON in facts.text, "the navigation bar shows the login"
    assert page(keyed, "/login").text.count(LOGOUT_BUTTON) == 1, "the login page knows the browser is logged in"


def test_the_cookie_is_secure_over_https_or_when_set(keyed: SecureApp, monkeypatch: pytest.MonkeyPatch) -> None:
    over_https = keyed.client.post("https://testserver/login", data={"key": keyed.keys[Role.viewer]}, follow_redirects=False)
    assert over_https.status_code == 303 and "secure" in cookie_attributes(over_https)
    monkeypatch.setenv("ORGGRAPH_COOKIE_SECURE", "true")  # TLS ends at a proxy that does not say so
    assert "secure" in cookie_attributes(login(keyed, Role.viewer))


def test_pages_show_what_the_logged_in_role_may_see(keyed: SecureApp, reference_embedded: LadybugEngine) -> None:
    """The pages never name a member (not even masked); the role decides which other attributes show."""
    member = first_member(reference_embedded)
    joined = member["joined"].isoformat()
    seen = {}
    for role in (Role.viewer, Role.analyst):
        keyed.client.cookies.clear()
        assert login(keyed, role).status_code == 303
        entity = page(keyed, f"/entities/{member['id']}")
        branch = page(keyed, f"/entities/{member['branch']}")
        view = page(keyed, f"/viz/ego/{member['branch']}")  # the network view framed by the branch's page
        assert entity.status_code == branch.status_code == view.status_code == 200, role
        text = entity.text + branch.text + view.text
        assert member["name"] not in text and f"{member['name'][0]}*" not in text, f"{role}: a member's name on a page"
        seen[role] = text
    assert joined in seen[Role.analyst] and "入党日期" in seen[Role.analyst], "analysts see the joined date"
    assert joined not in seen[Role.viewer] and "入党日期" not in seen[Role.viewer], "viewers see members as ids only"
    reads = [e for e in keyed.audit.read() if e["event"] == "member_data"]
    analyst_id = key_id_of(keyed.keys[Role.analyst])
    assert {(e["key_id"], e["view"]) for e in reads if e["role"] == "analyst"} == {(analyst_id, "masked")}, \
        "the audit log names the key of the cookie"


def test_a_wrong_key_gives_the_page_again(keyed: SecureApp, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    viewer_id = key_id_of(keyed.keys[Role.viewer])
    forged = f"og_{viewer_id}_{'0' * 64}"
    for key in (forged, "not a key <script>", ""):
        response = login(keyed, None, "/facts", key=key)
        assert response.status_code == 401 and response.headers["content-type"].startswith("text/html")
        assert 'class="error"' in response.text and "密钥" in response.text
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
        assert 'name="next" value="/facts"' in response.text, "the way back is kept"
        if key:
            assert key not in response.text and "<script>" not in response.text, "the key is never echoed"
    logged = [r.getMessage() for r in caplog.records if r.name == "orggraph.security"]
    assert f"rejected an API key (id {viewer_id}) on /login" in logged
    assert "rejected an API key (id malformed) on /login" in logged
    assert not any("og_" in m or "script" in m for m in logged), "no key in the logs"


def test_a_revoked_key_stops_at_once(keyed: SecureApp) -> None:
    assert login(keyed, Role.analyst, "/facts").status_code == 303
    assert page(keyed, "/facts").status_code == 200
    analyst_id = key_id_of(keyed.keys[Role.analyst])
    assert analyst_id is not None
    revoke_key(keyed.keys_file, analyst_id)
    gone = page(keyed, "/facts")
    assert gone.status_code == 303 and gone.headers["location"] == "/login?next=%2Ffacts"
    assert cookie_attributes(gone)["max-age"] == "0", "the stale cookie is cleared"
    keyed.client.cookies.set(SESSION_COOKIE, keyed.keys[Role.analyst])
    assert keyed.client.get("/api/v1/health").status_code == 401
    assert login(keyed, Role.analyst).status_code == 401, "nor can it log in again"


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil", "/\\/evil.example",
                                    "/\t/evil.example", "http:/evil.example", "javascript:alert(1)", "evil", "/login",
                                    "//evil.example/%2F..", "/" + "x" * 3000])
def test_no_open_redirect(keyed: SecureApp, target: str) -> None:
    response = login(keyed, Role.viewer, target)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert 'name="next" value="/"' in page(keyed, "/login", params={"next": target}).text


def test_local_targets_are_kept() -> None:
    assert safe_next("/entities/440303002003") == "/entities/440303002003"
    assert safe_next("/search?q=%E9%BB%84&offset=50") == "/search?q=%E9%BB%84&offset=50"
    assert safe_next("/search?q=黄贝岭") == "/search?q=黄贝岭"


def test_logout_clears_the_cookie(keyed: SecureApp) -> None:
    login(keyed, Role.viewer)
    response = keyed.client.post("/logout", headers=HTML, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    cleared = cookie_attributes(response)
    assert cleared["max-age"] == "0" and cleared["path"] == "/" and cleared["value"] in ("", '""')
    assert SESSION_COOKIE not in keyed.client.cookies
    assert page(keyed, "/").status_code == 303


def test_pages_without_a_login_go_to_the_login_page_and_the_api_answers_401(keyed: SecureApp) -> None:
    home = page(keyed, "/")
    assert home.status_code == 303 and home.headers["location"] == "/login"
    deep = page(keyed, "/entities/440303002003?tab=x")
    assert deep.status_code == 303
    assert parse_qs(urlsplit(deep.headers["location"]).query) == {"next": ["/entities/440303002003?tab=x"]}
    for path in ("/api/v1/health", "/api/v1/entities/440303002003"):
        api = page(keyed, path)
        assert api.status_code == 401 and api.headers["content-type"] == "application/problem+json", path
    script = keyed.client.get("/facts", follow_redirects=False)  # no Accept: text/html
    assert script.status_code == 401 and script.headers["content-type"] == "application/problem+json"
    fragment = keyed.client.get("/search/results?q=x", headers={"HX-Request": "true",
                                                                 "HX-Current-URL": "http://testserver/facts?status=agrees"})
    assert fragment.status_code == 401
    assert fragment.headers["hx-redirect"] == "/login?next=%2Ffacts%3Fstatus%3Dagrees", "htmx sends the whole page to the login"
    followed = keyed.client.get("/gaps", headers=HTML)
    assert followed.status_code == 200 and 'name="next" value="/gaps"' in followed.text


def test_the_cookie_never_authenticates_a_post(keyed: SecureApp) -> None:
    """CSRF: another site can make a browser POST with its cookies; the admin console takes the header only."""
    assert login(keyed, Role.admin).status_code == 303
    body = {"query": "RETURN 1 AS x"}
    for headers in ({}, {"Origin": "http://testserver"}, {"Origin": "http://evil.example"}):
        refused = keyed.client.post("/api/v1/admin/cypher", json=body, headers=headers)
        assert refused.status_code == 401 and "X-API-Key" in refused.json()["detail"], headers
    assert keyed.client.post("/api/v1/admin/cypher", json=body, headers=keyed.headers(Role.admin)).status_code == 200
    assert keyed.client.get("/api/v1/health").status_code == 200, "reads go with the cookie (downloads linked from pages)"
    assert keyed.get(Role.viewer, "/api/v1/health").status_code == 200, "the header wins over the cookie"
    assert keyed.post(Role.viewer, "/api/v1/admin/cypher", json=body).status_code == 403, "…with its own role"


def test_other_sites_cannot_log_a_browser_in_or_out(keyed: SecureApp) -> None:
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"}, {"Referer": "http://evil.example/x"},
                    {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"}, {"Sec-Fetch-Site": "same-site"}):
        keyed.client.cookies.clear()
        response = login(keyed, Role.viewer, **headers)
        assert response.status_code == 403 and SESSION_COOKIE not in keyed.client.cookies, headers
        assert keyed.keys[Role.viewer] not in response.text
    for headers in ({"Origin": "http://testserver"}, {"Referer": "http://testserver/login?next=/"},
                    {"Sec-Fetch-Site": "same-origin", "Origin": "https://orggraph.example"},  # a proxy rewrote Host
                    {"Origin": "https://orggraph.example", "X-Forwarded-Host": "orggraph.example"}):
        assert login(keyed, Role.viewer, **headers).status_code == 303, headers
    out = keyed.client.post("/logout", headers={"Origin": "http://evil.example"}, follow_redirects=False)
    assert out.status_code == 403 and SESSION_COOKIE in keyed.client.cookies


def test_login_routes_are_declared_public(keyed: SecureApp) -> None:
    declared = {(r.path, m): declared_access(r) for r in effective_routes(keyed.client.app) for m in (r.methods or ())  # type: ignore[arg-type]
                if r.path in ("/login", "/logout")}
    assert set(declared) == {("/login", "GET"), ("/login", "POST"), ("/logout", "POST")}
    assert all(len(d) == 1 and isinstance(d[0], PublicRoute) for d in declared.values())


def test_open_mode_needs_no_login(reference_embedded: LadybugEngine, tmp_path: Path) -> None:
    settings = Settings(engine="embedded", api_keys_file=tmp_path / "none.jsonl", audit_log=tmp_path / "audit.jsonl")
    with TestClient(create_app(settings, engine=reference_embedded)) as client:
        shown = client.get("/login?next=/facts", headers=HTML)
        assert shown.status_code == 200 and "无需登录" in shown.text and 'name="key"' not in shown.text
        assert "演示模式(无密钥)" in shown.text and "演示模式(无密钥)" in client.get("/facts").text
        posted = client.post("/login", data={"key": "x", "next": "/facts"}, follow_redirects=False)
        assert posted.status_code == 303 and posted.headers["location"] == "/facts" and "set-cookie" not in posted.headers
