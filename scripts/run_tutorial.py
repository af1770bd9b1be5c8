"""Run the code blocks of docs/tutorial.md in order, in one namespace, and so write every
figure of the tutorial into docs/tutorial/.

    python scripts/run_tutorial.py            # full size (a few minutes on 2 cores)

``tests/test_docs.py`` calls :func:`run` with smaller sizes (``overrides``), applied
right after the first block (the one that defines them), so the guide cannot rot.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def code_blocks(path: Path = TUTORIAL) -> list[str]:
    """The ```python blocks of a Markdown file, in order."""
    return BLOCK.findall(path.read_text())


def run(overrides: dict | None = None, *, echo: bool = False) -> dict:
    """Execute the tutorial's blocks from the repository root; return the namespace."""
    namespace: dict = {"__name__": "__tutorial__"}
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for i, code in enumerate(code_blocks()):
            t0 = time.perf_counter()
            exec(compile(code, f"{TUTORIAL.name}[block {i + 1}]", "exec"), namespace)
            if i == 0 and overrides:
                namespace.update(overrides)
                fig_dir = namespace.get("FIG_DIR")
                if fig_dir is not None:
                    Path(fig_dir).mkdir(parents=True, exist_ok=True)
            if echo:
                print(f"[block {i + 1} done in {time.perf_counter() - t0:.1f} s]", flush=True)
    finally:
        os.chdir(cwd)
    return namespace


if __name__ == "__main__":
    run(echo=True)
    sys.exit(0)
