// infer_node's dispatch (one switch generated from the op list), the per-node context, and the
// shared helpers (broadcasting, constant reads). The op rules live in shape_<family>.cc.
#include "graph/shape_inference.h"

#include <algorithm>
#include <cmath>

#include "graph/shape_rules.h"

namespace deepshark {

namespace shape_rules {

std::string ints_to_string(const std::vector<int64_t>& v) { return shape_to_string(v); }

std::string ShapeCtx::label() const { return n.name.empty() ? std::string(op_name(n.op)) : n.name; }

Status ShapeCtx::invalid(const std::string& reason) const {
  return make_error(ErrorCode::InvalidModel, "infer", "shape of node", label(), reason);
}

Status ShapeCtx::unsupported(const std::string& reason) const {
  return make_error(ErrorCode::Unsupported, "infer", "shape of node", label(), reason);
}

Status ShapeCtx::require_inputs(size_t min, size_t max) const {
  size_t k = n.inputs.size();
  // Trailing absent optional inputs do not count.
  while (k > 0 && n.inputs[k - 1] == kNoValue) --k;
  if (k < min || k > max) {
    std::string want = min == max ? std::to_string(min) : std::to_string(min) + ".." + std::to_string(max);
    return invalid(std::string(op_name(n.op)) + " takes " + want + " inputs " +
                   expected_got(want, std::to_string(k)));
  }
  for (size_t i = 0; i < min; ++i) {
    if (n.inputs[i] == kNoValue) return invalid("required input " + std::to_string(i) + " is absent");
  }
  for (ValueId id : n.inputs) {
    if (id != kNoValue && (id < 0 || static_cast<size_t>(id) >= g.values.size())) {
      return invalid("input id out of range");
    }
  }
  return Status::ok_status();
}

Status ShapeCtx::require_outputs(size_t min, size_t max) const {
  size_t k = n.outputs.size();
  if (k < min || k > max) {
    std::string want = min == max ? std::to_string(min) : std::to_string(min) + ".." + std::to_string(max);
    return invalid(std::string(op_name(n.op)) + " has " + want + " outputs " +
                   expected_got(want, std::to_string(k)));
  }
  if (k > 0 && n.outputs[0] == kNoValue) return invalid("output 0 is absent");
  for (ValueId id : n.outputs) {
    if (id != kNoValue && (id < 0 || static_cast<size_t>(id) >= g.values.size())) {
      return invalid("output id out of range");
    }
  }
  return Status::ok_status();
}

std::string ShapeCtx::input_name(size_t i) const {
  ValueId id = n.input(i);
  if (id == kNoValue || id < 0 || static_cast<size_t>(id) >= g.values.size()) return "?";
  return g.values[static_cast<size_t>(id)].name;
}

Result<const Value*> ShapeCtx::in(size_t i) const {
  ValueId id = n.input(i);
  if (id == kNoValue) return invalid("required input " + std::to_string(i) + " is absent");
  if (id < 0 || static_cast<size_t>(id) >= g.values.size()) return invalid("input id out of range");
  const Value& v = g.values[static_cast<size_t>(id)];
  if (!v.shape_known) return invalid("input '" + v.name + "' has no known shape");
  // Shapes reach here from importers and callers: check them once more before arithmetic.
  bool dims_ok = v.shape.size() <= kMaxRank && checked_numel(v.shape).has_value();
  for (int64_t d : v.shape) dims_ok = dims_ok && d <= kMaxDim;
  if (!dims_ok) return invalid("input '" + v.name + "' has an invalid shape " + shape_to_string(v.shape));
  return &v;
}

Status ShapeCtx::set(size_t out, DType dtype, const Shape& shape) const {
  if (out >= n.outputs.size() || n.outputs[out] == kNoValue) return Status::ok_status();
  ValueId id = n.outputs[out];
  if (id < 0 || static_cast<size_t>(id) >= g.values.size()) return invalid("output id out of range");
  if (shape.size() > kMaxRank) {
    return invalid("output rank too large " + expected_got("<= " + std::to_string(kMaxRank),
                                                            std::to_string(shape.size())));
  }
  for (int64_t d : shape) {
    if (d < 0 || d > kMaxDim) return invalid("output shape " + shape_to_string(shape) + " has an invalid dimension");
  }
  if (!checked_numel(shape)) {
    return invalid("output shape " + shape_to_string(shape) + " has too many elements " +
                   expected_got("<= 2^40", "overflow"));
  }
  Value& v = g.values[static_cast<size_t>(id)];
  v.dtype = dtype;
  v.shape = shape;
  v.shape_known = true;
  return Status::ok_status();
}

namespace {
Status not_constant(const ShapeCtx& c, size_t i) {
  return c.unsupported("input '" + c.input_name(i) + "' must be a constant (data-dependent shapes are not supported)");
}
}  // namespace

Result<std::vector<int64_t>> ShapeCtx::ints(size_t i) const {
  DS_TRY(const Value* v, in(i));
  if (!v->is_constant()) return not_constant(*this, i);
  auto r = constant_ints(g, n.input(i));
  if (!r) {
    return invalid("input '" + v->name + "' must hold integers " + expected_got("I64 or I32", dtype_name(v->dtype)));
  }
  return std::move(*r);
}

Result<std::vector<double>> ShapeCtx::floats(size_t i) const {
  DS_TRY(const Value* v, in(i));
  if (!v->is_constant()) return not_constant(*this, i);
  const Tensor& t = *v->constant;
  std::vector<double> r(static_cast<size_t>(t.numel()));
  for (size_t k = 0; k < r.size(); ++k) {
    switch (t.dtype()) {
      case DType::F32: r[k] = t.data<float>()[k]; break;
      case DType::F64: r[k] = t.data<double>()[k]; break;
      case DType::I64: r[k] = static_cast<double>(t.data<int64_t>()[k]); break;
      case DType::I32: r[k] = t.data<int32_t>()[k]; break;
      default:
        return invalid("input '" + v->name + "' must hold numbers " +
                       expected_got("F32, F64, I64 or I32", dtype_name(t.dtype())));
    }
  }
  return r;
}

bool ShapeCtx::has_nonempty(size_t i) const {
  ValueId id = n.input(i);
  if (id == kNoValue || id < 0 || static_cast<size_t>(id) >= g.values.size()) return false;
  const Value& v = g.values[static_cast<size_t>(id)];
  if (v.is_constant()) return v.constant->numel() > 0;
  if (v.shape_known) return checked_numel(v.shape).value_or(1) > 0;
  return true;
}

Result<int64_t> ShapeCtx::axis(int64_t a, int64_t rank, const std::string& what) const {
  if (a < -rank || a >= rank) {
    return invalid(what + " out of range " +
                   expected_got("[" + std::to_string(-rank) + ", " + std::to_string(rank - 1) + "]",
                                std::to_string(a)));
  }
  return a < 0 ? a + rank : a;
}

Result<std::vector<int64_t>> ShapeCtx::axes(const std::vector<int64_t>& list, int64_t rank) const {
  std::vector<int64_t> r;
  r.reserve(list.size());
  for (int64_t a : list) {
    DS_TRY(int64_t x, axis(a, rank, "axis"));
    if (std::find(r.begin(), r.end(), x) != r.end()) {
      return invalid("axis " + std::to_string(a) + " is repeated in " + ints_to_string(list));
    }
    r.push_back(x);
  }
  return r;
}

Result<std::vector<int64_t>> ShapeCtx::ints_attr(const std::string& name, size_t count, int64_t def,
                                                 int64_t min) const {
  const Attribute* a = n.attrs.find(name);
  if (!a) return std::vector<int64_t>(count, def);
  if (a->kind != AttrKind::Ints) return invalid("attribute '" + name + "' must be a list of ints");
  if (a->ints.size() != count) {
    return invalid("attribute '" + name + "' " + ints_to_string(a->ints) + " has the wrong length " +
                   expected_got(std::to_string(count), std::to_string(a->ints.size())));
  }
  for (int64_t v : a->ints) {
    if (v < min || v > kMaxDim) {
      return invalid("attribute '" + name + "' " + ints_to_string(a->ints) + " is out of range " +
                     expected_got("values >= " + std::to_string(min), std::to_string(v)));
    }
  }
  return a->ints;
}

}  // namespace shape_rules

Status infer_node(Graph& graph, const Node& node) {
  shape_rules::ShapeCtx c(graph, node);
  switch (node.op) {
#define DS_X(name)     \
  case OpType::name: \
    return shape_rules::infer_##name(c);
    DS_OPS(DS_X)
#undef DS_X
  }
  return c.unsupported("unknown op type");
}

Result<Shape> broadcast_shapes(const Shape& a, const Shape& b) {
  size_t r = std::max(a.size(), b.size());
  Shape out(r, 1);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da == db || db == 1) out[i] = da;
    else if (da == 1) out[i] = db;
    else {
      return Status(ErrorCode::InvalidModel, "shapes " + shape_to_string(a) + " and " + shape_to_string(b) +
                                                 " do not broadcast " +
                                                 expected_got("equal dims or 1 at dim " + std::to_string(i),
                                                              std::to_string(da) + " vs " + std::to_string(db)));
    }
  }
  return out;
}

std::optional<std::vector<int64_t>> constant_ints(const Graph& graph, ValueId id) {
  if (id < 0 || static_cast<size_t>(id) >= graph.values.size()) return std::nullopt;
  const Value& v = graph.values[static_cast<size_t>(id)];
  if (!v.is_constant()) return std::nullopt;
  const Tensor& t = *v.constant;
  if (!t.has_data() && t.numel() > 0) return std::nullopt;  // a packed file's piece-backed value
  std::vector<int64_t> r(static_cast<size_t>(t.numel()));
  if (t.dtype() == DType::I64) {
    for (size_t k = 0; k < r.size(); ++k) r[k] = t.data<int64_t>()[k];
  } else if (t.dtype() == DType::I32) {
    for (size_t k = 0; k < r.size(); ++k) r[k] = t.data<int32_t>()[k];
  } else {
    return std::nullopt;
  }
  return r;
}

Result<Tensor> constant_node_value(const Node& node) {
  auto fail = [&](const std::string& reason) {
    return make_error(ErrorCode::InvalidModel, "infer", "shape of node",
                      node.name.empty() ? std::string(op_name(node.op)) : node.name, reason);
  };
  if (node.op != OpType::Constant) return fail("not a Constant node");
  const Attributes& at = node.attrs;
  if (const Tensor* t = at.get_tensor("value")) {
    if (!checked_numel(t->shape()) || !t->defined()) return fail("constant value has an invalid shape or no data");
    return *t;
  }
  if (const Attribute* a = at.find("value_float"); a && (a->kind == AttrKind::Float || a->kind == AttrKind::Int)) {
    return Tensor::from_values<float>({}, {at.get_float("value_float", 0.f)});
  }
  if (const Attribute* a = at.find("value_int"); a && (a->kind == AttrKind::Int || a->kind == AttrKind::Float)) {
    return Tensor::from_values<int64_t>({}, {at.get_int("value_int", 0)});
  }
  if (const Attribute* a = at.find("value_floats"); a && a->kind == AttrKind::Floats) {
    return Tensor::from_values<float>({static_cast<int64_t>(a->floats.size())}, a->floats);
  }
  if (const Attribute* a = at.find("value_ints"); a && a->kind == AttrKind::Ints) {
    return Tensor::from_values<int64_t>({static_cast<int64_t>(a->ints.size())}, a->ints);
  }
  return fail("Constant needs one of the attributes value, value_float(s), value_int(s)");
}

}  // namespace deepshark
