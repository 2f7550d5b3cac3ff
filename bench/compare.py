#!/usr/bin/python3
"""Compares two bench/run_bench.py JSON results (OLD, NEW): median latency, peak RSS and the
DeepShark/ONNX Runtime ratio per (model, threads, engine).

    /usr/bin/python3 bench/compare.py OLD.json NEW.json [--threshold 5] [--fail-on-regression]

A row is flagged 'slower' when NEW's median is more than --threshold percent above OLD's, and
'wrong' when NEW's max abs difference to the reference grew past 1e-4. With --fail-on-regression the
exit code is 1 when any DeepShark row is flagged. Prefer comparing ratios (ds/ORT): they were measured
in one session each and so cancel most of the machine's drift between the two runs.
"""
import argparse
import json
import sys


def load(path):
    with open(path) as f:
        r = json.load(f)
    rows = {(x["model"], x["threads"], x["engine"]): x for x in r["rows"]}
    return r["stamp"], rows


def ratio(rows, model, threads):
    d = rows.get((model, threads, "deepshark"))
    o = rows.get((model, threads, "onnxruntime"))
    if d and o and "median_ms" in d and "median_ms" in o and o["median_ms"] > 0:
        return d["median_ms"] / o["median_ms"]
    return None


def f(v, spec):
    return format(v, spec) if isinstance(v, (int, float)) else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--threshold", type=float, default=5.0, help="percent")
    ap.add_argument("--fail-on-regression", action="store_true")
    a = ap.parse_args()
    s_old, old = load(a.old)
    s_new, new = load(a.new)
    print(f"OLD {s_old['date']} {s_old['commit'][:10]} {s_old.get('build_type')}  |  "
          f"NEW {s_new['date']} {s_new['commit'][:10]} {s_new.get('build_type')}")
    if s_old.get("cpu") != s_new.get("cpu"):
        print(f"warning: different CPUs ({s_old.get('cpu')} vs {s_new.get('cpu')}): compare ratios only")
    print()
    print("| model | thr | engine | old ms | new ms | change % | old RSS MiB | new RSS MiB | "
          "old ds/ORT | new ds/ORT | flag |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    bad = 0
    for key in sorted(set(old) | set(new), key=lambda k: (k[0], k[1], k[2])):
        o, n = old.get(key), new.get(key)
        model, threads, engine = key
        om = o.get("median_ms") if o else None
        nm = n.get("median_ms") if n else None
        change = 100.0 * (nm - om) / om if om and nm else None
        flags = []
        if n is None or "skipped" in n:
            flags.append("missing" if n is None else "skipped")
        if change is not None and change > a.threshold:
            flags.append("slower")
        if change is not None and change < -a.threshold:
            flags.append("faster")
        nd = n.get("max_abs_vs_ref") if n else None
        od = o.get("max_abs_vs_ref") if o else None
        if nd is not None and nd > 1e-4 and (od is None or nd > od):
            flags.append("wrong")
        if engine == "deepshark" and any(x in flags for x in ("slower", "wrong")):
            bad += 1
        rss_o = o.get("peak_rss_bytes") if o else None
        rss_n = n.get("peak_rss_bytes") if n else None
        ro = ratio(old, model, threads) if engine == "deepshark" else None
        rn = ratio(new, model, threads) if engine == "deepshark" else None
        print(f"| {model} | {threads} | {engine} | {f(om, '.2f')} | {f(nm, '.2f')} | {f(change, '+.1f')} | "
              f"{f(rss_o / 2**20 if rss_o else None, '.1f')} | {f(rss_n / 2**20 if rss_n else None, '.1f')} | "
              f"{f(ro, '.2f')} | {f(rn, '.2f')} | {' '.join(flags)} |")
    if a.fail_on_regression and bad:
        print(f"\n{bad} DeepShark regression(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
