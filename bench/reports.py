"""Benchmark: the report pages of the demo pulse, once their data is computed.

Builds the demo (two pulses of one series) in a temporary folder, signs in
as each role, opens each of its report pages once to compute and store the
report data, then times ``--repeat`` more requests of every page and prints
the median and the slowest per page. Run:

    .venv/bin/python bench/reports.py [--repeat 20] [--folder DIR]

Pages answer through Flask's test client (the whole app: login session,
access checks, the cached report, templates, SVG charts), without a network
server in front. The first request of a snapshot, which runs the analysis,
is timed separately ("build").
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import make_demo_site  # noqa: E402

#: (role, page) pairs: every report page, each opened by a role that may.
PAGES = (
    ("ceo", "/reports/ceo"),
    ("clo", "/reports/clo"),
    ("cmo", "/reports/cmo"),
    ("ceo", "/reports/"),
    ("manager", "/reports/department/Sales"),
    ("analyst", "/reports/analyst"),
)
BUDGET_MS = 300.0


def run(repeat: int, site) -> list[tuple[str, float, float, float]]:
    """``(page, build ms, median ms, slowest ms)`` per page of ``site``
    (:func:`tests.conftest.make_demo_site`)."""
    clients = {}
    results = []
    for role, url in PAGES:
        if role not in clients:
            client = site.app.test_client()
            response = client.post("/login", data={"email": site.people[role].email,
                                                    "password": site.people[role].password})
            if response.status_code != 303:
                raise SystemExit(f"could not sign in as {role}: {response.status_code}")
            clients[role] = client
        client = clients[role]
        start = time.perf_counter()
        first = client.get(url)
        build = (time.perf_counter() - start) * 1000
        if first.status_code != 200:
            raise SystemExit(f"{url} as {role}: {first.status_code}")
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        results.append((f"{url} ({role})", build, statistics.median(times), max(times)))
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page (default 20)")
    parser.add_argument("--folder", type=Path, help="where to build the demo (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        results = run(args.repeat, make_demo_site(folder))
    print(f"{'page':<40} {'first (build) ms':>17} {'median ms':>10} {'slowest ms':>11}")
    for page, build, median, slowest in results:
        print(f"{page:<40} {build:>17.0f} {median:>10.1f} {slowest:>11.1f}")
    over = [page for page, _, _, slowest in results if slowest > BUDGET_MS]
    print(f"budget {BUDGET_MS:.0f} ms once computed: " + ("all pages within" if not over else
                                                         "over: " + ", ".join(over)))
    return 0 if not over else 1


if __name__ == "__main__":
    raise SystemExit(main())
