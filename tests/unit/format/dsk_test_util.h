// Test helpers for .dsk files: a small valid file and a way to rewrite its tables.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "format/dsk_file.h"
#include "format/dsk_writer.h"

namespace deepshark::format::testing {

// A temp folder per test, removed afterwards.
class DskTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Writes a valid 4-piece file: conv (one piece, weight slot + bias input) and a fully
  // connected node sliced into pieces [0,5) and [5,10) plus one more piece for its second
  // weight slot. Payload bytes are kept in payloads_.
  std::string write_valid(const std::string& name, const LayoutFingerprint& fp = {"avx2", "2.6.3", 1, "test"});

  std::filesystem::path dir_;
  std::vector<std::string> payloads_;
};

// The parts of a file that a corruption test rewrites: the payload area is kept as-is.
struct FileParts {
  DskHeader header;
  std::string header_block;
  std::string payload_area;  // [0, graph_offset), header block included
  std::string graph;
  std::string table;
};
FileParts load_parts(const std::string& path);
// Writes parts back. fix_layout recomputes graph/table offsets, sizes and file size; the
// checksum is always recomputed unless keep_checksum.
void store_parts(const std::string& path, FileParts p, bool fix_layout = true, bool keep_checksum = false);
// Loads, lets `edit` change the header and/or the decoded piece table, stores (checksum fixed).
void edit_tables(const std::string& path, const std::function<void(DskHeader&, std::vector<PieceEntry>&)>& edit);

std::string read_all(const std::string& path);
void write_all(const std::string& path, const std::string& bytes);

}  // namespace deepshark::format::testing
