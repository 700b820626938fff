"""The playground's web server: a Starlette app serving the page and one WebSocket per tab.

Each WebSocket connection gets its own :class:`~profond.playground.session.Session` (data,
model, optimizer, random generator); closing the tab frees it. While a session plays, the
server trains it for a short slice of time, then sends a snapshot (decision regions, loss
curves, neuron maps, transformed space): several updates a second.

All training and drawing runs on **one worker thread** shared by the sessions, so the event loop
stays free to receive messages, and sessions never run profond code at the same time (the
framework's layer-naming counters and grad mode are process-wide or per thread).

Protocol — the page sends JSON objects, at most ``MAX_MESSAGE_CHARS`` characters each:

    {"type": "settings", "settings": {"dataset": "spiral", "classes": 3, "layers": [8, 8]}}
    {"type": "play"} {"type": "pause"} {"type": "step"} {"type": "reset"}
    {"type": "add_point", "x": 0.2, "y": -0.5, "label": 1}
    {"type": "remove_point", "x": 0.2, "y": -0.5}
    {"type": "view", "layer": 1, "x": 0, "y": 1}
    {"type": "export", "format": "profond" | "python"}

and receives ``hello`` (choices, limits, settings), ``settings``, ``data``, ``update``,
``state`` (playing or not), ``export`` and ``error`` messages. A malformed, unknown, oversized or
out-of-range message gets an ``error`` message back; the connection stays open.
"""

import asyncio
import base64
import itertools
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from profond.playground import session as session_lib
from profond.playground.session import Session, SettingsError

log = logging.getLogger("profond.playground")

STATIC = Path(__file__).parent / "static"
MAX_MESSAGE_CHARS = 4096  # the largest message the page sends is a few hundred characters
MAX_SESSIONS = 64
TICK_SECONDS = 0.08  # training time between two updates while playing
PAUSE_SECONDS = 0.02  # breathing room between ticks, for the other sessions and messages

# type → {field: (kind, bounds)}: every field a message may (must) carry.
MESSAGES = {
    "settings": {"settings": ("object", None)},
    "play": {}, "pause": {}, "step": {}, "reset": {},
    "add_point": {"x": ("float", (-session_lib.EXTENT, session_lib.EXTENT)),
                  "y": ("float", (-session_lib.EXTENT, session_lib.EXTENT)),
                  "label": ("float", (-10.0, 10.0))},
    "remove_point": {"x": ("float", (-session_lib.EXTENT, session_lib.EXTENT)),
                     "y": ("float", (-session_lib.EXTENT, session_lib.EXTENT))},
    "view": {"layer": ("int", (0, session_lib.MAX_LAYERS)),
             "x": ("int", (0, session_lib.MAX_UNITS - 1)),
             "y": ("int", (0, session_lib.MAX_UNITS - 1))},
    "export": {"format": ("choice", ("profond", "python"))},
}


class ProtocolError(ValueError):
    """A message from the page that is refused; its text goes back in an ``error`` message."""


def parse_message(text):
    """``(type, fields)`` from the text of a message, checked against ``MESSAGES``."""
    if not isinstance(text, str):
        raise ProtocolError("Expected a text message holding JSON.")
    if len(text) > MAX_MESSAGE_CHARS:
        raise ProtocolError(f"Message too large: {len(text)} characters, at most "
                            f"{MAX_MESSAGE_CHARS} allowed.")
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError("Malformed JSON.") from None
    if not isinstance(message, dict):
        raise ProtocolError("Expected a JSON object with a 'type'.")
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in MESSAGES:
        raise ProtocolError(f"Unknown message type: {str(kind)[:40]!r}.")
    fields = MESSAGES[kind]
    extra = set(message) - set(fields) - {"type"}
    if extra:
        raise ProtocolError(f"Unexpected field(s) in a {kind!r} message: "
                            f"{', '.join(sorted(str(k)[:20] for k in extra))[:100]}.")
    values = {}
    for name, (field_kind, spec) in fields.items():
        if name not in message:
            raise ProtocolError(f"Missing field {name!r} in a {kind!r} message.")
        value = message[name]
        if field_kind == "object":
            if not isinstance(value, dict):
                raise ProtocolError(f"Expected an object for {name!r}.")
        elif field_kind == "choice":
            if not isinstance(value, str) or value not in spec:
                raise ProtocolError(f"Expected {name!r} to be one of {', '.join(spec)}.")
        else:
            try:
                value = session_lib._check_number(name, value, field_kind, spec)
            except SettingsError as error:
                raise ProtocolError(str(error)) from None
        values[name] = value
    return kind, values


class SessionManager:
    """The open sessions, one per WebSocket connection, at most ``max_sessions``."""

    def __init__(self, max_sessions=MAX_SESSIONS):
        self.max_sessions = max_sessions
        self.sessions = {}
        self._ids = itertools.count(1)

    def __len__(self):
        return len(self.sessions)

    def open(self, seed=None):
        """A new session and its id; ``None`` when the server is full."""
        if len(self.sessions) >= self.max_sessions:
            return None, None
        session_id = next(self._ids)
        self.sessions[session_id] = Session(seed=seed)
        return session_id, self.sessions[session_id]

    def close(self, session_id):
        self.sessions.pop(session_id, None)


class Connection:
    """One tab: reads its messages, runs its session on the worker thread, sends results."""

    def __init__(self, websocket, session, executor):
        self.websocket = websocket
        self.session = session
        self.executor = executor
        self.send_lock = asyncio.Lock()
        self.trainer = None  # the task that trains while playing

    async def run_in_worker(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)

    async def send(self, message):
        text = json.dumps(message, separators=(",", ":"), allow_nan=False)
        async with self.send_lock:
            try:
                await self.websocket.send_text(text)
            except Exception as error:  # the tab has gone (the exception depends on the server)
                raise WebSocketDisconnect(1006) from error

    async def send_all(self):
        """Settings, data and a first snapshot: what the page needs after any big change."""
        await self.send({"type": "settings", "settings": self.session.settings})
        await self.send({"type": "data", **(await self.run_in_worker(
            self.session.data_message))})
        await self.send({"type": "update", **(await self.run_in_worker(
            self.session.snapshot))})

    async def serve(self):
        await self.send({"type": "hello", "options": options(), "settings":
                         self.session.settings})
        await self.send_all()
        await self.send_state()
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            try:
                if text is None:
                    raise ProtocolError("Expected a text message holding JSON.")
                await self.handle(*parse_message(text))
            except (ProtocolError, SettingsError) as error:
                await self.send({"type": "error", "message": str(error)})
            except WebSocketDisconnect:
                return
            except Exception:  # a bug must not take the tab down: log it, tell the page
                log.exception("playground: error while handling a message")
                await self.send({"type": "error", "message": "Internal error (see the "
                                 "server's log)."})

    async def handle(self, kind, fields):
        session = self.session
        if kind == "settings":
            changed = await self.run_in_worker(session.apply, fields["settings"])
            if changed & (session_lib.DATA_KEYS | session_lib.MODEL_KEYS):
                await self.send_all()
            else:
                await self.send({"type": "settings", "settings": session.settings})
        elif kind == "play":
            if self.trainer is None or self.trainer.done():
                session.playing = True
                self.trainer = asyncio.create_task(self.train_loop())
            await self.send_state()
        elif kind == "pause":
            await self.stop()
            await self.send_state()
        elif kind == "step":
            await self.stop()
            await self.run_in_worker(session.train_epoch)
            await self.send({"type": "update", **(await self.run_in_worker(session.snapshot))})
            await self.send_state()
        elif kind == "reset":
            await self.stop()
            await self.run_in_worker(session.new_model)
            await self.send_all()
            await self.send_state()
        elif kind in ("add_point", "remove_point"):
            if kind == "add_point":
                await self.run_in_worker(session.add_point, fields["x"], fields["y"],
                                         fields["label"])
            elif not await self.run_in_worker(session.remove_point, fields["x"], fields["y"]):
                return  # nothing near the click
            await self.send({"type": "data", **(await self.run_in_worker(
                session.data_message))})
            if not session.playing:
                await self.send({"type": "update", **(await self.run_in_worker(
                    session.snapshot))})
        elif kind == "view":
            await self.run_in_worker(session.set_view, fields["layer"], fields["x"],
                                     fields["y"])
            if not session.playing:
                await self.send({"type": "update", **(await self.run_in_worker(
                    session.snapshot))})
        elif kind == "export":
            if fields["format"] == "profond":
                data = await self.run_in_worker(session.export_model)
                await self.send({"type": "export", "format": "profond",
                                 "filename": "playground.profond",
                                 "data": base64.b64encode(data).decode("ascii")})
            else:
                code = await self.run_in_worker(session.export_python)
                await self.send({"type": "export", "format": "python",
                                 "filename": "playground.py", "code": code})

    async def send_state(self):
        await self.send({"type": "state", "playing": self.session.playing})

    async def train_loop(self):
        """While playing: train a slice of time, send a snapshot, let others run, repeat."""
        session = self.session
        try:
            while session.playing:
                await self.run_in_worker(session.train, None, TICK_SECONDS)
                snapshot = await self.run_in_worker(session.snapshot)
                if not session.playing:
                    break
                await self.send({"type": "update", **snapshot})
                if snapshot["train_loss"] is None:  # diverged (inf or NaN): stop there
                    session.playing = False
                    await self.send({"type": "error", "message": "The loss diverged (NaN or "
                                     "infinite): lower the learning rate, then reset."})
                    await self.send_state()
                    break
                await asyncio.sleep(PAUSE_SECONDS)
        except WebSocketDisconnect:
            session.playing = False  # the tab is gone; serve() cleans up
        except Exception:  # a bug: stop training, tell the page, keep the tab
            session.playing = False
            log.exception("playground: error while training")
            try:
                await self.send({"type": "error", "message": "Training stopped on an internal "
                                 "error (see the server's log)."})
                await self.send_state()
            except WebSocketDisconnect:
                pass

    async def stop(self):
        """Stop training and wait for the current tick to end."""
        self.session.playing = False
        if self.trainer is not None:
            await asyncio.gather(self.trainer, return_exceptions=True)
            self.trainer = None


def options():
    """What the page may choose, sent in ``hello``: the page builds its menus from it."""
    return {
        "datasets": {name: {"task": task, "classes": list(classes)}
                     for name, (task, classes, _) in session_lib.DATASETS.items()},
        "activations": list(session_lib.ACTIVATIONS),
        "losses": {task: list(names) for task, names in session_lib.LOSSES.items()},
        "optimizers": list(session_lib.OPTIMIZERS),
        "max_layers": session_lib.MAX_LAYERS, "max_units": session_lib.MAX_UNITS,
        "max_points": session_lib.MAX_POINTS, "extent": session_lib.EXTENT,
        "schema": {key: list(spec) for key, (kind, spec) in session_lib.SCHEMA.items()
                   if kind in ("int", "float")},
    }


def _same_origin(websocket):
    """True when the page that opens the socket was served by this server (or the client is
    not a browser and sends no Origin): another web site open in the same browser must not be
    able to drive a session (WebSockets are not covered by the same-origin policy)."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == websocket.headers.get("host")


async def _websocket(websocket: WebSocket):
    if not _same_origin(websocket):
        await websocket.close(code=1008)  # policy violation, before accepting
        return
    await websocket.accept()
    manager = websocket.app.state.manager
    session_id, session = manager.open()
    if session is None:
        await websocket.send_text(json.dumps({"type": "error", "message": "Too many open "
                                              "sessions: close another tab and reload."}))
        await websocket.close(code=1013)
        return
    connection = Connection(websocket, session, websocket.app.state.executor)
    try:
        await connection.serve()
    except WebSocketDisconnect:
        pass
    finally:  # no await here: the task may be cancelled, and the session must be freed
        manager.close(session_id)
        session.playing = False
        if connection.trainer is not None:
            connection.trainer.cancel()


async def _index(request):
    return FileResponse(STATIC / "index.html", headers=_HEADERS)


async def _health(request):
    return JSONResponse({"sessions": len(request.app.state.manager)})


_HEADERS = {  # the page loads only its own files and talks only to its own server
    "Content-Security-Policy": "default-src 'self'; connect-src 'self'; img-src 'self' data: "
                               "blob:; style-src 'self'; script-src 'self'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def create_app(max_sessions=MAX_SESSIONS):
    """The Starlette application (``app.state.manager`` holds the sessions)."""

    @asynccontextmanager
    async def lifespan(app):
        yield
        app.state.executor.shutdown(wait=False, cancel_futures=True)

    app = Starlette(routes=[
        Route("/", _index),
        Route("/health", _health),
        WebSocketRoute("/ws", _websocket),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ], lifespan=lifespan)
    app.state.manager = SessionManager(max_sessions)
    app.state.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playground")
    return app


def run(host="127.0.0.1", port=8000, open_browser=True):
    """Serve the playground until interrupted (Ctrl-C)."""
    import threading
    import webbrowser

    import uvicorn

    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    config = uvicorn.Config(create_app(), host=host, port=port, log_level="warning",
                            ws_max_size=64 * 1024, ws_ping_interval=20, ws_ping_timeout=20)
    server = uvicorn.Server(config)
    print(f"profond playground: {url} (Ctrl-C to stop)")
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    server.run()


__all__ = ["MAX_MESSAGE_CHARS", "ProtocolError", "SessionManager", "create_app",
           "parse_message", "run"]
