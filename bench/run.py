"""
`make bench`: every benchmark in its own process, each printing its figures against a baseline of the same run.
Exits non-zero when a benchmark misses a target or fails, naming each; `python -m bench.run outbox load` runs some.
"""

import subprocess
import sys

from bench.common import CHECKED, MISSED, ROOT

BENCHMARKS = ["outbox", "registration", "load", "trainer", "reminders", "certificates", "retention"]


def run_all(commands: dict[str, list[str]]) -> int:
    """Run each command, passing its output on; sum up the targets missed and the failures; return the exit code."""
    missed, failed = [], []
    for name, command in commands.items():
        print(f"== {name}", flush=True)
        checked = 0
        with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
            for line in process.stdout:
                print(line, end="", flush=True)
                if line.startswith(MISSED):
                    missed.append(f"{name}: {line.removeprefix(MISSED).strip()}")
                elif line.startswith(CHECKED):
                    checked = int(line.removeprefix(CHECKED))
        if process.returncode and not any(line.startswith(f"{name}: ") for line in missed):
            failed.append(f"{name} failed (exit status {process.returncode})")
        elif not process.returncode and not checked:
            # Exit status 0 without a single target checked: it stopped early, or never measured what it names.
            failed.append(f"{name} checked no target")
    if missed or failed:
        print(f"== {len(missed)} target(s) missed, {len(failed)} benchmark(s) failed:")
        for line in missed + failed:
            print(f"   {line}")
        return 1
    print("== every target met")
    return 0


def main(names: list[str]):
    chosen = names or BENCHMARKS
    sys.exit(run_all({name: [sys.executable, "-m", f"bench.{name}"] for name in chosen}))


if __name__ == "__main__":
    main(sys.argv[1:])
