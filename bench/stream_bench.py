#!/usr/bin/python3
"""Block stream benchmark, in one session: for each model, the in-memory run and the packed model
under budgets {whole, 50 %, 25 %, 10 % of its weight bytes, smallest feasible}, each with the
planner's prefetch and with prefetch 0 (load then compute, AirLLM's way). Reports median latency,
peak RSS growth, bytes read per run, eta and ratios against in-memory, all measured side by side.

    /usr/bin/python3 bench/stream_bench.py [--models vgg16,resnet50] [--threads 2] [--repeat 5]
        [--json-out FILE] [--deepshark build/release/deepshark]

Needs build/models (scripts/make_models.py). Packs into build/bench/dsk/ with the binary under test
(reused while newer than the model and the binary). Timing is only meaningful on an idle machine:
the load average is stamped in the JSON.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_bench as rb  # noqa: E402

DEFAULT_MODELS = "vgg16,resnet50,mobilenet_v2,vit_b_16,gpt2_stack"


def run_ds(a, model_file, inputs, extra):
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "r.json")
        cmd = [a.deepshark, "run", model_file, *inputs, "--threads", str(a.threads), "--warmup", str(a.warmup),
               "--repeat", str(a.repeat), "--report-json", report, *extra]
        rc, out, err, wall, rss = rb.run_measured(cmd, a.timeout)
        if rc != 0:
            return {"error": rb.first_line(err)}
        with open(report) as f:
            r = json.load(f)
    r["process_peak_rss_bytes"] = rss
    return r


def smallest_budget(a, dsk, inputs, depth):
    cmd = [a.deepshark, "run", dsk, *inputs, "--threads", str(a.threads), "--memory", "1B"]
    if depth is not None:
        cmd += ["--prefetch", str(depth)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
    m = re.search(r"\(expected >= (\d+) bytes", p.stderr)
    return int(m.group(1)) if m else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=DEFAULT_MODELS)
    ap.add_argument("--models-dir", default=os.path.join(rb.ROOT, "build", "models"))
    ap.add_argument("--deepshark", default=os.path.join(rb.ROOT, "build", "release", "deepshark"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--json-out", default=os.path.join(rb.ROOT, "build", "bench", "stream.json"))
    a = ap.parse_args()
    a.ds_args = ""
    if not os.path.exists(a.deepshark):
        sys.exit(f"stream_bench: no deepshark binary at {a.deepshark} (scripts/build.sh)")
    with open(os.path.join(a.models_dir, "manifest.json")) as f:
        manifest = {m["name"]: m for m in json.load(f)["models"]}
    dsk_dir = os.path.join(rb.ROOT, "build", "bench", "dsk")
    os.makedirs(dsk_dir, exist_ok=True)
    result = {"stamp": rb.stamp(a), "load_average": os.getloadavg(), "rows": []}
    for name in a.models.split(","):
        m = manifest.get(name)
        if not m:
            rb.log(f"stream_bench: {name}: not in the manifest, skipped")
            continue
        onnx = os.path.join(a.models_dir, m["onnx"])
        inputs = rb.input_args(m, a.models_dir)
        dsk = os.path.join(dsk_dir, name + f".t{a.threads}.dsk")
        if (not os.path.exists(dsk) or os.path.getmtime(dsk) < os.path.getmtime(onnx)
                or os.path.getmtime(dsk) < os.path.getmtime(a.deepshark)):
            rb.log(f"stream_bench: packing {name}")
            subprocess.run([a.deepshark, "pack", onnx, "-o", dsk, "--threads", str(a.threads)], check=True,
                           stdout=subprocess.DEVNULL)
        weights = m["weight_bytes"]
        rb.log(f"stream_bench: {name}: in memory")
        base = run_ds(a, onnx, inputs, [])
        rows = [{**base, "model": name, "case": "in-memory (onnx)", "budget": None}]
        budgets = [("whole (dsk)", None)] + [(f"{p} % weights", weights * p // 100) for p in (50, 25, 10)]
        smallest = smallest_budget(a, dsk, inputs, None)
        if smallest:
            budgets.append(("smallest feasible", smallest))
        for label, budget in budgets:
            for prefetch in (None, 0):
                extra = [] if budget is None else ["--memory", f"{budget}B"]
                if prefetch is not None:
                    extra += ["--prefetch", str(prefetch)]
                rb.log(f"stream_bench: {name}: {label} prefetch {prefetch if prefetch is not None else 'auto'}")
                r = run_ds(a, dsk, inputs, extra)
                rows.append({**r, "model": name, "case": label, "budget": budget,
                             "prefetch": "auto" if prefetch is None else prefetch})
                if budget is None:
                    break
        for r in rows:
            if "median_ms" in r and "median_ms" in base:
                r["vs_in_memory"] = r["median_ms"] / base["median_ms"]
        result["rows"] += rows
    os.makedirs(os.path.dirname(a.json_out), exist_ok=True)
    with open(a.json_out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"| model | case | budget MiB | prefetch | median ms | x in-memory | read MiB/run | eta | "
          f"RSS growth MiB | peak managed MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in result["rows"]:
        if "error" in r:
            print(f"| {r['model']} | {r['case']} | {rb.fmt(r['budget'] and r['budget'] / 2**20, '.1f')} | "
                  f"{r.get('prefetch', '-')} | {r['error']} | | | | | |")
            continue
        growth = (r.get("peak_rss_bytes", 0) - r.get("rss_before_first_run_bytes", 0)) / 2**20
        print(f"| {r['model']} | {r['case']} | {rb.fmt(r['budget'] and r['budget'] / 2**20, '.1f')} | "
              f"{r.get('prefetch', '-')} | {r['median_ms']:.1f} | {rb.fmt(r.get('vs_in_memory'), '.2f')} | "
              f"{r.get('bytes_read', 0) / 2**20:.1f} | {rb.fmt(r.get('eta') or None, '.2f')} | {growth:.1f} | "
              f"{r['peak_managed_bytes'] / 2**20:.1f} |")
    rb.log(f"stream_bench: wrote {a.json_out}")


if __name__ == "__main__":
    main()
