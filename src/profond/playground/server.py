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
    {"type": "play"} {"type": "pause"} {"type": "reset"}
    {"type": "step"} (one epoch) {"type": "one_step"} (one mini-batch step)
    {"type": "add_point", "x": 0.2, "y": -0.5, "label": 1}
    {"type": "remove_point", "x": 0.2, "y": -0.5}
    {"type": "view", "layer": 1, "x": 0, "y": 1}
    {"type": "export", "format": "profond" | "python"}

and receives ``hello`` (choices, limits, settings), ``settings``, ``data``, ``update``,
``state`` (playing or not), ``export`` and ``error`` messages. A malformed, unknown, oversized or
out-of-range message gets an ``error`` message back; the connection stays open. The maze page
(``/maze``, its WebSocket ``/ws/maze``: :mod:`~profond.playground.maze`) has its own messages on
the same machinery.

Hardening (the server runs training for whoever reaches it): it listens on 127.0.0.1 unless told
otherwise, and anywhere else only with a token (:mod:`~profond.playground.guard` checks ``Host``,
``Origin``, the token and body sizes on every request); HTTP headers and bodies have deadlines
(:mod:`~profond.playground.protocol`); a WebSocket frame is at most ``MAX_FRAME_BYTES``; a client
(an IP address) holds at most ``MAX_SESSIONS_PER_CLIENT`` of the ``MAX_SESSIONS`` sessions, its
messages are paced (``MESSAGES_PER_SECOND``; a sustained flood is hung up on), and the worker
thread shares its time fairly between clients in short jobs
(:mod:`~profond.playground.scheduler`), so one client cannot delay the others.
"""

import asyncio
import base64
import collections
import errno
import itertools
import json
import logging
import os
import socket
import time
import warnings
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from profond.playground import session as session_lib
from profond.playground.guard import (
    MAX_BODY_BYTES,
    Guard,
    RateLimitFilter,
    TokenBucket,
    check_token,
    client_key,
    is_loopback,
    new_token,
)
from profond.playground.scheduler import FairScheduler
from profond.playground.session import Session, SettingsError

log = logging.getLogger("profond.playground")
LOG_FILTER = RateLimitFilter(burst=10, period=60.0)  # a flood of refusals writes ~10 lines/min
log.addFilter(LOG_FILTER)

STATIC = Path(__file__).parent / "static"
MAX_MESSAGE_CHARS = 4096  # the largest message the page sends is a few hundred characters
MAX_FRAME_BYTES = 16 * 1024  # a larger WebSocket message closes the connection (code 1009)
MAX_SESSIONS = 64
MAX_SESSIONS_PER_CLIENT = 24  # one address never holds more than 3/8 of the server
MESSAGES_PER_SECOND, MESSAGE_BURST = 30.0, 60  # per client: faster senders are slowed down,
FLOOD_SECONDS = 3.0  # and hung up on (1008) when over that rate for this long
LIMIT_CONCURRENCY = 1024  # open connections and tasks, all clients together (then 503)
TICK_SECONDS = 0.08  # training time between two updates while playing
SLICE_SECONDS = 0.02  # a training job runs at least this long before it hands the worker back
MAX_STEP_SECONDS = 1.0  # a "step" (one epoch) trains at most this long
PAUSE_SECONDS = 0.02  # breathing room between ticks, for the other sessions and messages
SLOW_PAUSE_SECONDS = 0.25  # speed "slow": one mini-batch step, then this pause (~4 steps/s)

# type → {field: (kind, bounds)}: every field a message may (must) carry.
MESSAGES = {
    "settings": {"settings": ("object", None)},
    "play": {}, "pause": {}, "step": {}, "one_step": {}, "reset": {},
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


def parse_message(text, messages=MESSAGES):
    """``(type, fields)`` from the text of a message, checked against ``messages`` (a table
    like ``MESSAGES``; field kinds: object, choice, text of at most ``spec`` characters, int
    and float within bounds)."""
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
    if not isinstance(kind, str) or kind not in messages:
        raise ProtocolError(f"Unknown message type: {str(kind)[:40]!r}.")
    fields = messages[kind]
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
        elif field_kind == "text":
            if not isinstance(value, str) or len(value) > spec:
                raise ProtocolError(f"Expected {name!r} to be a text of at most {spec} "
                                    "characters.")
        else:
            try:
                value = session_lib._check_number(name, value, field_kind, spec)
            except SettingsError as error:
                raise ProtocolError(str(error)) from None
        values[name] = value
    return kind, values


class SessionLimitError(RuntimeError):
    """No session for this tab: the server, or this client's share of it, is full."""


class SessionManager:
    """The open sessions, one per WebSocket connection: at most ``max_sessions`` in all and
    ``max_per_client`` per client (IP address), so one client cannot take the whole server."""

    def __init__(self, max_sessions=MAX_SESSIONS, max_per_client=MAX_SESSIONS_PER_CLIENT):
        for name, value in (("max_sessions", max_sessions), ("max_per_client", max_per_client)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Expected a positive integer for {name}. Received: "
                                 f"{name}={value!r}")
        self.max_sessions = max_sessions
        self.max_per_client = max_per_client
        self.sessions = {}  # id → Session (None while it is being built)
        self.owners = {}  # id → client
        self.per_client = collections.Counter()
        self.buckets = {}  # client → TokenBucket pacing its messages
        self._ids = itertools.count(1)

    def __len__(self):
        return len(self.sessions)

    def reserve(self, client="local"):
        """A session id for ``client``; ``SessionLimitError`` when the server or the client's
        share of it is full. :meth:`attach` gives it its session."""
        if len(self.sessions) >= self.max_sessions:
            raise SessionLimitError("Too many open sessions on this server: close another tab "
                                    "and reload.")
        if self.per_client[client] >= self.max_per_client:
            raise SessionLimitError(f"Too many open sessions from your address (at most "
                                    f"{self.max_per_client}): close another tab and reload.")
        session_id = next(self._ids)
        self.sessions[session_id] = None
        self.owners[session_id] = client
        self.per_client[client] += 1
        return session_id

    def attach(self, session_id, session):
        if session_id in self.sessions:
            self.sessions[session_id] = session

    def open(self, seed=None, client="local"):
        """A new session (built here, on the calling thread) and its id."""
        session_id = self.reserve(client)
        self.attach(session_id, Session(seed=seed))
        return session_id, self.sessions[session_id]

    def close(self, session_id):
        if self.sessions.pop(session_id, "missing") == "missing":
            return
        client = self.owners.pop(session_id)
        self.per_client[client] -= 1
        if self.per_client[client] <= 0:
            del self.per_client[client]
            self.buckets.pop(client, None)

    def bucket(self, client):
        """The message pacer shared by all of ``client``'s connections."""
        if client not in self.buckets:
            self.buckets[client] = TokenBucket(MESSAGES_PER_SECOND, MESSAGE_BURST)
        return self.buckets[client]


class Connection:
    """One tab: reads its messages, runs its session's work in its client's turn, sends results.
    Another page's connection (the maze's) subclasses it with its own ``messages`` table,
    :meth:`greet`, :meth:`handle` and :meth:`train_loop`."""

    messages = MESSAGES

    def __init__(self, websocket, session, scheduler, client="local", bucket=None):
        self.websocket = websocket
        self.session = session
        self.scheduler = scheduler
        self.client = client
        self.bucket = bucket or TokenBucket(MESSAGES_PER_SECOND, MESSAGE_BURST)
        self.send_lock = asyncio.Lock()
        self.trainer = None  # the task that trains while playing

    async def work(self, function, *args, background=False):
        """``function(*args)`` on the worker thread, in this client's turn."""
        return await self.scheduler.run(self.client, function, *args, background=background)

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
        await self.send({"type": "data", **(await self.work(self.session.data_message))})
        await self.send({"type": "update", **(await self.work(self.session.snapshot))})

    async def greet(self):
        """What a new tab receives first."""
        await self.send({"type": "hello", "options": options(), "settings":
                         self.session.settings})
        await self.send_all()
        await self.send_state()

    async def serve(self):
        await self.greet()
        while True:
            pause = self.bucket.delay()
            if self.bucket.in_debt_for() > FLOOD_SECONDS:  # a flood, not a person: hang up
                log.warning("playground: closed a connection of %s: over %g messages a "
                            "second for %g s", self.client, MESSAGES_PER_SECOND, FLOOD_SECONDS)
                await self.send({"type": "error", "message": "Too many messages: slow down, "
                                 "then reload."})
                await self.websocket.close(code=1008)
                return
            if pause:  # a burst waits in the socket's buffers, not in our CPU
                await asyncio.sleep(pause)
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            try:
                if text is None:
                    raise ProtocolError("Expected a text message holding JSON.")
                await self.handle(*parse_message(text, self.messages))
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
            changed = await self.work(session.apply, fields["settings"])
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
            was_playing = self.trainer is not None
            await self.stop()
            if was_playing:  # steps trained since the last update: show the network paused on
                await self.send({"type": "update", **(await self.work(session.snapshot))})
            await self.send_state()
        elif kind in ("step", "one_step"):  # one epoch, or one mini-batch step
            await self.stop()
            steps = session.epoch_steps() if kind == "step" else 1
            snapshot = await self.train_steps(steps, MAX_STEP_SECONDS)
            await self.send({"type": "update", **snapshot})
            await self.send_state()
        elif kind == "reset":
            await self.stop()
            await self.work(session.new_model)
            await self.send_all()
            await self.send_state()
        elif kind in ("add_point", "remove_point"):
            if kind == "add_point":
                await self.work(session.add_point, fields["x"], fields["y"], fields["label"])
            elif not await self.work(session.remove_point, fields["x"], fields["y"]):
                return  # nothing near the click
            await self.send({"type": "data", **(await self.work(session.data_message))})
            if not session.playing:
                await self.send({"type": "update", **(await self.work(session.snapshot))})
        elif kind == "view":
            await self.work(session.set_view, fields["layer"], fields["x"], fields["y"])
            if not session.playing:
                await self.send({"type": "update", **(await self.work(session.snapshot))})
        elif kind == "export":
            if fields["format"] == "profond":
                data = await self.work(session.export_model)
                await self.send({"type": "export", "format": "profond",
                                 "filename": "playground.profond",
                                 "data": base64.b64encode(data).decode("ascii")})
            else:
                code = await self.work(session.export_python)
                await self.send({"type": "export", "format": "python",
                                 "filename": "playground.py", "code": code})

    async def send_state(self):
        await self.send({"type": "state", "playing": self.session.playing})

    async def train_steps(self, steps, max_seconds):
        """Train ``steps`` mini-batch steps, at most ``max_seconds``; the snapshot after them.
        The work runs in jobs that hand the worker back when the scheduler asks (somebody with
        a better claim waits), each continuing where the last stopped."""
        session, scheduler = self.session, self.scheduler

        def train_part(remaining, budget):
            start = time.perf_counter()
            done = session.train(remaining, budget, should_stop=scheduler.should_yield)
            spent = time.perf_counter() - start
            finished = done >= remaining or spent >= budget
            return done, spent, (session.snapshot() if finished else None)

        spent = 0.0
        while True:
            done, seconds, snapshot = await self.work(train_part, steps, max_seconds - spent)
            steps, spent = steps - done, spent + seconds
            if snapshot is not None:
                return snapshot

    async def train_loop(self):
        """While playing: train for a tick (background work, yielding to others), send a
        snapshot, let others run, repeat."""
        session, scheduler = self.session, self.scheduler

        def train_part(budget):
            start = time.perf_counter()
            session.train(None, budget, should_stop=scheduler.should_yield)
            return time.perf_counter() - start

        try:
            while session.playing:
                slow = session.settings["speed"] == "slow"
                trained = TICK_SECONDS if slow else 0.0
                if slow:  # one step per tick, so each update of the weights can be watched
                    await self.work(session.train, 1, background=True)
                while session.playing and trained < TICK_SECONDS:
                    trained += await self.work(train_part, TICK_SECONDS - trained,
                                               background=True)
                if not session.playing:
                    break
                snapshot = await self.work(session.snapshot, background=True)
                if not session.playing:
                    break
                await self.send({"type": "update", **snapshot})
                if snapshot["train_loss"] is None:  # diverged (inf or NaN): stop there; the
                    session.playing = False  # snapshot's warning tells the page what to do
                    await self.send_state()
                    break
                await asyncio.sleep(SLOW_PAUSE_SECONDS if slow else PAUSE_SECONDS)
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
        "features": {name: label for name, (label, _, _) in session_lib.FEATURES.items()},
        "schema": {key: list(spec) for key, (kind, spec) in session_lib.SCHEMA.items()
                   if kind in ("int", "float")},
    }


async def _websocket(websocket: WebSocket):
    await serve_tab(websocket, Session, Connection)


async def serve_tab(websocket, make_session, connection_class):
    """Serve one tab's WebSocket: a session from ``make_session()`` (built on the worker in the
    client's turn, within the client's and the server's session quotas), its messages handled
    by a ``connection_class`` (:class:`Connection` or a subclass) until the tab goes."""
    # Host, Origin and the token were checked by the Guard middleware before this runs.
    await websocket.accept()
    state = websocket.app.state
    manager, scheduler = state.manager, state.scheduler
    client = client_key(websocket.scope)
    try:
        session_id = manager.reserve(client)
    except SessionLimitError as error:
        log.warning("playground: refused a session to %s: %s", client, error)
        await websocket.send_text(json.dumps({"type": "error", "message": str(error)}))
        await websocket.close(code=1013)  # try again later
        return
    connection = None
    try:
        session = await scheduler.run(client, make_session)  # built in the client's turn
        manager.attach(session_id, session)
        connection = connection_class(websocket, session, scheduler, client,
                                      manager.bucket(client))
        await connection.serve()
    except WebSocketDisconnect:
        pass
    finally:  # no await here: the task may be cancelled, and the session must be freed
        manager.close(session_id)
        if connection is not None:
            connection.session.playing = False
            if connection.trainer is not None:
                connection.trainer.cancel()


async def _index(request):
    return FileResponse(STATIC / "index.html", headers=_HEADERS)


async def _maze_page(request):
    return FileResponse(STATIC / "maze.html", headers=_HEADERS)


def _maze_routes():
    """The maze page (``/maze``) and its WebSocket (``/ws/maze``); without Gymnasium (the
    ``rl`` extra) a ``/maze`` that says what to install."""
    try:  # imported here: maze.py builds on this module's Connection
        from profond.playground.maze import maze_websocket
    except ImportError as error:
        if (error.name or "profond").startswith("profond"):
            raise  # a bug, not a missing extra
        message = (f"The maze page needs profond's rl extra ({error.name} is missing): "
                   "pip install 'profond[rl]'\n")

        async def missing(request):
            return PlainTextResponse(message, status_code=501, headers=_HEADERS)

        return [Route("/maze", missing)]
    return [Route("/maze", _maze_page), WebSocketRoute("/ws/maze", maze_websocket)]


async def _health(request):
    return JSONResponse({"sessions": len(request.app.state.manager)})


_HEADERS = {  # the page loads only its own files and talks only to its own server
    "Content-Security-Policy": "default-src 'self'; connect-src 'self'; img-src 'self' data: "
                               "blob:; style-src 'self'; script-src 'self'; object-src 'none'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def create_app(max_sessions=MAX_SESSIONS, *, max_sessions_per_client=MAX_SESSIONS_PER_CLIENT,
               token=None, allowed_hosts=(), max_body=MAX_BODY_BYTES):
    """The Starlette application (``app.state.manager`` holds the sessions,
    ``app.state.scheduler`` runs their work).

    ``token``: when given, every request must carry it (see :mod:`~profond.playground.guard`);
    ``allowed_hosts``: names besides loopback ones that a ``Host`` header may give.
    """

    @asynccontextmanager
    async def lifespan(app):
        yield
        app.state.scheduler.close()

    app = Starlette(routes=[
        Route("/", _index),
        Route("/health", _health),
        WebSocketRoute("/ws", _websocket),
        *_maze_routes(),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ], middleware=[Middleware(Guard, token=token, allowed_hosts=tuple(allowed_hosts),
                              max_body=max_body)], lifespan=lifespan)
    app.state.manager = SessionManager(max_sessions, max_sessions_per_client)
    app.state.scheduler = FairScheduler(slice_seconds=SLICE_SECONDS)
    return app


def exposure_token(host, token=None):
    """The token the server at ``host`` requires: on a loopback address none unless one is
    given; anywhere else the given one or a fresh one, with a warning that the playground can
    be reached from the network."""
    if token is not None:
        check_token(token)
    if is_loopback(host):
        return token
    warnings.warn(f"The playground listens on {host!r}, beyond this machine: anyone who can "
                  "reach the port and knows the token can train networks on this computer. "
                  "Keep the token secret, or leave --host at 127.0.0.1.", UserWarning,
                  stacklevel=3)
    return token or new_token()


def make_server(app, host="127.0.0.1", port=8000, *, limits=None, **options):
    """A ``uvicorn.Server`` for ``app`` with the playground's limits: HTTP header and body
    deadlines and a per-client connection cap (``limits``, a
    :class:`~profond.playground.protocol.Limits`), WebSocket frames of at most
    ``MAX_FRAME_BYTES``, rate-limited log lines. ``options`` go to ``uvicorn.Config``."""
    import uvicorn

    from profond.playground.protocol import Limits, guarded_protocol

    for name in ("uvicorn.error", "asyncio"):  # both log one line per misbehaving client
        if LOG_FILTER not in logging.getLogger(name).filters:
            logging.getLogger(name).addFilter(LOG_FILTER)
    settings = dict(log_level="warning", ws_max_size=MAX_FRAME_BYTES, ws_ping_interval=20,
                    ws_ping_timeout=20, limit_concurrency=LIMIT_CONCURRENCY,
                    h11_max_incomplete_event_size=16 * 1024, timeout_keep_alive=5)
    settings.update(options)
    config = uvicorn.Config(app, host=host, port=port, http=guarded_protocol(limits or Limits()),
                            **settings)
    return uvicorn.Server(config)


class PortInUseError(OSError):
    """The port asked for is taken; the message names it and suggests a free one."""


def listening_socket(host, port):
    """A socket bound to ``host``:``port`` for the server (``port=0``: a free port that the
    system picks, ``getsockname()`` tells which). When the port is taken,
    :class:`PortInUseError` names it and the next free one, and offers ``--port 0``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name != "nt":  # NOTE: on Windows SO_REUSEADDR lets two servers share a port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno != errno.EADDRINUSE:
            raise
        free = next((p for p in range(port + 1, min(port + 100, 65536))
                     if _is_free(family, host, p)), None)
        other = f"--port {free} (free now), or " if free else ""
        raise PortInUseError(f"Port {port} on {host} is already in use (another playground "
                             f"or another program listens there). Use {other}--port 0 to "
                             "let the system pick a free port.") from None
    return sock


def _is_free(family, host, port):
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        if os.name != "nt":
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def run(host="127.0.0.1", port=8000, open_browser=True, token=None, allowed_hosts=()):
    """Serve the playground until interrupted (Ctrl-C). Off loopback it warns and requires a
    token (``token``, or a fresh one printed in the address). ``port=0`` picks a free port;
    a port already taken raises :class:`PortInUseError` before anything starts."""
    import threading
    import webbrowser

    token = exposure_token(host, token)
    sock = listening_socket(host, port)
    port = sock.getsockname()[1]
    server = make_server(create_app(token=token, allowed_hosts=allowed_hosts), host, port)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    print(f"profond playground: {url} (Ctrl-C to stop)")
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


__all__ = ["MAX_MESSAGE_CHARS", "PortInUseError", "ProtocolError", "SessionLimitError",
           "SessionManager", "create_app", "exposure_token", "listening_socket", "make_server",
           "parse_message", "run", "serve_tab"]
