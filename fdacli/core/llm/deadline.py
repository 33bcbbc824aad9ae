"""A deadline for a whole HTTP request, not for each socket read.

httpx bounds every connect, read and write separately: a server that sends one byte every two seconds
never trips a 3-second timeout, and a request can hang for ever.  Here every socket operation of the
client's connection pool is clamped to the time left on the calling thread's deadline, so ``--timeout``
bounds the request from the first byte sent to the last byte read, whatever the server does.

It works at httpcore's network-backend level (the layer that owns the sockets): the streams it opens
are wrapped, so keep-alive connections reused by a later request obey that request's deadline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
import importlib
from typing import Any

_local = threading.local()


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every socket operation of this thread inside the block ends by ``now + seconds``."""
    previous = getattr(_local, "at", None)
    _local.at = time.monotonic() + seconds
    try:
        yield
    finally:
        _local.at = previous


def _left(timeout: float | None, error: type[Exception]) -> float | None:
    at = getattr(_local, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error("the whole-request deadline passed")
    return left if timeout is None else min(timeout, left)


def install(http_client: Any) -> bool:
    """Put the deadline under every transport of an httpx(2) client; False where a transport is not the
    kind this knows (the client then works as before, with per-read timeouts only)."""
    transports = [getattr(http_client, "_transport", None), *getattr(http_client, "_mounts", {}).values()]
    installed = False
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is None:
            continue
        if not isinstance(backend, _Backend):
            pool._network_backend = _Backend(backend)
        installed = True
    return installed


class _Backend:
    """httpcore's NetworkBackend interface, delegating to the real one with clamped timeouts."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        # httpcore2 under openai >= 3 (httpx2), httpcore under older releases: raise that package's timeouts
        self._errors = importlib.import_module(type(inner).__module__.split(".")[0])

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> _Stream:
        stream = self._inner.connect_tcp(host, port, timeout=_left(timeout, self._errors.ConnectTimeout),
                                         local_address=local_address, socket_options=socket_options)
        return _Stream(stream, self._errors)

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> _Stream:
        return _Stream(self._inner.connect_unix_socket(path, timeout=_left(timeout, self._errors.ConnectTimeout),
                                                       socket_options=socket_options), self._errors)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _Stream:
    def __init__(self, inner: Any, errors: Any) -> None:
        self._inner, self._errors = inner, errors

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout, self._errors.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout, self._errors.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> _Stream:
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, _left(timeout, self._errors.ConnectTimeout)), self._errors)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)
