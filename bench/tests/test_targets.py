"""`make bench` decides: a figure that misses its target is marked, named at the end, and fails the run."""

import sys

import pytest

from bench.common import CHECKED, MISSED, Targets
from bench.run import run_all

BENCHMARK = """
from bench.common import TARGETS
print("{name}: ratio {value} " + TARGETS.check("{name}", {value}, ">=", 0.5))
TARGETS.finish()
"""


def benchmark(name: str, value: float) -> list[str]:
    return [sys.executable, "-c", BENCHMARK.format(name=name, value=value)]


def test_a_missed_target_is_marked_remembered_and_fails_the_benchmark(capsys):
    targets = Targets()
    assert targets.check("delivery ratio", 0.6, ">=", 0.5) == "(target >= 0.5)"
    assert targets.check("POST p99", 151.4, "<", 100, "ms") == "(target < 100 ms) MISSED"
    assert targets.check("errors", 0, "==", 0) == "(target == 0)"
    with pytest.raises(SystemExit) as finished:
        targets.finish()
    assert finished.value.code == 1
    assert capsys.readouterr().out == f"{MISSED}POST p99: 151.40 ms (target < 100 ms)\n{CHECKED}3\n"


def test_a_benchmark_that_meets_every_target_succeeds(capsys):
    targets = Targets()
    targets.check("delivery ratio", 0.5, ">=", 0.5)
    with pytest.raises(SystemExit) as finished:
        targets.finish()
    assert finished.value.code == 0
    assert capsys.readouterr().out == f"{CHECKED}1\n"


def test_the_run_exits_non_zero_and_names_each_missed_target_and_failed_benchmark(capsys):
    commands = {
        "quick": benchmark("quick ratio", 0.7),
        "slow": benchmark("slow ratio", 0.4),
        "broken": [sys.executable, "-c", "raise SystemExit(3)"],
        "silent": [sys.executable, "-c", "print('nothing measured')"],
    }
    assert run_all(commands) == 1
    output = capsys.readouterr().out
    assert "slow ratio: ratio 0.4 (target >= 0.5) MISSED\n" in output  # the benchmark's own line, passed on
    summary = output.split("== 1 target(s) missed, 2 benchmark(s) failed:\n")[1]
    assert summary == (
        "   slow: slow ratio: 0.40 (target >= 0.5)\n   broken failed (exit status 3)\n   silent checked no target\n"
    )


def test_the_run_succeeds_when_every_target_is_met(capsys):
    assert run_all({"quick": benchmark("quick ratio", 0.7)}) == 0
    assert capsys.readouterr().out.endswith("== every target met\n")
