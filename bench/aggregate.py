"""`combmap aggregate` on 1,000, 10,000 (and 100,000) generated cases, against libyaml alone.

Usage:

    .venv/bin/python bench/aggregate.py                        # 1,000 and 10,000 cases
    .venv/bin/python bench/aggregate.py --large                # and 100,000 (about 1 GB of disk)
    .venv/bin/python bench/aggregate.py --sizes 1000 --jobs 1 2 --pairs 3
    .venv/bin/python bench/aggregate.py --keep /tmp/cases      # reuse generated cases

Cases come from bench/gen_cases.py (same seed, so the same files each time) into a temporary
directory, or `--keep DIR` (generated once per size, then reused). For each size and number of
workers, in alternating pairs:

* **fresh**: the real command line, `combmap aggregate DIR -o out.json --jobs N`, with no
  counts cached (no file counted before) and the validated ontology cached, as any earlier
  combmap command leaves it (`--cold`: an empty cache directory, the ontology read from its
  YAML files too);
* **floor**: libyaml alone (`yaml.load` with `yaml.CSafeLoader`) reading and parsing the same
  files in N processes, chunks of 64 files, nothing else;

then **unchanged**: the same command again as many times as there were pairs, its cache now
holding every file's counts (the median is shown).

Each run is a new process (a helper here, which runs the command line in-process), timed from
outside. Memory comes from getrusage when the helper ends, so no sampler competes for a core:
`main MB` is the peak resident set of the process that merges, `worker MB` the largest worker's
(the whole tree's peak is at most main + N × worker). `out KB` is the size of the JSON written.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

# Only what the timed helpers need is imported here: `--one` and `--floor` each run as a new
# process, and whatever this script imports at the top is timed with them.

ROOT = Path(__file__).resolve().parent.parent


def _files(directory: Path) -> list[str]:
    return sorted(str(p) for p in directory.rglob("*.yaml"))


def _parse(paths: list[str]) -> int:
    import yaml

    for path in paths:
        with open(path, encoding="utf-8") as handle:
            yaml.load(handle.read(), Loader=yaml.CSafeLoader)
    return len(paths)


def floor_main(directory: Path, jobs: int) -> None:
    """The floor, run as its own process: parse every file with libyaml in `jobs` processes."""
    files = _files(directory)
    chunks = [files[i : i + 64] for i in range(0, len(files), 64)]
    if jobs <= 1:
        for chunk in chunks:
            _parse(chunk)
        return
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        sum(pool.imap(_parse, chunks))


def one_main(directory: Path, jobs: int, out: Path) -> None:
    """One aggregate run through the command line, in this process; prints its memory."""
    from combmap.cli import main

    # As the `combmap` command runs it (`main()` reads sys.argv): a `main(argv)` call is taken
    # for a longer-lived caller and hands the collector back, which makes the interpreter's
    # last collection at exit walk every object the run kept (0.1 s here).
    sys.argv = ["combmap", "aggregate", str(directory), "-o", str(out), "--jobs", str(jobs)]
    try:
        main()
    except SystemExit as done:
        if done.code:
            raise
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"main_kb": own, "worker_kb": workers, "out_bytes": out.stat().st_size}))


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    import subprocess

    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{command[2:4]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return took, done.stdout


def main() -> None:
    import argparse
    import shutil
    import statistics
    import subprocess
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import gen_cases  # beside this script

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--large", action="store_true", help="Also run 100,000 cases.")
    parser.add_argument("--jobs", type=int, nargs="*", default=[2], help="Workers (default 2).")
    parser.add_argument(
        "--pairs", type=int, default=0, help="Pairs per row (default 3 at ≤1,000 cases, else 1)."
    )
    parser.add_argument("--keep", type=Path, default=None, help="Generate into (and reuse) DIR.")
    parser.add_argument(
        "--cold", action="store_true", help="Fresh runs start with an empty cache, ontology too."
    )
    args = parser.parse_args()
    sizes = [*args.sizes, *([100_000] if args.large else [])]
    base = args.keep or Path(tempfile.mkdtemp(prefix="combmap-bench-"))
    me = [sys.executable, __file__]
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "combmap")], check=True)
    warm = tempfile.mkdtemp(prefix="combmap-bench-ontology-")
    if not args.cold:  # the validated ontology, cached once, copied into each fresh cache
        subprocess.run(
            [sys.executable, "-c", "import combmap; combmap.load_ontology()"],
            check=True,
            env={
                **{k: v for k, v in os.environ.items() if k != "COMBMAP_NO_CACHE"},
                "COMBMAP_CACHE_DIR": warm,
            },
        )
    start = "an empty cache" if args.cold else "the ontology cached, no counts"
    print(f"cpus {os.cpu_count()}; cases in {base}; fresh runs start with {start}")
    print("medians of alternating pairs")
    print(
        f"{'cases':>7s} {'jobs':>4s} {'fresh s':>8s} {'cases/s':>8s} {'floor/s':>8s} {'ratio':>6s} "
        f"{'unchanged/s':>11s} {'main MB':>8s} {'worker MB':>9s} {'out KB':>7s}"
    )
    for size in sizes:
        directory = base / f"cases-{size}"
        if not directory.exists():
            gen_cases.generate(size, directory)
        for jobs in args.jobs:
            pairs = args.pairs or (3 if size <= 1000 else 1)
            fresh: list[float] = []
            floors: list[float] = []
            ratios: list[float] = []
            memory: dict[str, int] = {}
            cache = ""
            for index in range(pairs):
                shutil.rmtree(cache, ignore_errors=True) if cache else None
                cache = tempfile.mkdtemp(prefix="combmap-bench-cache-")
                shutil.copytree(warm, cache, dirs_exist_ok=True)
                env = {**os.environ, "COMBMAP_CACHE_DIR": cache}
                env.pop("COMBMAP_NO_CACHE", None)
                out = base / f"out-{size}-{jobs}.json"
                run = [*me, "--one", str(directory), str(jobs), str(out)]
                floor = [*me, "--floor", str(directory), str(jobs)]
                if index % 2:
                    f, _ = _timed(floor, env)
                    t, text = _timed(run, env)
                else:
                    t, text = _timed(run, env)
                    f, _ = _timed(floor, env)
                fresh.append(t)
                floors.append(f)
                ratios.append(f / t)
                memory = json.loads(text)
            unchanged: list[float] = []
            for _ in range(pairs):
                again, text = _timed(run, env)
                unchanged.append(again)
                memory = {k: max(v, json.loads(text)[k]) for k, v in memory.items()}
            again = statistics.median(unchanged)
            shutil.rmtree(cache, ignore_errors=True)
            took, base_s = statistics.median(fresh), statistics.median(floors)
            print(
                f"{size:7d} {jobs:4d} {took:8.2f} {size / took:8.0f} {size / base_s:8.0f} "
                f"{statistics.median(ratios):6.2f} {size / again:11.0f} "
                f"{memory['main_kb'] / 1024:8.0f} {memory['worker_kb'] / 1024:9.0f} "
                f"{memory['out_bytes'] / 1024:7.0f}"
            )
    shutil.rmtree(warm, ignore_errors=True)
    print("ratio: aggregate's rate on fresh files over libyaml's, same files, same processes")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        one_main(Path(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
    elif len(sys.argv) > 2 and sys.argv[1] == "--floor":
        floor_main(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
