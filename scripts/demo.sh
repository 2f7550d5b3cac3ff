#!/usr/bin/env bash
# The main job, end to end on a fresh machine: install dependencies, build, export a ResNet-50 with
# seeded random weights (PyTorch, no download), run it with DeepShark, and compare DeepShark's
# output with PyTorch's.
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:-resnet50}"
scripts/deps.sh
scripts/build.sh release
/usr/bin/python3 scripts/make_models.py --out build/models --only "$model"

dir=build/models
inputs=()
for f in "$dir/$model".input_*.npy; do
  name=$(basename "$f" .npy); name=${name#"$model".input_}
  inputs+=(--input "$name=$f")
done
echo "== deepshark inspect $dir/$model.onnx (summary)"
build/release/deepshark inspect "$dir/$model.onnx" | tail -3
echo "== deepshark run $dir/$model.onnx --threads 2"
build/release/deepshark run "$dir/$model.onnx" "${inputs[@]}" --threads 2 --output-dir "build/demo/$model" \
  --warmup 1 --repeat 5 --report
/usr/bin/python3 - "$dir" "$model" <<'PY'
import glob, os, sys
import numpy as np
d, m = sys.argv[1], sys.argv[2]
for ref in sorted(glob.glob(f"{d}/{m}.ref_*.npy")):
    name = os.path.basename(ref)[len(m) + 5:-4]
    got = np.load(f"build/demo/{m}/{name}.npy")
    want = np.load(ref)
    diff = float(np.max(np.abs(got.astype(np.float64) - want)))
    print(f"output {name}: shape {got.shape}, max |deepshark - pytorch| = {diff:.3g} "
          f"(output scale {float(np.max(np.abs(want))):.3g})")
PY
