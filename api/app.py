"""The Open311 GeoReport v2 endpoint (FastAPI), under ``/open311/v2``.

Every call runs in one transaction on the app's role (``lianxin_app``) acting as the caller:
the API key *is* the token of its account's session (migration 0011_api_keys), so row-level
security sees the key's role; calls without a key act as the public reader (role ``leader``,
reads only). Each call is rate-limited per key and leaves one audit row
(``services.audit.record``, action ``api_call``) — in the same transaction when it succeeds,
in a fresh one when it was refused (the refused work is rolled back: nothing is written).

Interactive docs are off: FastAPI's Swagger UI and ReDoc load their assets from a CDN, which
the intranet rule forbids. The OpenAPI schema itself is served (``/open311/openapi.json``).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from api.limits import TokenBuckets
from api.render import errors, respond
from core.errors import (
    ConflictError,
    DatabaseUnavailableError,
    InvalidInputError,
    LianxinError,
    NotFoundError,
    PermissionDeniedError,
)
from services import audit
from services.uploads import MAX_UPLOAD_BYTES

log = logging.getLogger("lianxin.api")

PREFIX = "/open311/v2"
API_CALL = audit.API_CALL
PUBLIC_RATE_PER_MINUTE = 1200
PUBLIC_TOKEN_REFRESH_S = 3600
MAX_PART_BYTES = MAX_UPLOAD_BYTES + 2 * 1024 * 1024
# One limit for every upload (services.uploads, 20 MB): the body may carry such a photo and the
# form fields, with room to spare; a bigger photo is refused by check_media with its size.
MAX_BODY_BYTES = MAX_UPLOAD_BYTES + 3 * 1024 * 1024


class Refused(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _status_of(exc: BaseException) -> int:
    if isinstance(exc, Refused):
        return exc.status
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, PermissionDeniedError):
        return 403
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, DatabaseUnavailableError):
        return 503
    if isinstance(exc, (InvalidInputError, LianxinError)):
        return 400
    return 500


class Backend:
    """What the app needs from the database side: sessions, the public token, a gazetteer."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url
        self.buckets = TokenBuckets()
        self._lock = threading.Lock()
        self._public: tuple[str, float] | None = None
        self._gazetteer: Any = None

    def public_token(self) -> str:
        with self._lock:
            if self._public is None or time.monotonic() - self._public[1] > PUBLIC_TOKEN_REFRESH_S:
                from services.api_keys import new_public_reader_token

                self._public = (new_public_reader_token(url=self.url), time.monotonic())
            return self._public[0]

    def gazetteer(self, session: Any) -> Any:
        if self._gazetteer is None:
            from services.geocoding import gazetteer_from_session

            self._gazetteer = gazetteer_from_session(session=session)
        return self._gazetteer

    def call(
        self,
        *,
        api_key: str | None,
        client: str,
        target: str,
        work: Callable[[Any, dict[str, Any]], Any],
        need_key: bool = False,
    ) -> Any:
        """Run ``work(session, key)`` as the caller; audit it; raise Refused/LianxinError."""
        from services.api_keys import PUBLIC_USERNAME, api_session, current_key

        api_key = (api_key or "").strip() or None
        public = {"id": None, "username": PUBLIC_USERNAME, "role": "leader"}
        identity: dict[str, Any] = public
        detail: dict[str, Any] = {}
        try:
            if need_key and api_key is None:
                raise Refused(400, "缺少 api_key：提交诉求须使用分配给本系统的接口密钥")
            with api_session(api_key or self.public_token(), url=self.url) as s:
                if api_key is not None:
                    key = current_key(session=s)
                    if key is None:
                        raise Refused(403, "api_key 无效、已吊销或已过期，请联系街道管理员")
                    identity = key
                    bucket, rate = f"key:{key['id']}", int(key["rate_per_minute"])
                else:
                    bucket, rate = f"ip:{client}", PUBLIC_RATE_PER_MINUTE
                if not self.buckets.take(bucket, per_minute=rate):
                    raise Refused(
                        429,
                        f"请求过于频繁：此密钥每分钟最多 {rate} 次，请约 "
                        f"{self.buckets.retry_after_s(bucket, per_minute=rate)} 秒后重试",
                    )
                result = work(s, identity)
                if isinstance(result, list) and result and isinstance(result[0], dict):
                    detail["ids"] = [r.get("service_request_id") for r in result[:20]]
                    detail["count"] = len(result)
                audit.record(
                    session=s,
                    username=identity["username"],
                    action=API_CALL,
                    target=target,
                    detail={"status": 200, **detail},
                    client=client,
                )
            return result
        except Exception as exc:
            status = _status_of(exc)
            try:
                with api_session(
                    api_key if identity is not public else self.public_token(), url=self.url
                ) as s:
                    audit.record(
                        session=s,
                        username=identity["username"],
                        action=API_CALL,
                        target=target,
                        detail={"status": status, "error": str(exc)[:200]},
                        client=client,
                    )
            except Exception:  # noqa: BLE001 - the refusal is reported either way
                pass
            raise


def _fmt(fmt: str) -> str:
    value = (fmt or "").lower()
    if value not in ("json", "xml"):
        raise Refused(400, f"不支持的格式 .{fmt[:10]}：请用 .json 或 .xml")
    return value


def _utf8(value: str) -> str:
    """Starlette decodes un-percent-encoded form bytes as Latin-1; a client that sent raw
    UTF-8 (curl -d 中文) gets its text back instead of mojibake."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _params(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items()}


def create_app(url: str | None = None) -> FastAPI:
    """The ASGI app; ``url`` is the owner's database URL (tests pass the test database)."""
    from services.cases.open311 import catalogue, posting, public

    backend = Backend(url)
    app = FastAPI(
        title="连心网 Open311 GeoReport v2",
        docs_url=None,  # Swagger UI and ReDoc come from a CDN: off (intranet rule)
        redoc_url=None,
        openapi_url="/open311/openapi.json",
    )
    app.state.backend = backend

    def answer(
        request: Request,
        fmt: str,
        root: str,
        work: Callable[[Any, dict[str, Any]], Any],
        *,
        api_key: str | None = None,
        need_key: bool = False,
    ) -> Response:
        fmt_ok = "xml" if (fmt or "").lower() == "xml" else "json"
        try:
            fmt_ok = _fmt(fmt)
            body = backend.call(
                api_key=api_key if api_key is not None else request.query_params.get("api_key"),
                client=_client(request),
                target=f"{request.method} {request.url.path}"[:100],
                work=work,
                need_key=need_key,
            )
        except Exception as exc:  # noqa: BLE001 - every refusal in GeoReport's format
            status = _status_of(exc)
            if status == 500:
                log.exception("open311: %s %s failed", request.method, request.url.path)
                return errors(fmt_ok, 500, "服务器内部错误，请稍后重试或联系街道管理员")
            description = exc.description if isinstance(exc, Refused) else str(exc)
            response = errors(fmt_ok, status, description)
            if status == 429:
                response.headers["Retry-After"] = "60"
            return response
        return respond(fmt_ok, root, body)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        fmt = "xml" if request.url.path.endswith(".xml") else "json"
        text = "没有这个接口：请从 GET /open311/v2/discovery.json 查看可用接口"
        if exc.status_code != 404:
            text = f"请求无效（HTTP {exc.status_code}）"
        return errors(fmt, exc.status_code, text)

    @app.get(PREFIX + "/discovery.{fmt}")
    def discovery(request: Request, fmt: str) -> Response:
        base = str(request.base_url).rstrip("/") + PREFIX
        body = {
            "changeset": "2026-12-03T00:00:00+08:00",
            "contact": "街道便民服务中心（连心网管理员）",
            "key_service": "接口密钥由街道管理员用 lianxin api-keys add 发放",
            "endpoints": [
                {
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": base,
                    "changeset": "2026-12-03T00:00:00+08:00",
                    "type": "production",
                    "formats": ["application/json", "text/xml"],
                }
            ],
        }
        return answer(request, fmt, "discovery", lambda s, k: body)

    @app.get(PREFIX + "/services.{fmt}")
    def services(request: Request, fmt: str) -> Response:
        return answer(request, fmt, "services", lambda s, k: catalogue.service_list())

    @app.get(PREFIX + "/services/{code}.{fmt}")
    def service_definition(request: Request, code: str, fmt: str) -> Response:
        return answer(
            request, fmt, "service_definition", lambda s, k: catalogue.service_definition(code)
        )

    @app.post(PREFIX + "/requests.{fmt}")
    async def post_request(request: Request, fmt: str) -> Response:
        params: dict[str, str] = {}
        attributes: dict[str, str] = {}
        media: posting.Media | None = None
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return errors(
                "xml" if fmt == "xml" else "json",
                413,
                f"请求体为 {int(declared) / 1024 / 1024:.1f} MB，超过上限 "
                f"{MAX_BODY_BYTES // (1024 * 1024)} MB（附件不超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB）",
            )
        try:
            form = await request.form(max_part_size=MAX_PART_BYTES)
        except Exception:  # noqa: BLE001 - python-multipart's refusal, in GeoReport's format
            return errors(
                "xml" if fmt == "xml" else "json",
                400,
                "请求体无法解析：应为 application/x-www-form-urlencoded 或 multipart/form-data，"
                f"附件不超过 {MAX_PART_BYTES // (1024 * 1024)} MB",
            )
        for name, value in form.multi_items():
            if isinstance(value, str):
                value = _utf8(value)
                if name.startswith("attribute[") and name.endswith("]"):
                    attributes[name[len("attribute[") : -1]] = value
                else:
                    params[name] = value
            elif name == "media":
                content = await value.read()
                media = posting.Media(value.filename or "media", content, value.content_type)
        api_key = params.get("api_key") or request.query_params.get("api_key") or ""

        def work(session: Any, key: dict[str, Any]) -> list[dict[str, Any]]:
            return [
                posting.post_request(
                    session=session,
                    key=key,
                    params=params,
                    attributes=attributes,
                    media=media,
                    # built once, and only when an address is to be geocoded
                    gazetteer=(
                        backend.gazetteer(session)
                        if params.get("address_string") and not params.get("lat")
                        else None
                    ),
                )
            ]

        return await run_in_threadpool(
            answer, request, fmt, "service_requests", work, api_key=api_key, need_key=True
        )

    @app.get(PREFIX + "/requests.{fmt}")
    def get_requests(request: Request, fmt: str) -> Response:
        params = _params(request)
        return answer(
            request,
            fmt,
            "service_requests",
            lambda s, k: public.get_requests(session=s, params=params),
        )

    # One handler for the two reads by a path value (a request by its id, a token), which
    # differed only in the service called.
    lookups: dict[str, Callable[[Any, str], list[dict[str, Any]]]] = {
        "/requests/{value}.{fmt}": lambda s, v: public.get_request(session=s, service_request_id=v),
        "/tokens/{value}.{fmt}": lambda s, v: public.token_lookup(session=s, token=v),
    }

    def by_value(lookup: Callable[[Any, str], list[dict[str, Any]]]) -> Callable[..., Response]:
        def handler(request: Request, value: str, fmt: str) -> Response:
            return answer(request, fmt, "service_requests", lambda s, k: lookup(s, value))

        return handler

    for path, lookup in lookups.items():
        app.get(PREFIX + path)(by_value(lookup))

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}

    return app


app = create_app()
