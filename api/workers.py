"""The threads that run the engine work of the lookup routes, off the event loop.

:func:`api.routes.common.answer` hands each lookup's work (the queries, the validation of the answer and
its JSON) to this pool instead of anyio's ``run_in_threadpool``: one queue put, one wake-up of an idle
thread and one ``call_soon_threadsafe`` back, about half of what anyio's hop costs (its capacity limiter,
cancel scope and per-call bookkeeping; docs/benchmarks.md, "API overhead"). The app owns the pool: it is
created in the lifespan, sized by ``ORGGRAPH_WORKER_THREADS``, and shut down (waiting for the work still
running) before the engine is closed.

What anyio guarantees, this keeps:

* the work runs in a copy of the caller's context, so the request's role (for redaction) and its audit
  record follow it into the thread;
* a cancelled request does not abandon its work: the cancellation is delivered once the work has finished,
  so the members it read are still in the request's audit line, and the engine is never closed under it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class _Job:
    """One piece of work on its way through the pool."""

    __slots__ = ("context", "finished", "future", "loop", "waiter", "work")

    def __init__(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], work: Callable[[], Any]) -> None:
        self.loop = loop
        self.future = future
        self.context = contextvars.copy_context()
        self.work: Callable[[], Any] | None = work
        self.finished = False
        self.waiter: asyncio.Future[None] | None = None  # set by a cancelled caller that waits for the work to end


class WorkerPool:
    """Up to ``max_threads`` threads, started as work arrives and kept until :meth:`shutdown`."""

    def __init__(self, max_threads: int, *, name: str = "orggraph-worker") -> None:
        if max_threads < 1:
            raise ValueError("a worker pool needs at least one thread")
        self.max_threads = max_threads
        self.name = name
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._idle = 0  # threads waiting for work that no submitted job has claimed yet
        self._closed = False

    async def run(self, work: Callable[[], T]) -> T:
        """Run ``work()`` in a pool thread, in a copy of the current context, and return what it returns
        (or raise what it raises)."""
        loop = asyncio.get_running_loop()
        job = _Job(loop, loop.create_future(), work)
        self._submit(job)
        try:
            result: T = await job.future
            return result
        except asyncio.CancelledError:
            await self._wait_until_finished(job)
            raise

    async def _wait_until_finished(self, job: _Job) -> None:
        """After a cancellation: as anyio does by default, the work is not abandoned; wait for it to end."""
        with self._lock:
            if job.finished:
                return
            waiter = job.waiter = job.loop.create_future()
        while not waiter.done():
            try:
                await asyncio.wait((waiter,))
            except asyncio.CancelledError:
                continue

    def _submit(self, job: _Job) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool is shut down")
            if self._idle:
                self._idle -= 1
            elif len(self._threads) < self.max_threads:
                thread = threading.Thread(target=self._work, name=f"{self.name}-{len(self._threads)}", daemon=True)
                self._threads.append(thread)
                thread.start()
            self._queue.put(job)

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            result: Any = None
            error: BaseException | None = None
            try:
                assert job.work is not None
                result = job.context.run(job.work)
            except StopIteration as exc:  # a future cannot hold one (asyncio refuses it)
                error = RuntimeError(f"the work raised {exc!r}")
            except BaseException as exc:  # handed to the awaiting task, which raises it
                error = exc
            job.work = None
            with self._lock:
                job.finished = True
                waiter = job.waiter
                self._idle += 1
            with contextlib.suppress(RuntimeError):  # the loop was closed meanwhile: nobody waits for this any more
                job.loop.call_soon_threadsafe(_settle, job.future, result, error)
                if waiter is not None:
                    job.loop.call_soon_threadsafe(_settle, waiter, None, None)
            del job, result, error, waiter

    @property
    def threads(self) -> int:
        """How many threads were started so far."""
        return len(self._threads)

    def shutdown(self) -> None:
        """Refuse new work, let the threads finish what is queued and running, and wait for them."""
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(None)
        for thread in threads:
            thread.join()


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
