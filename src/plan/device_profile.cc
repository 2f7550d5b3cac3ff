#include "plan/device_profile.h"

#include <algorithm>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

namespace deepshark {

IoCost fit_io_cost(const std::vector<ReadSample>& samples, double hash_ms_per_byte) {
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const ReadSample& s : samples) {
    if (s.queue_depth != 1) continue;
    const double x = static_cast<double>(s.request_bytes), y = s.ms_per_request;
    n += 1, sx += x, sy += y, sxx += x * x, sxy += x * y;
  }
  IoCost c;
  if (n >= 2 && n * sxx - sx * sx > 0) {
    c.ms_per_byte = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    c.latency_ms = (sy - c.ms_per_byte * sx) / n;
  } else if (n == 1 && sx > 0) {
    c.ms_per_byte = sy / sx;
    c.latency_ms = 0;
  }
  if (c.ms_per_byte <= 0) c.ms_per_byte = 1e-9;
  c.latency_ms = std::max(c.latency_ms, 0.0);
  c.ms_per_byte += hash_ms_per_byte;
  return c;
}

namespace {

std::string quote(const std::string& s) {
  std::string r = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') r += '\\', r += ch;
    else if (static_cast<unsigned char>(ch) < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", ch);
      r += b;
    } else r += ch;
  }
  return r + "\"";
}

std::string num(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.9g", std::isfinite(v) ? v : 0.0);
  return b;
}

// A minimal JSON reader: objects, arrays, strings (\" \\ \uXXXX for ASCII), numbers, literals.
struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  bool b = false;
  double n = 0;
  std::string s;
  std::vector<Json> items;
  std::map<std::string, Json> fields;
  const Json* get(const std::string& k) const {
    auto it = fields.find(k);
    return it == fields.end() ? nullptr : &it->second;
  }
};

struct Parser {
  const std::string& t;
  size_t i = 0;
  int depth = 0;
  std::string error;
  void ws() { while (i < t.size() && (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t')) ++i; }
  bool fail(const std::string& why) {
    if (error.empty()) error = why + " at byte " + std::to_string(i);
    return false;
  }
  bool str(std::string* out) {
    if (i >= t.size() || t[i] != '"') return fail("expected a string");
    ++i;
    while (i < t.size() && t[i] != '"') {
      char ch = t[i++];
      if (ch == '\\') {
        if (i >= t.size()) return fail("bad escape");
        char e = t[i++];
        if (e == 'u') {
          if (i + 4 > t.size()) return fail("bad escape");
          ch = static_cast<char>(std::strtol(t.substr(i, 4).c_str(), nullptr, 16));
          i += 4;
        } else {
          ch = e == 'n' ? '\n' : e == 't' ? '\t' : e;
        }
      }
      *out += ch;
    }
    if (i >= t.size()) return fail("unterminated string");
    ++i;
    return true;
  }
  bool value(Json* v) {
    if (++depth > 32) return fail("nested too deep");
    ws();
    if (i >= t.size()) return fail("unexpected end");
    bool ok = true;
    if (t[i] == '{') {
      v->kind = Json::Object;
      ++i;
      ws();
      if (i < t.size() && t[i] == '}') ++i;
      else {
        while (ok) {
          ws();
          std::string k;
          if (!str(&k)) return false;
          ws();
          if (i >= t.size() || t[i] != ':') return fail("expected ':'");
          ++i;
          if (!value(&v->fields[k])) return false;
          ws();
          if (i < t.size() && t[i] == ',') { ++i; continue; }
          if (i < t.size() && t[i] == '}') { ++i; break; }
          return fail("expected ',' or '}'");
        }
      }
    } else if (t[i] == '[') {
      v->kind = Json::Array;
      ++i;
      ws();
      if (i < t.size() && t[i] == ']') ++i;
      else {
        while (true) {
          v->items.emplace_back();
          if (!value(&v->items.back())) return false;
          ws();
          if (i < t.size() && t[i] == ',') { ++i; continue; }
          if (i < t.size() && t[i] == ']') { ++i; break; }
          return fail("expected ',' or ']'");
        }
      }
    } else if (t[i] == '"') {
      v->kind = Json::String;
      ok = str(&v->s);
    } else if (t.compare(i, 4, "true") == 0 || t.compare(i, 5, "false") == 0) {
      v->kind = Json::Bool;
      v->b = t[i] == 't';
      i += v->b ? 4 : 5;
    } else if (t.compare(i, 4, "null") == 0) {
      i += 4;
    } else {
      const char* start = t.c_str() + i;
      char* end = nullptr;
      v->n = std::strtod(start, &end);
      if (end == start) return fail("unexpected character");
      v->kind = Json::Number;
      i += static_cast<size_t>(end - start);
    }
    --depth;
    return ok;
  }
};

}  // namespace

std::string device_profile_to_json(const DeviceProfile& p) {
  std::ostringstream o;
  o << "{\n  \"format\": \"deepshark-profile\",\n  \"version\": " << p.version << ",\n  \"storage\": {\n"
    << "    \"dir\": " << quote(p.dir) << ",\n    \"direct_io\": " << (p.direct_io ? "true" : "false") << ",\n"
    << "    \"hash_ms_per_byte\": " << num(p.hash_ms_per_byte) << ",\n"
    << "    \"fit\": {\"latency_ms\": " << num(p.io.latency_ms) << ", \"ms_per_byte\": " << num(p.io.ms_per_byte)
    << "},\n    \"reads\": [";
  for (size_t i = 0; i < p.reads.size(); ++i) {
    const ReadSample& s = p.reads[i];
    o << (i ? ",\n" : "\n") << "      {\"request_bytes\": " << s.request_bytes << ", \"queue_depth\": " << s.queue_depth
      << ", \"ms_per_request\": " << num(s.ms_per_request) << ", \"mb_per_s\": " << num(s.mb_per_s) << "}";
  }
  o << "\n    ]\n  },\n  \"compute\": {\n    \"model\": " << quote(p.model) << ",\n    \"threads\": " << p.threads
    << ",\n    \"runs\": " << p.runs << ",\n    \"nodes\": [";
  for (size_t i = 0; i < p.node_ms.size(); ++i) {
    o << (i ? ",\n" : "\n") << "      {\"name\": " << quote(p.node_ms[i].first) << ", \"ms\": " << num(p.node_ms[i].second)
      << "}";
  }
  o << "\n    ]\n  }";
  if (p.streaming.measured) {
    const auto& m = p.streaming;
    o << ",\n  \"streaming\": {\"budget_bytes\": " << m.budget_bytes << ", \"bytes_read\": " << m.bytes_read
      << ", \"pieces_read\": " << m.pieces_read << ", \"read_ms\": " << num(m.read_ms) << ", \"compute_ms\": "
      << num(m.compute_ms) << ", \"in_memory_ms\": " << num(m.in_memory_ms);
    if (m.serial_bytes_read > 0) {
      o << ", \"serial_bytes_read\": " << m.serial_bytes_read << ", \"serial_pieces_read\": " << m.serial_pieces_read
        << ", \"serial_read_ms\": " << num(m.serial_read_ms);
    }
    o << "}";
  }
  o << "\n}\n";
  return o.str();
}

Result<DeviceProfile> device_profile_from_json(const std::string& text, const std::string& name) {
  auto bad = [&](const std::string& why) { return make_error(ErrorCode::InvalidArgument, "read", "profile", name, why); };
  Json root;
  Parser ps{text, 0, 0, {}};
  if (!ps.value(&root)) return bad("not JSON: " + ps.error);
  if (root.kind != Json::Object) return bad("not a JSON object");
  const Json* fmt = root.get("format");
  if (!fmt || fmt->s != "deepshark-profile") {
    return bad("not a device profile " + expected_got("format \"deepshark-profile\"", fmt ? fmt->s : "none"));
  }
  const Json* ver = root.get("version");
  if (!ver || ver->kind != Json::Number || ver->n != kDeviceProfileVersion) {
    return bad("unsupported version " + expected_got(std::to_string(kDeviceProfileVersion),
                                                     ver ? num(ver->n) : std::string("none")));
  }
  DeviceProfile p;
  auto number = [](const Json* j, double d) { return j && j->kind == Json::Number ? j->n : d; };
  const Json* st = root.get("storage");
  if (!st || st->kind != Json::Object) return bad("no \"storage\" object");
  if (const Json* d = st->get("dir")) p.dir = d->s;
  if (const Json* d = st->get("direct_io")) p.direct_io = d->b;
  p.hash_ms_per_byte = number(st->get("hash_ms_per_byte"), 0);
  if (const Json* r = st->get("reads"); r && r->kind == Json::Array) {
    for (const Json& s : r->items) {
      ReadSample x;
      x.request_bytes = static_cast<uint64_t>(std::max(0.0, number(s.get("request_bytes"), 0)));
      x.queue_depth = static_cast<int>(number(s.get("queue_depth"), 1));
      x.ms_per_request = number(s.get("ms_per_request"), 0);
      x.mb_per_s = number(s.get("mb_per_s"), 0);
      p.reads.push_back(x);
    }
  }
  const Json* fit = st->get("fit");
  if (!fit || fit->kind != Json::Object) return bad("no \"storage.fit\" object");
  p.io.latency_ms = number(fit->get("latency_ms"), -1);
  p.io.ms_per_byte = number(fit->get("ms_per_byte"), -1);
  if (!(p.io.latency_ms >= 0) || !(p.io.ms_per_byte > 0)) return bad("storage.fit needs latency_ms >= 0 and ms_per_byte > 0");
  if (const Json* c = root.get("compute"); c && c->kind == Json::Object) {
    if (const Json* m = c->get("model")) p.model = m->s;
    p.threads = static_cast<int>(number(c->get("threads"), 0));
    p.runs = static_cast<int>(number(c->get("runs"), 0));
    if (const Json* ns = c->get("nodes"); ns && ns->kind == Json::Array) {
      for (const Json& n : ns->items) {
        const Json* nm = n.get("name");
        double ms = number(n.get("ms"), -1);
        if (!nm || nm->kind != Json::String || !(ms >= 0)) return bad("a compute node needs \"name\" and \"ms\" >= 0");
        p.node_ms.emplace_back(nm->s, ms);
      }
    }
  }
  if (const Json* m = root.get("streaming"); m && m->kind == Json::Object) {
    auto& c = p.streaming;
    c.budget_bytes = static_cast<uint64_t>(std::max(0.0, number(m->get("budget_bytes"), 0)));
    c.bytes_read = static_cast<uint64_t>(std::max(0.0, number(m->get("bytes_read"), 0)));
    c.pieces_read = static_cast<int>(std::max(0.0, number(m->get("pieces_read"), 0)));
    c.read_ms = number(m->get("read_ms"), -1);
    c.compute_ms = number(m->get("compute_ms"), -1);
    c.in_memory_ms = number(m->get("in_memory_ms"), -1);
    if (!(c.read_ms >= 0) || !(c.compute_ms >= 0) || !(c.in_memory_ms >= 0)) {
      return bad("streaming needs read_ms, compute_ms and in_memory_ms >= 0");
    }
    if (m->get("serial_bytes_read")) {
      c.serial_bytes_read = static_cast<uint64_t>(std::max(0.0, number(m->get("serial_bytes_read"), 0)));
      c.serial_pieces_read = static_cast<int>(std::max(0.0, number(m->get("serial_pieces_read"), 0)));
      c.serial_read_ms = number(m->get("serial_read_ms"), -1);
      if (!(c.serial_read_ms >= 0)) return bad("streaming's serial_read_ms must be >= 0");
    }
    c.measured = true;
  }
  return p;
}

double streaming_ms_per_byte(const DeviceProfile& p) {
  const auto& m = p.streaming;
  if (!m.measured || m.bytes_read == 0) return p.io.ms_per_byte;
  const double per_byte = (m.read_ms - m.pieces_read * p.io.latency_ms) / static_cast<double>(m.bytes_read);
  // With a depth-0 measurement the pipelined rate stands on its own (back-to-back reads of the
  // model's file beat the fit's random reads of a fresh file, 2x here); without one, the fit is a
  // floor (the older calibration mixed both).
  if (m.serial_bytes_read > 0 && per_byte > 0) return per_byte;
  return std::max(p.io.ms_per_byte, per_byte);
}

double streaming_cold_read_factor(const DeviceProfile& p) {
  const auto& m = p.streaming;
  if (!m.measured || m.serial_bytes_read == 0 || m.bytes_read == 0) return 1.0;
  const double warm = streaming_ms_per_byte(p);
  const double cold =
      (m.serial_read_ms - m.serial_pieces_read * p.io.latency_ms) / static_cast<double>(m.serial_bytes_read);
  if (!(warm > 0) || !(cold > 0)) return 1.0;
  return std::clamp(cold / warm, 1.0, 4.0);
}

double streaming_compute_factor(const DeviceProfile& p) {
  const auto& m = p.streaming;
  if (!m.measured || m.in_memory_ms <= 0) return 1.0;
  return std::clamp(m.compute_ms / m.in_memory_ms, 1.0, 4.0);
}

Result<DeviceProfile> read_device_profile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return make_error(ErrorCode::IOError, "read", "profile", path, "cannot open the file");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (ss.str().size() > (64u << 20)) return make_error(ErrorCode::InvalidArgument, "read", "profile", path, "larger than 64 MiB");
  return device_profile_from_json(ss.str(), path);
}

Status apply_device_profile(const DeviceProfile& p, int threads, PlanInput* in) {
  // Reads cost what the loader achieved on the model's own file in the streaming calibration, with
  // or without compute alongside: measured at depth 0 (no overlap), the block stream read VGG-16,
  // ResNet-50, ViT-B/16 and the GPT-2 stack at 1.5-1.65 GB/s, near the calibrated 1.2-1.85, where the
  // storage fit (random reads of a fresh 256 MiB file) said 1.85-3.55 GB/s. Kernels, though, slow
  // down only while a read runs beside them (stream_compute_factor, plan/cost.h).
  in->io = p.io;
  in->io.ms_per_byte = streaming_ms_per_byte(p);
  in->cold_read_factor = streaming_cold_read_factor(p);
  if (p.node_ms.empty()) return Status::ok_status();
  if (p.threads != threads) {
    return make_error(ErrorCode::InvalidArgument, "apply", "profile", p.model,
                      "its compute times were measured at another thread count " +
                          expected_got(std::to_string(threads), std::to_string(p.threads)));
  }
  if (p.node_ms.size() != in->node_names.size()) {
    return make_error(ErrorCode::InvalidArgument, "apply", "profile", p.model,
                      "it was measured on another model " +
                          expected_got(std::to_string(in->node_names.size()) + " nodes", std::to_string(p.node_ms.size())));
  }
  std::vector<double> ms(p.node_ms.size());
  for (size_t i = 0; i < ms.size(); ++i) {
    if (p.node_ms[i].first != in->node_names[i]) {
      return make_error(ErrorCode::InvalidArgument, "apply", "profile", p.model,
                        "it was measured on another model: node " + std::to_string(i) + " " +
                            expected_got(in->node_names[i], p.node_ms[i].first));
    }
    ms[i] = p.node_ms[i].second;
  }
  in->node_ms = std::move(ms);
  in->stream_compute_factor = streaming_compute_factor(p);
  return Status::ok_status();
}

}  // namespace deepshark
