#include "base/npy.h"

#include <cstring>

#include "base/file.h"

namespace deepshark {

namespace {

Status npy_error(const std::string& label, const std::string& reason) {
  return make_error(ErrorCode::InvalidArgument, "read", "npy file", label, reason);
}

// Finds 'key': <value> in the header dict and returns the raw value text.
std::optional<std::string> dict_value(const std::string& header, const std::string& key) {
  std::string k = "'" + key + "'";
  size_t p = header.find(k);
  if (p == std::string::npos) return std::nullopt;
  p = header.find(':', p + k.size());
  if (p == std::string::npos) return std::nullopt;
  ++p;
  while (p < header.size() && header[p] == ' ') ++p;
  if (p >= header.size()) return std::nullopt;
  size_t end;
  if (header[p] == '(') {
    end = header.find(')', p);
    if (end == std::string::npos) return std::nullopt;
    return header.substr(p, end - p + 1);
  }
  if (header[p] == '\'') {
    end = header.find('\'', p + 1);
    if (end == std::string::npos) return std::nullopt;
    return header.substr(p + 1, end - p - 1);
  }
  end = header.find_first_of(",}", p);
  if (end == std::string::npos) return std::nullopt;
  return header.substr(p, end - p);
}

std::optional<DType> dtype_from_descr(const std::string& d) {
  if (d.size() < 3) return std::nullopt;
  char order = d[0];
  std::string code = d.substr(1);
  if (order == '>' && code != "u1" && code != "i1" && code != "b1") return std::nullopt;
  if (code == "f4") return DType::F32;
  if (code == "f8") return DType::F64;
  if (code == "f2") return DType::F16;
  if (code == "i8") return DType::I64;
  if (code == "i4") return DType::I32;
  if (code == "i2") return DType::I16;
  if (code == "i1") return DType::I8;
  if (code == "u1") return DType::U8;
  if (code == "u2") return DType::U16;
  if (code == "u4") return DType::U32;
  if (code == "u8") return DType::U64;
  if (code == "b1") return DType::Bool;
  return std::nullopt;
}

const char* descr_of(DType t) {
  switch (t) {
    case DType::F32: return "<f4";
    case DType::F64: return "<f8";
    case DType::F16: return "<f2";
    case DType::I64: return "<i8";
    case DType::I32: return "<i4";
    case DType::I16: return "<i2";
    case DType::I8: return "|i1";
    case DType::U8: return "|u1";
    case DType::U16: return "<u2";
    case DType::U32: return "<u4";
    case DType::U64: return "<u8";
    case DType::Bool: return "|b1";
  }
  return "?";
}

}  // namespace

Result<Tensor> parse_npy(const std::string& bytes, const std::string& label) {
  static const char kMagic[] = "\x93NUMPY";
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0) {
    return npy_error(label, "bad magic (not a .npy file)");
  }
  uint8_t major = static_cast<uint8_t>(bytes[6]);
  uint64_t header_len, header_start;
  if (major == 1) {
    header_len = static_cast<uint8_t>(bytes[8]) | (static_cast<uint64_t>(static_cast<uint8_t>(bytes[9])) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return npy_error(label, "truncated header");
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[8 + i])) << (8 * i);
    header_start = 12;
  } else {
    return npy_error(label, "unsupported format version " + expected_got("1, 2 or 3", std::to_string(major)));
  }
  if (header_start + header_len > bytes.size()) return npy_error(label, "truncated header");
  std::string header = bytes.substr(header_start, header_len);
  auto descr = dict_value(header, "descr");
  auto fortran = dict_value(header, "fortran_order");
  auto shape_text = dict_value(header, "shape");
  if (!descr || !fortran || !shape_text) return npy_error(label, "header lacks descr, fortran_order or shape");
  if (fortran->find("True") != std::string::npos) return npy_error(label, "Fortran order is not supported");
  auto dtype = dtype_from_descr(*descr);
  if (!dtype) return npy_error(label, "unsupported dtype '" + *descr + "'");
  Shape shape;
  std::string s = *shape_text;
  if (s.size() < 2 || s.front() != '(' || s.back() != ')') return npy_error(label, "malformed shape '" + s + "'");
  size_t i = 1;
  while (i < s.size() - 1) {
    while (i < s.size() - 1 && (s[i] == ' ' || s[i] == ',')) ++i;
    if (i >= s.size() - 1) break;
    if (s[i] < '0' || s[i] > '9') return npy_error(label, "malformed shape '" + s + "'");
    int64_t d = 0;
    while (i < s.size() - 1 && s[i] >= '0' && s[i] <= '9') {
      if (d > (int64_t{1} << 40)) return npy_error(label, "dimension too large in shape '" + s + "'");
      d = d * 10 + (s[i] - '0');
      ++i;
    }
    shape.push_back(d);
    if (shape.size() > 16) return npy_error(label, "too many dimensions");
  }
  auto n = checked_numel(shape);
  if (!n) return npy_error(label, "shape " + shape_to_string(shape) + " overflows");
  uint64_t payload = bytes.size() - header_start - header_len;
  uint64_t want = static_cast<uint64_t>(*n) * dtype_size(*dtype);
  if (payload != want) {
    return npy_error(label, "payload size does not match shape " + shape_to_string(shape) + " " +
                                expected_got(std::to_string(want) + " bytes", std::to_string(payload)));
  }
  DS_TRY(Tensor t, Tensor::create(*dtype, shape));
  if (want) std::memcpy(t.raw(), bytes.data() + header_start + header_len, want);
  return t;
}

Result<Tensor> read_npy(const std::string& path) {
  DS_TRY(std::string bytes, read_file(path));
  return parse_npy(bytes, path);
}

Status write_npy(const std::string& path, const TensorView& t) {
  std::string shape = "(";
  for (size_t i = 0; i < t.shape.size(); ++i) shape += std::to_string(t.shape[i]) + (t.shape.size() == 1 ? "," : (i + 1 < t.shape.size() ? ", " : ""));
  shape += ")";
  std::string header = std::string("{'descr': '") + descr_of(t.dtype) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  size_t pad = (64 - total % 64) % 64;
  header += std::string(pad, ' ') + "\n";
  std::string out = "\x93NUMPY";
  out += static_cast<char>(1);
  out += static_cast<char>(0);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  out.append(static_cast<const char*>(t.data), t.bytes());
  return write_file_atomic(path, out);
}

}  // namespace deepshark
