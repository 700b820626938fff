"""Shared by the playground's tests: the ``browser`` marker and a live server fixture."""

import os
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"  # Debian's package: never `playwright install`
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives the real page in headless Chromium (needs /usr/bin/chromium "
        "and playwright)")


@pytest.fixture(scope="module")
def live_server():
    """``(url, app)``: the playground served by uvicorn in a thread on an ephemeral port of
    127.0.0.1, stopped at the end of the module."""
    uvicorn = pytest.importorskip("uvicorn", reason="the playground extra (uvicorn) is missing")
    from profond.playground.server import create_app

    app = create_app()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws_max_size=64 * 1024))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the playground server did not start in 20 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/", app
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def start_server():
    """``start(app, limits=None, **options) -> port``: serve ``app`` the way ``profond
    playground`` does (``server.make_server``: header/body deadlines, per-client connection cap,
    frame limit) in a thread on an ephemeral port of 127.0.0.1; stopped at the end of the test."""
    pytest.importorskip("uvicorn", reason="the playground extra (uvicorn) is missing")
    from profond.playground.server import make_server

    started = []

    def start(app, limits=None, **options):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = make_server(app, "127.0.0.1", port, limits=limits, **options)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        started.append((server, thread, sock))
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the playground server did not start in 20 s")
            time.sleep(0.02)
        return port

    yield start
    for server, thread, sock in started:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium driven by Playwright for Python, for a module's browser tests (which
    skip themselves when Chromium or Playwright is missing)."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (pip install playwright)")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
                                             headless=True)
        yield browser
        browser.close()


@pytest.fixture
def shots(tmp_path):
    """Where a browser test saves its screenshots: the test's tmp dir, or
    ``$PROFOND_SCREENSHOT_DIR`` when set."""
    folder = Path(os.environ.get("PROFOND_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder

