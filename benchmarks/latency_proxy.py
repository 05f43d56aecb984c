"""A loopback TCP proxy that holds every chunk back, to stand in for a network.

On loopback a call to the emulator waits well under a millisecond, so calls
made in parallel gain only what spare CPU allows. A real Cloud Tasks endpoint
is tens of milliseconds away, and that wait is what `apply --parallelism`
overlaps. Routing the raw client and queuekeeper through this proxy adds the
same round-trip time to every call of both.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from types import TracebackType


class LatencyProxy:
    """Forward ``127.0.0.1:<port>`` to ``target``, half the RTT each way."""

    def __init__(self, target: str, rtt_seconds: float) -> None:
        host, _, port = target.rpartition(":")
        self._target = (host.strip("[]"), int(port))
        self._delay = rtt_seconds / 2
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._port = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._port}"

    def __enter__(self) -> LatencyProxy:
        self._thread.start()
        self._ready.wait()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        # asyncio.run cancels the connections still open when the proxy stops.
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._connect, "127.0.0.1", 0)
        self._port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop.wait()

    async def _connect(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self._target)
        # A peer that hangs up ends its connection, not the proxy. Cancelling
        # (when the proxy stops) ends quietly too: Python 3.11's streams log a
        # cancelled connection handler as an unhandled error.
        with contextlib.suppress(OSError, asyncio.CancelledError):
            await asyncio.gather(
                self._pipe(reader, up_writer), self._pipe(up_reader, writer)
            )
        writer.close()
        up_writer.close()

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter
    ) -> None:
        # A queue, not one timer per chunk, keeps the chunks in order.
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        sender = asyncio.create_task(self._send(queue, sink))
        while data := await source.read(65536):
            queue.put_nowait((self._loop.time() + self._delay, data))
        queue.put_nowait((0.0, b""))
        await sender

    async def _send(
        self, queue: asyncio.Queue[tuple[float, bytes]], sink: asyncio.StreamWriter
    ) -> None:
        while True:
            due, data = await queue.get()
            if not data:
                break
            await asyncio.sleep(max(0.0, due - self._loop.time()))
            sink.write(data)
            await sink.drain()
        if sink.can_write_eof():
            sink.write_eof()


@contextlib.contextmanager
def reachable(address: str, rtt_ms: float) -> Iterator[str]:
    """The address to time calls against: the emulator's, or a slower one."""
    if not rtt_ms:
        yield address
        return
    with LatencyProxy(address, rtt_ms / 1000) as proxy:
        yield proxy.address
