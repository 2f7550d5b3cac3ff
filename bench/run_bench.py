#!/usr/bin/python3
"""DeepShark vs ONNX Runtime, in one session: latency, spread, peak RSS and outputs, per model and
thread count. See bench/README.md.

    /usr/bin/python3 bench/run_bench.py                         # bench models, threads 1 and 2
    /usr/bin/python3 bench/run_bench.py --models resnet50,mobilenet_v2 --threads 2 --repeat 20
    /usr/bin/python3 bench/run_bench.py --models all --json-out /tmp/b.json
    /usr/bin/python3 bench/compare.py OLD.json NEW.json

Needs build/models (scripts/make_models.py, scripts/ocr_inputs.py) and, for the DeepShark rows, the CLI
(default build/release/deepshark; a missing binary or a failing run gives a 'skipped: <why>' row).
"""
import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORT_RUN = os.path.join(ROOT, "scripts", "ort_run.js")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------
# Processes


def run_measured(cmd, timeout):
    """Runs cmd; returns (returncode, stdout, stderr, wall seconds, peak RSS bytes of that process)."""
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=out, stderr=err)
    deadline = t0 + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            p.kill()
            pid, status, ru = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t0
            return -9, "", f"timed out after {timeout:.0f} s", wall, ru.ru_maxrss * 1024
        time.sleep(0.002)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    return (p.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"), wall,
            ru.ru_maxrss * 1024)


def first_line(text, limit=160):
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line[:limit]
    return "(no message)"


def stats(runs):
    a = np.sort(np.asarray(runs, dtype=np.float64))
    if a.size == 0:
        return {}
    med = float(np.median(a))
    p10, p90 = (float(np.percentile(a, q)) for q in (10, 90))
    return {"median_ms": med, "min_ms": float(a[0]), "max_ms": float(a[-1]), "p10_ms": p10, "p90_ms": p90,
            "spread_pct": 100.0 * (p90 - p10) / med if med > 0 else 0.0}


def sanitize(name):
    import re

    r = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return "output" if r in ("", ".", "..") else r


def compare_outputs(model, models_dir, out_dir):
    """Max abs difference of every output in out_dir against the model's reference; None if missing."""
    worst = 0.0
    for o in model["outputs"]:
        f = os.path.join(out_dir, sanitize(o["name"]) + ".npy")
        if not os.path.exists(f):
            return None, f"output '{o['name']}' not written"
        got = np.load(f).astype(np.float64)
        ref = np.load(os.path.join(models_dir, o["ref"])).astype(np.float64)
        if got.shape != ref.shape:
            return float("inf"), f"output '{o['name']}' shape {list(got.shape)} != {list(ref.shape)}"
        worst = max(worst, float(np.max(np.abs(got - ref))) if ref.size else 0.0)
    return worst, None


def merge_rounds(rows):
    """Pools the runs of several rounds of one engine into one row (skipped if any round was)."""
    for r in rows:
        if "skipped" in r:
            return r
    row = dict(rows[-1])
    runs = [x for r in rows for x in r["runs_ms"]]
    row.update(stats(runs))
    row["runs_ms"] = runs
    row["rounds"] = len(rows)
    row["peak_rss_bytes"] = max(r["peak_rss_bytes"] for r in rows)
    diffs = [r.get("max_abs_vs_ref") for r in rows if r.get("max_abs_vs_ref") is not None]
    if diffs:
        row["max_abs_vs_ref"] = max(diffs)
    return row


def input_args(model, models_dir):
    args = []
    for i in model["inputs"]:
        args += ["--input", f"{i['name']}={os.path.join(models_dir, i['file'])}"]
    return args


# ---------------------------------------------------------------------------------------------------
# Engines


def bench_ort(model, models_dir, threads, a):
    row = {"engine": "onnxruntime", "model": model["name"], "threads": threads}
    with tempfile.TemporaryDirectory(prefix="ds_bench_ort_") as d:
        cmd = ["node", ORT_RUN, os.path.join(models_dir, model["onnx"]), *input_args(model, models_dir),
               "--output-dir", d, "--threads", str(threads), "--warmup", str(a.warmup),
               "--repeat", str(a.repeat), "--json"]
        rc, out, err, wall, rss = run_measured(cmd, a.timeout)
        if rc != 0:
            row["skipped"] = f"onnxruntime failed: {first_line(err)}"
            return row
        rep = json.loads(out.strip().splitlines()[-1])
        row.update(stats(rep["runs_ms"]))
        row.update({"runs_ms": rep["runs_ms"], "timing": "in-process per run", "peak_rss_bytes": rss,
                    "rss_base_bytes": rep.get("rss_base_bytes"), "load_ms": rep.get("load_ms"),
                    "process_wall_s": wall})
        row["max_abs_vs_ref"], note = compare_outputs(model, models_dir, d)
        if note:
            row["note"] = note
    return row


def bench_deepshark(model, models_dir, threads, a):
    row = {"engine": "deepshark", "model": model["name"], "threads": threads}
    if not os.path.isfile(a.deepshark) or not os.access(a.deepshark, os.X_OK):
        row["skipped"] = f"no deepshark binary at {a.deepshark} (build it or pass --deepshark)"
        return row
    with tempfile.TemporaryDirectory(prefix="ds_bench_ds_") as d:
        report = os.path.join(d, "report.json")
        outs = os.path.join(d, "out")
        base = [a.deepshark, "run", os.path.join(models_dir, model["onnx"]), *input_args(model, models_dir),
                "--output-dir", outs, "--threads", str(threads), *shlex.split(a.ds_args)]
        cmd = base + ["--warmup", str(a.warmup), "--repeat", str(a.repeat), "--report-json", report]
        rc, out, err, wall, rss = run_measured(cmd, a.timeout)
        if rc != 0 and any(s in err for s in ("--report-json", "--repeat", "--warmup", "unknown option")):
            # An older CLI without the report flags: time whole processes (load included) and say so.
            runs = []
            for i in range(a.warmup + a.repeat):
                rc, out, err, wall, rss1 = run_measured(base, a.timeout)
                if rc != 0:
                    break
                rss = max(rss, rss1) if i else rss1
                if i >= a.warmup:
                    runs.append(wall * 1000.0)
            if rc == 0:
                row.update(stats(runs))
                row.update({"runs_ms": runs, "timing": "process wall time (includes load)",
                            "peak_rss_bytes": rss})
        elif rc == 0:
            with open(report) as f:
                rep = json.load(f)
            row.update(stats(rep["runs_ms"]))
            row.update({"runs_ms": rep["runs_ms"], "timing": "in-process per run (--report-json)",
                        "peak_rss_bytes": rss, "process_wall_s": wall})
            for k, v in rep.items():
                if k.endswith("_bytes") or k in ("plan", "budget_bytes"):
                    row["ds_" + k] = v
        if rc != 0:
            row["skipped"] = f"deepshark failed (exit {rc}): {first_line(err)}"
            return row
        row["max_abs_vs_ref"], note = compare_outputs(model, models_dir, outs)
        if note:
            row["note"] = note
    return row


# ---------------------------------------------------------------------------------------------------
# Stamp and table


def sh(cmd, cwd=ROOT):
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:  # noqa: BLE001 - a stamp field is best effort
        return ""


def build_type_of(binary):
    d = os.path.dirname(os.path.abspath(binary))
    for _ in range(4):
        cache = os.path.join(d, "CMakeCache.txt")
        if os.path.exists(cache):
            with open(cache, errors="replace") as f:
                for line in f:
                    if line.startswith("CMAKE_BUILD_TYPE:"):
                        return line.split("=", 1)[1].strip() or "(none)"
        d = os.path.dirname(d)
    return None


def stamp(a):
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ort_version = None
    try:
        with open(os.path.join(ROOT, "build", "npm", "node_modules", "onnxruntime-node", "package.json")) as f:
            ort_version = json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        pass
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "commit": sh(["git", "rev-parse", "HEAD"]),
        "dirty": bool(sh(["git", "status", "--porcelain", "--untracked-files=no"])),
        "deepshark": a.deepshark,
        "build_type": build_type_of(a.deepshark),
        "onednn": sh(["dpkg-query", "-W", "-f=${Version}", "libdnnl-dev"]) or None,
        "onnxruntime": ort_version,
        "node": sh(["node", "--version"]),
        "warmup": a.warmup,
        "repeat": a.repeat,
        "ds_args": a.ds_args,
    }


def fmt(v, spec):
    return format(v, spec) if isinstance(v, (int, float)) and v is not None else "-"


def markdown(result):
    rows = result["rows"]
    by = {(r["model"], r["threads"], r["engine"]): r for r in rows}
    s = result["stamp"]
    lines = [f"DeepShark bench {s['date']}  commit {s['commit'][:10]}{'+dirty' if s['dirty'] else ''}  "
             f"build {s['build_type']}  {s['cpu']}  ORT {s['onnxruntime']}  warmup {s['warmup']} repeat {s['repeat']}",
             "",
             "| model | thr | engine | median ms | min | p90 | spread % | peak RSS MiB | max abs vs ref | ds/ORT |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "skipped" in r:
            lines.append(f"| {r['model']} | {r['threads']} | {r['engine']} | skipped: {r['skipped']} |||||||")
            continue
        ratio = "-"
        if r["engine"] == "deepshark":
            o = by.get((r["model"], r["threads"], "onnxruntime"))
            if o and "median_ms" in o and o["median_ms"] > 0:
                ratio = f"{r['median_ms'] / o['median_ms']:.2f}"
                r["ratio_vs_ort"] = r["median_ms"] / o["median_ms"]
        timing = "" if r["timing"].startswith("in-process") else " (process wall)"
        rss = r.get("peak_rss_bytes")
        lines.append(f"| {r['model']} | {r['threads']} | {r['engine']}{timing} | {fmt(r['median_ms'], '.2f')} | "
                     f"{fmt(r['min_ms'], '.2f')} | {fmt(r['p90_ms'], '.2f')} | {fmt(r['spread_pct'], '.1f')} | "
                     f"{fmt(rss / 2**20 if rss else None, '.1f')} | {fmt(r.get('max_abs_vs_ref'), '.2g')} | {ratio} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models-dir", default=os.path.join(ROOT, "build", "models"))
    ap.add_argument("--models", default="bench",
                    help="comma-separated names, or a kind: bench (default), tiny, real, all")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--deepshark", default=os.path.join(ROOT, "build", "release", "deepshark"))
    ap.add_argument("--ds-args", default="", help="extra arguments for 'deepshark run' (e.g. a budget)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="runs of each engine per (model, threads), alternating their order; "
                         "the runs of all rounds are pooled")
    ap.add_argument("--engines", default="deepshark,onnxruntime")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per process")
    ap.add_argument("--json-out", default=None,
                    help="default build/bench/bench-<date>.json")
    a = ap.parse_args()
    a.deepshark = os.path.abspath(a.deepshark)

    manifest_path = os.path.join(a.models_dir, "manifest.json")
    if not os.path.exists(manifest_path):
        log(f"run_bench: no {manifest_path}: run scripts/make_models.py (and scripts/ocr_inputs.py) first")
        return 2
    with open(manifest_path) as f:
        models = json.load(f)["models"]
    kinds = {"bench": {"bench"}, "tiny": {"tiny"}, "real": {"real"}, "all": {"bench", "tiny", "real"}}
    if a.models in kinds:
        chosen = [m for m in models if m["kind"] in kinds[a.models]]
    else:
        names = [n.strip() for n in a.models.split(",") if n.strip()]
        known = {m["name"]: m for m in models}
        bad = [n for n in names if n not in known]
        if bad:
            log(f"run_bench: unknown model(s) {bad} (expected one of {sorted(known)})")
            return 2
        chosen = [known[n] for n in names]
    threads = [int(t) for t in a.threads.split(",")]
    engines = [e.strip() for e in a.engines.split(",")]

    result = {"stamp": stamp(a), "rows": []}
    result["stamp"]["loadavg_before"] = os.getloadavg()[0]
    for m in chosen:
        for t in threads:
            # Rounds alternate the engines' order so that a drift in machine load hits both alike.
            per_engine = {e: [] for e in engines}
            for r in range(a.rounds):
                for e in (engines if r % 2 == 0 else engines[::-1]):
                    log(f"bench: {m['name']} threads={t} {e} round {r + 1}/{a.rounds} ...")
                    fn = bench_deepshark if e == "deepshark" else bench_ort
                    row = fn(m, a.models_dir, t, a)
                    per_engine[e].append(row)
                    log("   " + (f"skipped: {row['skipped']}" if "skipped" in row else
                                 f"median {row['median_ms']:.2f} ms, spread {row['spread_pct']:.1f} %, "
                                 f"peak RSS {row['peak_rss_bytes'] / 2**20:.0f} MiB, "
                                 f"max abs vs ref {row.get('max_abs_vs_ref')}"))
            for e in engines:
                row = merge_rounds(per_engine[e])
                row["weight_bytes"] = m.get("weight_bytes")
                result["rows"].append(row)
    result["stamp"]["loadavg_after"] = os.getloadavg()[0]
    table = markdown(result)  # also fills ratio_vs_ort
    out = a.json_out or os.path.join(ROOT, "build", "bench",
                                     f"bench-{datetime.datetime.now().strftime('%Y%m%d-%H%M%S')}.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(table)
    print(f"\nJSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
