"""Timing helpers: run a callable many times, report p50/p95 beside the target."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def measure(fn: Callable[[], object], *, runs: int = 200, warmup: int = 10) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[18] if len(times) >= 20 else max(times)


def report(name: str, times: list[float], target_ms: float) -> bool:
    ok = p95(times) <= target_ms
    print(f"{name:<55} p50 {statistics.median(times):8.3f} ms   p95 {p95(times):8.3f} ms   "
          f"target p95 < {target_ms} ms   {'OK' if ok else 'MISSED'}")
    return ok
