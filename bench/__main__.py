"""Run every benchmark module (bench/bench_*.py) and print figures beside targets."""

import importlib
import pkgutil
import sys

import bench


def main() -> int:
    if sys.argv[1:2] == ["load"]:  # the load test over HTTP (bench/load.py) has its own options
        from bench.load import main as load

        return load(sys.argv[2:])
    if sys.argv[1:2] == ["faults"]:  # SIGKILL of the server and the spooler mid-sale (bench/faults.py)
        from bench.faults import main as faults

        return faults(sys.argv[2:])
    if sys.argv[1:2] == ["instructions"]:  # instructions a sale under valgrind (bench/instructions.py)
        from bench.instructions import main as instructions

        return instructions(sys.argv[2:])
    if sys.argv[1:2] == ["ab"]:  # two checkouts of the code, interleaved sale by sale (bench/ab.py)
        from bench.ab import main as ab

        return ab(sys.argv[2:])
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))
    selected = [n for n in names if not sys.argv[1:] or any(a in n for a in sys.argv[1:])]
    all_ok = True
    for name in selected:
        print(f"== {name}")
        all_ok &= bool(importlib.import_module(f"bench.{name}").run())
    print("all targets met" if all_ok else "some targets missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
