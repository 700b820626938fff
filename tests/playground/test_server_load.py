"""The playground under load (issue 13, item 10), on loopback only and bounded in time.

With 50 sessions open (the normal client's, 25 playing tabs from five other addresses, and the
24 a flooding address may hold), the flooder then sends messages as fast as it can and keeps
asking for more sessions, a slowloris holds 40 half-sent requests, and a newcomer joins.
Meanwhile a normal client (a person clicking "step" every quarter of a second) must see its step
latency stay within twice its quiet value, measured moments before in the same test (medians of
ten steps).

The floor. The design's worst case adds to a quiet step one training slice of a heavier client
(``SLICE_SECONDS``, 20 ms), one snapshot of the largest network a page may ask for (~25 ms) and
the event loop's own work for the other 49 sessions: within 2× on an idle machine.
But the test must also pass on a machine shared with other jobs: on the 2-core machine it was
written on, with a load average of 6-8 from other test runs, quiet medians were 50-95 ms and
loaded ones 120-660 ms (every thread there waits its turn for a core, whatever the scheduling).
So the bound is never below ``FLOOR`` = 1.5 s: a little over twice the worst loaded median seen,
and still more than three times below the 5 s a first-come-first-served worker gave with one
client flooding (with such a worker the load here cannot even open its sessions in 90 s), so an
unfair scheduler still fails this test.

The server and the load each run in a process of their own (this file, run as a script), as
they would for real: sharing the test's process, their threads would compete with each other
and with the normal client for the GIL. Distinct clients are distinct source addresses (all of
127.0.0.0/8 is loopback on Linux).
"""

import asyncio
import json
import os
import select
import statistics
import subprocess
import sys
import time
import urllib.request

import pytest

FLOOR = 1.5  # seconds; see the module's text
HEADER_TIMEOUT = 2.0
STARTUP = ("hello", "settings", "data", "update", "state")
HEAVY = {"layers": [16] * 6, "n_samples": 1000, "batch_size": 1, "dataset": "spiral",
         "classes": 5}
CHEAP = ["{not json"] * 4  # refused at once: they go faster than the message rate allows
SPAM = [{"type": "step"}, *CHEAP, {"type": "play"}, *CHEAP, {"type": "export", "format":
        "profond"}, *CHEAP, {"type": "settings", "settings": {"learning_rate": 0.01}}, *CHEAP,
        {"type": "add_point", "x": 0.1, "y": 0.1, "label": 1}, *CHEAP,
        {"type": "view", "layer": 3, "x": 1, "y": 2}, *CHEAP]
FLOODER, SLOWLORIS, NEWCOMER = "127.0.0.20", "127.0.0.30", "127.0.0.40"


# --------------------------------------------------------------------------------------------
# The load's process: python test_server_load.py PORT
# --------------------------------------------------------------------------------------------
class Load:
    """Everybody but the normal client. Talks to the test through stdin/stdout lines:
    ``opened`` (sessions open) ← ``go`` → ``ready`` (flood and slowloris running) ← ``stop`` →
    a JSON line of what it saw."""

    def __init__(self, port):
        self.url = f"ws://127.0.0.1:{port}/ws"
        self.port = port
        self.stopping = False
        self.seen = {"updates": {}, "flood_open": 0, "flood_most": 0, "flood_opened": 0,
                     "flood_refusals": [], "flood_close_codes": [], "slowloris": []}

    async def open(self, source):
        from websockets.asyncio.client import connect

        ws = await connect(self.url, local_addr=(source, 0), open_timeout=30, max_size=None,
                           compression=None)
        first = json.loads(await ws.recv())
        if first["type"] == "error":
            await ws.close()
            return None, first
        for _ in STARTUP[1:]:
            await ws.recv()
        return ws, first

    async def drain(self, ws, index=None):
        try:
            async for text in ws:
                if index is not None and json.loads(text)["type"] == "update":
                    updates = self.seen["updates"]
                    updates[index] = updates.get(index, 0) + 1
        except Exception:  # closed
            pass

    async def flood_one(self, go, first_wave):
        """One of the flooder's tabs: open, wait for "go", send as fast as possible; when hung
        up on or refused, reconnect."""
        seen = self.seen
        while not self.stopping:
            try:
                ws, first = await self.open(FLOODER)
            except Exception:
                await asyncio.sleep(0.05)
                continue
            if ws is None:
                if len(seen["flood_refusals"]) < 100:
                    seen["flood_refusals"].append(first["message"])
                if not first_wave.done():
                    first_wave.set_result(None)
                await asyncio.sleep(0.05)
                continue
            seen["flood_opened"] += 1
            seen["flood_open"] += 1
            seen["flood_most"] = max(seen["flood_most"], seen["flood_open"])
            draining = asyncio.create_task(self.drain(ws))
            try:
                await go.wait()
                i = 0
                while not self.stopping:
                    item = SPAM[i % len(SPAM)]
                    await ws.send(item if isinstance(item, str) else json.dumps(item))
                    i += 1
                    if i == 1:
                        await ws.send(json.dumps({"type": "settings", "settings": HEAVY}))
                    await asyncio.sleep(0)  # send() need not yield: let the others run
            except Exception:
                pass
            finally:
                seen["flood_open"] -= 1
                draining.cancel()
                if ws.close_code is not None:
                    seen["flood_close_codes"].append(ws.close_code)
                ws.transport.abort()

    async def loris(self):
        record = [time.monotonic(), None, ""]
        self.seen["slowloris"].append(record)
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port,
                                                           local_addr=(SLOWLORIS, 0))
        except OSError:
            record[1] = time.monotonic()
            return

        async def drip():
            writer.write(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n".encode())
            for i in range(1000):
                await asyncio.sleep(0.3)
                writer.write(f"X-{i}: y\r\n".encode())

        dripping = asyncio.create_task(drip())
        try:
            record[2] = (await reader.read(64)).decode("latin-1")
            while await reader.read(4096):
                pass
        except OSError:
            pass
        record[1] = time.monotonic()
        dripping.cancel()
        writer.close()

    async def main(self):
        loop = asyncio.get_running_loop()

        async def line():
            return (await loop.run_in_executor(None, sys.stdin.readline)).strip()

        tasks = []
        for i in range(25):  # five ordinary clients, five playing tabs each
            ws, _ = await self.open(f"127.0.0.{11 + i // 5}")
            await ws.send(json.dumps({"type": "play"}))
            tasks.append(asyncio.create_task(self.drain(ws, i)))
        go, first_wave = asyncio.Event(), loop.create_future()
        tasks += [asyncio.create_task(self.flood_one(go, first_wave)) for _ in range(30)]
        await asyncio.wait_for(first_wave, 60)  # the flooder has met its quota
        print("opened", flush=True)
        assert await line() == "go"
        go.set()
        tasks += [asyncio.create_task(self.loris()) for _ in range(40)]
        await asyncio.sleep(1.0)  # the flood, the heavy settings and the slowloris get going
        print("ready", flush=True)
        assert await line() == "stop"
        self.stopping = True
        print(json.dumps(self.seen), flush=True)
        os._exit(0)  # the sockets close with the process


# --------------------------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------------------------
def step_latency(ws):
    """Seconds from sending "step" to receiving its update."""
    start = time.perf_counter()
    ws.send(json.dumps({"type": "step"}))
    while True:
        message = json.loads(ws.recv(timeout=30))
        assert message["type"] != "error", message
        if message["type"] == "update":
            elapsed = time.perf_counter() - start
            break
    assert json.loads(ws.recv(timeout=30))["type"] == "state"
    return elapsed


def steps(ws, count=12, pause=0.25):
    """Latencies of ``count`` steps a quarter of a second apart, less two warm-up steps."""
    latencies = []
    for _ in range(count):
        latencies.append(step_latency(ws))
        time.sleep(pause)
    return latencies[2:]


def read_line(child, seconds):
    ready, _, _ = select.select([child.stdout], [], [], seconds)
    if not ready:
        raise AssertionError(f"the load process said nothing in {seconds} s")
    return child.stdout.readline().strip()


def sessions(port):
    """The server's open sessions, from its ``/health`` page."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=30) as response:
        return json.loads(response.read())["sessions"]


def start(*args):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, __file__, *args], env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="needs the whole 127.0.0.0/8 block on loopback (Linux)")
def test_a_normal_client_keeps_its_pace_through_sessions_flood_and_slowloris():
    pytest.importorskip("uvicorn", reason="the playground extra (uvicorn) is not installed")
    sync_client = pytest.importorskip("websockets.sync.client")
    from profond.playground import server
    from profond.playground.protocol import MAX_CONNECTIONS_PER_CLIENT

    children = []
    try:
        children.append(start("serve"))
        port = int(read_line(children[0], 90))
        url = f"ws://127.0.0.1:{port}/ws"
        with sync_client.connect(url, open_timeout=30) as ws:
            assert [json.loads(ws.recv(timeout=30))["type"] for _ in STARTUP] == list(STARTUP)
            quiet = steps(ws)

            load = start("load", str(port))
            children.append(load)
            assert read_line(load, 90) == "opened"
            assert sessions(port) == 50  # 1 + 25 + the flooder's quota of 24
            load.stdin.write("go\n")
            load.stdin.flush()
            assert read_line(load, 30) == "ready"
            started = time.monotonic()
            loaded = steps(ws)

            # A newcomer still gets a session, and quickly.
            joined = time.perf_counter()
            with sync_client.connect(url, open_timeout=30,
                                     source_address=(NEWCOMER, 0)) as new:
                assert [json.loads(new.recv(timeout=30))["type"] for _ in STARTUP] == \
                    list(STARTUP)
                join_seconds = time.perf_counter() - joined
            time.sleep(max(0.0, started + HEADER_TIMEOUT + 3.0 - time.monotonic()))
            load.stdin.write("stop\n")
            load.stdin.flush()
            seen = json.loads(read_line(load, 30))
            load.wait(timeout=30)
        deadline = time.monotonic() + 15  # every session is freed once its client has gone
        while sessions(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sessions(port) == 0
    finally:
        for child in children:
            child.stdin.close()
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

    quiet_median, loaded_median = statistics.median(quiet), statistics.median(loaded)
    bound = max(2 * quiet_median, FLOOR)
    print(f"quiet {quiet_median * 1000:.0f} ms, loaded {loaded_median * 1000:.0f} ms")
    assert loaded_median <= bound, (f"step latency {loaded_median * 1000:.0f} ms under load, "
                                    f"{quiet_median * 1000:.0f} ms quiet (bound "
                                    f"{bound * 1000:.0f} ms): {loaded}")
    assert join_seconds < 5 * bound

    # The flooder never held more than its quota and was refused beyond it; the players' tabs
    # kept getting updates.
    assert seen["flood_most"] == server.MAX_SESSIONS_PER_CLIENT
    assert seen["flood_refusals"] and all("from your address" in m
                                          for m in seen["flood_refusals"])
    per_address = [sum(seen["updates"].get(str(5 * a + i), 0) for i in range(5))
                   for a in range(5)]
    assert min(per_address) >= 1, per_address  # every other client's training went on

    # The slowloris: 40 connections from one address, 32 (the per-address cap) held until the
    # header deadline then answered 408, the others refused at once; none outlived it by much.
    lives = seen["slowloris"]
    assert len(lives) == 40 and all(closed is not None for _, closed, _ in lives)
    assert max(closed - opened for opened, closed, _ in lives) < HEADER_TIMEOUT + 3.0
    assert sum(first.startswith("HTTP/1.1 408") for _, _, first in lives) == \
        MAX_CONNECTIONS_PER_CLIENT


def serve():
    """The server's process: ``profond playground``'s server on an ephemeral port of 127.0.0.1
    (printed once it listens), with a short header deadline; stops when stdin closes."""
    import socket
    import threading

    from profond.playground import server
    from profond.playground.protocol import Limits

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    app = server.create_app()
    instance = server.make_server(app, "127.0.0.1", sock.getsockname()[1],
                                  limits=Limits(header_timeout=HEADER_TIMEOUT))
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not instance.started:
        time.sleep(0.02)
    print(sock.getsockname()[1], flush=True)
    sys.stdin.read()
    instance.should_exit = True
    thread.join(timeout=10)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve()
    else:
        asyncio.run(Load(int(sys.argv[2])).main())
