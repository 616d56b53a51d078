"""The whole evaluation suite in all three modes against the scripted oracle at zero
latency: wall time at concurrency 4 (target: under 3 minutes on a 2-core machine) and the
scaling from concurrency 1 to 4, measured in the same run.

It runs ``python -m jupyter_codeact eval --mode all`` as a user would (transcripts
included), with the oracle served from this process, and checks that every task was
solved: a harness that got faster by doing less would fail here.

    python benchmarks/eval_suite.py [--concurrency 1,4] [--fresh-kernels] [--tasks PATTERN]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from jupyter_codeact.eval.oracle import Oracle
from jupyter_codeact.eval.suite import load_suite
from jupyter_codeact.testing import ScriptedLLM

TARGET_SECONDS = 180.0


def run_eval(server: ScriptedLLM, concurrency: int, extra: list[str]) -> tuple[float, Any]:
    """One run of the command; returns its wall time (process start to exit) and results."""
    with tempfile.TemporaryDirectory(prefix="codeact-bench-") as out:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CODEACT_"))}
        env |= {"OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": "k"}
        command = [sys.executable, "-m", "jupyter_codeact", "eval", "--mode", "all"]
        command += ["--model", "scripted-model", "--concurrency", str(concurrency)]
        command += ["--output", out, *extra]
        began = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        elapsed = time.perf_counter() - began
        if done.returncode != 0:
            sys.exit(f"eval exited {done.returncode}:\n{done.stderr[-2000:]}")
        results = json.loads((Path(out) / "results.json").read_text())
    for mode, figures in results["modes"].items():
        if figures["success_rate"] != 1.0:
            sys.exit(f"The oracle solved {figures['n_solved']}/{figures['n_tasks']} in {mode}.")
    return elapsed, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", default="1,4", help="comma-separated levels")
    parser.add_argument("--fresh-kernels", action="store_true", help="a new kernel per task")
    parser.add_argument("--tasks", help="a subset of the suite (default: all of it)")
    args = parser.parse_args()
    levels = [int(level) for level in args.concurrency.split(",")]
    extra = ["--fresh-kernels"] if args.fresh_kernels else []
    if args.tasks:
        extra += ["--tasks", args.tasks]
    suite = load_suite()
    n_tasks = len(suite.select(args.tasks))
    print(f"{n_tasks} tasks x 3 modes, oracle at zero latency, {os.cpu_count()} cores")
    walls: dict[int, float] = {}
    with ScriptedLLM(Oracle(suite)) as server:
        for level in levels:
            elapsed, results = run_eval(server, level, extra)
            walls[level] = elapsed
            modes = "  ".join(
                f"{mode} {figures['wall_time_s']:.1f} s ({figures['avg_turns']:.2f} turns)"
                for mode, figures in results["modes"].items()
            )
            print(
                f"concurrency {level}: {elapsed:.1f} s for the command "
                f"({results['wall_time_s']:.1f} s in the harness)   {modes}"
            )
    if len(levels) > 1:
        low, high = levels[0], levels[-1]
        print(f"scaling {low} -> {high}: {walls[low] / walls[high]:.2f}x faster")
    if 4 in walls:
        verdict = "within" if walls[4] <= TARGET_SECONDS else "OVER"
        print(f"concurrency 4: {walls[4]:.1f} s, {verdict} the {TARGET_SECONDS:.0f} s target")


if __name__ == "__main__":
    main()
