#include "unit/import_tf/tf_test_support.h"

#include <zlib.h>

#include <cstring>

namespace deepshark::testing {

std::vector<uint8_t> read_idx_gz(const std::string& path, int magic, std::vector<int>* dims) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return {};
  std::vector<uint8_t> all;
  uint8_t buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) all.insert(all.end(), buf, buf + n);
  gzclose(f);
  auto be32 = [&](size_t off) {
    return static_cast<int>((uint32_t{all[off]} << 24) | (uint32_t{all[off + 1]} << 16) | (uint32_t{all[off + 2]} << 8) | all[off + 3]);
  };
  if (all.size() < 8 || be32(0) != magic) return {};
  const int rank = magic & 0xff;
  size_t off = 4;
  dims->clear();
  size_t count = 1;
  for (int i = 0; i < rank; ++i, off += 4) {
    dims->push_back(be32(off));
    count *= static_cast<size_t>(dims->back());
  }
  if (all.size() != off + count) return {};
  return std::vector<uint8_t>(all.begin() + static_cast<long>(off), all.end());
}

std::vector<NamedTensor> run_graph(Graph g, const std::map<std::string, Shape>& shapes, const std::vector<NamedTensor>& inputs,
                                   bool use_dnnl) {
  SessionOptions o;
  o.input_shapes = shapes;
  o.use_dnnl = use_dnnl;
  auto s = Session::create(std::move(g), o);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  if (!s.ok()) return {};
  auto out = (*s)->run(inputs);
  EXPECT_TRUE(out.ok()) << out.status().to_string();
  if (!out.ok()) return {};
  return std::move(out).value();
}

tf::NodeDef* add_node(tf::GraphDef& g, const std::string& name, const std::string& op, const std::vector<std::string>& inputs) {
  tf::NodeDef* n = g.add_node();
  n->set_name(name);
  n->set_op(op);
  for (const auto& i : inputs) n->add_input(i);
  return n;
}

static void set_shape(tf::TensorProto& t, const Shape& shape) {
  for (int64_t d : shape) t.mutable_tensor_shape()->add_dim()->set_size(d);
}

tf::TensorProto float_tensor(const Shape& shape, const std::vector<float>& v) {
  tf::TensorProto t;
  t.set_dtype(tf::DT_FLOAT);
  set_shape(t, shape);
  t.set_tensor_content(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
  return t;
}

tf::TensorProto int_tensor(const Shape& shape, const std::vector<int32_t>& v) {
  tf::TensorProto t;
  t.set_dtype(tf::DT_INT32);
  set_shape(t, shape);
  for (int32_t x : v) t.add_int_val(x);
  return t;
}

void add_const(tf::GraphDef& g, const std::string& name, const tf::TensorProto& t) {
  tf::NodeDef* n = add_node(g, name, "Const", {});
  (*n->mutable_attr())["dtype"].set_type(t.dtype());
  *(*n->mutable_attr())["value"].mutable_tensor() = t;
}

void set_ints(tf::NodeDef* n, const std::string& attr, const std::vector<int64_t>& v) {
  auto* l = (*n->mutable_attr())[attr].mutable_list();
  for (int64_t x : v) l->add_i(x);
}

void set_string(tf::NodeDef* n, const std::string& attr, const std::string& v) { (*n->mutable_attr())[attr].set_s(v); }

std::string serialize(const tf::GraphDef& g) {
  std::string s;
  g.SerializeToString(&s);
  return s;
}

}  // namespace deepshark::testing
