"""Running `fda` as a user does (a subprocess, a wide terminal) and reading what it wrote, for the test files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def fda(*args, check=None, env=None) -> subprocess.CompletedProcess:
    p = subprocess.run([sys.executable, "-m", "fdacli.cli", *map(str, args)], capture_output=True, text=True, timeout=600,
                       env={**os.environ, "COLUMNS": "150", **(env or {})})
    if check is not None:
        assert p.returncode == check, p.stderr[-3000:]
    return p


def records(path: Path) -> dict[str, dict]:
    return {r["id"]: r for r in map(json.loads, Path(path).read_text().splitlines())}
