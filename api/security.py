"""Who may call what: API keys in the ``X-API-Key`` header (or, for browsers, the login cookie), three
roles, secure by default.

* Every route declares the role it needs with ``dependencies=[requires(Role.viewer)]`` (or
  :data:`PUBLIC` for the OpenAPI document and its page, ``/login`` and ``/logout``); ``create_app``
  refuses to build an app with a route that declares none.
* Keys configured (a keys file exists, or ``ORGGRAPH_API_KEYS``): every request needs a valid key.
* No keys: the app only starts on a loopback address, and then runs *open*: every direct loopback
  request is served as ``admin`` (the demo). Requests that came through a proxy (``Forwarded``,
  ``X-Forwarded-For``, ``X-Real-IP``) or from a non-loopback client are refused even then.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any

import fastapi.routing
from fastapi import Depends, FastAPI, Request, Security, params
from fastapi.security import APIKeyHeader

from api.audit import AuditLog
from api.guard import current_context
from api.keys import KeyStore, Role, key_id_of
from api.settings import Settings

log = logging.getLogger("orggraph.security")

API_KEY_HEADER_NAME = "X-API-Key"
api_key_header = APIKeyHeader(name=API_KEY_HEADER_NAME, auto_error=False, scheme_name="ApiKey",
                              description="An API key from `orggraph keys create`. Not needed in open mode (loopback, no keys).")
SESSION_COOKIE = "orggraph_key"
"""The login cookie; it holds the key itself (see docs/security.md, "Web pages: login")."""
COOKIE_METHODS = frozenset({"GET", "HEAD"})
"""The methods the login cookie authenticates: reads only (CSRF, see the module docstring)."""
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class InsecureConfigurationError(RuntimeError):
    """The app would serve a non-loopback address without API keys."""


class AuthenticationError(Exception):
    """No key, or a key that is unknown, revoked or malformed (401)."""


class LoginRequiredError(AuthenticationError):
    """Like :class:`AuthenticationError`, for a browser asking for a page: it is sent to ``/login``
    (where no handler for it is installed, it is an ordinary 401)."""


class PermissionDeniedError(Exception):
    """A valid key whose role is below what the route needs (403)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id and role (``open`` in open mode)."""

    key_id: str
    role: Role
    name: str = ""
    via: str = "header"
    """How the key came: ``header``, ``cookie`` (a browser that logged in) or ``open`` (no key: open mode)."""


OPEN_PRINCIPAL = Principal(key_id="open", role=Role.admin, name="open mode: loopback, no keys configured", via="open")


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (``127.0.0.0/8``, ``::1``, ``localhost``).

    >>> [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "::", "10.0.0.5", "example.org", "")]
    [True, True, True, False, False, False, False, False]
    """
    host = host.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name other than localhost might resolve anywhere


class SecurityState:
    """The keys, the audit log and the mode of one app."""

    def __init__(self, settings: Settings) -> None:
        self.keys = KeyStore(settings.api_keys_file, settings.api_keys)
        self.audit = AuditLog(settings.audit_log)
        self.host = settings.host
        self.open_at_start = not self.keys.configured()

    def refuse_if_insecure(self) -> None:
        """Raise :class:`InsecureConfigurationError` for a non-loopback host without keys."""
        if not self.keys.configured() and not is_loopback(self.host):
            raise InsecureConfigurationError(
                f"refusing to serve on {self.host!r} without API keys: anyone who can reach it would read member data. "
                f"Create a key with `orggraph keys create --role admin --name NAME` (or set ORGGRAPH_API_KEYS), "
                f"or serve on 127.0.0.1.")

    def check_startup(self) -> None:
        """Refuse to serve a non-loopback address without keys; say loudly when running open."""
        self.refuse_if_insecure()
        if self.keys.configured():
            active = sum(r.active for r in self.keys.records())
            log.info("API keys required (%d active key(s)); audit log: %s", active, self.audit.path)
            return
        log.warning(
            "\n" + "!" * 78 + "\n"
            f"!! OPEN MODE: no API keys are configured, so every request from this machine to {self.host}\n"
            "!! is served as admin, with full member data. Fine for the demo on loopback; for anything\n"
            "!! else create keys: orggraph keys create --role viewer --name NAME\n" + "!" * 78)

    def open_mode(self) -> bool:
        # Keys appearing while running (a keys file written) end open mode at once; it never starts again.
        if self.open_at_start and self.keys.configured():
            self.open_at_start = False
        return self.open_at_start


def _direct_loopback(request: Request) -> bool:
    """True for a request that came straight from this machine (not through a proxy)."""
    if any(h in request.headers for h in PROXY_HEADERS):
        return False
    client = request.client.host if request.client else None
    if client is None:
        return True  # a Unix socket: only local processes can connect
    return _is_loopback(client)


@lru_cache(maxsize=256)
def _is_loopback(host: str) -> bool:
    # Cached: parsing the address was ~5 % of an entity lookup, and a server sees few distinct client addresses.
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True  # not an address (in-process test clients); open mode already needs a loopback listener


async def authenticate(request: Request, key: Annotated[str | None, Security(api_key_header)] = None) -> Principal:
    """The caller, from the ``X-API-Key`` header, else the login cookie (or open mode).
    Raises :class:`AuthenticationError` (:class:`LoginRequiredError` for a browser asking for a page).

    ``async`` without awaiting (the key check is a hash and at most a re-read of a small keys file): a plain
    ``def`` dependency would cost a thread-pool hop on every request."""
    security: SecurityState = request.app.state.security
    if security.open_mode():
        if not _direct_loopback(request):
            raise AuthenticationError("open mode serves only direct requests from this machine; configure API keys")
        principal = OPEN_PRINCIPAL
    else:
        principal = _keyed_principal(request, security, key)
    request.state.principal = principal
    ctx = current_context()
    if ctx is not None:  # what the guarded engine redacts for, and the audit log names
        ctx.key_id, ctx.role = principal.key_id, principal.role
    return principal


def _keyed_principal(request: Request, security: SecurityState, header_key: str | None) -> Principal:
    key, via = header_key, "header"  # the header wins: a script's key is never replaced by a browser's cookie
    cookie = request.cookies.get(SESSION_COOKIE)
    if not key and cookie:
        if request.method not in COOKIE_METHODS:
            # CSRF: a cookie goes with any request the browser sends, even one another site made it send.
            raise AuthenticationError(f"the login cookie only authenticates reads; send this request with the "
                                      f"{API_KEY_HEADER_NAME} header")
        key, via = cookie, "cookie"
    if not key:
        raise _unauthenticated(request, f"this API needs a key in the {API_KEY_HEADER_NAME} header")
    record = security.keys.verify(key)
    if record is None:
        log_rejected_key(key, request.url.path)
        raise _unauthenticated(request, "the API key is unknown or revoked")
    return Principal(key_id=record.id, role=record.role, name=record.name, via=via)


def log_rejected_key(key: str, path: str) -> None:
    # The key id (not secret) helps an operator tell a revoked key from a typo; the key is never logged.
    log.warning("rejected an API key (id %s) on %s", key_id_of(key) or "malformed", path)


def wants_page(request: Request) -> bool:
    """True for a browser asking for a web page (not the JSON API): it gets the login page, not a 401."""
    if request.method not in COOKIE_METHODS or request.url.path.startswith("/api/"):
        return False
    return "hx-request" in request.headers or "text/html" in request.headers.get("accept", "")


def _unauthenticated(request: Request, detail: str) -> AuthenticationError:
    return LoginRequiredError(detail) if wants_page(request) else AuthenticationError(detail)


def cookie_principal(request: Request) -> Principal | None:
    """Who the login cookie names, if it holds a valid key (no error, nothing logged): for the login page."""
    security: SecurityState = request.app.state.security
    if security.open_mode():
        return OPEN_PRINCIPAL
    cookie = request.cookies.get(SESSION_COOKIE)
    record = security.keys.verify(cookie) if cookie else None
    return Principal(key_id=record.id, role=record.role, name=record.name, via="cookie") if record else None


PrincipalDep = Annotated[Principal, Depends(authenticate)]


class RoleRequirement(APIKeyHeader):
    """A route's declared role: a dependency that lets a caller through if their role allows it.

    It is itself the ``X-API-Key`` header scheme (the same name, scheme name and description as
    :data:`api_key_header`), so the OpenAPI document lists the same security for each route while FastAPI
    solves one dependency per request instead of two (the requirement and, below it, the header scheme)."""

    def __init__(self, role: Role) -> None:
        super().__init__(name=API_KEY_HEADER_NAME, auto_error=False, scheme_name=api_key_header.scheme_name,
                         description=api_key_header.model.description)
        self.role = role

    def __repr__(self) -> str:
        return f"requires({self.role.value})"

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        # async: no thread-pool hop (see authenticate). The header is read here, as APIKeyHeader reads it.
        principal = await authenticate(request, request.headers.get(API_KEY_HEADER_NAME))
        if not principal.role.allows(self.role):
            raise PermissionDeniedError(f"this route needs the {self.role.value} role; the key has {principal.role.value}")


class PublicRoute:
    """The declaration of a route anyone may call (the OpenAPI document and its page, the login page): no
    key is checked."""

    def __repr__(self) -> str:
        return "public"

    async def __call__(self) -> None:
        return None


_REQUIREMENTS = {role: RoleRequirement(role) for role in Role}
PUBLIC: params.Depends = Depends(PublicRoute())


def requires(role: Role) -> params.Depends:
    """``Depends`` for a router or route that needs ``role`` (or a higher one)."""
    dependency: params.Depends = Depends(_REQUIREMENTS[role])
    return dependency


def effective_routes(app: FastAPI) -> list[Any]:
    """Every route as it is served, carrying the dependencies of the routers it was included through.

    FastAPI >= 0.165 keeps included routers whole in ``app.routes`` and combines them lazily; older
    versions flatten them. Either way, each item has the route's ``path``, ``methods`` and ``dependant``."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    return list(iterate(app.routes)) if iterate is not None else list(app.routes)


def original_route(route: Any) -> Any:
    """The route object behind an item of :func:`effective_routes`."""
    return getattr(route, "original_route", route)


def declared_access(route: object) -> list[RoleRequirement | PublicRoute]:
    """The role declarations among a route's dependencies (the tests and ``create_app`` check there is one)."""
    dependant = getattr(route, "dependant", None)
    calls = [d.call for d in (dependant.dependencies if dependant else [])]
    return [c for c in calls if isinstance(c, RoleRequirement | PublicRoute)]


def current_principal(request: Request) -> Principal:
    """The principal the route's role check found; routes without one (public) are treated as viewers."""
    principal: Principal | None = getattr(request.state, "principal", None)
    return principal or Principal(key_id="anonymous", role=Role.viewer)
