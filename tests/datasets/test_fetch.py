"""Dataset downloads against a local HTTP server (loopback only): an overall deadline, a cache that
resumes a cut download with an HTTP Range request (or restarts when the server has no ranges), a
SHA-256 checked before the file takes its name, a clear message offline."""

import contextlib
import hashlib
import http.server
import importlib.util
import os
import re
import socket
import threading
import time

import pytest

from profond.datasets import _fetch
from profond.utils import file_utils
from profond.utils.file_utils import download, get_file

DATA = os.urandom(300_000)
DIGEST = hashlib.sha256(DATA).hexdigest()


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.data`` at any path. ``server.mode``: ``"cut"`` closes the connection half
    way through the first answer, ``"trickle"`` sends a byte every 20 ms; ``server.ranges``:
    whether ``Range: bytes=N-`` gets a 206 answer."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        server = self.server
        server.requests.append(self.headers.get("Range"))
        data, start = server.data, 0
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if match and server.ranges:
            start = int(match.group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if server.mode == "trickle":
            with contextlib.suppress(OSError):
                for i in range(len(body)):
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(0.02)
            return
        if server.mode == "cut" and len(server.requests) == 1:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        server.sent += len(body)
        self.wfile.write(body)


@pytest.fixture
def server(tmp_path, monkeypatch):
    monkeypatch.setenv("PROFOND_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PROFOND_DOWNLOAD_DEADLINE", raising=False)
    monkeypatch.delenv("PROFOND_DATASETS_URL", raising=False)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.data, httpd.mode, httpd.ranges, httpd.requests, httpd.sent = DATA, None, True, [], 0
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/files/data.bin"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _home(tmp_path):
    return tmp_path / "home" / "datasets"


def test_a_cut_download_is_kept_and_resumed_with_a_range_request(server, tmp_path):
    server.mode = "cut"
    with pytest.raises(OSError, match="closed after 150,000 of 300,000 bytes") as info:
        get_file("data.bin", origin=server.url, file_hash=DIGEST)
    part = _home(tmp_path) / "data.bin.part"
    assert "kept in" in str(info.value) and str(part) in str(info.value)
    assert part.read_bytes() == DATA[:150_000]
    assert not (_home(tmp_path) / "data.bin").exists()  # never half a file under its name

    path = get_file("data.bin", origin=server.url, file_hash=DIGEST)
    assert server.requests == [None, "bytes=150000-"]
    assert server.sent == 150_000  # only the missing half travelled again
    assert open(path, "rb").read() == DATA
    assert os.listdir(_home(tmp_path)) == ["data.bin"]


def test_a_server_without_ranges_sends_the_whole_file_again(server, tmp_path):
    server.mode, server.ranges = "cut", False
    with pytest.raises(OSError, match="closed after"):
        get_file("data.bin", origin=server.url, file_hash=DIGEST)
    path = get_file("data.bin", origin=server.url, file_hash=DIGEST)
    assert server.requests == [None, "bytes=150000-"] and server.sent == len(DATA)
    assert open(path, "rb").read() == DATA
    assert os.listdir(_home(tmp_path)) == ["data.bin"]


def test_a_stale_partial_file_is_downloaded_again_whole(server, tmp_path):
    """A ``.part`` left from another version of the file joins into a wrong file: the hash
    refuses it and the download starts once more from the first byte."""
    folder = _home(tmp_path)
    folder.mkdir(parents=True)
    (folder / "data.bin.part").write_bytes(b"x" * 1000)
    path = get_file("data.bin", origin=server.url, file_hash=DIGEST)
    assert server.requests == ["bytes=1000-", None]
    assert open(path, "rb").read() == DATA


def test_a_partial_file_longer_than_the_file_restarts(server, tmp_path):
    target = tmp_path / "d" / "data.bin"
    target.parent.mkdir()
    (tmp_path / "d" / "data.bin.part").write_bytes(bytes(len(DATA) + 10))
    download(server.url, target, resume=True)
    assert server.requests == [f"bytes={len(DATA) + 10}-", None]  # 416, then the whole file
    assert target.read_bytes() == DATA


def test_a_wrong_hash_is_refused_and_nothing_is_kept(server, tmp_path):
    with pytest.raises(ValueError, match="integrity"):
        get_file("data.bin", origin=server.url, file_hash="0" * 64)
    assert os.listdir(_home(tmp_path)) == []
    with pytest.raises(ValueError, match="integrity"):  # MD5 too
        get_file("data.bin", origin=server.url, file_hash="0" * 32)
    assert os.listdir(_home(tmp_path)) == []


def test_a_trickling_server_hits_the_overall_deadline(server, tmp_path):
    """Each byte comes well within the socket timeout: only an overall deadline stops it."""
    server.mode = "trickle"
    target = tmp_path / "slow.bin"
    begin = time.monotonic()
    with pytest.raises(TimeoutError, match="deadline") as info:
        download(server.url, target, timeout=5, deadline=0.5, resume=True)
    assert time.monotonic() - begin < 3
    assert "PROFOND_DOWNLOAD_DEADLINE" in str(info.value)
    part = tmp_path / "slow.bin.part"
    assert 0 < part.stat().st_size < len(DATA) and not target.exists()  # kept, to resume


def test_the_deadline_comes_from_the_environment(server, tmp_path, monkeypatch):
    server.mode = "trickle"
    monkeypatch.setenv("PROFOND_DOWNLOAD_DEADLINE", "0.3")
    assert file_utils.download_deadline() == 0.3
    begin = time.monotonic()
    with pytest.raises(TimeoutError, match="deadline"):
        get_file("data.bin", origin=server.url, file_hash=DIGEST)
    assert time.monotonic() - begin < 3
    for bad in ("soon", "0", "-5", "nan", "inf"):
        monkeypatch.setenv("PROFOND_DOWNLOAD_DEADLINE", bad)
        with pytest.raises(ValueError, match="PROFOND_DOWNLOAD_DEADLINE"):
            file_utils.download_deadline()
    with pytest.raises(ValueError, match="deadline=0"):
        download(server.url, tmp_path / "x.bin", deadline=0)


def test_a_file_announced_larger_than_the_limit_is_refused_before_reading(server, tmp_path):
    server.mode = "trickle"  # reading 1,001 bytes would take 20 s
    begin = time.monotonic()
    with pytest.raises(ValueError, match="300000 B, larger than the limit of 1000 B"):
        download(server.url, tmp_path / "x.bin", max_bytes=1000, resume=True)
    assert time.monotonic() - begin < 3
    assert not (tmp_path / "x.bin").exists() and not (tmp_path / "x.bin.part").exists()


def test_offline_the_message_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("PROFOND_HOME", str(tmp_path / "home"))
    with socket.socket() as probe:  # a loopback port with nobody listening: refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/mnist.npz"
    with pytest.raises(OSError) as info:
        get_file("mnist.npz", origin=url, file_hash=DIGEST)
    message = str(info.value)
    assert message.startswith(f"Could not download mnist.npz from {url}: ")
    assert "refused" in message.lower() and "by hand" in message
    assert str(_home(tmp_path) / "mnist.npz") in message
    assert "urlopen error" not in message  # the reason itself, not urllib's wrapper
    assert os.listdir(_home(tmp_path)) == []


@pytest.mark.skipif(importlib.util.find_spec("fcntl") is None, reason="file locks are POSIX")
def test_a_second_download_of_the_same_file_leaves_the_first_alone(server, tmp_path):
    import fcntl

    target = tmp_path / "data.bin"
    part = tmp_path / "data.bin.part"
    part.write_bytes(b"half")
    with open(part, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with pytest.raises(OSError, match="another download of the same file"):
            download(server.url, target, resume=True)
    assert part.read_bytes() == b"half" and server.requests == []


def test_dataset_fetch_uses_the_mirror_and_verifies(server, tmp_path, monkeypatch):
    monkeypatch.setenv("PROFOND_DATASETS_URL", server.url.rsplit("/", 1)[0])
    origin = "https://storage.example.invalid/datasets/data.bin"
    path = _fetch.fetch("data.bin", origin=origin, file_hash=DIGEST)
    assert open(path, "rb").read() == DATA and path == str(_home(tmp_path) / "data.bin")
    with pytest.raises(ValueError, match="integrity"):
        _fetch.fetch("other.bin", origin=origin, file_hash="1" * 64)
    assert sorted(os.listdir(_home(tmp_path))) == ["data.bin"]
