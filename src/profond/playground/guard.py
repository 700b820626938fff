"""What stands between the playground and the network: who may talk to it, and how much.

The playground is a web server on the user's machine that runs training on request, so it
trusts nothing it receives:

* **Host** (DNS rebinding). A web page from ``evil.example`` can make its own name resolve to
  127.0.0.1 and then read our pages as "same origin". Its requests still carry
  ``Host: evil.example``, so only loopback names (``localhost``, ``127.0.0.1``, ``::1``), the
  address the connection arrived at (an IP literal: a rebinding page always has a DNS name) and
  the names the user allowed are served.
* **Origin**. A browser sends it with every WebSocket handshake (WebSockets are not covered by
  the same-origin policy) and most cross-site requests: when present, it must be this server.
* **Token**. When the server listens beyond loopback it requires a secret token, compared in
  constant time, on every HTTP request and WebSocket: ``Authorization: Bearer …``, ``?token=…``
  (a page opened that way gets it as an ``HttpOnly``, ``SameSite=Strict`` cookie and is redirected
  to the clean address) or that cookie.
* **Size**. The playground's pages take no request body: a declared body over ``max_body`` bytes
  gets ``413``, a body of undeclared length ``411``.
* **Rate**. :class:`RateLimitFilter` bounds the log lines a flood of bad requests can write;
  :class:`TokenBucket` paces a client's WebSocket messages.

>>> is_loopback("localhost"), is_loopback("127.0.0.2"), is_loopback("0.0.0.0")
(True, True, False)
"""

import hmac
import ipaddress
import logging
import re
import secrets
import threading
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse

log = logging.getLogger("profond.playground")

MAX_BODY_BYTES = 1024  # the page sends no HTTP body at all
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9._~-]{16,256}")


# --------------------------------------------------------------------------------------------
# Addresses and tokens
# --------------------------------------------------------------------------------------------
def is_loopback(host):
    """True when ``host`` (a name or an address, IPv6 with or without brackets) can only be
    reached from this machine: ``localhost`` or a loopback address. ``0.0.0.0``/``::`` (every
    interface) and any other name are not."""
    host = str(host).strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def new_token():
    """A fresh random token (32 URL-safe characters, 192 bits)."""
    return secrets.token_urlsafe(24)


def check_token(token):
    """``token`` if it is a usable secret: 16 to 256 characters from ``A-Z a-z 0-9 . _ ~ -``
    (they travel in URLs, headers and cookies unescaped). The message never repeats it."""
    if isinstance(token, str) and TOKEN_PATTERN.fullmatch(token):
        return token
    if not isinstance(token, str):
        received = f"a {type(token).__name__}"
    else:
        received = f"a token of {len(token)} characters"
        if not re.fullmatch(r"[A-Za-z0-9._~-]*", token):
            received += ", some of them not allowed"
    raise ValueError("Expected a playground token of 16 to 256 characters from A-Z, a-z, 0-9, "
                     f"'.', '_', '~' and '-'. Received: {received}")


def host_name(value):
    """The name part of a ``Host`` header, lower case: ``"[::1]:8000"`` → ``"::1"``."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def client_key(scope):
    """Who a connection belongs to, for quotas and fair turns: its IP address (every tab of one
    browser shares it; behind a reverse proxy every client would look the same)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def shown(value, limit=80):
    """A client-sent string made safe for a log line: escaped (no control characters reach the
    terminal) and cut to ``limit`` characters."""
    text = ascii(str(value)[:limit])
    return text + ("…" if len(str(value)) > limit else "")


# --------------------------------------------------------------------------------------------
# The middleware
# --------------------------------------------------------------------------------------------
class Guard:
    """ASGI middleware checking ``Host``, ``Origin``, the token and the body size of every HTTP
    request and WebSocket handshake before the application sees it (see the module's text).

    A refused HTTP request gets ``400``/``401``/``403``/``411``/``413`` with a one-line reason; a
    refused WebSocket is closed before it is accepted (the browser sees ``403``).
    """

    def __init__(self, app, token=None, allowed_hosts=(), max_body=MAX_BODY_BYTES):
        self.app = app
        self.token = None if token is None else check_token(token)
        self.allowed_hosts = {host_name(h) for h in allowed_hosts}
        self.max_body = int(max_body)

    def cookie_name(self, scope):
        server = scope.get("server") or ("", 0)
        return f"profond_playground_{server[1] or 0}"  # cookies ignore ports: one per port

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        refusal = self.refusal(scope, headers, query)
        if refusal is not None:
            status, reason = refusal
            log.warning("playground: refused %s %s from %s: %s", scope["type"],
                        shown(scope.get("path", "")), client_key(scope), reason)
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                response = PlainTextResponse(reason + "\n", status, headers={"Connection":
                                                                              "close"})
                await response(scope, receive, send)
            return
        if (self.token is not None and scope["type"] == "http" and "token" in query
                and scope.get("method") in ("GET", "HEAD")):
            # A page opened with ?token=…: keep the token in a cookie, show a clean address.
            rest = urlencode([(k, v) for k, v in query.items() if k != "token"])
            response = RedirectResponse(scope.get("path", "/") + ("?" + rest if rest else ""),
                                        status_code=303)
            response.set_cookie(self.cookie_name(scope), self.token, httponly=True,
                                samesite="strict", path="/")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def refusal(self, scope, headers, query):
        """``(status, reason)`` when the request must be refused, else None."""
        host = headers.get("host")
        if not host:
            return 400, "A Host header is required."
        name = host_name(host)
        server = scope.get("server")
        if not (is_loopback(name) or name in self.allowed_hosts
                or (server and name == str(server[0]).lower())):
            return 403, (f"Host {shown(host, 60)} is not served here (DNS rebinding?): open the "
                         "playground at the address it printed.")
        origin = headers.get("origin")
        if origin is not None:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or parts.netloc.lower() != host.lower():
                return 403, f"Origin {shown(origin, 60)} is not this server."
        if self.token is not None and not self._has_token(scope, headers, query):
            return 401, ("A token is required: open the address with ?token=… that "
                         "`profond playground` printed.")
        if scope["type"] == "http":
            length = headers.get("content-length")
            if length is not None:
                if not length.isdigit():
                    return 400, "Malformed Content-Length."
                if int(length) > self.max_body:
                    return 413, (f"Request body too large: {length[:20]} bytes, at most "
                                 f"{self.max_body} accepted.")
            elif "transfer-encoding" in headers:
                return 411, "A request body needs a Content-Length."
        return None

    def _has_token(self, scope, headers, query):
        """Whether the request carries the token; each candidate compared in constant time."""
        candidates = [query.get("token"), headers.get("authorization", "").removeprefix(
            "Bearer ").strip() or None]
        for cookie in headers.get("cookie", "").split(";"):
            name, _, value = cookie.strip().partition("=")
            if name == self.cookie_name(scope):
                candidates.append(value)
        expected = self.token.encode()
        return any(hmac.compare_digest(c.encode("utf-8", "replace"), expected)
                   for c in candidates if c is not None)


# --------------------------------------------------------------------------------------------
# Rates
# --------------------------------------------------------------------------------------------
class RateLimitFilter(logging.Filter):
    """Lets at most ``burst`` records of each kind through per ``period`` seconds.

    A kind is (logger, level, message template), so a flood of one bad request cannot hide other
    messages nor fill the terminal or a log file. The next record of a kind that passes says how
    many were held back.

    >>> f = RateLimitFilter(burst=2, period=60)
    >>> records = [logging.LogRecord("x", logging.WARNING, "", 0, "refused %s", ("a",), None)
    ...            for _ in range(5)]
    >>> [f.filter(r) for r in records]
    [True, True, False, False, False]
    """

    def __init__(self, burst=10, period=60.0, clock=time.monotonic):
        super().__init__()
        self.burst, self.period, self.clock = int(burst), float(period), clock
        self._kinds = {}  # kind → [window start, passed in this window, held back]
        self._lock = threading.Lock()

    def filter(self, record):
        kind = (record.name, record.levelno, str(record.msg)[:200])
        now = self.clock()
        with self._lock:
            state = self._kinds.get(kind)
            if state is None:
                if len(self._kinds) >= 1000:  # bounded, whatever the templates
                    self._kinds.clear()
                state = self._kinds[kind] = [now, 0, 0]
            if now - state[0] >= self.period:
                state[0], state[1] = now, 0
            if state[1] >= self.burst:
                state[2] += 1
                return False
            state[1] += 1
            held, state[2] = state[2], 0
        if held:
            record.msg = f"{record.msg} ({held} similar lines held back)"
        return True


class TokenBucket:
    """Paces events: ``rate`` per second on average, bursts of up to ``burst``.

    :meth:`delay` takes one token and returns how long the caller should wait first (0 when the
    bucket had one): the server sleeps that long before reading a client's next message, so a
    burst is slowed at the socket (TCP pushes back) instead of costing CPU. :meth:`in_debt_for`
    says how long the bucket has been empty without a break: a sustained flood, not a person.

    >>> bucket = TokenBucket(rate=10, burst=2, clock=lambda: 0.0)
    >>> [round(bucket.delay(), 2) for _ in range(4)]
    [0.0, 0.0, 0.1, 0.2]
    """

    def __init__(self, rate, burst, clock=time.monotonic):
        self.rate, self.burst, self.clock = float(rate), float(burst), clock
        self.tokens = float(burst)
        self.stamp = clock()
        self.debt_since = None  # when the bucket last went below zero

    def delay(self):
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1.0 and self.debt_since is None:
            self.debt_since = now
        elif self.tokens >= 1.0:
            self.debt_since = None
        self.tokens -= 1.0
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def in_debt_for(self):
        """Seconds since the bucket last had a token to spare (0 when it has one)."""
        return 0.0 if self.debt_since is None else self.clock() - self.debt_since


__all__ = ["Guard", "RateLimitFilter", "TokenBucket", "check_token", "client_key",
           "is_loopback", "new_token"]
