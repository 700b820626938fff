"""Batching the requests that arrive together: one forward pass for many clients.

A request puts its rows in the queue and awaits its future. The batcher takes the first waiting
request, then every request that arrives within ``max_wait`` seconds (up to ``max_batch_size``
rows), concatenates their inputs, runs the model once on a worker thread (one at a time: the
model is not shared between threads) and gives each request its own rows of the outputs.
"""

import asyncio
import concurrent.futures

import numpy


class Batcher:
    """Collects requests into batches for ``predict(inputs) -> list of output arrays``, where
    ``inputs`` is a list of arrays (one per model input) whose first axis is the rows."""

    def __init__(self, predict, max_batch_size=256, max_wait=0.002):
        self.predict = predict
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait
        self._queue = None
        self._task = None
        self._worker = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="profond-serve")
        self.batches = 0  # how many forward passes ran (the load test reads it)
        self.rows = 0

    async def start(self):
        self._queue = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self):
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self._worker.shutdown(wait=True)

    async def submit(self, inputs):
        """The outputs (a list of arrays) for ``inputs`` (a list of arrays with the same rows)."""
        future = asyncio.get_running_loop().create_future()
        await self._queue.put((inputs, future))
        return await future

    async def _run(self):
        loop = asyncio.get_running_loop()
        while True:
            waiting = [await self._queue.get()]
            rows = len(waiting[0][0][0])
            deadline = loop.time() + self.max_wait
            while rows < self.max_batch_size:
                try:
                    item = await asyncio.wait_for(self._queue.get(), deadline - loop.time())
                except (asyncio.TimeoutError, ValueError):
                    break
                waiting.append(item)
                rows += len(item[0][0])
            joined = [numpy.concatenate([inputs[i] for inputs, _ in waiting])
                      for i in range(len(waiting[0][0]))]
            try:
                outputs = await loop.run_in_executor(self._worker, self.predict, joined)
            except Exception as error:  # the model failed: every request of the batch hears it
                for _, future in waiting:
                    if not future.done():
                        future.set_exception(error)
                continue
            self.batches += 1
            self.rows += rows
            start = 0
            for inputs, future in waiting:
                n = len(inputs[0])
                if not future.done():  # a client may have gone away
                    future.set_result([o[start:start + n] for o in outputs])
                start += n
