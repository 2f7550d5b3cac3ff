// Node attributes: a small typed map with ONNX attribute names and kinds.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/tensor.h"

namespace deepshark {

enum class AttrKind : uint8_t { Int, Float, String, Ints, Floats, Tensor };

struct Attribute {
  AttrKind kind = AttrKind::Int;
  int64_t i = 0;
  float f = 0.f;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  Tensor t;
};

class Attributes {
 public:
  bool has(const std::string& name) const { return map_.count(name) != 0; }
  const Attribute* find(const std::string& name) const;

  // Getters return `def` when the attribute is absent. An Int read as Float (and the reverse)
  // converts; any other kind mismatch also returns `def` — shape inference validates the
  // attributes each op relies on, so a mismatch is reported there, not here.
  int64_t get_int(const std::string& name, int64_t def) const;
  float get_float(const std::string& name, float def) const;
  std::string get_string(const std::string& name, const std::string& def) const;
  std::vector<int64_t> get_ints(const std::string& name, std::vector<int64_t> def = {}) const;
  std::vector<float> get_floats(const std::string& name, std::vector<float> def = {}) const;
  const Tensor* get_tensor(const std::string& name) const;

  void set_int(const std::string& name, int64_t v);
  void set_float(const std::string& name, float v);
  void set_string(const std::string& name, std::string v);
  void set_ints(const std::string& name, std::vector<int64_t> v);
  void set_floats(const std::string& name, std::vector<float> v);
  void set_tensor(const std::string& name, Tensor t);
  void erase(const std::string& name) { map_.erase(name); }

  const std::map<std::string, Attribute>& all() const { return map_; }

 private:
  std::map<std::string, Attribute> map_;
};

}  // namespace deepshark
