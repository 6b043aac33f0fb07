"""A light Streamlit client that speaks the browser's websocket protocol (for bench/load.py).

A headless Chromium costs ~150 MB and a core's worth of rendering per user, so sixty of them
would measure the browsers, not the server. This client does what the browser's JavaScript
does on the wire and nothing else:

* one HTTP GET of the page (the proxy's affinity cookie, as a browser gets it);
* a websocket to ``/_stcore/stream`` with the ``streamlit`` subprotocol;
* ``BackMsg.rerun_script`` with a ``ClientState`` — the page (``page_script_hash``), and the
  state of every widget it has seen, the way the frontend sends all widget values on a rerun,
  with a button's ``trigger_value`` set when it is "clicked";
* it reads ``ForwardMsg``\\s until ``script_finished`` and keeps the widgets (id, label, kind)
  and exceptions of the run.

So the server does exactly the work it does for a browser — the script run, every query, the
folium HTML, the dataframes serialised to Arrow — and the client costs a few milliseconds of
protobuf parsing. What it does not reproduce: the browser's rendering, the component iframes
(streamlit-folium's JS fetches no data of its own), and static files, which a browser caches.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

# Element kinds whose proto carries ``id`` and ``label``: a widget the client can set.
_WIDGETS = {
    "text_input": "string_value",
    "text_area": "string_value",
    "selectbox": "string_value",
    "button": "trigger_value",
    "form_submit_button": "trigger_value",
    "checkbox": "bool_value",
    "radio": "int_value",
    "number_input": "double_value",
}


@dataclass
class Widget:
    kind: str
    id: str
    label: str
    options: list[str] = field(default_factory=list)


@dataclass
class Run:
    seconds: float
    widgets: list[Widget]
    exceptions: list[str]
    texts: list[str]
    pages: dict[str, str]  # page title → page_script_hash
    status: int


class StreamlitClient:
    def __init__(self, base_url: str, *, timeout_s: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.cookies: dict[str, str] = {}
        self.values: dict[str, WidgetState] = {}
        self.pages: dict[str, str] = {}
        self.page_hash = ""
        self._ws: Any = None

    async def connect(self) -> None:
        def get() -> None:
            req = urllib.request.Request(self.base_url + "/")
            with urllib.request.urlopen(req, timeout=30) as r:
                for header in r.headers.get_all("Set-Cookie") or []:
                    name, _, rest = header.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]

        await asyncio.to_thread(get)
        ws_url = "ws" + self.base_url[4:] + "/_stcore/stream"
        headers = {"Origin": self.base_url}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self._ws = await websockets.connect(
            ws_url,
            subprotocols=["streamlit"],  # type: ignore[list-item]
            additional_headers=headers,
            max_size=None,
            open_timeout=self.timeout_s,
        )

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()

    def find(self, run: Run, *, kind: str, label: str) -> Widget:
        for w in run.widgets:
            if w.kind == kind and w.label == label:
                return w
        seen = ", ".join(f"{w.kind}:{w.label}" for w in run.widgets)
        raise LookupError(f"no {kind} labelled {label!r} (seen: {seen})")

    def set(self, widget: Widget, value: Any) -> None:
        field_name = _WIDGETS[widget.kind]
        state = WidgetState(id=widget.id)
        if field_name == "trigger_value":
            state.trigger_value = True
        else:
            setattr(state, field_name, value)
        self.values[widget.id] = state

    async def rerun(self, *, page: str | None = None) -> Run:
        """Run the script (on ``page``, a title from the navigation) with the widget values."""
        if page is not None:
            self.page_hash = self.pages[page]
            self.values.clear()  # a new page starts with its own widgets
        msg = BackMsg()
        cs = msg.rerun_script
        cs.page_script_hash = self.page_hash
        cs.context_info.timezone = "Asia/Shanghai"
        cs.context_info.locale = "zh-CN"
        cs.widget_states.widgets.extend(self.values.values())
        started = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        # triggers fire once, as in the browser
        for wid, state in list(self.values.items()):
            if state.trigger_value:
                del self.values[wid]
        return await self._collect(started)

    async def _collect(self, started: float) -> Run:
        widgets: list[Widget] = []
        exceptions: list[str] = []
        texts: list[str] = []
        deadline = started + self.timeout_s
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"script did not finish within {self.timeout_s:.0f} s")
            raw = await asyncio.wait_for(self._ws.recv(), timeout=remaining)
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            kind = fm.WhichOneof("type")
            if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                el = fm.delta.new_element
                et = el.WhichOneof("type")
                body = getattr(el, et) if et else None
                if et in _WIDGETS and body is not None:
                    widgets.append(
                        Widget(et, body.id, body.label, list(getattr(body, "options", []) or []))
                    )
                elif et == "exception" and body is not None:
                    exceptions.append(f"{body.type}: {body.message}")
                elif et == "markdown" and body is not None:
                    texts.append(body.body)
            elif kind == "navigation":
                self.pages = {p.page_name: p.page_script_hash for p in fm.navigation.app_pages}
                if not self.page_hash:
                    self.page_hash = fm.navigation.page_script_hash
            elif kind == "new_session":
                widgets, exceptions, texts = [], [], []  # a (re)run starts afresh
            elif kind == "script_finished":
                status = int(fm.script_finished)
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    widgets, exceptions, texts = [], [], []
                    continue  # the script reran itself (st.rerun): wait for the final run
                return Run(
                    seconds=time.perf_counter() - started,
                    widgets=widgets,
                    exceptions=exceptions,
                    texts=texts,
                    pages=dict(self.pages),
                    status=status,
                )


async def login(client: StreamlitClient, username: str, password: str) -> Run:
    """Open the app and log in through the 登录 form, as a person does."""
    await client.connect()
    first = await client.rerun()
    client.set(client.find(first, kind="text_input", label="用户名"), username)
    client.set(client.find(first, kind="text_input", label="密码"), password)
    button = next(
        (
            w
            for w in first.widgets
            if w.kind in ("button", "form_submit_button") and w.label == "登录"
        ),
        None,
    )
    if button is None:
        raise LookupError("no 登录 button on the first page")
    client.set(button, True)
    return await client.rerun()
