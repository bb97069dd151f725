"""Login for the web pages: a browser cannot send ``X-API-Key``, so ``/login`` puts the key in a cookie.

``GET /login`` shows the form (paste a key); ``POST /login`` checks the key, sets the cookie and goes
back to the page the user came from; ``POST /logout`` clears the cookie. The cookie holds the key
itself and :func:`api.security.authenticate` checks it on every request, like the header: revoking a
key logs its browsers out at once, and the server keeps no sessions. Pages asked for without a valid
login are sent here (:func:`install`). See docs/security.md, "Web pages: login".
"""

from __future__ import annotations

import logging
import os
from typing import Annotated
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.routes.pages import page
from api.security import PUBLIC, SESSION_COOKIE, LoginRequiredError, SecurityState, cookie_principal, log_rejected_key

log = logging.getLogger("orggraph.security")

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

COOKIE_MAX_AGE_S = 12 * 3600
"""A login lasts a working day; then the key is pasted again (so a shared computer forgets it by itself)."""
MAX_KEY_CHARS = 200
MAX_NEXT_CHARS = 2000
FORM_TYPE = "application/x-www-form-urlencoded"
SECURE_COOKIE_ENV = "ORGGRAPH_COOKIE_SECURE"


def install(app: FastAPI) -> None:
    """Serve ``/login`` and ``/logout`` (declared public) and send browsers that need a login there."""
    app.include_router(router)
    app.add_exception_handler(LoginRequiredError, _to_login)


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site, else ``/``: the login never sends anyone elsewhere.

    >>> [safe_next(t) for t in ("/entities/org-1?x=1", "//evil.example", "https://evil.example", "/\\\\evil", "/\\t/evil", "", None)]
    ['/entities/org-1?x=1', '/', '/', '/', '/', '/', '/']
    """
    if not target or len(target) > MAX_NEXT_CHARS or not target.startswith("/") or target.startswith("//"):
        return "/"
    # Browsers read "\" as "/" and drop tabs and newlines, so "/\evil" and "/\t/evil" would be "//evil".
    if "\\" in target or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path in ("/login", "/logout"):
        return "/"
    return target


def login_url(target: str) -> str:
    return "/login" if target == "/" else "/login?" + urlencode({"next": target})


def cookie_secure(request: Request) -> bool:
    """Secure over https, or when ``ORGGRAPH_COOKIE_SECURE`` says so (TLS ends at a proxy that does not
    tell uvicorn, with ``X-Forwarded-Proto``, that the browser used https)."""
    setting = getattr(request.app.state.settings, "cookie_secure", None)  # a Settings field, once there is one
    if setting is None:
        setting = os.environ.get(SECURE_COOKIE_ENV, "").strip().lower() in ("1", "true", "yes", "on")
    return request.url.scheme == "https" or bool(setting)


def _set_cookie(response: Response, request: Request, key: str) -> None:
    response.set_cookie(SESSION_COOKIE, key, max_age=COOKIE_MAX_AGE_S, path="/", secure=cookie_secure(request),
                        httponly=True, samesite="strict")


def _clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=cookie_secure(request), httponly=True, samesite="strict")


def same_origin(request: Request) -> bool:
    """False when the browser says another site sent the form: no other site may log a browser in with
    its own key, or out. ``Sec-Fetch-Site`` first (proxies leave it alone), else ``Origin`` or ``Referer``
    against the host (a proxy may have rewritten ``Host``: ``X-Forwarded-Host`` counts too, and a form on
    another site cannot set it). Clients that send none of them (scripts) pass."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return True
    hosts = {request.headers.get("host", "").lower(), request.headers.get("x-forwarded-host", "").split(",")[0].strip().lower()}
    return source != "null" and urlsplit(source).netloc.lower() in hosts - {""}


async def _form(request: Request) -> dict[str, str]:
    """The fields of a urlencoded form (Starlette's own parser needs python-multipart, not a dependency here)."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
        return {}
    body = (await request.body()).decode("utf-8", errors="replace")  # at most 1 MiB: RequestContextMiddleware
    try:
        fields = parse_qs(body, max_num_fields=10)
    except ValueError:
        return {}
    return {name: values[0] for name, values in fields.items()}


def _login_page(request: Request, target: str, *, status_code: int = 200, error: str | None = None) -> HTMLResponse:
    security: SecurityState = request.app.state.security
    shown = cookie_principal(request)
    if shown is not None:
        request.state.principal = shown  # for the navigation bar; this route reads no data
    return page(request, "login.html", status_code=status_code, next=target, error=error, open_mode=security.open_mode())


NextPage = Annotated[str, Query(alias="next", description="页面路径")]


@router.get("/login", dependencies=[PUBLIC])
def login_page(request: Request, next_page: NextPage = "/") -> HTMLResponse:
    return _login_page(request, safe_next(next_page))


@router.post("/login", dependencies=[PUBLIC])
async def login(request: Request) -> Response:
    form = await _form(request)
    target = safe_next(form.get("next"))
    if not same_origin(request):
        return _login_page(request, target, status_code=403, error="登录请求来自其他网站,已拒绝。请在本页重新登录。")
    security: SecurityState = request.app.state.security
    if security.open_mode():
        return RedirectResponse(target, status_code=303)  # no keys configured: nothing to log in to
    key = form.get("key", "").strip()
    record = security.keys.verify(key) if len(key) <= MAX_KEY_CHARS else None
    if record is None:
        if key:
            log_rejected_key(key[:MAX_KEY_CHARS], request.url.path)
        # The page never shows the key again: it would sit in the browser's history and caches.
        return _login_page(request, target, status_code=401, error="密钥无效或已被吊销,请检查后重新粘贴。" if key else "请粘贴密钥。")
    log.info("login with key id %s (%s)", record.id, record.role.value)
    response = RedirectResponse(target, status_code=303)
    _set_cookie(response, request, key)
    return response


@router.post("/logout", dependencies=[PUBLIC])
def logout(request: Request) -> Response:
    if not same_origin(request):
        return _login_page(request, "/", status_code=403, error="退出请求来自其他网站,已拒绝。")
    response = RedirectResponse("/login", status_code=303)
    _clear_cookie(response, request)
    return response


def _requested(request: Request) -> str:
    """The path and query of the request as the browser sent them (still percent-encoded)."""
    path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string") or b""
    return path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")


async def _to_login(request: Request, exc: Exception) -> Response:
    """A page asked for without a valid login: to the login page, and back afterwards."""
    if "hx-request" in request.headers:
        # An htmx fragment: the page it belongs to goes to the login page, not the fragment.
        current = urlsplit(request.headers.get("hx-current-url", ""))
        back = safe_next(current.path + (f"?{current.query}" if current.query else ""))
        response: Response = Response(status_code=401, headers={"HX-Redirect": login_url(back)})
    else:
        response = RedirectResponse(login_url(safe_next(_requested(request))), status_code=303)
    if SESSION_COOKIE in request.cookies:
        _clear_cookie(response, request)  # a revoked or unknown key: forget it
    return response
