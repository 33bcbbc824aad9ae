"""The layout's rules (docs/architecture.md) hold: import-linter's contracts in pyproject.toml."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    p = subprocess.run([exe, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "3 kept, 0 broken" in p.stdout


def test_no_module_holds_more_than_one_idea_of_400_lines():
    """One idea per module (docs/architecture.md): a module past 400 lines is split along its seams."""
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "fdacli").rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 400}
    assert not long, long
