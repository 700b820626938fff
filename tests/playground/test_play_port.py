"""``profond playground --port N`` when N is taken: a clear message naming the port and a free
one, and ``--port 0`` for any free port (printed)."""

import socket

import pytest

pytest.importorskip("uvicorn", reason="the playground extra (uvicorn) is not installed")

from profond import cli  # noqa: E402
from profond.playground import server  # noqa: E402


@pytest.fixture
def busy_port():
    """A port of 127.0.0.1 that another program listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        yield other.getsockname()[1]


def test_a_busy_port_is_named_with_a_free_one(busy_port):
    with pytest.raises(server.PortInUseError) as caught:
        server.listening_socket("127.0.0.1", busy_port)
    message = str(caught.value)
    assert f"Port {busy_port} on 127.0.0.1 is already in use" in message
    assert "--port 0" in message
    suggested = int(message.split("Use --port ")[1].split()[0])
    assert suggested > busy_port
    server.listening_socket("127.0.0.1", suggested).close()  # the suggestion is free indeed


def test_port_zero_picks_a_free_port():
    sock = server.listening_socket("127.0.0.1", 0)
    try:
        assert sock.getsockname()[1] > 0
    finally:
        sock.close()


def test_the_command_says_so_and_starts_nothing(busy_port, capsys):
    assert cli.main(["playground", "--no-browser", "--port", str(busy_port)]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"profond playground: error: Port {busy_port} on 127.0.0.1 is "
                            "already in use")
    assert "Traceback" not in error


def test_the_server_runs_on_the_port_it_prints(monkeypatch, capsys):
    """With --port 0 the printed address has the port the system picked, and the server is
    handed the socket bound to it."""
    served = []

    class FakeServer:
        def run(self, sockets):
            served.append(sockets[0].getsockname()[1])

    monkeypatch.setattr(server, "make_server", lambda app, host, port, **_: FakeServer())
    server.run("127.0.0.1", 0, open_browser=False)
    printed = capsys.readouterr().out
    assert served and served[0] > 0
    assert f"http://127.0.0.1:{served[0]}/" in printed
