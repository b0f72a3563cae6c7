"""Benchmark of the analysts' lake export (``keel.lake.export_lake``): wall time and peak memory, against the
export of an earlier commit in the same run.

Run from the repository root against a built warehouse (after ``keel demo``):

    KEEL_HOME=.keel .venv/bin/python benchmarks/bench_lake_export.py --baseline 3f6c979

Each export runs in a process of its own and writes the whole lake into a new temporary folder (the
incremental manifest starts empty, so every partition is written), then the folder is removed. The
baseline is ``keel/lake.py`` as it was at ``--baseline`` (``git show``), loaded beside the current one.
Prints wall seconds, the process's peak RSS, tables, partitions and rows written.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ONE_EXPORT = """
import importlib.util, resource, shutil, sys, tempfile, time
from pathlib import Path
source = sys.argv[1]
if source == "current":
    import keel.lake as lake
else:
    spec = importlib.util.spec_from_file_location("lake_baseline", source)
    lake = importlib.util.module_from_spec(spec)
    sys.modules["lake_baseline"] = lake
    spec.loader.exec_module(lake)
from keel.settings import get_settings
settings = get_settings()
out = Path(tempfile.mkdtemp(prefix="keel-bench-lake-"))
type(settings).lake_dir = property(lambda self: out)
started = time.perf_counter()
result = lake.export_lake(settings)
wall = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
shutil.rmtree(out)
print(f"{wall:.1f} {peak:.0f} {result.tables} {result.partitions_written} {result.rows_written}")
"""


def export(source: str) -> list[str]:
    out = subprocess.run(  # noqa: S603 - this environment's own Python
        [sys.executable, "-c", ONE_EXPORT, source], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"the export ({source}) failed:\n{out.stderr[-3000:]}")
    return out.stdout.strip().splitlines()[-1].split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=None, help="A commit whose keel/lake.py to compare with.")
    parser.add_argument("--runs", type=int, default=1, help="Exports of each (default 1).")
    args = parser.parse_args()
    sources = [("current", "current")]
    if args.baseline:
        text = subprocess.run(  # noqa: S603 - git of this repository
            ["git", "show", f"{args.baseline}:keel/lake.py"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        path = Path(tempfile.mkdtemp(prefix="keel-bench-lake-")) / f"lake_{args.baseline}.py"
        path.write_text(text)
        sources.insert(0, (f"baseline {args.baseline}", str(path)))
    print(f"{'export':24} {'wall s':>8} {'peak MiB':>9} {'tables':>7} {'partitions':>11} {'rows':>10}")
    for label, source in sources:
        for _ in range(args.runs):
            wall, peak, tables, partitions, rows = export(source)
            print(f"{label:24} {wall:>8} {peak:>9} {tables:>7} {partitions:>11} {rows:>10}")


if __name__ == "__main__":
    main()
