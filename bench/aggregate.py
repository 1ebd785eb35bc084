"""`combmap aggregate` on 1,000, 10,000 (and optionally 100,000) generated cases.

Usage:

    .venv/bin/python bench/aggregate.py                       # 1,000 and 10,000 cases
    .venv/bin/python bench/aggregate.py --large               # and 100,000 (about 1 GB of disk)
    .venv/bin/python bench/aggregate.py --sizes 500 --jobs 1  # in-process reading
    .venv/bin/python bench/aggregate.py --keep /tmp/cases     # reuse generated cases

Cases come from bench/gen_cases.py (same seed, so the same files each time) into a temporary
directory, or `--keep DIR` (generated once per size, then reused). Each size runs the real
command line, `combmap aggregate DIR -o out.json`, as a child process, and prints wall time,
cases per second and memory: the peak resident set of the largest process (getrusage of the
children) and the peak of the whole process tree (main process plus workers, summed from
/proc every 20 ms). The floor beside it is libyaml alone: parsing the same files with
yaml.CSafeLoader in one process, on a sample of 500 files.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_cases  # noqa: E402 - beside this script


def _tree_rss_kb(root: int) -> int:
    """Resident memory of a process and all its descendants, in KiB (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as handle:
                kb = next((int(line.split()[1]) for line in handle if line.startswith("VmRSS")), 0)
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = kb
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run(directory: Path, jobs: int | None) -> tuple[float, int, int]:
    """Seconds, peak largest-process RSS (KiB) and peak tree RSS (KiB) of one aggregate run."""
    out = directory.parent / f"{directory.name}.aggregate.json"
    command = [
        str(Path(sys.executable).parent / "combmap"),
        "aggregate",
        str(directory),
        "-o",
        str(out),
    ]
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    peak = 0
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(child.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = child.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if child.returncode != 0:
        raise SystemExit(f"aggregate failed ({child.returncode}): {err.decode()[-2000:]}")
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, largest, peak


def parse_floor(directory: Path, sample: int = 500) -> float:
    """Files per second libyaml alone parses (CSafeLoader), on a sample of the files."""
    import yaml

    files = sorted(directory.rglob("*.yaml"))[:sample]
    start = time.perf_counter()
    for path in files:
        yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    return len(files) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--large", action="store_true", help="Also run 100,000 cases.")
    parser.add_argument("--jobs", type=int, default=None, help="--jobs for aggregate.")
    parser.add_argument("--keep", type=Path, default=None, help="Generate into (and reuse) DIR.")
    args = parser.parse_args()
    sizes = [*args.sizes, *([100_000] if args.large else [])]
    base = args.keep or Path(tempfile.mkdtemp(prefix="combmap-bench-"))
    print(f"cpus {os.cpu_count()}; cases in {base}")
    print(
        f"{'cases':>7s} {'seconds':>8s} {'cases/s':>8s} {'largest MB':>10s} {'tree MB':>8s} "
        f"{'libyaml floor/s (1 cpu)':>24s}"
    )
    for size in sizes:
        directory = base / f"cases-{size}"
        if not directory.exists():
            gen_cases.generate(size, directory)
        # A child's rusage is cumulative per process: measure each size in a fresh helper.
        helper = [sys.executable, __file__, "--one", str(directory)]
        if args.jobs is not None:
            helper += ["--jobs", str(args.jobs)]
        result = subprocess.run(helper, capture_output=True, text=True, check=True)
        seconds, largest, tree = (float(x) for x in result.stdout.split())
        floor = parse_floor(directory)
        print(
            f"{size:7d} {seconds:8.2f} {size / seconds:8.0f} {largest / 1024:10.0f} "
            f"{tree / 1024:8.0f} {floor:24.0f}"
        )


def one() -> None:
    directory = Path(sys.argv[2])
    jobs = int(sys.argv[4]) if len(sys.argv) > 4 else None
    seconds, largest, tree = run(directory, jobs)
    print(seconds, largest, tree)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        one()
    else:
        main()
