"""Stall tracing of a benched process (``bench.end_to_end --diagnose``): GC pauses and stalls.

Python imports ``sitecustomize`` at start-up from ``sys.path``; the stage puts this folder on the
services' ``PYTHONPATH`` and names a folder in ``BENCH_TRACE_DIR``, where each process writes
``<pid>.log`` (the stage traces itself with ``install``). Each line written is
``<wall time> gc <generation> <ms> cpu <ms> frozen <objects>`` for a collection of at least
2 ms (wall; its CPU time and the objects ``gc.freeze`` keeps out of it), or ``<wall time> stall
<ms>`` when a thread sleeping 20 ms woke 50 ms or more late (the process had no CPU or another
thread held the GIL: the event loop was stopped as long). Nothing is done without the variable.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from typing import Any


def install(folder: str) -> None:
    """Open ``<folder>/<pid>.log``; install the GC callback and the stall watcher."""
    path = os.path.join(folder, f"{os.getpid()}.log")
    out = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115  # the process's life
    lock = threading.Lock()
    began: list[float] = [0.0, 0.0]

    def write(line: str) -> None:
        with lock:
            out.write(f"{time.time():.3f} {line}\n")

    def collected(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            began[:] = [time.perf_counter(), time.thread_time()]
            return
        took = 1000 * (time.perf_counter() - began[0])
        if took >= 2:
            cpu = 1000 * (time.thread_time() - began[1])
            frozen = gc.get_freeze_count()
            write(f"gc {info['generation']} {took:.1f} cpu {cpu:.1f} frozen {frozen}")

    def watch() -> None:
        while True:
            before = time.perf_counter()
            time.sleep(0.02)
            late = 1000 * (time.perf_counter() - before) - 20
            if late >= 50:
                write(f"stall {late:.0f}")

    gc.callbacks.append(collected)
    threading.Thread(target=watch, name="bench-stall-watch", daemon=True).start()


if os.environ.get("BENCH_TRACE_DIR"):
    install(os.environ["BENCH_TRACE_DIR"])
