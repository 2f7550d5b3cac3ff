// The graph blob of a .dsk file: a deepshark::Graph serialised to bytes and back.
//
// Weights live in pieces, not in the blob: the caller says which values are "piece-backed" and
// those are written with their dtype and shape but no data. Every other constant (small shape
// tensors, scalars) is inlined. Ops and dtypes are stored by NAME, so the op list may grow
// without breaking old files. The byte layout is in docs/file-format.md ("Graph blob").
//
//   DS_TRY(std::string blob, ds::format::encode_graph(g, [&](ValueId id, const Value& v) {
//     return v.is_constant() && v.constant->bytes() >= 1024; }));
//   DS_TRY(ds::format::DecodedGraph d, ds::format::decode_graph(blob, "model.dsk"));
//   // d.graph.value(d.piece_backed[0]) has dtype and shape but no constant data.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "graph/graph.h"

namespace deepshark::format {

// True for values whose data is stored in pieces. Consulted for EVERY value (not only those that
// still hold constant data), so a packer may drop weight data once a piece is written.
using PieceBackedFn = std::function<bool(ValueId, const Value&)>;

struct DecodedGraph {
  Graph graph;
  // Piece-backed value ids, ascending. Those values have shape_known == true, no constant data.
  std::vector<ValueId> piece_backed;
  bool is_piece_backed(ValueId id) const;
};

// Limits the decoder enforces (and the encoder refuses to exceed).
inline constexpr uint64_t kMaxNameBytes = uint64_t{1} << 16;    // value, node, graph, attribute names
inline constexpr uint64_t kMaxStringAttrBytes = uint64_t{1} << 24;
inline constexpr uint32_t kMaxRank = 64;

// Serialises g. InvalidArgument when a piece-backed value has no static shape, a name or a rank
// exceeds the limits above, or a count does not fit in 32 bits.
Result<std::string> encode_graph(const Graph& g, const PieceBackedFn& piece_backed);

// Parses and validates a blob; `file` names it in errors. Corruption when the bytes are
// structurally broken (truncated, counts that cannot fit, trailing bytes, bad flags);
// Unsupported for an op or dtype name this build does not know; InvalidModel when the decoded
// graph is inconsistent (value ids out of range, inline data size != dtype size * numel, shape
// overflow, Graph::verify() failure with piece-backed values treated as available).
Result<DecodedGraph> decode_graph(std::string_view blob, const std::string& file);

}  // namespace deepshark::format
