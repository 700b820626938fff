"""HTTP connections with deadlines, for the playground's uvicorn server.

uvicorn closes a connection that stays idle *between* requests, but any byte resets that timer,
and nothing bounds how long a request's headers or body may take: a "slowloris" client that
sends one header byte every few seconds holds its connection (and a file descriptor) for ever,
and a few hundred of them exhaust the server. :func:`guarded_protocol` gives uvicorn's h11
protocol three bounds:

* the headers of each request must all arrive within ``header_timeout`` seconds of the
  connection opening (or of the previous response), however slowly they trickle;
* a request body must arrive within ``body_timeout`` seconds of its headers;
* one client address keeps at most ``max_connections`` HTTP connections open (a WebSocket, once
  upgraded, is counted by the session quotas instead).

A connection past a deadline gets ``408 Request Timeout`` (when no response has started) and is
closed.
"""

import collections
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from profond.playground.guard import shown

log = logging.getLogger("profond.playground")

HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 10.0
MAX_CONNECTIONS_PER_CLIENT = 32  # a browser opens about six per server
_TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                     b"content-length: 16\r\nconnection: close\r\n\r\nRequest timeout\n")


class Limits:
    """The deadlines and the per-client cap of one server, and its open connections by client."""

    def __init__(self, header_timeout=HEADER_TIMEOUT, body_timeout=BODY_TIMEOUT,
                 max_connections=MAX_CONNECTIONS_PER_CLIENT):
        for name, value in (("header_timeout", header_timeout), ("body_timeout", body_timeout),
                            ("max_connections", max_connections)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"Expected a positive number for {name}. Received: "
                                 f"{name}={value!r}")
        self.header_timeout = float(header_timeout)
        self.body_timeout = float(body_timeout)
        self.max_connections = int(max_connections)
        self.open = collections.Counter()  # client address → open HTTP connections


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a header deadline, a body deadline and a per-client cap.
    Subclassed per server by :func:`guarded_protocol`, which sets ``limits``."""

    limits = Limits()

    def connection_made(self, transport):
        super().connection_made(transport)
        self._timer = None
        self._phase = None  # "headers", "body" or None (request read, or upgraded)
        self._counted = None
        address = self.client[0] if self.client else "unknown"
        if self.limits.open[address] >= self.limits.max_connections:
            log.warning("playground: refused a connection from %s: %d HTTP connections "
                        "already open", shown(address), self.limits.max_connections)
            transport.close()
            return
        self.limits.open[address] += 1
        self._counted = address
        self._watch()

    def connection_lost(self, exc):
        self._release()
        super().connection_lost(exc)

    def data_received(self, data):
        super().data_received(data)
        self._watch()

    def on_response_complete(self):
        super().on_response_complete()
        self._watch()

    def handle_websocket_upgrade(self, event):
        self._release()  # the WebSocket protocol owns the connection from now on
        super().handle_websocket_upgrade(event)

    # --- deadlines ----------------------------------------------------------------------------
    def _release(self):
        self._set_phase(None)
        if self._counted is not None:
            self.limits.open[self._counted] -= 1
            if self.limits.open[self._counted] <= 0:
                del self.limits.open[self._counted]
            self._counted = None

    def _watch(self):
        """Arm the deadline of the phase the client is in; keep it while the phase lasts."""
        if self._counted is None or self.transport.is_closing():
            self._set_phase(None)
        elif self.conn.their_state is h11.IDLE:
            self._set_phase("headers")
        elif self.conn.their_state is h11.SEND_BODY:
            self._set_phase("body")
        else:
            self._set_phase(None)

    def _set_phase(self, phase):
        if phase == self._phase:
            return  # NOTE: not re-armed on each byte: trickling must not extend the deadline
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._phase = phase
        if phase is not None:
            seconds = self.limits.header_timeout if phase == "headers" else \
                self.limits.body_timeout
            self._timer = self.loop.call_later(seconds, self._expire, phase)

    def _expire(self, phase):
        self._timer = None
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            return
        log.warning("playground: closed a connection from %s: request %s not received within "
                    "%g s", shown(self.client[0] if self.client else "unknown"), phase,
                    self.limits.header_timeout if phase == "headers" else
                    self.limits.body_timeout)
        if self.conn.our_state is h11.IDLE and (phase == "body" or self.conn.trailing_data[0]):
            self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()


def guarded_protocol(limits):
    """A :class:`GuardedH11Protocol` class bound to ``limits``, for ``uvicorn.Config(http=…)``."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"limits": limits})


__all__ = ["Limits", "guarded_protocol"]
