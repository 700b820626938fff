"""Fair scheduling of the playground's work: one worker thread, shared out between clients.

Every session's training and drawing runs on one worker thread (profond's layer-naming counters
and grad mode are process-wide, and one thread keeps the event loop free). A plain FIFO queue is
unfair: a client with twenty playing sessions puts twenty jobs in front of everybody else, and a
person who clicks "step" waits for all of them (5 s were measured).

Here jobs wait in one queue per client, and the worker serves the waiting client that has had
the *least* of it lately (its worker time, decayed with a time constant of ``memory`` seconds):
a newcomer or an occasional clicker goes before a client that keeps the worker busy, and busy
clients share what is left evenly. An interactive job (a reply somebody waits for) is served as
if its client had used the worker ``bonus`` seconds less than it did, so a person clicking goes
before background training (while "play" runs); a client sending requests non-stop gains that
much over its fair share and no more, so it cannot starve the others. A long job (training)
asks :meth:`should_yield` after each step and hands the worker back once it has run
``slice_seconds`` and somebody with a better claim waits, so a light client waits at most about
one slice, however many sessions or messages a heavy one sends.

>>> import asyncio
>>> scheduler = FairScheduler()
>>> asyncio.run(scheduler.run("127.0.0.1", sum, [1, 2, 3]))
6
>>> scheduler.close()
"""

import asyncio
import collections
import math
import threading
import time

INTERACTIVE, BACKGROUND = 0, 1


class _Job:
    """A function to call on the worker thread, and the asyncio future that waits for it."""

    __slots__ = ("function", "args", "future", "loop", "cancelled")

    def __init__(self, function, args, future, loop):
        self.function, self.args, self.future, self.loop = function, args, future, loop
        self.cancelled = False  # set on the event loop when nobody waits any more

    def settle(self, ok, value):
        """On the event loop: hand the worker's result (or exception) to the waiting task."""
        if not self.future.done():
            if ok:
                self.future.set_result(value)
            else:
                self.future.set_exception(value)


class FairScheduler:
    """Runs functions on one worker thread, shared out fairly between clients.

    ``await scheduler.run(client, function, *args)`` queues ``function(*args)`` under ``client``
    (any hashable key: the server uses the client's IP address) and returns its result.

    A client's recent worker time u decays as u ← u·exp(−Δt / memory) and grows by each job's
    duration. Its claim is u, less ``bonus`` when it has an interactive job waiting; the waiting
    client with the smallest claim goes next (ties: the one waiting longest), with its oldest
    interactive job, else its oldest background job.
    """

    def __init__(self, name="playground", slice_seconds=0.02, memory=10.0, bonus=1.0,
                 clock=time.perf_counter):
        self.name = name
        self.slice_seconds = float(slice_seconds)
        self.memory = float(memory)
        self.bonus = float(bonus)
        self.clock = clock
        self._queues = {}  # client → (interactive jobs, background jobs), oldest client first
        self._usage = {}  # client → (decayed worker seconds, when)
        self._current = None  # (client, priority, start) of the running job
        self._condition = threading.Condition()
        self._thread = None
        self._closed = False

    async def run(self, client, function, *args, background=False):
        """``function(*args)`` run on the worker thread in ``client``'s turn; its result."""
        loop = asyncio.get_running_loop()
        job = _Job(function, args, loop.create_future(), loop)
        with self._condition:
            if self._closed:
                raise RuntimeError("The playground's scheduler is closed.")
            queues = self._queues.setdefault(client, (collections.deque(), collections.deque()))
            queues[BACKGROUND if background else INTERACTIVE].append(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name=self.name, daemon=True)
                self._thread.start()
            self._condition.notify()
        try:
            return await job.future
        except asyncio.CancelledError:
            job.cancelled = True  # the tab has gone: the worker skips the job if not started
            raise

    def usage(self, client, now=None):
        """``client``'s recent worker time in seconds (decayed), not counting a running job."""
        now = self.clock() if now is None else now
        seconds, when = self._usage.get(client, (0.0, now))
        return seconds * math.exp(-max(0.0, now - when) / self.memory)

    def waiting(self):
        """How many jobs are queued (not counting the one running)."""
        with self._condition:
            return sum(len(jobs) for queues in self._queues.values() for jobs in queues)

    def should_yield(self):
        """For the running job, between two of its steps: True when it has run at least
        ``slice_seconds`` and a client with a better claim than its own (this job's time
        included) waits, or it is background work and its own client waits with an interactive
        job. Cheap when it is False early."""
        current = self._current
        if current is None:
            return False
        client, priority, start = current
        now = self.clock()
        if now - start < self.slice_seconds:
            return False
        with self._condition:
            own = self._queues.get(client)
            if priority == BACKGROUND and own is not None and own[INTERACTIVE]:
                return True
            mine = self.usage(client, now) + (now - start) - \
                (self.bonus if priority == INTERACTIVE else 0.0)
            return any(self._claim(other, now) < mine for other in self._queues
                       if other != client)

    def _claim(self, client, now):
        """The waiting ``client``'s claim on the worker (smaller goes first; the lock is held)."""
        interactive = self._queues[client][INTERACTIVE]
        return self.usage(client, now) - (self.bonus if interactive else 0.0)

    def _next(self):
        """``(client, priority, job)`` of the next job (the lock is held), or None."""
        if not self._queues:
            return None
        now = self.clock()
        client = min(self._queues, key=lambda c: self._claim(c, now))
        queues = self._queues[client]
        priority = INTERACTIVE if queues[INTERACTIVE] else BACKGROUND
        job = queues[priority].popleft()
        if not (queues[INTERACTIVE] or queues[BACKGROUND]):
            del self._queues[client]
        return client, priority, job

    def _charge(self, client, seconds):
        now = self.clock()
        with self._condition:
            if len(self._usage) > 4096:  # forget clients whose share has decayed away
                self._usage = {c: u for c, u in self._usage.items()
                               if self.usage(c, now) > 1e-3}
            self._usage[client] = (self.usage(client, now) + seconds, now)

    def _work(self):
        while True:
            with self._condition:
                picked = self._next()
                while picked is None and not self._closed:
                    self._condition.wait()
                    picked = self._next()
                if picked is None:
                    return
            client, priority, job = picked
            if job.cancelled:
                continue
            start = self.clock()
            self._current = (client, priority, start)
            try:
                outcome = (True, job.function(*job.args))
            except Exception as error:  # handed to the waiting task, which decides
                outcome = (False, error)
            finally:
                self._current = None
                self._charge(client, self.clock() - start)
            try:
                job.loop.call_soon_threadsafe(job.settle, *outcome)
            except RuntimeError:  # the event loop has closed: nobody waits any more
                pass

    def close(self):
        """Stop the worker after the job it is running; queued jobs are cancelled."""
        with self._condition:
            self._closed = True
            dropped = [job for queues in self._queues.values() for jobs in queues for job in jobs]
            self._queues.clear()
            self._condition.notify_all()
        for job in dropped:
            try:
                job.loop.call_soon_threadsafe(job.future.cancel)
            except RuntimeError:
                pass


__all__ = ["FairScheduler"]
