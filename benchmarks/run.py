"""Run every benchmark module (``benchmarks/bench_*.py``) and print one table.

Each module has ``run() -> list[dict]``; a row is ``{"name", "value", "unit", "target", "met"}``
(``target`` a string such as "<= 0.5", ``met`` a bool or None when there is no target).
Rows also go to ``benchmarks/results.json`` so figures can be compared across commits.
``python -m benchmarks.run rendering sending`` runs only the named modules.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover(only: list[str]) -> list[str]:
    names = sorted(path.stem for path in HERE.glob("bench_*.py"))
    if only:
        names = [name for name in names if name.removeprefix("bench_") in only or name in only]
    return names


def main(argv: list[str]) -> int:
    rows: list[dict] = []
    for name in discover(argv):
        started = time.monotonic()
        print(f"running {name} …", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            rows.extend(module.run())
        except Exception:
            traceback.print_exc()
            rows.append(
                {"name": f"{name} (error)", "value": None, "unit": "", "target": "", "met": False}
            )
        print(f"  {name} took {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    print_table(rows)
    (HERE / "results.json").write_text(json.dumps(rows, indent=2))
    return 0 if all(row.get("met") is not False for row in rows) else 1


def print_table(rows: list[dict]) -> None:
    header = ("figure", "value", "unit", "target", "met")
    table = [header] + [
        (
            row["name"],
            "-" if row["value"] is None else f"{row['value']:,.3f}".rstrip("0").rstrip("."),
            row.get("unit", ""),
            row.get("target", ""),
            {True: "yes", False: "NO", None: "-"}[row.get("met")],
        )
        for row in rows
    ]
    widths = [max(len(str(line[i])) for line in table) for i in range(len(header))]
    for index, line in enumerate(table):
        print("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(line)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
