"""A disk cache for expensive, deterministic calls (LLM judges, embeddings): key → JSON value.

SQLite in WAL mode: safe for several threads and processes at once, one file, no server.  Keys are
SHA-256 digests of everything that determines the answer (see ``cache_key``); values are JSON.
Secrets are never part of a key or a value.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any


def default_cache_dir() -> Path:
    base = os.environ.get("FDA_CACHE_DIR") or os.path.join(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"), "fdacli")
    return Path(base)


def cache_key(**parts: Any) -> str:
    """A stable digest of keyword parts (order-independent, JSON-canonical)."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class DiskCache:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), timeout=60, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Any | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM cache WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return json.loads(row[0])

    def put(self, key: str, value: Any) -> None:
        blob = json.dumps(value, ensure_ascii=False)
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO cache (key, value) VALUES (?, ?)", (key, blob))

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_cache(name: str, cache_dir: str | Path | None = None, enabled: bool = True) -> DiskCache | NullCache:
    """The cache every LLM-calling command uses: ``<cache_dir or default>/<name>.sqlite``, or none."""
    if not enabled:
        return NullCache()
    return DiskCache(Path(cache_dir or default_cache_dir()) / f"{name}.sqlite")


class NullCache:
    """Stands in when caching is turned off (``--no-cache``)."""

    hits = misses = 0

    def get(self, key: str) -> None:
        self.misses += 1
        return None

    def put(self, key: str, value: Any) -> None:
        pass

    def close(self) -> None:
        pass
