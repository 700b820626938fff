"""The playground server against hostile or careless clients (issue 13, item 10): loopback by
default and a token elsewhere, Host/Origin checks (DNS rebinding), body and frame limits, header
and body deadlines, per-client quotas, paced messages, rate-limited logs, fair scheduling.

In-process checks use Starlette's TestClient; the deadlines and the connection cap need a real
socket: those run uvicorn on 127.0.0.1 (``start_server`` in conftest.py), never beyond loopback.
"""

import asyncio
import json
import logging
import socket
import threading
import time

import pytest

pytest.importorskip("starlette", reason="the playground extra (starlette) is not installed")
pytest.importorskip("uvicorn", reason="the playground extra (uvicorn) is not installed")
try:
    import httpx2  # noqa: F401  (Starlette's TestClient needs httpx2, or httpx)
except ImportError:
    pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx2 (or httpx)")

from starlette.testclient import TestClient  # noqa: E402
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from profond.playground import guard, server  # noqa: E402
from profond.playground.protocol import Limits  # noqa: E402
from profond.playground.scheduler import FairScheduler  # noqa: E402

TOKEN = "s3cret-Token_for.tests~0123456789"
STARTUP = ("hello", "settings", "data", "update", "state")


def startup(ws):
    return [json.loads(ws.receive_text())["type"] for _ in STARTUP]


# --------------------------------------------------------------------------------------------
# Loopback by default; a token anywhere else
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"])
def test_loopback_needs_no_token_and_gives_no_warning(host, recwarn):
    assert server.exposure_token(host) is None
    assert server.exposure_token(host, TOKEN) == TOKEN  # a given token is still required
    assert not [w for w in recwarn if "beyond this machine" in str(w.message)]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "192.168.1.20", "myhost.example"])
def test_other_addresses_warn_and_require_a_token(host):
    with pytest.warns(UserWarning, match="beyond this machine"):
        token = server.exposure_token(host)
    assert guard.check_token(token) == token and len(token) >= 32
    with pytest.warns(UserWarning):
        assert server.exposure_token(host, TOKEN) == TOKEN


@pytest.mark.parametrize("token", ["short", "x" * 300, "with space and more characters",
                                   "ünïcode-token-0123456789", 12345678901234567890])
def test_a_weak_or_unsafe_token_is_refused_without_echoing_it(token):
    with pytest.raises(ValueError, match="Expected a playground token") as info:
        guard.check_token(token)
    assert not (isinstance(token, str) and token in str(info.value))


def test_run_off_loopback_prints_a_token_address_and_serves_with_it(monkeypatch, capsys):
    served = {}

    class FakeServer:
        def run(self, sockets):
            served["ran"] = sockets[0].getsockname()[1]

    def fake_make_server(app, host, port, **kwargs):
        served.update(app=app, host=host, port=port)
        return FakeServer()

    monkeypatch.setattr(server, "make_server", fake_make_server)
    with pytest.warns(UserWarning, match="beyond this machine"):
        server.run(host="0.0.0.0", port=0, open_browser=False)  # 0: any free port
    printed = capsys.readouterr().out
    assert served["host"] == "0.0.0.0" and served["port"] == served["ran"] > 0
    assert f"http://127.0.0.1:{served['port']}/?token=" in printed
    token = printed.split("?token=")[1].split()[0]
    with TestClient(served["app"]) as client:
        assert client.get("/").status_code == 401
        assert client.get("/", headers={"authorization": f"Bearer {token}"}).status_code == 200
    server.run(host="127.0.0.1", port=0, open_browser=False)  # loopback: no token
    assert "token" not in capsys.readouterr().out


def test_the_command_line_passes_token_and_hosts_and_refuses_a_bad_token(monkeypatch, capsys):
    from profond import cli, playground

    calls = []
    monkeypatch.setattr(playground, "serve", lambda **kwargs: calls.append(kwargs))
    assert cli.main(["playground", "--no-browser", "--host", "0.0.0.0", "--token", TOKEN,
                     "--allow-host", "box.lan", "--allow-host", "box"]) == 0
    assert calls[-1] == {"host": "0.0.0.0", "port": 8000, "open_browser": False,
                         "token": TOKEN, "allowed_hosts": ("box.lan", "box")}
    monkeypatch.setenv("PROFOND_PLAYGROUND_TOKEN", TOKEN)
    assert cli.main(["playground", "--no-browser"]) == 0
    assert calls[-1]["token"] == TOKEN
    monkeypatch.undo()
    assert cli.main(["playground", "--no-browser", "--token", "tiny", "--port", "8125"]) == 1
    error = capsys.readouterr().err
    assert "Expected a playground token" in error and "tiny" not in error


# --------------------------------------------------------------------------------------------
# Token, Host and Origin on every request and WebSocket
# --------------------------------------------------------------------------------------------
@pytest.fixture
def locked():
    with TestClient(server.create_app(token=TOKEN)) as client:
        yield client


def test_every_http_request_needs_the_token(locked):
    for path in ("/", "/health", "/static/app.js", "/static/style.css", "/nothing"):
        response = locked.get(path)
        assert response.status_code == 401, path
        assert "token" in response.text and TOKEN not in response.text
        assert locked.get(path + "?token=wrong-token-0123456789").status_code == 401
        assert locked.get(path, headers={"authorization": "Bearer " + TOKEN[:-1] + "x"}) \
            .status_code == 401
    assert locked.get("/", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert locked.get("/health", headers={"authorization": f"Bearer {TOKEN}"}).json() == \
        {"sessions": 0}


def test_a_token_in_the_address_becomes_a_strict_cookie_and_a_clean_address(locked):
    response = locked.get(f"/?token={TOKEN}&lang=fr", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/?lang=fr"
    cookie = response.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    assert locked.cookies  # the client keeps it, as a browser would
    assert locked.get("/").status_code == 200
    assert locked.get("/static/app.js").status_code == 200
    with locked.websocket_connect("/ws") as ws:  # the page's WebSocket carries the cookie
        assert startup(ws) == list(STARTUP)


def test_a_websocket_without_the_token_gets_no_session(locked):
    for kwargs in ({}, {"headers": {"authorization": "Bearer nope-nope-nope-nope"}}):
        with pytest.raises(WebSocketDisconnect):
            with locked.websocket_connect("/ws", **kwargs):
                pass
    assert len(locked.app.state.manager) == 0
    with locked.websocket_connect(f"/ws?token={TOKEN}") as ws:
        assert startup(ws) == list(STARTUP)
    with locked.websocket_connect("/ws", headers={"authorization": f"Bearer {TOKEN}"}) as ws:
        assert startup(ws) == list(STARTUP)


def test_tokens_are_compared_in_constant_time(locked, monkeypatch):
    compared = []
    real = guard.hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(guard.hmac, "compare_digest", spy)
    assert locked.get("/?token=abcdefghijklmnopq", follow_redirects=False).status_code == 401
    assert compared and compared[-1] == (b"abcdefghijklmnopq", TOKEN.encode())


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example",
                                  "localhost.evil.example:80", "10.0.0.1", "[::2]:8000"])
def test_a_foreign_host_header_is_refused_dns_rebinding(host):
    with TestClient(server.create_app()) as client:
        response = client.get("/", headers={"host": host})
        assert response.status_code == 403 and "not served here" in response.text
        with pytest.raises(WebSocketDisconnect):
            with client.websocket_connect("/ws", headers={"host": host}):
                pass
        assert len(client.app.state.manager) == 0


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1", "LOCALHOST", "[::1]:8000",
                                  "app.localhost:8000", "box.lan:8000"])
def test_loopback_names_and_allowed_hosts_are_served(host):
    with TestClient(server.create_app(allowed_hosts=["box.lan"])) as client:
        assert client.get("/", headers={"host": host}).status_code == 200


def test_a_foreign_origin_is_refused_on_http_and_websocket():
    with TestClient(server.create_app()) as client:
        for origin in ("http://evil.example", "null", "http://testserver.evil.example",
                       "file://", "http://localhost:9999"):
            assert client.get("/", headers={"origin": origin}).status_code == 403, origin
            with pytest.raises(WebSocketDisconnect):
                with client.websocket_connect("/ws", headers={"origin": origin}):
                    pass
        assert client.get("/", headers={"origin": "http://testserver"}).status_code == 200
        assert len(client.app.state.manager) == 0


def test_request_bodies_are_bounded():
    with TestClient(server.create_app()) as client:
        response = client.post("/", content=b"x" * (guard.MAX_BODY_BYTES + 1))
        assert response.status_code == 413 and "too large" in response.text
        assert response.headers["connection"] == "close"

        def chunks():
            yield b"x" * 10

        assert client.post("/", content=chunks()).status_code == 411
        assert client.post("/", content=b"x" * 10).status_code == 405  # small: routed as usual


# --------------------------------------------------------------------------------------------
# Quotas, pacing and logs
# --------------------------------------------------------------------------------------------
def test_one_client_cannot_take_the_whole_server():
    manager = server.SessionManager(max_sessions=5, max_per_client=2)
    for client in ("a", "a", "b", "b"):
        manager.reserve(client)
    with pytest.raises(server.SessionLimitError, match="from your address \\(at most 2\\)"):
        manager.reserve("a")
    manager.reserve("c")
    with pytest.raises(server.SessionLimitError, match="on this server"):
        manager.reserve("d")
    first_of_a = next(i for i, owner in manager.owners.items() if owner == "a")
    manager.close(first_of_a)
    manager.close(first_of_a)  # twice: no harm
    assert manager.per_client["a"] == 1 and len(manager) == 4
    manager.reserve("a")
    with pytest.raises(ValueError, match="max_per_client=0"):
        server.SessionManager(max_per_client=0)


def test_the_per_client_quota_over_websockets():
    with TestClient(server.create_app(max_sessions=10, max_sessions_per_client=2)) as client:
        tabs = [client.websocket_connect("/ws") for _ in range(2)]
        for tab in tabs:
            assert startup(tab.__enter__()) == list(STARTUP)
        with client.websocket_connect("/ws") as ws:
            message = json.loads(ws.receive_text())
            assert message["type"] == "error" and "from your address" in message["message"]
            with pytest.raises(WebSocketDisconnect) as info:
                ws.receive_text()
            assert info.value.code == 1013
        tabs[0].__exit__(None, None, None)
        deadline = time.monotonic() + 5
        while len(client.app.state.manager) > 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        with client.websocket_connect("/ws") as ws:  # a freed place can be taken again
            assert startup(ws) == list(STARTUP)
        tabs[1].__exit__(None, None, None)


def test_a_message_flood_is_paced(monkeypatch):
    monkeypatch.setattr(server, "MESSAGES_PER_SECOND", 20.0)
    monkeypatch.setattr(server, "MESSAGE_BURST", 5)
    with TestClient(server.create_app()) as client:
        with client.websocket_connect("/ws") as ws:
            startup(ws)
            start = time.perf_counter()
            for _ in range(25):
                ws.send_text("{bad json")
            for _ in range(25):
                assert json.loads(ws.receive_text())["type"] == "error"
            elapsed = time.perf_counter() - start
    # 25 messages, 5 at once then 20 per second: at least (25 − 5 − 1) / 20 s ≈ 0.95 s
    assert elapsed >= 0.9


def test_a_sustained_flood_is_hung_up_on(monkeypatch):
    monkeypatch.setattr(server, "MESSAGES_PER_SECOND", 50.0)
    monkeypatch.setattr(server, "MESSAGE_BURST", 5)
    monkeypatch.setattr(server, "FLOOD_SECONDS", 0.5)
    with TestClient(server.create_app()) as client:
        with client.websocket_connect("/ws") as ws:
            startup(ws)
            for _ in range(200):
                ws.send_text("{bad json")
            replies = []
            with pytest.raises(WebSocketDisconnect) as info:
                for _ in range(300):
                    replies.append(json.loads(ws.receive_text()))
            assert info.value.code == 1008
            assert replies[-1]["message"].startswith("Too many messages")
            assert 20 <= len(replies) < 100  # paced for half a second, then hung up on
        deadline = time.monotonic() + 5
        while len(client.app.state.manager) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(client.app.state.manager) == 0
        with client.websocket_connect("/ws") as ws:  # a calm client is welcome again
            time.sleep(0.6)
            assert startup(ws) == list(STARTUP)
            ws.send_text(json.dumps({"type": "pause"}))
            assert json.loads(ws.receive_text())["type"] == "state"


def test_the_message_bucket_tells_a_burst_from_a_flood():
    now = [0.0]
    bucket = guard.TokenBucket(rate=10, burst=5, clock=lambda: now[0])
    assert [bucket.delay() for _ in range(5)] == [0.0] * 5 and bucket.in_debt_for() == 0.0
    assert bucket.delay() == pytest.approx(0.1)  # a burst: waits, not yet a flood
    for _ in range(40):  # 20 messages a second for 2 s: always short of tokens
        now[0] += 0.05
        bucket.delay()
    assert bucket.in_debt_for() == pytest.approx(2.0, abs=0.06)
    now[0] += 5.0  # a pause refills it: a person again
    assert bucket.delay() == 0.0 and bucket.in_debt_for() == 0.0


@pytest.mark.parametrize("name", ["header_timeout", "body_timeout", "max_connections"])
@pytest.mark.parametrize("value", [0, -1, float("nan"), "10", True])
def test_connection_limits_are_checked(name, value):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        Limits(**{name: value})


def test_log_lines_are_rate_limited_per_kind():
    now = [0.0]
    limiter = guard.RateLimitFilter(burst=3, period=10.0, clock=lambda: now[0])

    def record(message, *args):
        return logging.LogRecord("profond.playground", logging.WARNING, __file__, 1, message,
                                 args, None)

    passed = [limiter.filter(record("refused %s", i)) for i in range(10)]
    assert passed == [True] * 3 + [False] * 7
    assert limiter.filter(record("another kind %s", 1))  # other kinds are counted apart
    now[0] = 10.5
    later = record("refused %s", 99)
    assert limiter.filter(later)
    assert later.getMessage() == "refused 99 (7 similar lines held back)"


def test_a_flood_of_refused_requests_writes_a_bounded_log(caplog, monkeypatch):
    monkeypatch.setattr(server.LOG_FILTER, "_kinds", {})
    with TestClient(server.create_app()) as client, \
            caplog.at_level(logging.WARNING, logger="profond.playground"):
        for i in range(200):
            client.get("/", headers={"host": f"evil{i}.example\x1b[2J"})
    refused = [r for r in caplog.records if "refused" in r.getMessage()]
    assert 1 <= len(refused) <= server.LOG_FILTER.burst
    assert all("\x1b" not in r.getMessage() for r in refused)  # escaped for the terminal


# --------------------------------------------------------------------------------------------
# The fair scheduler
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bonus, expected", [
    # The heavy client's requests (claim 0.05 − 1) go before the player's training (claim 0),
    # but after a request of a lighter client (claim 0 − 1).
    (1.0, ["light", "heavy0", "heavy1", "heavy2", "player", "heavy-background"]),
    # With a bonus smaller than what it used, the heavy client waits for the player too.
    (0.01, ["light", "player", "heavy0", "heavy1", "heavy2", "heavy-background"]),
])
def test_the_scheduler_serves_the_lightest_claim_first(bonus, expected):
    scheduler = FairScheduler(memory=60.0, bonus=bonus)
    gate, order = threading.Event(), []

    def job(name, seconds=0.0):
        if name == "block":
            gate.wait(5)
        time.sleep(seconds)
        order.append(name)
        return name

    async def main():
        await scheduler.run("heavy", job, "warm", 0.05)  # 0.05 s of recent worker time
        blocker = asyncio.create_task(scheduler.run("other", job, "block"))
        await asyncio.sleep(0.05)
        tasks = [asyncio.create_task(scheduler.run("heavy", job, "heavy-background",
                                                   background=True))]
        tasks += [asyncio.create_task(scheduler.run("heavy", job, f"heavy{i}"))
                  for i in range(3)]
        tasks.append(asyncio.create_task(scheduler.run("player", job, "player",
                                                       background=True)))
        tasks.append(asyncio.create_task(scheduler.run("light", job, "light")))
        await asyncio.sleep(0.05)
        assert scheduler.waiting() == 6
        gate.set()
        await asyncio.gather(blocker, *tasks)

    try:
        asyncio.run(main())
    finally:
        scheduler.close()
    # The heavy client's requests always go before its own background training.
    assert order == ["warm", "block", *expected]
    assert scheduler.usage("heavy") > scheduler.usage("light")


def test_a_long_job_yields_to_a_lighter_client_after_one_slice():
    scheduler = FairScheduler(slice_seconds=0.02)
    log = []

    def long_job():
        start = time.perf_counter()
        steps = 0
        while time.perf_counter() - start < 2.0:
            time.sleep(0.002)
            steps += 1
            if scheduler.should_yield():
                break
        log.append(("long", time.perf_counter() - start))
        return steps

    async def main():
        long = asyncio.create_task(scheduler.run("heavy", long_job))
        await asyncio.sleep(0.1)
        start = time.perf_counter()
        await scheduler.run("light", log.append, ("light", None))
        waited = time.perf_counter() - start
        await long
        return waited

    try:
        waited = asyncio.run(main())
    finally:
        scheduler.close()
    assert log[0][0] == "long" and log[0][1] < 1.0  # it gave the worker back early
    assert waited < 0.5


# --------------------------------------------------------------------------------------------
# A real socket: deadlines, connection cap, frame size, token
# --------------------------------------------------------------------------------------------
def connect(port, source="127.0.0.1"):
    return socket.create_connection(("127.0.0.1", port), timeout=10,
                                    source_address=(source, 0))


def read_until_closed(sock, limit=10.0):
    """Everything the server sends until it closes; raises when it stays open past ``limit``."""
    sock.settimeout(limit)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            # NOTE: a server that closes while the client's bytes still wait unread sends a
            # reset, which may overtake its last answer: the connection was cut all the same.
            return data + b"<reset>"
        if not chunk:
            return data
        data += chunk


def test_slow_headers_and_bodies_are_cut_off(start_server):
    limits = Limits(header_timeout=1.0, body_timeout=1.0)
    port = start_server(server.create_app(), limits=limits)
    host = f"Host: 127.0.0.1:{port}\r\n".encode()

    silent = connect(port)  # connects and says nothing
    trickle = connect(port)  # a slowloris: one header line every 0.2 s, never the end
    trickle.sendall(b"GET / HTTP/1.1\r\n" + host)
    slow_body = connect(port)  # announces a body, sends a byte now and then
    slow_body.sendall(b"POST / HTTP/1.1\r\n" + host + b"Content-Length: 500\r\n\r\nx")
    start = time.monotonic()
    stop = threading.Event()

    def drip():
        i = 0
        while not stop.is_set():
            try:
                trickle.sendall(f"X-Slow-{i}: y\r\n".encode())
                slow_body.sendall(b"x")
            except OSError:
                return
            i += 1
            time.sleep(0.2)

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    try:
        assert read_until_closed(silent) == b""
        assert time.monotonic() - start < 4.0
        answer = read_until_closed(trickle)
        assert answer.startswith(b"HTTP/1.1 408") or answer == b"<reset>"
        assert time.monotonic() - start < 4.0  # trickling did not extend the deadline
        read_until_closed(slow_body)
        assert time.monotonic() - start < 4.0
        # Normal requests keep being served, before and after.
        quick = connect(port)
        quick.sendall(b"GET /health HTTP/1.1\r\n" + host + b"Connection: close\r\n\r\n")
        assert read_until_closed(quick).startswith(b"HTTP/1.1 200")
    finally:
        stop.set()
        for sock in (silent, trickle, slow_body):
            sock.close()


def test_one_address_holds_a_bounded_number_of_connections(start_server):
    port = start_server(server.create_app(), limits=Limits(max_connections=3,
                                                           header_timeout=30.0))
    held = [connect(port, "127.0.0.7") for _ in range(3)]
    try:
        time.sleep(0.2)
        extra = connect(port, "127.0.0.7")
        assert read_until_closed(extra, limit=5.0) == b""  # closed at once
        other = connect(port, "127.0.0.8")  # another address is not affected
        other.sendall(f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                      "Connection: close\r\n\r\n".encode())
        assert read_until_closed(other).startswith(b"HTTP/1.1 200")
        held.pop().close()
        time.sleep(0.2)
        again = connect(port, "127.0.0.7")
        again.sendall(f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                      "Connection: close\r\n\r\n".encode())
        assert read_until_closed(again).startswith(b"HTTP/1.1 200")
    finally:
        for sock in held:
            sock.close()


def test_real_socket_frames_hosts_and_tokens(start_server):
    sync_client = pytest.importorskip("websockets.sync.client")
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    port = start_server(server.create_app(token=TOKEN))
    url = f"ws://127.0.0.1:{port}/ws"
    with pytest.raises(InvalidStatus, match="403"):
        sync_client.connect(url, open_timeout=10)
    with pytest.raises(InvalidStatus, match="403"):
        sync_client.connect(url + f"?token={TOKEN}", open_timeout=10,
                            origin="http://evil.example")
    rebound = connect(port)  # DNS rebinding: right token, foreign name
    rebound.sendall(f"GET /?token={TOKEN} HTTP/1.1\r\nHost: evil.example:{port}\r\n"
                    "Connection: close\r\n\r\n".encode())
    assert read_until_closed(rebound).startswith(b"HTTP/1.1 403")
    with sync_client.connect(url, open_timeout=10,
                             additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        assert [json.loads(ws.recv(timeout=10))["type"] for _ in STARTUP] == list(STARTUP)
        ws.send("x" * (server.MAX_FRAME_BYTES + 1))
        with pytest.raises(ConnectionClosed) as info:
            for _ in range(20):
                ws.recv(timeout=10)
        assert info.value.rcvd is not None and info.value.rcvd.code == 1009
