// Eltwise, Concat, Flatten, Reshape, Permute, Slice, Split.
#include <algorithm>

#include "import/caffe/caffe_layers.h"

namespace deepshark::caffe_import {

namespace {

Result<std::vector<ValueId>> one(Result<ValueId> y) {
  if (!y.ok()) return y.status();
  return std::vector<ValueId>{*y};
}

}  // namespace

Result<std::vector<ValueId>> convert_Eltwise(Builder& b, const Layer& l) {
  const caffe::EltwiseParameter& p = l.param->eltwise_param();
  if (l.bottoms.size() < 2) return Builder::invalid(l, "Eltwise needs at least 2 bottoms " + expected_got(">= 2", std::to_string(l.bottoms.size())));
  DS_RETURN_IF_ERROR(b.expect_io(l, l.bottoms.size(), 1, 0));
  const bool sum = p.operation() == caffe::EltwiseParameter::SUM;
  if (p.coeff_size() > 0 && !sum) return Builder::invalid(l, "coefficients are only allowed for SUM");
  if (p.coeff_size() > 0 && static_cast<size_t>(p.coeff_size()) != l.bottoms.size()) {
    return Builder::invalid(l, "one coefficient per bottom " + expected_got(std::to_string(l.bottoms.size()), std::to_string(p.coeff_size())));
  }
  const OpType op = sum ? OpType::Add : p.operation() == caffe::EltwiseParameter::PROD ? OpType::Mul : OpType::Max;
  std::vector<ValueId> terms;
  for (size_t i = 0; i < l.bottoms.size(); ++i) {
    ValueId t = l.bottoms[i];
    const float c = p.coeff_size() > 0 ? p.coeff(static_cast<int>(i)) : 1.f;
    if (c != 1.f) {
      DS_TRY(t, b.add(OpType::Mul, l, "coeff" + std::to_string(i), {t, b.scalar(l.name + "/coeff" + std::to_string(i), c)}));
    }
    terms.push_back(t);
  }
  ValueId acc = terms[0];
  for (size_t i = 1; i < terms.size(); ++i) {
    const bool last = i + 1 == terms.size();
    DS_TRY(acc, b.add(op, l, last ? "" : "partial" + std::to_string(i), {acc, terms[i]}));
  }
  return std::vector<ValueId>{acc};
}

Result<std::vector<ValueId>> convert_Concat(Builder& b, const Layer& l) {
  const caffe::ConcatParameter& p = l.param->concat_param();
  if (l.bottoms.empty()) return Builder::invalid(l, "Concat needs at least 1 bottom");
  DS_RETURN_IF_ERROR(b.expect_io(l, l.bottoms.size(), 1, 0));
  Attributes a;
  a.set_int("axis", p.has_axis() ? p.axis() : static_cast<int64_t>(p.concat_dim()));
  return one(b.add(OpType::Concat, l, "", l.bottoms, a));
}

Result<std::vector<ValueId>> convert_Flatten(Builder& b, const Layer& l) {
  DS_RETURN_IF_ERROR(b.expect_io(l, 1, 1, 0));
  const caffe::FlattenParameter& p = l.param->flatten_param();
  DS_TRY(Shape xs, b.shape_of(l, l.bottoms[0]));
  DS_TRY(int64_t axis, b.axis(l, p.axis(), xs.size(), "axis"));
  DS_TRY(int64_t end, b.axis(l, p.end_axis(), xs.size(), "end_axis"));
  if (end < axis) return Builder::invalid(l, "end_axis before axis " + expected_got(">= " + std::to_string(axis), std::to_string(end)));
  // Caffe keeps the dims around [axis, end_axis]: Reshape [0.., -1, trailing dims].
  std::vector<int64_t> shape(static_cast<size_t>(axis), 0);
  shape.push_back(-1);
  shape.insert(shape.end(), xs.begin() + end + 1, xs.end());
  return one(b.add(OpType::Reshape, l, "", {l.bottoms[0], b.ints(l.name + "/shape", shape)}));
}

Result<std::vector<ValueId>> convert_Reshape(Builder& b, const Layer& l) {
  DS_RETURN_IF_ERROR(b.expect_io(l, 1, 1, 0));
  const caffe::ReshapeParameter& p = l.param->reshape_param();
  std::vector<int64_t> spec(p.shape().dim().begin(), p.shape().dim().end());
  int inferred = 0;
  for (int64_t d : spec) {
    if (d < -1 || d > kMaxElements) return Builder::invalid(l, "bad dimension " + expected_got("-1, 0 or a size", std::to_string(d)));
    inferred += d == -1;
  }
  if (inferred > 1) return Builder::invalid(l, "more than one -1 dimension " + expected_got("at most 1", std::to_string(inferred)));
  std::vector<int64_t> shape;
  if (p.axis() == 0 && p.num_axes() == -1) {
    shape = spec;  // 0 copies the input dim at the same index: ONNX Reshape's rule too
  } else {
    DS_TRY(Shape xs, b.shape_of(l, l.bottoms[0]));
    const int64_t r = static_cast<int64_t>(xs.size());
    // axis may equal the rank (insert at the end): -1 means after the last axis.
    int64_t start = p.axis() < 0 ? p.axis() + r + 1 : p.axis();
    if (start < 0 || start > r) return Builder::invalid(l, "axis out of range " + expected_got("-" + std::to_string(r + 1) + ".." + std::to_string(r), std::to_string(p.axis())));
    int64_t n = p.num_axes() == -1 ? r - start : p.num_axes();
    if (n < 0 || start + n > r) return Builder::invalid(l, "num_axes out of range " + expected_got("-1.." + std::to_string(r - start), std::to_string(p.num_axes())));
    shape.assign(static_cast<size_t>(start), 0);
    shape.insert(shape.end(), spec.begin(), spec.end());
    // Trailing dims move position when the replaced range changes length: write them out.
    shape.insert(shape.end(), xs.begin() + start + n, xs.end());
  }
  return one(b.add(OpType::Reshape, l, "", {l.bottoms[0], b.ints(l.name + "/shape", shape)}));
}

Result<std::vector<ValueId>> convert_Permute(Builder& b, const Layer& l) {
  DS_RETURN_IF_ERROR(b.expect_io(l, 1, 1, 0));
  DS_TRY(Shape xs, b.shape_of(l, l.bottoms[0]));
  const int64_t r = static_cast<int64_t>(xs.size());
  std::vector<int64_t> perm;
  std::vector<bool> used(xs.size(), false);
  for (uint32_t o : l.param->permute_param().order()) {
    if (o >= xs.size() || used[o]) {
      return Builder::invalid(l, "order is not a permutation of the axes " + expected_got("distinct values in 0.." + std::to_string(r - 1), std::to_string(o)));
    }
    used[o] = true;
    perm.push_back(o);
  }
  // Caffe appends the axes the order leaves out, in their original order.
  for (int64_t i = 0; i < r; ++i) {
    if (!used[static_cast<size_t>(i)]) perm.push_back(i);
  }
  Attributes a;
  a.set_ints("perm", perm);
  return one(b.add(OpType::Transpose, l, "", {l.bottoms[0]}, a));
}

Result<std::vector<ValueId>> convert_Slice(Builder& b, const Layer& l) {
  const caffe::SliceParameter& p = l.param->slice_param();
  if (l.bottoms.size() != 1) return Builder::invalid(l, "wrong number of bottoms " + expected_got("1", std::to_string(l.bottoms.size())));
  if (l.top_count < 1) return Builder::invalid(l, "Slice needs at least 1 top");
  DS_TRY(Shape xs, b.shape_of(l, l.bottoms[0]));
  DS_TRY(int64_t axis, b.axis(l, p.has_axis() ? p.axis() : static_cast<int64_t>(p.slice_dim()), xs.size(), "axis"));
  const int64_t dim = xs[static_cast<size_t>(axis)];
  const int64_t tops = static_cast<int64_t>(l.top_count);
  std::vector<int64_t> sizes;
  if (p.slice_point_size() > 0) {
    if (p.slice_point_size() != tops - 1) {
      return Builder::invalid(l, "one slice_point fewer than tops " + expected_got(std::to_string(tops - 1), std::to_string(p.slice_point_size())));
    }
    int64_t prev = 0;
    for (uint32_t sp : p.slice_point()) {
      if (sp <= prev || sp >= dim) {
        return Builder::invalid(l, "slice points must increase inside the axis " + expected_got(std::to_string(prev + 1) + ".." + std::to_string(dim - 1), std::to_string(sp)));
      }
      sizes.push_back(sp - prev);
      prev = sp;
    }
    sizes.push_back(dim - prev);
  } else {
    if (dim % tops != 0) {
      return Builder::invalid(l, "the axis does not split evenly into the tops " + expected_got("a multiple of " + std::to_string(tops), std::to_string(dim)));
    }
    sizes.assign(static_cast<size_t>(tops), dim / tops);
  }
  Attributes a;
  a.set_int("axis", axis);
  return b.add_multi(OpType::Split, l, {l.bottoms[0], b.ints(l.name + "/split", sizes)}, l.top_count, a);
}

Result<std::vector<ValueId>> convert_Split(Builder& b, const Layer& l) {
  if (l.bottoms.size() != 1) return Builder::invalid(l, "wrong number of bottoms " + expected_got("1", std::to_string(l.bottoms.size())));
  std::vector<ValueId> outs;
  for (size_t i = 0; i < l.top_count; ++i) {
    DS_TRY(ValueId y, b.add(OpType::Identity, l, i == 0 ? "" : "copy" + std::to_string(i), {l.bottoms[0]}));
    outs.push_back(y);
  }
  return outs;
}

}  // namespace deepshark::caffe_import
