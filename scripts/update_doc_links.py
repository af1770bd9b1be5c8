"""Point every code link in docs/*.md at the current lines of the function it names.

A link such as [`_bptt_block`](../purernn/kernels.py#L330-L370) names a function, method
or class in backticks; this script finds its definition (``Class.method`` for methods)
and rewrites the line range to span it, decorators included. Run it after editing the
code; ``tests/test_docs.py`` fails when a link is stale and names this script.

    python scripts/update_doc_links.py          # rewrite in place
    python scripts/update_doc_links.py --check  # exit 1 if anything would change
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\[`(?P<name>[A-Za-z_][\w.]*)`\]\((?P<path>[^)#\s]+)#L(?P<start>\d+)-L(?P<end>\d+)\)")


def definition_span(source: str, name: str) -> tuple[int, int] | None:
    """First and last line (1-based) of `name` (``f``, ``C`` or ``C.m``) in `source`."""
    tree = ast.parse(source)
    parts = name.split(".")
    nodes = tree.body
    found = None
    for part in parts:
        found = next((n for n in nodes if isinstance(n, (ast.FunctionDef, ast.ClassDef))
                      and n.name == part), None)
        if found is None:
            return None
        nodes = found.body
    start = min([found.lineno] + [d.lineno for d in found.decorator_list])
    return start, found.end_lineno


def fix_links(md_path: Path) -> tuple[str, list[str]]:
    """The text of `md_path` with fresh line ranges, and a list of problems."""
    text = md_path.read_text()
    problems = []

    def repl(m):
        target = (md_path.parent / m["path"]).resolve()
        if not target.is_file():
            problems.append(f"{md_path.name}: {m['path']} does not exist")
            return m[0]
        span = definition_span(target.read_text(), m["name"])
        if span is None:
            problems.append(f"{md_path.name}: `{m['name']}` is not defined in {m['path']}")
            return m[0]
        return f"[`{m['name']}`]({m['path']}#L{span[0]}-L{span[1]})"

    return LINK.sub(repl, text), problems


def main(argv=None) -> int:
    check = "--check" in (argv if argv is not None else sys.argv[1:])
    status = 0
    for md in sorted((ROOT / "docs").glob("**/*.md")):
        new, problems = fix_links(md)
        for p in problems:
            print(p, file=sys.stderr)
            status = 1
        if new != md.read_text():
            if check:
                print(f"{md.relative_to(ROOT)}: stale line ranges", file=sys.stderr)
                status = 1
            else:
                md.write_text(new)
    return status


if __name__ == "__main__":
    sys.exit(main())
