"""`make bench` / `python -m benchmarks.run [--quick]`: every benchmark, one table, one chart.

Writes benchmarks/results/results.json and benchmarks/results/ratios.png. The last line printed
is always `ratios: create/floor=… create/pygithub=… up/trivial=… noop/trivial=… preview/trivial=…`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import engine, mint, process, tofu
from .emulator import EmulatorProcess

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


@dataclass(frozen=True)
class Plan:
    mint_scenarios: tuple[tuple[int, float], ...]
    """(concurrency, added latency in seconds) pairs."""
    mint_rounds: int
    mint_calls: dict[int, int]
    peers: str
    """"all", or "pygithub" (quick: only the peer the ratios line names)."""
    engine_kinds: tuple[str, ...]
    engine_count: int
    engine_rounds: int
    process_rounds: int


FULL = Plan(((1, 0.0), (16, 0.0), (1, 0.05), (16, 0.05)), 5, {1: 20, 16: 64}, "all",
            ("token", "token-config", "token-yaml", "trivial", "trivial-key"), 100, 3, 5)
QUICK = Plan(((1, 0.0),), 3, {1: 10}, "pygithub", ("token", "trivial"), 20, 1, 1)

TARGETS = {"create/floor": 1.05, "create/pygithub": 0.05, "create/githubkit": 0.05,
           "up/trivial": 1.15, "noop/trivial": 1.05, "preview/trivial": 1.05,
           "startup/bare": 1.3}


def paired_ratio(ours: list[float], theirs: list[float]) -> float:
    """Median of per-round ratios: rounds are interleaved, so each pair shared its noise."""
    return statistics.median(a / b for a, b in zip(ours, theirs, strict=True))


def run_mint(gh: EmulatorProcess, plan: Plan) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for concurrency, latency in plan.mint_scenarios:
        label = f"c={concurrency} latency={latency * 1e3:.0f}ms"
        sides = mint.measure(gh, concurrency=concurrency, latency=latency,
                             rounds=plan.mint_rounds, calls=plan.mint_calls[concurrency],
                             peers=plan.peers)
        floor = sides[0]
        out[label] = {
            side.name: {"median_ms": side.median * 1e3, "p95_ms": side.p95 * 1e3,
                        "x_floor": paired_ratio(side.per_op, floor.per_op),
                        "cpu_ms": side.cpu * 1e3,
                        "cpu_x_floor": paired_ratio(side.cpu_per_op, floor.cpu_per_op)}
            for side in sides
        }
        print_mint(label, out[label])
    return out


def print_mint(label: str, table: dict[str, dict[str, float]]) -> None:
    print(f"\nmint, {label}   (wall: median per mint over rounds, p95 over single calls; "
          "CPU: this process only)")
    print(f"  {'side':<20}{'median ms':>11}{'p95 ms':>10}{'x floor':>9}{'CPU ms':>9}"
          f"{'CPU x floor':>13}")
    for name, row in table.items():
        print(f"  {name:<20}{row['median_ms']:>11.2f}{row['p95_ms']:>10.2f}"
              f"{row['x_floor']:>9.2f}{row['cpu_ms']:>9.2f}{row['cpu_x_floor']:>13.2f}")


def run_engine(gh: EmulatorProcess, plan: Plan, baseline: str | None) -> dict[str, Any]:
    if shutil.which("pulumi") is None:
        print("\nengine: skipped, no `pulumi` on PATH (run through `make bench`)")
        return {}
    work = HERE.parent / ".cache" / "bench"
    kinds = list(plan.engine_kinds)
    if baseline:
        kinds.insert(1, engine.baseline(baseline, work).name)
    stacks = engine.measure(gh, kinds=kinds, count=plan.engine_count,
                            rounds=plan.engine_rounds, work=work)
    by_kind = {s.kind: s for s in stacks}
    trivial = by_kind["trivial"]
    ours = [k for k in by_kind if k.startswith("token")]
    out: dict[str, Any] = {"count": plan.engine_count, "rounds": plan.engine_rounds}
    print(f"\nengine, {plan.engine_count} resources per stack, real pulumi CLI: median over "
          f"{plan.engine_rounds} rounds of wall s / CPU s (whole process tree)")
    print(f"  {'step':<9}" + "".join(f"{k:>17}" for k in by_kind))
    for step in engine.STEPS:
        row = {k: s.median(step) for k, s in by_kind.items()}
        cpu = {k: statistics.median(s.cpu[step]) for k, s in by_kind.items()}
        out[step] = {"seconds": row, "cpu_seconds": cpu}
        print(f"  {step:<9}" + "".join(f"{row[k]:>10.2f}/{cpu[k]:<6.2f}" for k in by_kind))
    print("  ratios to trivial, paired by round (wall / CPU); GitHub requests seen:")
    for step in engine.STEPS:
        cells = []
        for kind in ours:
            ratio = paired_ratio(by_kind[kind].times[step], trivial.times[step])
            cpu_ratio = paired_ratio(by_kind[kind].cpu[step], trivial.cpu[step])
            seen = max(by_kind[kind].requests[step])
            out[step][f"{kind}/trivial"] = ratio
            out[step][f"cpu {kind}/trivial"] = cpu_ratio
            out[step][f"requests {kind}"] = seen
            cells.append(f"{kind} {ratio:.2f} / {cpu_ratio:.2f}, {seen} requests")
        print(f"  {step:<9}" + ";  ".join(cells))
    return out


def run_process(gh: EmulatorProcess, plan: Plan) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(HERE.parent), os.environ.get("PYTHONPATH")) if p)}
    starts = process.measure(gh.private_key_pem, env, plan.process_rounds)
    loaded = process.imports(gh.private_key_pem, env)
    print("\nprovider process: `python -m pulumi.dynamic` spawned, up to the first Check served")
    print(f"  {'provider':<10}{'cold start s':>14}{'RSS MB':>9}")
    for side in starts:
        print(f"  {side.kind:<10}{side.median:>14.3f}{side.rss_mb:>9.1f}")
    for path, modules in loaded.items():
        print(f"  heavy modules after {path:<8}: {', '.join(modules) or 'none'}")
    return {"cold_start": {s.kind: {"seconds": s.median, "rss_mb": s.rss_mb} for s in starts},
            "imports": loaded}


def run_tofu(gh: EmulatorProcess, quick: bool) -> dict[str, Any]:
    """The Terraform face (benchmarks/tofu.py): start-up ratio, and the real OpenTofu CLI."""
    found: dict[str, Any] = {"startup": tofu.startup(rounds=5 if quick else 21)}
    binary = Path(os.environ.get("TOFU") or HERE.parent / ".cache/opentofu/v1.11.6/tofu")
    if binary.is_file():
        found["engine"] = tofu.engine(gh, binary, count=20, rounds=1 if quick else 3)
    else:
        print(f"\nOpenTofu: skipped, no {binary} (run through `make bench`)")
    tofu.report(found)
    return found


def ratios(results: dict[str, Any]) -> dict[str, float]:
    found: dict[str, float] = {}
    base = results["mint"].get("c=1 latency=0ms")
    if base:
        found["create/floor"] = base["provider.create"]["x_floor"]
        for peer, key in (("PyGithub", "create/pygithub"), ("githubkit", "create/githubkit")):
            if peer in base:
                found[key] = base["provider.create"]["median_ms"] / base[peer]["median_ms"]
    for step in engine.STEPS:
        if step in results.get("engine", {}):
            row = results["engine"][step]
            found[f"{step}/trivial"] = row["token/trivial"]
            found[f"cpu {step}/trivial"] = row["cpu token/trivial"]
            if "token-config/trivial" in row:
                found[f"{step}/trivial, key in config"] = row["token-config/trivial"]
    terraform = results.get("tofu", {})
    if "startup" in terraform:
        found["startup/bare"] = terraform["startup"]["ratio"]
    for step in tofu.STEPS:
        if step in terraform.get("engine", {}):
            found[f"tofu {step}/terraform_data"] = terraform["engine"][step]["token/terraform_data"]
    return found


def chart(found: dict[str, float], results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = {f"create/floor {label.replace('latency=', '+')}": table["provider.create"]["x_floor"]
            for label, table in results["mint"].items()}
    bars.update({f"create/{peer} {label.replace('latency=', '+')}":
                 table["provider.create"]["median_ms"] / table[peer]["median_ms"]
                 for label, table in results["mint"].items() if label != "c=1 latency=0ms"
                 for peer in ("PyGithub", "githubkit") if peer in table})
    bars.update({k: v for k, v in found.items() if k != "create/floor"})
    bars = {k.replace("cpu ", "") + (" (CPU)" if k.startswith("cpu ") else ""): v
            for k, v in bars.items()}
    names = list(bars)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(names) + 1.2))
    def target(name: str) -> float | None:
        return TARGETS.get(re.split(r"[ ,(]", name)[0].lower())

    colours = ["tab:green" if bars[n] <= (target(n) or 1e9) else "tab:red" for n in names]
    ax.barh(names, [bars[n] for n in names], color=colours)
    for index, name in enumerate(names):
        goal = target(name)
        if goal is not None:
            ax.plot([goal, goal], [index - 0.4, index + 0.4], color="black", lw=2)
        ax.text(bars[name], index, f" {bars[name]:.2f}", va="center")
    ax.axvline(1.0, color="grey", lw=0.8, ls="--")
    ax.invert_yaxis()
    ax.set_xlabel("ratio (lower is better); black tick = target")
    ax.set_title(f"pulumi-github-app-token vs floor, peers and trivial stacks\n"
                 f"{results['machine']['summary']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def machine() -> dict[str, Any]:
    cores = os.cpu_count()
    python = platform.python_version()
    return {"cores": cores, "python": python, "platform": platform.platform(),
            "summary": f"{cores} cores, Python {python}, {platform.machine()}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smaller run, under 60 s")
    parser.add_argument("--only", choices=("mint", "engine", "process", "tofu"), action="append",
                        help="run only these parts (repeatable)")
    parser.add_argument("--baseline", metavar="REF",
                        help="also run a token stack on the runtime code of git REF, e.g. main")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    parts = args.only or ["mint", "engine", "process", "tofu"]
    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine(), "quick": args.quick}
    print(f"machine: {results['machine']['summary']}")
    with EmulatorProcess() as gh:
        results["mint"] = run_mint(gh, plan) if "mint" in parts else {}
        results["engine"] = run_engine(gh, plan, args.baseline) if "engine" in parts else {}
        results["process"] = run_process(gh, plan) if "process" in parts else {}
        results["tofu"] = run_tofu(gh, args.quick) if "tofu" in parts else {}
    found = ratios(results)
    results["ratios"] = found
    RESULTS.mkdir(exist_ok=True)
    name = "quick" if args.quick else "results"
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    if found:
        chart(found, results, RESULTS / f"{name}.png")
        print(f"\nchart: {RESULTS / f'{name}.png'}; "
              f"targets: {', '.join(f'{k} <= {v}' for k, v in TARGETS.items())}")
    print(f"total {time.perf_counter() - started:.0f} s")
    print("cpu ratios: " + " ".join(f"{k}={v:.2f}" for k, v in found.items()
                                    if k.startswith("cpu ")))
    print("terraform ratios: " + " ".join(f"{k}={v:.2f}" for k, v in found.items()
                                          if k.startswith(("startup", "tofu "))))
    print("ratios: " + " ".join(f"{k}={found.get(k, float('nan')):.2f}" for k in (
        "create/floor", "create/pygithub", "up/trivial", "noop/trivial", "preview/trivial")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
