#!/usr/bin/python3
"""Planner benchmark, in one session: for each model, a device profile (deepshark profile), then at
budgets {whole, 50 %, 25 %, 10 % of the weight bytes, smallest feasible}: the optimising planner's
predicted latency / peak / eta (deepshark plan --json) against the measured run (deepshark run
--report-json), and the greedy plan of the block stream (hidden --planner greedy) run side by side.

    /usr/bin/python3 bench/plan_bench.py [--models vgg16,resnet50] [--threads 2] [--repeat 3] [--rounds 2]
        [--deepshark build/h-plan/deepshark] [--json-out build/bench/plan.json]

Packs into build/bench/plan_dsk/ with the binary under test (reused while newer than the model and
the binary). Timing is only meaningful on an idle machine: the load average is printed and stamped.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_bench as rb  # noqa: E402

DEFAULT_MODELS = "resnet50,vgg16,mobilenet_v2,vit_b_16,gpt2_stack"


def run_json(cmd, timeout, json_flag=None):
    """Runs cmd; returns (parsed JSON from stdout or from the report file, stderr)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "r.json")
        if json_flag:
            cmd = cmd + [json_flag, report]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            return {"error": rb.first_line(p.stderr)}, p.stderr
        if json_flag:
            with open(report) as f:
                return json.load(f), p.stderr
        return json.loads(p.stdout), p.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=DEFAULT_MODELS)
    ap.add_argument("--models-dir", default=os.path.join(rb.ROOT, "build", "models"))
    ap.add_argument("--deepshark", default=os.path.join(rb.ROOT, "build", "h-plan", "deepshark"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds of the planned and greedy runs")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--json-out", default=os.path.join(rb.ROOT, "build", "bench", "plan.json"))
    a = ap.parse_args()
    with open(os.path.join(a.models_dir, "manifest.json")) as f:
        manifest = {m["name"]: m for m in json.load(f)["models"]}
    dsk_dir = os.path.join(rb.ROOT, "build", "bench", "plan_dsk")
    os.makedirs(dsk_dir, exist_ok=True)
    result = {"load_average_start": os.getloadavg(), "rows": []}
    rb.log(f"plan_bench: load average at start {os.getloadavg()}")
    for name in a.models.split(","):
        m = manifest.get(name)
        if not m:
            rb.log(f"plan_bench: {name}: not in the manifest, skipped")
            continue
        onnx = os.path.join(a.models_dir, m["onnx"])
        inputs = rb.input_args(m, a.models_dir)
        dsk = os.path.join(dsk_dir, f"{name}.t{a.threads}.dsk")
        if (not os.path.exists(dsk) or os.path.getmtime(dsk) < os.path.getmtime(onnx)
                or os.path.getmtime(dsk) < os.path.getmtime(a.deepshark)):
            rb.log(f"plan_bench: packing {name}")
            subprocess.run([a.deepshark, "pack", onnx, "-o", dsk, "--threads", str(a.threads)], check=True,
                           stdout=subprocess.DEVNULL)
        prof = os.path.join(dsk_dir, f"{name}.t{a.threads}.profile.json")
        rb.log(f"plan_bench: {name}: profiling")
        subprocess.run([a.deepshark, "profile", "--dir", dsk_dir, "--model", dsk, "--threads", str(a.threads),
                        "-o", prof], check=True, stderr=subprocess.DEVNULL)
        rb.log(f"plan_bench: {name}: in memory (onnx)")
        inmem, _ = run_json([a.deepshark, "run", onnx, *inputs, "--threads", str(a.threads), "--warmup",
                             str(a.warmup), "--repeat", str(a.repeat)], a.timeout, "--report-json")
        common = ["--threads", str(a.threads), "--profile", prof]
        whole, _ = run_json([a.deepshark, "plan", dsk, "--balance", "1", "--json", *common], a.timeout)
        weights = whole["weight_bytes"]
        budgets = [("whole", whole["predicted_peak_bytes"])] + [
            (f"{p} %", weights * p // 100) for p in (50, 25, 10)]
        small = subprocess.run([a.deepshark, "plan", dsk, "--memory", "1B", *common], capture_output=True,
                               text=True).stderr
        mm = re.search(r"\(expected >= (\d+) bytes", small)
        if mm:
            budgets.append(("smallest", int(mm.group(1))))
        for label, budget in budgets:
            row = {"model": name, "case": label, "budget": budget, "in_memory_ms": inmem.get("median_ms")}
            extras = {}
            for planner in ("optimal", "greedy"):
                extra = ["--memory", f"{budget}B", *common] + (["--planner", "greedy"] if planner == "greedy" else [])
                pj, perr = run_json([a.deepshark, "plan", dsk, "--json", *extra], a.timeout)
                if "error" in pj:
                    row[planner] = {"error": pj["error"]}
                    continue
                pm = re.search(r"planned in ([0-9.]+) ms", perr)
                row[planner] = {"plan": pj, "plan_ms": float(pm.group(1)) if pm else None, "runs_ms": []}
                extras[planner] = extra
            # Rounds alternate the two plans (which one goes first too), so that the machine's slow
            # spells (streamed runs vary by +-25 % here) fall on both: medians over every round. At
            # the whole budget the in-memory run (the ONNX file) takes its turn in every round too:
            # the x in-memory ratio compares runs made side by side.
            in_memory_runs = []
            for rnd in range(a.rounds):
                order = list(extras) if rnd % 2 == 0 else list(reversed(list(extras)))
                if label == "whole":
                    rb.log(f"plan_bench: {name}: in memory round {rnd + 1}/{a.rounds}")
                    im, _ = run_json([a.deepshark, "run", onnx, *inputs, "--threads", str(a.threads), "--warmup",
                                      str(a.warmup), "--repeat", str(a.repeat)], a.timeout, "--report-json")
                    in_memory_runs += im.get("runs_ms", [])
                    if in_memory_runs:
                        row["in_memory_ms"] = statistics.median(in_memory_runs)
                for planner in order:
                    rb.log(f"plan_bench: {name}: {label} {planner} round {rnd + 1}/{a.rounds}")
                    rj, _ = run_json([a.deepshark, "run", dsk, *inputs, "--warmup", str(a.warmup), "--repeat",
                                      str(a.repeat), *extras[planner]], a.timeout, "--report-json")
                    if "error" in rj:
                        row[planner]["run"] = rj
                        continue
                    row[planner]["runs_ms"] += rj["runs_ms"]
                    rj["median_ms"] = statistics.median(row[planner]["runs_ms"])
                    row[planner]["run"] = rj
            result["rows"].append(row)
    result["load_average_end"] = os.getloadavg()
    os.makedirs(os.path.dirname(a.json_out), exist_ok=True)
    with open(a.json_out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"load average: start {result['load_average_start']}, end {result['load_average_end']}")
    print("| model | budget | MiB | pred ms | meas ms | err | pred peak MiB | meas peak MiB | err | "
          "greedy meas ms | new/greedy | eta pred | eta meas | depth | blocks | plan ms | x in-memory |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in result["rows"]:
        o, g = r.get("optimal", {}), r.get("greedy", {})
        if "error" in o or "plan" not in o:
            print(f"| {r['model']} | {r['case']} | {r['budget'] / 2**20:.1f} | {o.get('error', '?')} |" + " |" * 13)
            continue
        p, run = o["plan"], o["run"]
        if "error" in run:
            print(f"| {r['model']} | {r['case']} | {r['budget'] / 2**20:.1f} | {run['error']} |" + " |" * 13)
            continue
        pred, meas = p["predicted_latency_ms"], run["median_ms"]
        ppk, mpk = p["predicted_peak_bytes"], run["peak_managed_bytes"]
        gm = g.get("run", {}).get("median_ms")
        print(f"| {r['model']} | {r['case']} | {r['budget'] / 2**20:.1f} | {pred:.1f} | {meas:.1f} | "
              f"{100 * (meas - pred) / pred:+.1f} % | {ppk / 2**20:.2f} | {mpk / 2**20:.2f} | "
              f"{100 * (mpk - ppk) / max(ppk, 1):+.2f} % | {rb.fmt(gm, '.1f')} | "
              f"{rb.fmt(meas / gm if gm else None, '.3f')} | {p['eta']:.3f} | {run.get('eta', 0):.3f} | "
              f"{p['prefetch_depth']} | {len(p['blocks'])} | {rb.fmt(o.get('plan_ms'), '.2f')} | "
              f"{rb.fmt(meas / r['in_memory_ms'] if r.get('in_memory_ms') else None, '.3f')} |")
    rb.log(f"plan_bench: wrote {a.json_out}")


if __name__ == "__main__":
    main()
