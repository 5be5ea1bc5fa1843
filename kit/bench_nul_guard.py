"""The NUL guard's cost on a clean request against the ``json.loads`` every JSON route does anyway.

Run: ``uv run --frozen python kit/bench_nul_guard.py``. Prints the microseconds of the guard's
checks (path, query, content type, body scan) on a 1.9 KB JSON body and of one ``json.loads`` of
that body, and their ratio (one run, one machine: compare the ratio, not the times).
"""

from __future__ import annotations

import json
import timeit

from kit.web.nul import in_body, in_url

BODY = json.dumps(
    {
        "title": "关于拓宽青石村至镇区道路的建议",
        "content": "青石村至镇区道路狭窄，会车困难。" * 30,
        "items": ["a" * 20] * 20,
    },
    ensure_ascii=False,
).encode()
SCOPE = {"path": "/api/v1/cases/c-1/assign", "query_string": b"township=990101001"}
N = 20_000


def guard() -> None:
    """The guard's work on a clean request."""
    assert in_url(SCOPE) is None
    assert in_body(BODY, "application/json") is None


def parse() -> None:
    """What FastAPI does with the same body."""
    json.loads(BODY)


def main() -> None:
    """Print the two costs and their ratio."""
    checked = min(timeit.repeat(guard, number=N, repeat=5)) / N
    parsed = min(timeit.repeat(parse, number=N, repeat=5)) / N
    print(
        f"body {len(BODY)} bytes: guard {checked * 1e6:.2f} us, json.loads {parsed * 1e6:.2f} us,"
        f" ratio {checked / parsed:.3f}"
    )


if __name__ == "__main__":
    main()
