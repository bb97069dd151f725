"""The pages in a real browser: Debian's headless chromium, driven by playwright, against the app
served by uvicorn on a free loopback port over the reference dataset.

Each page must load with no console error, fetch nothing from any host but the app's, draw its
canvas (non-blank pixels) and render Chinese with real glyphs. Screenshots go to docs/screenshots/.
Never skipped: without /usr/bin/chromium (``make chromium``) these tests fail.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Frame, Locator, Page, Request, Response, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from api.app import create_app
from api.settings import Settings
from graph.engine import GraphEngine
from graph.ladybug_engine import LadybugEngine
from loaders.load import load_bundle

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
VIEWPORT = {"width": 1366, "height": 860}
DRAW_TIMEOUT_MS = 30_000

# Counts the pixels of a canvas that are neither transparent nor (near) white.
INKED_PIXELS = """(canvas) => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 0 && (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235)) { inked++; }
  }
  return inked;
}"""
# Draws Chinese and a code point no font has with the page's fonts: with no CJK font both come out
# as the same missing-glyph boxes.
CHINESE_GLYPHS = """() => {
  const canvas = document.createElement("canvas");
  canvas.width = 96; canvas.height = 40;
  const ctx = canvas.getContext("2d");
  const font = getComputedStyle(document.body).fontFamily;
  const draw = (text) => {
    ctx.clearRect(0, 0, 96, 40); ctx.font = "28px " + font; ctx.fillStyle = "#000"; ctx.fillText(text, 2, 32);
    return Array.from(ctx.getImageData(0, 0, 96, 40).data).join(",");
  };
  const blank = draw("");
  const han = draw("罗湖党建");
  const missing = draw("\\u{10FFFD}\\u{10FFFD}\\u{10FFFD}\\u{10FFFD}");
  return {inked: han !== blank, realGlyphs: han !== missing};
}"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served_engine(reference_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphEngine]:
    """The reference dataset in an embedded database of this module's own, with the page cache the app
    has by default (1 GiB): the browser's parallel requests then meet the engine as `orggraph serve` sets it up."""
    engine = LadybugEngine(tmp_path_factory.mktemp("browser-db") / "graph.lbug", buffer_pool_mb=Settings().embedded_buffer_mb)
    load_bundle(engine, reference_bundle)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def server(served_engine: GraphEngine) -> Iterator[str]:
    """The app on a free loopback port, in a thread of this process (the engine is in-process)."""
    with serving(create_app(Settings(engine="embedded"), engine=served_engine)) as base:
        yield base


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port, in a thread of this process; yield its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the app did not start under uvicorn", pytrace=False)
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (installs Debian's chromium and a CJK font)", pytrace=False)
    with sync_playwright() as playwright:
        # --lang: date inputs follow the browser's language, not the page's (2018/12/28, not 12/28/2018).
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=[*FLAGS, "--lang=zh-CN"])
        yield browser
        browser.close()


@dataclass
class Watch:
    """What a page did: every request, console errors, page errors and failed responses."""

    base: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def on_page_error(self, error: Any) -> None:
        self.errors.append(f"page error: {error}")

    def on_response(self, response: Response) -> None:
        if response.status >= 400:
            self.errors.append(f"HTTP {response.status}: {response.url}")

    def on_failed(self, request: Request) -> None:
        self.errors.append(f"failed: {request.url} {request.failure}")

    def assert_clean(self) -> None:
        assert not self.errors, self.errors
        foreign = [u for u in self.requests if not u.startswith(self.base + "/") and not re.match(r"^(data|blob|about):", u)]
        assert not foreign, f"requests to other hosts: {foreign}"
        assert self.requests, "no request was recorded"


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[tuple[Page, Watch]]:
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    tab = context.new_page()
    watch = Watch(server)
    tab.on("request", watch.on_request)
    tab.on("console", watch.on_console)
    tab.on("pageerror", watch.on_page_error)
    tab.on("response", watch.on_response)
    tab.on("requestfailed", watch.on_failed)
    yield tab, watch
    context.close()


def shot(tab: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    tab.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    return path


def assert_chinese(where: Page | Frame) -> None:
    glyphs = where.evaluate(CHINESE_GLYPHS)
    assert glyphs["inked"] and glyphs["realGlyphs"], f"Chinese is not rendered with a CJK font: {glyphs}"


def settle(where: Page | Frame) -> None:
    """Before a screenshot: give a physics view time to come to rest and be fitted (fixed layouts are at once)."""
    # Still moving after 20 s on a loaded machine: shoot anyway, the screenshot is documentation, not a check.
    with contextlib.suppress(PlaywrightTimeoutError):
        where.wait_for_function("!orggraphView.physics || orggraphView.settled === true", timeout=20_000)


def wait_for_network(where: Page | Frame) -> dict[str, Any]:
    """Wait for a network view's first drawn frame; return its state (counts, time of the frame)."""
    where.wait_for_function("window.orggraphView && window.orggraphView.drawnAt !== null", timeout=DRAW_TIMEOUT_MS)
    where.wait_for_timeout(300)  # let physics views settle a moment before pixels are read
    state: dict[str, Any] = where.evaluate("({nodes: orggraphView.nodes, edges: orggraphView.edges, drawnAt: orggraphView.drawnAt})")
    inked = where.locator("#canvas-holder canvas").evaluate(INKED_PIXELS)
    assert inked > 2000, f"the network canvas is (nearly) blank: {inked} inked pixels"
    return state


# ------------------------------------------------------------------ the four pages of the issue


def test_dashboard(page: tuple[Page, Watch], server: str) -> None:
    tab, watch = page
    tab.goto(server + "/")
    for target in ("compound", "building", "enterprise"):
        chart = tab.locator(f"#chart-{target}")
        tab.locator(f"#chart-{target}[data-drawn=true]").wait_for(timeout=DRAW_TIMEOUT_MS)
        assert chart.locator("canvas").first.evaluate(INKED_PIXELS) > 2000, f"the {target} chart is blank"
    assert tab.locator("h1").inner_text() == "党的组织覆盖和工作覆盖(按街道)"
    assert tab.locator("table.coverage tbody tr").count() == 10
    assert tab.locator("table.coverage tfoot").inner_text().split()[:2] == ["全区", "929"]
    assert_chinese(tab)
    shot(tab, "dashboard.png")
    watch.assert_clean()


def _search_for_huangbeiling(tab: Page, server: str, typed: str) -> Locator:
    """Type ``typed`` into the search box of the home page; the link to 黄贝岭社区 among the results, once shown."""
    tab.goto(server + "/")
    tab.locator("input[name=q]").press_sequentially(typed, delay=40)
    result = tab.locator("#search-results a[href='/entities/440303002003']")
    result.wait_for(timeout=DRAW_TIMEOUT_MS)
    assert "黄贝岭社区" in result.inner_text()
    return result


def test_search(page: tuple[Page, Watch], server: str) -> None:
    tab, watch = page
    result = _search_for_huangbeiling(tab, server, "黄贝岭")
    assert any("/search/results?q=" in u for u in watch.requests), "the results came from the htmx fragment"
    assert_chinese(tab)
    shot(tab, "search.png")
    result.click()
    tab.wait_for_url(server + "/entities/440303002003")
    watch.assert_clean()


def test_search_by_pinyin_initials(page: tuple[Page, Watch], server: str) -> None:
    """What people type on a Latin keyboard: the initials of 黄贝岭社区 find it."""
    tab, watch = page
    _search_for_huangbeiling(tab, server, "hblsq")
    watch.assert_clean()


def test_entity_page(page: tuple[Page, Watch], server: str) -> None:
    tab, watch = page
    tab.goto(server + "/entities/440303002003")
    assert tab.locator("h1").inner_text().endswith("黄贝岭社区")
    assert tab.locator("table.props").inner_text().count("440303002003") == 1
    assert tab.locator("table.links tbody tr").count() > 10
    frame = tab.frame_locator("#ego-frame")
    frame.locator("body[data-drawn=true]").wait_for(timeout=DRAW_TIMEOUT_MS)
    [view] = [f for f in tab.frames if "/viz/ego/440303002003" in f.url]
    state = wait_for_network(view)
    assert state["nodes"] > 10
    assert_chinese(tab)
    settle(view)
    shot(tab, "entity.png")
    watch.assert_clean()


def test_ego_view(page: tuple[Page, Watch], server: str) -> None:
    tab, watch = page
    tab.goto(server + "/viz/ego/org-mb-01?depth=2")
    state = wait_for_network(tab)
    assert state["nodes"] > 60 and state["edges"] > state["nodes"]
    legend = tab.locator("#legend").inner_text().split()
    assert legend[0] == "图例" and {"党组织", "党员", "同乡村"} <= set(legend)
    assert_chinese(tab)
    settle(tab)
    shot(tab, "ego.png")
    # A click on the center shows it, with the link to its page; a double click opens that page.
    x, y = tab.evaluate("""() => {
      const net = orggraphView.network;
      const at = net.canvasToDOM(net.getPositions(["org-mb-01"])["org-mb-01"]);
      const box = document.getElementById("canvas-holder").getBoundingClientRect();
      return [box.left + at.x, box.top + at.y];
    }""")
    tab.mouse.click(x, y)
    info = tab.locator("#info")
    info.wait_for(state="visible")
    assert "黄贝岭社区四川达州流动党支部" in info.inner_text()
    assert info.locator("a").get_attribute("href") == "/entities/org-mb-01"
    tab.mouse.dblclick(x, y)
    tab.wait_for_url(server + "/entities/org-mb-01")
    watch.assert_clean()


# ------------------------------------------------------------------ the other views and pages


@pytest.mark.parametrize(("url", "name", "least"), [
    ("/viz/hierarchy/org-luohu?depth=2", "hierarchy.png", 150),
    ("/viz/coverage/440303001004", "coverage.png", 10),  # 人民桥社区: one compound with work coverage only
    ("/viz/hometown/htg-01", "hometown.png", 40),
    ("/viz/path?source=htg-01&target=org-luohu", "path.png", 5),
    ("/viz/ego/org-luohu?depth=3", "ego-500.png", 500),
])
def test_other_views(page: tuple[Page, Watch], server: str, url: str, name: str, least: int) -> None:
    tab, watch = page
    tab.goto(server + url)
    state = wait_for_network(tab)
    assert state["nodes"] >= least
    settle(tab)
    shot(tab, name)
    watch.assert_clean()


def test_query_catalog_runs_a_query(page: tuple[Page, Watch], server: str) -> None:
    tab, watch = page
    tab.goto(server + "/queries")
    query = tab.locator("#q-mobile_branches")
    query.locator("summary").click()
    query.locator("button[type=submit]").click()
    query.locator(".query-rows table tbody tr").nth(11).wait_for(timeout=DRAW_TIMEOUT_MS)
    assert query.locator(".query-rows table tbody tr").count() == 12
    assert tab.url == server + "/queries", "the answer came in place, through htmx"
    watch.assert_clean()


def test_facts_page(page: tuple[Page, Watch], server: str) -> None:
    tab, watch = page
    tab.goto(server + "/facts")
    assert tab.locator("h1").inner_text() == "公开数据与图谱核对"
    assert tab.locator("table.facts tbody tr").count() == 16
    assert tab.locator("table.facts .badge.agrees").count() == 14
    assert tab.locator("table.facts .badge.within_tolerance").count() == 2
    assert tab.locator("table.facts .badge.disagrees").count() == 0
    assert_chinese(tab)
    shot(tab, "facts.png")
    tab.locator("select[name=status]").select_option("within_tolerance")
    tab.locator("form.filters button[type=submit]").click()
    tab.wait_for_url(server + "/facts?status=within_tolerance")
    assert tab.locator("table.facts tbody tr").count() == 2
    watch.assert_clean()


# ------------------------------------------------------------------ the login (keys configured)


@pytest.fixture(scope="module")
def keyed_server(served_engine: GraphEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The app with keys configured (so pages need the login), on another free port; yields (base URL, analyst key)."""
    from api.keys import Role, add_key

    tmp = tmp_path_factory.mktemp("browser-keys")
    _, key = add_key(tmp / "keys.jsonl", Role.analyst, "browser test")
    app = create_app(Settings(engine="embedded", api_keys_file=tmp / "keys.jsonl", audit_log=tmp / "audit.jsonl"),
                     engine=served_engine)
    with serving(app) as base:
        yield base, key


def test_login_and_logout(browser: Browser, keyed_server: tuple[str, str]) -> None:
    base, key = keyed_server
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    tab = context.new_page()
    watch = Watch(base)
    for event, handler in (("request", watch.on_request), ("console", watch.on_console), ("pageerror", watch.on_page_error),
                           ("response", watch.on_response), ("requestfailed", watch.on_failed)):
        tab.on(event, handler)
    try:
        tab.goto(base + "/facts?status=agrees")
        assert tab.url == base + "/login?next=%2Ffacts%3Fstatus%3Dagrees", "a page without a login goes to the login"
        assert tab.locator("h1").inner_text() == "登录"
        assert_chinese(tab)
        tab.locator("input[name=key]").fill(key)
        tab.locator("form.login-form button[type=submit]").click()
        tab.wait_for_url(base + "/facts?status=agrees")
        assert tab.locator(".session .who").inner_text().startswith("分析员")
        assert tab.evaluate("document.cookie") == "", "HttpOnly: page scripts cannot read the key"
        [cookie] = context.cookies()
        assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict", "/")
        tab.locator(".session form.logout button").click()
        tab.wait_for_url(base + "/login")
        assert context.cookies() == []
        watch.assert_clean()
    finally:
        context.close()
