"""Benchmarks: each prints its ratio against a baseline measured in the same run."""

BENCHMARKS = []


def main():
    if not BENCHMARKS:
        print("no benchmarks yet")
        return
    for benchmark in BENCHMARKS:
        benchmark()


if __name__ == "__main__":
    main()
