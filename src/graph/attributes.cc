#include "graph/attributes.h"

namespace deepshark {

const Attribute* Attributes::find(const std::string& name) const {
  auto it = map_.find(name);
  return it == map_.end() ? nullptr : &it->second;
}

int64_t Attributes::get_int(const std::string& name, int64_t def) const {
  const Attribute* a = find(name);
  if (!a) return def;
  if (a->kind == AttrKind::Int) return a->i;
  if (a->kind == AttrKind::Float) return static_cast<int64_t>(a->f);
  return def;
}

float Attributes::get_float(const std::string& name, float def) const {
  const Attribute* a = find(name);
  if (!a) return def;
  if (a->kind == AttrKind::Float) return a->f;
  if (a->kind == AttrKind::Int) return static_cast<float>(a->i);
  return def;
}

std::string Attributes::get_string(const std::string& name, const std::string& def) const {
  const Attribute* a = find(name);
  return a && a->kind == AttrKind::String ? a->s : def;
}

std::vector<int64_t> Attributes::get_ints(const std::string& name, std::vector<int64_t> def) const {
  const Attribute* a = find(name);
  return a && a->kind == AttrKind::Ints ? a->ints : def;
}

std::vector<float> Attributes::get_floats(const std::string& name, std::vector<float> def) const {
  const Attribute* a = find(name);
  return a && a->kind == AttrKind::Floats ? a->floats : def;
}

const Tensor* Attributes::get_tensor(const std::string& name) const {
  const Attribute* a = find(name);
  return a && a->kind == AttrKind::Tensor ? &a->t : nullptr;
}

void Attributes::set_int(const std::string& name, int64_t v) {
  Attribute a; a.kind = AttrKind::Int; a.i = v; map_[name] = std::move(a);
}
void Attributes::set_float(const std::string& name, float v) {
  Attribute a; a.kind = AttrKind::Float; a.f = v; map_[name] = std::move(a);
}
void Attributes::set_string(const std::string& name, std::string v) {
  Attribute a; a.kind = AttrKind::String; a.s = std::move(v); map_[name] = std::move(a);
}
void Attributes::set_ints(const std::string& name, std::vector<int64_t> v) {
  Attribute a; a.kind = AttrKind::Ints; a.ints = std::move(v); map_[name] = std::move(a);
}
void Attributes::set_floats(const std::string& name, std::vector<float> v) {
  Attribute a; a.kind = AttrKind::Floats; a.floats = std::move(v); map_[name] = std::move(a);
}
void Attributes::set_tensor(const std::string& name, Tensor t) {
  Attribute a; a.kind = AttrKind::Tensor; a.t = std::move(t); map_[name] = std::move(a);
}

}  // namespace deepshark
