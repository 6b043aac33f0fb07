"""The login cookie: ``lianxin_session``, HttpOnly, SameSite=Strict, holding the login token.

Why a server route and not a cookie component: an HttpOnly cookie cannot be written by
JavaScript, and the cookie components (extra-streamlit-components, streamlit-cookies-controller)
write cookies from JavaScript — so a script injected into a page could read the token. Instead
``serve.py`` runs the app as ``st.App`` (Streamlit's supported way to add routes to its own
Starlette server) with the two routes below, and the browser gets the cookie in a response:

- ``POST /_lianxin/session`` ``{"code": …}``: exchanges the one-time code made at login
  (services.auth.open_handoff) for ``Set-Cookie``. The page's script sends it right after login.
- ``DELETE /_lianxin/session``: ends the login in the database and clears the cookie (退出).

Both refuse requests from another origin. The cookie is all a request needs: any Streamlit
worker reads it through ``st.context.cookies`` and the database says whose login it is (and
whether it is still open), so several workers behind a proxy serve one user. The token never
goes into a URL.
"""

from __future__ import annotations

import json
import logging
from typing import Any

COOKIE = "lianxin_session"
ROUTE = "/_lianxin/session"
_log = logging.getLogger(__name__)


# --- server side (Starlette, serve.py) --------------------------------------------------------


def _same_origin(request: Any) -> bool:
    """Refuse cross-site requests (login CSRF): the browser's Origin / Sec-Fetch-Site."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return site == "same-origin"
    host = request.headers.get("x-forwarded-host") or request.headers.get("host") or ""
    return origin.split("://", 1)[-1].rstrip("/") == host


def _secure(request: Any) -> bool:
    return bool(request.url.scheme == "https")


def _set_cookie_response(token: str, request: Any) -> Any:
    from starlette.responses import Response

    from services.auth import MAX_SESSION

    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(MAX_SESSION.total_seconds()),  # the database ends it sooner when idle
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )
    return response


def _redeem(code: str) -> str | None:
    from services import auth

    return auth.redeem_handoff_in_own_transaction(code)


def _client(request: Any) -> str:
    ip = request.client.host if request.client else "local"
    return f"{ip} · {request.headers.get('user-agent', '')}"[:100].rstrip(" ·")


async def session_endpoint(request: Any) -> Any:
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response

    from services import auth

    if not _same_origin(request):
        return Response(status_code=403)
    if request.method == "DELETE":
        token = request.cookies.get(COOKIE)
        try:
            await run_in_threadpool(auth.end_login, token, client=_client(request))
        except Exception:  # noqa: BLE001 - the cookie goes in any case; the login expires
            _log.exception("ending the login of a cookie failed")
        response = Response(status_code=204, headers={"Cache-Control": "no-store"})
        response.delete_cookie(
            COOKIE, path="/", secure=_secure(request), httponly=True, samesite="strict"
        )
        return response
    try:
        body = json.loads((await request.body())[:1000] or b"{}")
        code = str(body.get("code") or "") if isinstance(body, dict) else ""
    except ValueError:
        code = ""
    token = await run_in_threadpool(_redeem, code) if code else None
    if token is None:
        return Response(status_code=403, headers={"Cache-Control": "no-store"})
    return _set_cookie_response(token, request)


def routes() -> list[Any]:
    from starlette.routing import Route

    return [Route(ROUTE, session_endpoint, methods=["POST", "DELETE"])]


# --- browser side (the pages) -----------------------------------------------------------------


def cookie_token() -> str | None:
    """The token in the login cookie of this browser tab's connection, if any."""
    import streamlit as st

    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no request context (AppTest, bare mode)
        return None
    return str(value) if value else None


def set_cookie_script(code: str) -> str:
    """A script that exchanges the one-time code for the cookie (the code only, never the
    token, is in the page)."""
    return (
        "<script>fetch(" + json.dumps(ROUTE) + ", {method: 'POST', credentials: 'same-origin', "
        "headers: {'Content-Type': 'application/json'}, body: "
        + json.dumps(json.dumps({"code": code}))
        + "}).catch(() => {});</script>"
    )


CLEAR_COOKIE_SCRIPT = (
    "<script>fetch("
    + json.dumps(ROUTE)
    + ", {method: 'DELETE', credentials: 'same-origin'}).catch(() => {});</script>"
)
