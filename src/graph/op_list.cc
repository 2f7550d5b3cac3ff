#include "graph/op_list.h"

namespace deepshark {

const char* op_name(OpType op) {
  switch (op) {
#define DS_X(name)     \
  case OpType::name: \
    return #name;
    DS_OPS(DS_X)
#undef DS_X
  }
  return "?";
}

std::optional<OpType> op_from_name(std::string_view n) {
#define DS_X(name) \
  if (n == #name) return OpType::name;
  DS_OPS(DS_X)
#undef DS_X
  return std::nullopt;
}

}  // namespace deepshark
