// Converter: value bookkeeping, layout conversion at the NHWC boundary, attribute access.
#include "import/tf/tf_context.h"

#include <cstring>

namespace deepshark::tf_import {

namespace {
const std::vector<int64_t> kToNchw = {0, 3, 1, 2};
const std::vector<int64_t> kToNhwc = {0, 2, 3, 1};

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return false;
  }
  return true;
}
}  // namespace

int64_t nhwc_to_nchw_axis(int64_t axis) {
  static const int64_t map[4] = {0, 2, 3, 1};
  return map[axis];
}

std::string canonical_input(const std::string& s) {
  if (s.empty() || s[0] == '^') return "";
  size_t colon = s.rfind(':');
  if (colon != std::string::npos && all_digits(s.substr(colon + 1))) return s;
  return s + ":0";
}

std::string input_node_name(const std::string& s) {
  std::string t = (!s.empty() && s[0] == '^') ? s.substr(1) : s;
  size_t colon = t.rfind(':');
  if (colon != std::string::npos && all_digits(t.substr(colon + 1))) return t.substr(0, colon);
  return t;
}

Tensor permute_tensor(const Tensor& t, const std::vector<int64_t>& perm) {
  const Shape& in = t.shape();
  const size_t r = in.size();
  DS_CHECK(perm.size() == r);
  Shape out(r);
  for (size_t i = 0; i < r; ++i) out[i] = in[static_cast<size_t>(perm[i])];
  Result<Tensor> res = Tensor::create(t.dtype(), out);
  DS_CHECK(res.ok());
  Tensor o = std::move(res).value();
  const uint64_t es = dtype_size(t.dtype());
  const std::vector<int64_t> in_strides = row_major_strides(in);
  std::vector<int64_t> idx(r, 0);
  const int64_t n = t.numel();
  const std::byte* src = t.raw();
  std::byte* dst = o.raw();
  for (int64_t k = 0; k < n; ++k) {
    int64_t off = 0;
    for (size_t i = 0; i < r; ++i) off += idx[i] * in_strides[static_cast<size_t>(perm[i])];
    std::memcpy(dst + static_cast<uint64_t>(k) * es, src + static_cast<uint64_t>(off) * es, es);
    for (size_t i = r; i-- > 0;) {
      if (++idx[i] < out[i]) break;
      idx[i] = 0;
    }
  }
  return o;
}

Status Converter::invalid(const std::string& reason) const {
  return make_error(ErrorCode::InvalidModel, "import", "node", node->name(), reason);
}
Status Converter::unsupported(const std::string& reason) const {
  return make_error(ErrorCode::Unsupported, "import", "node", node->name(), reason);
}

void Converter::begin_node(const tf::NodeDef& n) {
  node = &n;
  data_inputs_.clear();
  for (const std::string& s : n.input()) {
    std::string c = canonical_input(s);
    if (!c.empty()) data_inputs_.push_back(std::move(c));
  }
}

Status Converter::require_inputs(size_t min, size_t max) const {
  size_t n = data_inputs_.size();
  if (n < min || n > max) {
    std::string want = min == max ? std::to_string(min) : std::to_string(min) + ".." + std::to_string(max);
    return invalid(node->op() + " has the wrong number of inputs " + expected_got(want, std::to_string(n)));
  }
  return Status::ok_status();
}

const TfValue* Converter::find(const std::string& tensor) const {
  auto it = values_.find(tensor);
  return it == values_.end() ? nullptr : &it->second;
}

Result<TfValue> Converter::input(size_t i, bool allow_pending) const {
  if (i >= data_inputs_.size()) return invalid("input " + std::to_string(i) + " is missing");
  const TfValue* v = find(data_inputs_[i]);
  if (!v) {
    return invalid("input '" + data_inputs_[i] + "' is not an output the importer produces for node '" +
                   input_node_name(data_inputs_[i]) + "'");
  }
  if (v->pending != Pending::None && !allow_pending) {
    if (v->pending == Pending::SpaceToBatch) {
      return unsupported("input '" + data_inputs_[i] +
                         "' comes from SpaceToBatchND, which is supported only as the input of a convolution (dilated convolution)");
    }
    if (v->pending == Pending::Rewritten) {
      return unsupported("input '" + data_inputs_[i] + "' is a dilated convolution already taken by another BatchToSpaceND");
    }
    return unsupported("input '" + data_inputs_[i] +
                       "' is a convolution in the SpaceToBatchND domain, supported only as the input of BatchToSpaceND");
  }
  return *v;
}

Result<ValueId> Converter::native(size_t i) {
  DS_TRY(TfValue v, input(i));
  return to_native(v);
}

ValueId Converter::to_native(const TfValue& v) {
  if (v.layout == Layout::Native) return v.id;
  auto it = to_native_.find(v.id);
  if (it != to_native_.end()) return it->second;
  ValueId out;
  const Value& val = g.value(v.id);
  if (val.is_constant()) {
    Tensor t = permute_tensor(*val.constant, kToNhwc);
    out = g.add_constant(name_for(v.tf_name, v.tf_name), std::move(t));
    in_graph_.insert(g.value(out).name);
  } else {
    std::string name = name_for(v.tf_name, v.tf_name);
    out = g.add_value(name);
    in_graph_.insert(name);
    Node& n = g.add_node(OpType::Transpose, name, {v.id}, {out});
    n.attrs.set_ints("perm", kToNhwc);
  }
  to_native_[v.id] = out;
  return out;
}

Result<ValueId> Converter::nchw(size_t i) {
  DS_TRY(TfValue v, input(i));
  return to_nchw(v);
}

Result<ValueId> Converter::to_nchw(const TfValue& v) {
  if (v.layout == Layout::Nchw) return v.id;
  auto it = to_nchw_.find(v.id);
  if (it != to_nchw_.end()) return it->second;
  const Value& val = g.value(v.id);
  ValueId out;
  std::string name = unique_name(v.tf_name + "/nchw");
  if (val.is_constant()) {
    if (val.constant->shape().size() != 4) {
      return invalid("input '" + v.tf_name + "' must be 4-D " + expected_got("rank 4", shape_to_string(val.constant->shape())));
    }
    out = g.add_constant(name, permute_tensor(*val.constant, kToNchw));
  } else {
    out = g.add_value(name);
    Node& n = g.add_node(OpType::Transpose, name, {v.id}, {out});
    n.attrs.set_ints("perm", kToNchw);
  }
  in_graph_.insert(name);
  to_nchw_[v.id] = out;
  return out;
}

Result<Tensor> Converter::constant(size_t i) const {
  DS_TRY(TfValue v, input(i));
  const Value& val = g.value(v.id);
  if (!val.is_constant()) {
    return unsupported("input '" + data_inputs_[i] + "' must be a constant at import time (a Const node)");
  }
  if (v.layout == Layout::Nchw) return permute_tensor(*val.constant, kToNhwc);
  return *val.constant;
}

Result<std::vector<int64_t>> Converter::const_ints(size_t i) const {
  DS_TRY(Tensor t, constant(i));
  std::vector<int64_t> r;
  const int64_t n = t.numel();
  if (t.dtype() == DType::I32) {
    for (int64_t k = 0; k < n; ++k) r.push_back(t.data<int32_t>()[k]);
  } else if (t.dtype() == DType::I64) {
    for (int64_t k = 0; k < n; ++k) r.push_back(t.data<int64_t>()[k]);
  } else {
    return invalid("input '" + data_inputs_[i] + "' must be int32 or int64 " + expected_got("I32 or I64", dtype_name(t.dtype())));
  }
  return r;
}

std::string Converter::name_for(const std::string& want, const std::string& owner) {
  if (!in_graph_.count(want) && (want == owner || !reserved_.count(want))) return want;
  for (size_t k = 1;; ++k) {
    std::string c = want + "/" + std::to_string(k);
    if (!in_graph_.count(c) && !reserved_.count(c)) return c;
  }
}

std::string Converter::unique_name(const std::string& want) { return name_for(want, ""); }

std::string Converter::claim_name(const std::string& want) {
  std::string n = name_for(want, want);
  in_graph_.insert(n);
  return n;
}

void Converter::rename(ValueId id, const std::string& name) {
  in_graph_.erase(g.value(id).name);
  g.value(id).name = name;
  in_graph_.insert(name);
}

ValueId Converter::emit(OpType op, std::vector<ValueId> inputs, Attributes attrs, const std::string& suffix) {
  std::string name = suffix.empty() ? name_for(node->name(), node->name()) : unique_name(node->name() + "/" + suffix);
  ValueId out = g.add_value(name);
  in_graph_.insert(name);
  Node& n = g.add_node(op, name, std::move(inputs), {out});
  n.attrs = std::move(attrs);
  return out;
}

ValueId Converter::add_constant(const std::string& suffix, Tensor t) {
  std::string name = unique_name(node->name() + "/" + suffix);
  in_graph_.insert(name);
  return g.add_constant(name, std::move(t));
}

ValueId Converter::own_value(DType dtype, Shape shape, bool known) {
  std::string name = name_for(node->name(), node->name());
  in_graph_.insert(name);
  return g.add_value(name, dtype, std::move(shape), known);
}

ValueId Converter::own_constant(Tensor t) {
  std::string name = name_for(node->name(), node->name());
  in_graph_.insert(name);
  return g.add_constant(name, std::move(t));
}

ValueId Converter::i64_constant(const std::string& suffix, const std::vector<int64_t>& v) {
  return add_constant(suffix, Tensor::from_values<int64_t>({static_cast<int64_t>(v.size())}, v));
}

Status Converter::set_output(ValueId id, Layout layout, size_t k) {
  TfValue v;
  v.id = id;
  v.layout = layout;
  return set_output(std::move(v), k);
}

Status Converter::set_output(TfValue v, size_t k) {
  v.tf_name = k == 0 ? node->name() : node->name() + ":" + std::to_string(k);
  // The TF name is kept for the value in TF order: an NCHW value takes "<name>/nchw".
  if (v.layout == Layout::Nchw && g.value(v.id).name == node->name()) rename(v.id, unique_name(node->name() + "/nchw"));
  values_[node->name() + ":" + std::to_string(k)] = std::move(v);
  return Status::ok_status();
}

const tf::AttrValue* Converter::attr(const std::string& name) const {
  auto it = node->attr().find(name);
  return it == node->attr().end() ? nullptr : &it->second;
}

namespace {
Status attr_kind_error(const Converter& c, const std::string& name, const char* want) {
  return c.invalid(std::string("attribute '") + name + "' must be " + want);
}
}  // namespace

Result<std::string> Converter::attr_string(const std::string& name, const std::string& def) const {
  const tf::AttrValue* a = attr(name);
  if (!a) return def;
  if (a->value_case() != tf::AttrValue::kS) return attr_kind_error(*this, name, "a string");
  return a->s();
}

Result<int64_t> Converter::attr_int(const std::string& name, int64_t def) const {
  const tf::AttrValue* a = attr(name);
  if (!a) return def;
  if (a->value_case() != tf::AttrValue::kI) return attr_kind_error(*this, name, "an int");
  return a->i();
}

Result<float> Converter::attr_float(const std::string& name, float def) const {
  const tf::AttrValue* a = attr(name);
  if (!a) return def;
  if (a->value_case() != tf::AttrValue::kF) return attr_kind_error(*this, name, "a float");
  return a->f();
}

Result<bool> Converter::attr_bool(const std::string& name, bool def) const {
  const tf::AttrValue* a = attr(name);
  if (!a) return def;
  if (a->value_case() != tf::AttrValue::kB) return attr_kind_error(*this, name, "a bool");
  return a->b();
}

Result<std::vector<int64_t>> Converter::attr_ints(const std::string& name, std::vector<int64_t> def) const {
  const tf::AttrValue* a = attr(name);
  if (!a) return def;
  if (a->value_case() != tf::AttrValue::kList) return attr_kind_error(*this, name, "a list of ints");
  return std::vector<int64_t>(a->list().i().begin(), a->list().i().end());
}

Result<bool> Converter::nhwc_format() const {
  DS_TRY(std::string f, attr_string("data_format", "NHWC"));
  if (f == "NHWC") return true;
  if (f == "NCHW") return false;
  return unsupported("unsupported data_format " + expected_got("NHWC or NCHW", f));
}

}  // namespace deepshark::tf_import
