// Helpers for the TensorFlow importer tests: IDX (gzip) readers for MNIST, running a graph through
// a session, and building small GraphDefs in memory.
#pragma once

#include <string>
#include <vector>

#include "deepshark/deepshark.h"
#include "import/tf/tf_graph.pb.h"
#include "support/test_support.h"

namespace deepshark::testing {

// Gzip IDX files (images magic 2051, labels 2049). Empty on failure (the test then fails).
std::vector<uint8_t> read_idx_gz(const std::string& path, int magic, std::vector<int>* dims);

// Imports nothing: prepares `g` for `shapes` and runs `inputs`, failing the test on error.
std::vector<NamedTensor> run_graph(Graph g, const std::map<std::string, Shape>& shapes, const std::vector<NamedTensor>& inputs,
                                   bool use_dnnl = true);

// GraphDef building.
tf::NodeDef* add_node(tf::GraphDef& g, const std::string& name, const std::string& op, const std::vector<std::string>& inputs);
tf::TensorProto float_tensor(const Shape& shape, const std::vector<float>& v);
tf::TensorProto int_tensor(const Shape& shape, const std::vector<int32_t>& v);
void add_const(tf::GraphDef& g, const std::string& name, const tf::TensorProto& t);
void set_ints(tf::NodeDef* n, const std::string& attr, const std::vector<int64_t>& v);
void set_string(tf::NodeDef* n, const std::string& attr, const std::string& v);
std::string serialize(const tf::GraphDef& g);

}  // namespace deepshark::testing
