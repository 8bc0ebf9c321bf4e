"""A closed-loop HTTP load generator: N threads, each one keep-alive connection.

Each thread sends a request, waits for the whole response, records the latency and sends
the next, cycling through its URLs until the deadline. Throughput is completed requests
over wall time. Written with http.client so the bench needs nothing beyond the standard
library on the client side.
"""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    def merge(self, other: LoadResult) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.seconds += other.seconds
        self.latencies.extend(other.latencies)
        for status, n in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + n

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run_load(
    *,
    host: str,
    port: int,
    urls: list[str],
    headers: dict[str, str],
    connections: int,
    seconds: float,
) -> LoadResult:
    """Drive `urls` (cycled) with `connections` concurrent keep-alive clients for `seconds`."""
    results = [LoadResult() for _ in range(connections)]
    start_gate = threading.Barrier(connections + 1)

    def worker(index: int) -> None:
        result = results[index]
        conn = http.client.HTTPConnection(host, port, timeout=60)
        position = index  # threads start at different URLs
        start_gate.wait()
        deadline = time.perf_counter() + seconds
        while True:
            now = time.perf_counter()
            if now >= deadline:
                break
            url = urls[position % len(urls)]
            position += 1
            try:
                conn.request("GET", url, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=60)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=60)
                result.errors += 1
                continue
            result.latencies.append(time.perf_counter() - now)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status >= 400:
                result.errors += 1
            else:
                result.requests += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for t in threads:
        t.start()
    start_gate.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    total = LoadResult(seconds=time.perf_counter() - began)
    for r in results:
        total.requests += r.requests
        total.errors += r.errors
        total.latencies.extend(r.latencies)
        for status, n in r.statuses.items():
            total.statuses[status] = total.statuses.get(status, 0) + n
    return total
