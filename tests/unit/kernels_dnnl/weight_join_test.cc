// Joining slice weights into a whole weight (dnnl_kernels.h: layout_swaps_value, insert_part,
// copy_whole) and reading layout texts back (parse_desc): element for element, in plain, blocked
// and swapped layouts, and precise errors for what cannot be joined.
#include <gtest/gtest.h>

#include <vector>

#include "kernels/dnnl/dnnl_common.h"
#include "kernels/dnnl/dnnl_kernels.h"

namespace deepshark::dnnl_backend {
namespace {

using tag = memory::format_tag;

std::string layout(const Dims& dims, tag t) { return describe_desc(memory::desc(dims, memory::data_type::f32, t)); }

// Logical element (i, j) of a 2-D f32 tensor in `md` stored at `data`.
float at(const memory::desc& md, const std::vector<float>& data, int64_t i, int64_t j) {
  const dnnl_blocking_desc_t& b = md.data.format_desc.blocking;
  int64_t idx[2] = {i, j}, outer[2] = {i, j}, off = 0, inner_stride = 1;
  for (int k = b.inner_nblks - 1; k >= 0; --k) {
    const int d = b.inner_idxs[k];
    off += (idx[d] % b.inner_blks[k]) * inner_stride;
    inner_stride *= b.inner_blks[k];
    outer[d] /= b.inner_blks[k];
  }
  for (int d = 0; d < 2; ++d) off += outer[d] * b.strides[d];
  return data[static_cast<size_t>(off)];
}

// Fills a tensor of `md` so that element (i, j) = 1000 * i + j.
std::vector<float> filled(const memory::desc& md) {
  std::vector<float> v(md.get_size() / sizeof(float), -1.f);
  const Dims d = md.dims();
  std::vector<float> plain(static_cast<size_t>(d[0] * d[1]));
  for (int64_t i = 0; i < d[0]; ++i)
    for (int64_t j = 0; j < d[1]; ++j) plain[static_cast<size_t>(i * d[1] + j)] = static_cast<float>(1000 * i + j);
  memory src(plain_desc({d[0], d[1]}), engine(), plain.data());
  memory dst(md, engine(), v.data());
  dnnl::reorder(src, dst).execute(stream(), src, dst);
  stream().wait();
  return v;
}

TEST(ParseDesc, ReadsBackWhatDescribeDescWrites) {
  for (const memory::desc& md : {memory::desc({64, 32, 3, 3}, memory::data_type::f32, tag::Acdb32a),
                                 memory::desc({100, 24}, memory::data_type::f32, tag::ba),
                                 memory::desc({48, 16}, memory::data_type::f32, tag::AB16b16a)}) {
    auto back = parse_desc(describe_desc(md));
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_TRUE(*back == md) << describe_desc(md);
  }
  const std::string good = layout({16, 8}, tag::ab);
  for (const std::string& bad :
       {std::string("plain"), std::string("dnnl2;dt=3;dims=[x]"), good.substr(0, good.size() - 2),
        std::string("dnnl2;dt=3;dims=[16,8];padded=[16,8];poff=[0,0];off0=0;fmt=blocked;strides=[1,1];inner_blks=[];"
                    "inner_idxs=[];extra=0,0,0;bytes=512"),
        std::string("dnnl2;dt=3;dims=[16,8];padded=[16,8];poff=[0,0];off0=0;fmt=blocked;strides=[8,1];inner_blks=[4];"
                    "inner_idxs=[7];extra=0,0,0;bytes=512")}) {
    auto r = parse_desc(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), ErrorCode::InvalidArgument) << bad;
  }
}

TEST(WeightJoin, PartsOfABlockedWholeLandWhereTheyBelong) {
  // Whole [64, 16] blocked by 16 along both dims (as convolution weights block output channels);
  // parts of 16 and 48 rows in other layouts.
  const memory::desc whole_md({64, 16}, memory::data_type::f32, tag::AB16b16a);
  std::vector<float> whole(whole_md.get_size() / sizeof(float), 0.f);
  WeightRegion w{describe_desc(whole_md), {64, 16}, false, reinterpret_cast<std::byte*>(whole.data()), whole_md.get_size()};
  const memory::desc p0({16, 16}, memory::data_type::f32, tag::ab), p1({48, 16}, memory::data_type::f32, tag::AB16b16a);
  std::vector<float> a = filled(p0), b = filled(p1);
  WeightRegion ra{describe_desc(p0), {16, 16}, false, reinterpret_cast<std::byte*>(a.data()), p0.get_size()};
  WeightRegion rb{describe_desc(p1), {48, 16}, false, reinterpret_cast<std::byte*>(b.data()), p1.get_size()};
  ASSERT_TRUE(insert_part(ra, w, 0, 0).ok());
  ASSERT_TRUE(insert_part(rb, w, 0, 16).ok());
  for (int64_t i = 0; i < 64; ++i)
    for (int64_t j = 0; j < 16; ++j) {
      const float want = static_cast<float>(1000 * (i < 16 ? i : i - 16) + j);
      ASSERT_EQ(at(whole_md, whole, i, j), want) << i << "," << j;
    }
  // A part that would split a 16-row block: oneDNN has no sub-memory there.
  const memory::desc p8({8, 16}, memory::data_type::f32, tag::ab);
  std::vector<float> c = filled(p8);
  WeightRegion rc{describe_desc(p8), {8, 16}, false, reinterpret_cast<std::byte*>(c.data()), p8.get_size()};
  Status s = insert_part(rc, w, 0, 8);
  EXPECT_EQ(s.code(), ErrorCode::Unsupported) << s.message();
  // Into a plain staging copy it goes, and copy_whole re-lays the result.
  std::vector<float> staging(64 * 16, 0.f);
  WeightRegion plain{"plain", {64, 16}, false, reinterpret_cast<std::byte*>(staging.data()), staging.size() * 4};
  ASSERT_TRUE(copy_whole(w, plain).ok());
  ASSERT_TRUE(insert_part(rc, plain, 0, 8).ok());
  ASSERT_TRUE(copy_whole(plain, w).ok());
  EXPECT_EQ(at(whole_md, whole, 8, 3), 3.f);      // row 0 of the 8-row part
  EXPECT_EQ(at(whole_md, whole, 15, 7), 7007.f);  // its last row
  EXPECT_EQ(at(whole_md, whole, 16, 2), 2.f);     // the 48-row part is untouched
}

TEST(WeightJoin, SwappedLayoutsJoinAlongTheValuesAxis) {
  // A [K=6, N=10] value (MatMul B) sliced along N into 4 + 6 columns; the whole kernel holds it as
  // inner product weights [N, K] (swapped), the first part as [K, N] (matmul), the second swapped.
  const memory::desc whole_md({10, 6}, memory::data_type::f32, tag::ab);
  std::vector<float> whole(60, 0.f);
  WeightRegion w{describe_desc(whole_md), {6, 10}, true, reinterpret_cast<std::byte*>(whole.data()), 240};
  auto sw = layout_swaps_value(w.layout, w.value_shape, -1);
  ASSERT_TRUE(sw.ok()) << sw.status().message();
  EXPECT_TRUE(*sw);
  const memory::desc p0({6, 4}, memory::data_type::f32, tag::ab), p1({6, 6}, memory::data_type::f32, tag::ab);
  std::vector<float> a = filled(p0), b = filled(p1);  // element (k, n) = 1000 k + n (p1: stored [n][k])
  WeightRegion ra{describe_desc(p0), {6, 4}, false, reinterpret_cast<std::byte*>(a.data()), p0.get_size()};
  auto swa = layout_swaps_value(ra.layout, ra.value_shape, -1);
  ASSERT_TRUE(swa.ok());
  EXPECT_FALSE(*swa);
  ASSERT_TRUE(insert_part(ra, w, 1, 0).ok());
  // The second part is square: its orientation needs the hint.
  WeightRegion rb{describe_desc(p1), {6, 6}, true, reinterpret_cast<std::byte*>(b.data()), p1.get_size()};
  auto unknown = layout_swaps_value(rb.layout, rb.value_shape, -1);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), ErrorCode::Unsupported);
  auto hinted = layout_swaps_value(rb.layout, rb.value_shape, 1);
  ASSERT_TRUE(hinted.ok());
  EXPECT_TRUE(*hinted);
  ASSERT_TRUE(insert_part(rb, w, 1, 4).ok());
  for (int64_t n = 0; n < 10; ++n)
    for (int64_t k = 0; k < 6; ++k) {
      // whole stores [n][k]; part 0 gave value (k, n) = 1000 k + n; part 1 stored (n', k) = 1000 n' + k.
      const float want = n < 4 ? static_cast<float>(1000 * k + n) : static_cast<float>(1000 * (n - 4) + k);
      ASSERT_EQ(whole[static_cast<size_t>(n * 6 + k)], want) << n << "," << k;
    }
}

TEST(WeightJoin, RefusesWhatIsNotARangeOrDoesNotFitItsBuffer) {
  const memory::desc whole_md({16, 8}, memory::data_type::f32, tag::ab);
  std::vector<float> whole(128, 0.f), part(64, 0.f);
  WeightRegion w{describe_desc(whole_md), {16, 8}, false, reinterpret_cast<std::byte*>(whole.data()), 512};
  WeightRegion p{"plain", {8, 8}, false, reinterpret_cast<std::byte*>(part.data()), 256};
  EXPECT_EQ(insert_part(p, w, 0, 12).code(), ErrorCode::InvalidArgument);  // past the end
  EXPECT_EQ(insert_part(p, w, 1, 0).code(), ErrorCode::InvalidArgument);   // other dims differ
  EXPECT_EQ(insert_part(p, w, 5, 0).code(), ErrorCode::InvalidArgument);   // no such axis
  WeightRegion small = p;
  small.bytes = 255;
  EXPECT_EQ(insert_part(small, w, 0, 0).code(), ErrorCode::InvalidArgument);
  WeightRegion wrong_value = w;
  wrong_value.value_shape = {8, 16};
  EXPECT_EQ(insert_part(p, wrong_value, 0, 0).code(), ErrorCode::InvalidArgument);
  EXPECT_TRUE(insert_part(p, w, 0, 8).ok());
  auto neither = layout_swaps_value(describe_desc(whole_md), {4, 32}, -1);
  ASSERT_FALSE(neither.ok());
  EXPECT_EQ(neither.status().code(), ErrorCode::Unsupported);
}

}  // namespace
}  // namespace deepshark::dnnl_backend
