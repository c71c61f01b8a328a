"""`make bench`: each benchmark in its own process; exits non-zero, naming them, when targets are missed or one fails.
`python -m bench.run outbox load` runs some."""

import subprocess
import sys

from bench.common import CHECKED, MISSED, ROOT

BENCHMARKS = ["outbox", "registration", "load", "trainer", "reminders", "certificates", "invoices", "retention"]


def run_all(commands: dict[str, list[str]]) -> int:
    """Run each command, passing its output on; name the targets missed and the failures; return the exit code."""
    missed, failed = [], []
    for name, command in commands.items():
        print(f"== {name}", flush=True)
        checked, before = 0, len(missed)
        with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as child:
            for line in child.stdout:  # passed on as it comes, and read for the targets missed and checked
                print(line, end="", flush=True)
                if line.startswith(MISSED):
                    missed.append(f"{name}: {line.removeprefix(MISSED).strip()}")
                elif line.startswith(CHECKED):
                    checked = int(line.removeprefix(CHECKED))
        if child.returncode and len(missed) == before:
            failed.append(f"{name} failed (exit status {child.returncode})")
        elif not child.returncode and not checked:  # it stopped early, or never measured what it names
            failed.append(f"{name} checked no target")
    if missed or failed:
        print(f"== {len(missed)} target(s) missed, {len(failed)} benchmark(s) failed:")
        print(*(f"   {line}" for line in missed + failed), sep="\n")
        return 1
    print("== every target met")
    return 0


def main(names: list[str]):
    sys.exit(run_all({name: [sys.executable, "-m", f"bench.{name}"] for name in names or BENCHMARKS}))


if __name__ == "__main__":
    main(sys.argv[1:])
