#!/usr/bin/env node
// Runs an ONNX model with ONNX Runtime (npm onnxruntime-node, CPU) on .npy inputs and writes the
// outputs as .npy: the peer engine and reference for DeepShark's tests and benchmarks.
//
//   node scripts/ort_run.js build/models/resnet50.onnx \
//       --input input=build/models/resnet50.input_input.npy --output-dir /tmp/out \
//       [--threads 2] [--warmup 3 --repeat 10] [--json] [--no-write]
//
// Session options: intraOpNumThreads = --threads (default 1), interOpNumThreads = 1,
// graphOptimizationLevel 'all', executionMode 'sequential'.
// Outputs go to DIR/<name>.npy where <name> is the output's name with every character outside
// [A-Za-z0-9._-] replaced by '_' (the same rule as scripts/make_models.py and the deepshark CLI).
// With --json, one JSON object is printed on stdout:
//   {"model", "threads", "warmup", "repeat", "runs_ms": [...], "median_ms", "min_ms", "p90_ms",
//    "load_ms", "rss_base_bytes", "peak_rss_bytes", "outputs": {name: {"shape", "dtype", "file"}},
//    "ort_version"}
// rss_base_bytes is the process RSS before the session was created (node + the ORT library), so
// peak_rss_bytes - rss_base_bytes is what the model and its run cost.
// Exit code 0 on success, 1 on any error (message on stderr).
'use strict';

const fs = require('fs');
const path = require('path');

const NODE_MODULES = process.env.DS_NODE_MODULES ||
    path.resolve(__dirname, '..', 'build', 'npm', 'node_modules');

function fail(msg) {
  process.stderr.write(`ort_run: ${msg}\n`);
  process.exit(1);
}

// ---- .npy reader/writer (format 1.0-3.0, little-endian, C order) ----

const NPY_TO_ORT = {
  '<f4': ['float32', Float32Array, 4],
  '<f8': ['float64', Float64Array, 8],
  '<i8': ['int64', BigInt64Array, 8],
  '<i4': ['int32', Int32Array, 4],
  '<i2': ['int16', Int16Array, 2],
  '|i1': ['int8', Int8Array, 1],
  '|u1': ['uint8', Uint8Array, 1],
  '<u8': ['uint64', BigUint64Array, 8],
  '|b1': ['bool', Uint8Array, 1],
};
const ORT_TO_NPY = {};
for (const [descr, [t]] of Object.entries(NPY_TO_ORT)) ORT_TO_NPY[t] = descr;

function read_npy(file) {
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`failed to read npy '${file}': ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') {
    throw new Error(`failed to read npy '${file}': bad magic`);
  }
  const major = buf[6];
  let header_len, off;
  if (major === 1) {
    header_len = buf.readUInt16LE(8);
    off = 10;
  } else if (major === 2 || major === 3) {
    header_len = buf.readUInt32LE(8);
    off = 12;
  } else {
    throw new Error(`failed to read npy '${file}': unsupported version ${major}`);
  }
  const header = buf.toString('latin1', off, off + header_len);
  const descr = /'descr':\s*'([^']+)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) throw new Error(`failed to read npy '${file}': bad header`);
  if (fortran[1] === 'True') throw new Error(`failed to read npy '${file}': Fortran order`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const info = NPY_TO_ORT[descr[1]];
  if (!info) throw new Error(`failed to read npy '${file}': unsupported dtype ${descr[1]}`);
  const [type, Ctor, size] = info;
  const count = dims.reduce((a, b) => a * b, 1);
  const data_off = off + header_len;
  if (buf.length - data_off !== count * size) {
    throw new Error(`failed to read npy '${file}': payload size (expected ${count * size}, ` +
                    `got ${buf.length - data_off})`);
  }
  // Copy into an aligned buffer of its own.
  const ab = new ArrayBuffer(count * size);
  buf.copy(Buffer.from(ab), 0, data_off);
  let data = new Ctor(ab);
  if (type === 'bool') data = Uint8Array.from(data, (v) => (v ? 1 : 0));
  return {type, dims, data};
}

function write_npy(file, type, dims, data) {
  const descr = ORT_TO_NPY[type];
  if (!descr) throw new Error(`failed to write npy '${file}': unsupported dtype ${type}`);
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header = header + ' '.repeat(pad % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  let body;
  if (type === 'bool') body = Buffer.from(Uint8Array.from(data, (v) => (v ? 1 : 0)));
  else body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
  fs.renameSync(tmp, file);
}

function sanitize(name) {
  const r = name.replace(/[^A-Za-z0-9._-]/g, "_");
  return r === "" || r === "." || r === ".." ? "output" : r;
}

// ---- arguments ----

function parse_args(argv) {
  const a = {model: null, inputs: [], output_dir: null, threads: 1, repeat: 1, warmup: 0,
             json: false, write: true};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const need = () => {
      if (i + 1 >= argv.length) fail(`missing value for ${k}`);
      return argv[++i];
    };
    if (k === '--input') {
      const v = need();
      const eq = v.indexOf('=');
      if (eq <= 0) fail(`failed to parse --input '${v}': expected NAME=FILE.npy`);
      a.inputs.push([v.slice(0, eq), v.slice(eq + 1)]);
    } else if (k === '--output-dir') a.output_dir = need();
    else if (k === '--threads') a.threads = parseInt(need(), 10);
    else if (k === '--repeat') a.repeat = parseInt(need(), 10);
    else if (k === '--warmup') a.warmup = parseInt(need(), 10);
    else if (k === '--json') a.json = true;
    else if (k === '--no-write') a.write = false;
    else if (k === '-h' || k === '--help') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 20)
                               .map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
      process.exit(0);
    } else if (k.startsWith('--')) fail(`unknown option ${k}`);
    else if (a.model === null) a.model = k;
    else fail(`unexpected argument ${k}`);
  }
  if (!a.model) fail('no model given');
  if (!(a.threads >= 1) || !(a.repeat >= 1) || !(a.warmup >= 0)) fail('bad --threads/--repeat/--warmup');
  if (a.write && !a.output_dir && !a.json) fail('no --output-dir given (or use --no-write --json)');
  return a;
}

function percentile(sorted, p) {
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[idx];
}

async function main() {
  const args = parse_args(process.argv.slice(2));
  const rss_base = process.memoryUsage().rss;
  let ort;
  try {
    ort = require(path.join(NODE_MODULES, 'onnxruntime-node'));
  } catch (e) {
    fail(`failed to load onnxruntime-node from '${NODE_MODULES}': ${e.message} (run scripts/deps.sh)`);
  }
  const feeds = {};
  for (const [name, file] of args.inputs) {
    const t = read_npy(file);
    feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
  }
  const t_load = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(args.model, {
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
  const load_ms = Number(process.hrtime.bigint() - t_load) / 1e6;
  for (const name of session.inputNames) {
    if (!(name in feeds)) fail(`failed to run model '${args.model}': missing input '${name}'`);
  }
  let results = null;
  for (let i = 0; i < args.warmup; i++) results = await session.run(feeds);
  const runs = [];
  for (let i = 0; i < args.repeat; i++) {
    const t0 = process.hrtime.bigint();
    results = await session.run(feeds);
    runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const outputs = {};
  if (args.output_dir && args.write) fs.mkdirSync(args.output_dir, {recursive: true});
  for (const name of session.outputNames) {
    const t = results[name];
    const entry = {shape: t.dims, dtype: t.type};
    if (args.output_dir && args.write) {
      entry.file = path.join(args.output_dir, `${sanitize(name)}.npy`);
      write_npy(entry.file, t.type, t.dims, t.data);
    }
    outputs[name] = entry;
  }
  const sorted = [...runs].sort((x, y) => x - y);
  let ort_version = null;
  try {
    ort_version = require(path.join(NODE_MODULES, 'onnxruntime-node', 'package.json')).version;
  } catch (e) { /* optional */ }
  const report = {
    model: args.model,
    threads: args.threads,
    warmup: args.warmup,
    repeat: args.repeat,
    runs_ms: runs,
    median_ms: sorted.length % 2 ? sorted[(sorted.length - 1) / 2]
                                 : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2,
    min_ms: sorted[0],
    p90_ms: percentile(sorted, 0.9),
    load_ms,
    rss_base_bytes: rss_base,
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
    outputs,
    ort_version,
  };
  if (args.json) process.stdout.write(JSON.stringify(report) + '\n');
  else {
    process.stdout.write(`${path.basename(args.model)}: threads=${args.threads} median ` +
                         `${report.median_ms.toFixed(3)} ms, min ${report.min_ms.toFixed(3)}, p90 ` +
                         `${report.p90_ms.toFixed(3)}, peak RSS ${(report.peak_rss_bytes / 2 ** 20).toFixed(1)} MiB\n`);
  }
}

main().catch((e) => fail(e && e.message ? e.message : String(e)));
