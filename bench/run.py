"""Run the benchmarks: `python -m bench.run [--size smoke|full] [--only NAME]`.

Writes bench/results/latest.json (the full size; a smoke run writes bench/results/smoke.tmp unless
--out is given) and regenerates the results table in docs/performance.md between its markers.
Exits non-zero only when a benchmark could not run; goals are reported, not asserted."""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench.common import ROOT, SIZES, databases, utcnow

BENCHES = ("ack", "intake", "delivery", "startup", "memory", "analytics", "forecast")
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def run_one(name: str, size: str) -> dict[str, Any]:
    module = importlib.import_module(f"bench.{name}")
    t = time.perf_counter()
    res = module.run(size=size)
    res["seconds"] = round(time.perf_counter() - t, 1)
    return res


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def table(report: dict[str, Any]) -> str:
    lines = [
        f"Run {report['at']} · size `{report['size']}` · {report['machine']} · databases: {', '.join(report['databases'])}",
        "",
        "| benchmark | goal | target | value | met |",
        "|---|---|---|---|---|",
    ]
    for res in report["benchmarks"]:
        if "error" in res:
            lines.append(f"| {res['name']} | could not run | | `{res['error'][:120]}` | |")
            continue
        for key, g in res["goals"].items():
            met = {True: "✅", False: "❌", None: "—"}[g["met"]]
            lines.append(f"| {res['name']} | {key} | {g['target']} | {_fmt(g['value'])} | {met} |")
    lines += ["", "Key figures:", ""]
    for res in report["benchmarks"]:
        if "error" in res:
            continue
        figs = {k: v for k, v in res["figures"].items() if not isinstance(v, (dict, list))}
        nested = {k: v for k, v in res["figures"].items() if isinstance(v, dict)}
        parts = [f"{k}={_fmt(v)}" for k, v in figs.items()]
        for k, d in nested.items():
            parts.append(f"{k}: " + ", ".join(f"{kk}={_fmt(vv)}" for kk, vv in d.items() if not isinstance(vv, (dict, list))))
        for run in res["figures"].get("runs", []) if isinstance(res["figures"].get("runs"), list) else []:
            parts.append("events=" + _fmt(run.get("events")) + ": " + ", ".join(f"{k}={_fmt(v)}" for k, v in run.items() if k != "events"))
        lines.append(f"- **{res['name']}** — " + "; ".join(parts))
        for note in res.get("notes", []):
            lines.append(f"  - {note}")
    return "\n".join(lines)


def regenerate_doc(report: dict[str, Any], doc: Path = DOC) -> None:
    body = f"{BEGIN}\n{table(report)}\n{END}"
    text = doc.read_text() if doc.exists() else f"# Performance\n\n{BEGIN}\n{END}\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + body + rest.split(END, 1)[1]
    else:
        text += "\n" + body + "\n"
    doc.write_text(text)


def _order(b: dict[str, Any]) -> int:
    return BENCHES.index(b["name"]) if b.get("name") in BENCHES else 99


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run")
    p.add_argument("--size", choices=SIZES, default="full")
    p.add_argument("--only", action="append", choices=BENCHES, help="run only this benchmark (repeatable)")
    p.add_argument("--out", help="results file (default: bench/results/latest.json for full, smoke.tmp for smoke)")
    p.add_argument("--no-doc", action="store_true", help="do not regenerate docs/performance.md")
    a = p.parse_args(argv)
    names = a.only or list(BENCHES)
    report: dict[str, Any] = {
        "at": utcnow().isoformat(timespec="seconds"), "size": a.size, "databases": databases(),
        "machine": f"{platform.machine()} · {__import__('os').cpu_count()} cores · Python {platform.python_version()}",
        "benchmarks": [],
    }  # fmt: skip
    failed = False
    out = Path(a.out) if a.out else RESULTS / ("latest.json" if a.size == "full" else "smoke.tmp")
    keep: list[dict[str, Any]] = []
    if a.only and out.exists() and out.suffix == ".json":  # a partial run updates its benchmarks only
        keep = [b for b in json.loads(out.read_text()).get("benchmarks", []) if b.get("name") not in names]
    for name in names:
        print(f"== {name} ({a.size})", flush=True)
        try:
            res = run_one(name, a.size)
        except Exception as e:  # could not run: recorded, and the exit status says so
            traceback.print_exc()
            res = {"name": name, "error": f"{type(e).__name__}: {e}"}
            failed = True
        report["benchmarks"].append(res)
        print(json.dumps(res, ensure_ascii=False, indent=1, default=str), flush=True)
        # Written after every benchmark, so a long run interrupted later keeps what it measured.
        done = {**report, "benchmarks": sorted(keep + report["benchmarks"], key=_order)}
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(done, ensure_ascii=False, indent=1, default=str) + "\n")
        if not a.no_doc and a.size == "full":
            regenerate_doc(done)
    print(f"results: {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
