"""Run every benchmark, each in its own process; each prints its ratio against a baseline of the same run."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["outbox.py", "registration.py", "load.py", "trainer.py", "certificates.py", "retention.py"]


def main():
    failed = 0
    for script in BENCHMARKS:
        print(f"== {script}", flush=True)
        failed += subprocess.run([sys.executable, str(HERE / script)], cwd=HERE).returncode != 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
