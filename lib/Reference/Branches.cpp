//===- Branches.cpp - float64 reference of a whole spec function ----------===//
//
// A spec function may hold several attn.attention ops (branches) combined
// by attn.merge (exact, through the logsumexps) or attn.gated_sum, with
// attn.pool_blocks making pooled keys and values for a branch. This
// interprets the function's body op by op in double precision: every
// attention op through `evaluate`, the rest element by element here.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/AttnDialect.h"
#include "attn/Reference/Reference.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

#include <cmath>
#include <limits>
#include <string>

using namespace mlir;
using namespace attn;

namespace {
llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Linear index of `idx` in `shape`, reading extent-1 dimensions at 0
/// (broadcast).
int64_t broadcastIndex(llvm::ArrayRef<int64_t> shape,
                       llvm::ArrayRef<int64_t> idx) {
  int64_t linear = 0;
  for (auto [extent, i] : llvm::zip(shape, idx))
    linear = linear * extent + (extent == 1 ? 0 : i);
  return linear;
}

std::string what(Operation *op) {
  return op->getName().getStringRef().str();
}
} // namespace

llvm::Expected<std::vector<NDArray>>
reference::evaluateFunction(func::FuncOp func, llvm::ArrayRef<NDArray> args) {
  if (func.isExternal())
    return fail("the function has no body");
  Block &body = func.getBody().front();
  if (args.size() != body.getNumArguments())
    return fail("expected " + llvm::Twine(body.getNumArguments()) +
                " inputs, got " + llvm::Twine(args.size()));
  llvm::DenseMap<Value, NDArray> values;
  for (auto [arg, array] : llvm::zip(body.getArguments(), args))
    values[arg] = array;
  auto lookup = [&](Value v) -> llvm::Expected<const NDArray *> {
    auto it = values.find(v);
    if (it == values.end())
      return fail("a value the reference has not computed feeds an op "
                  "(only attn ops and function arguments are interpreted)");
    return &it->second;
  };

  for (Operation &op : body.without_terminator()) {
    if (auto attention = dyn_cast<AttentionOp>(op)) {
      Inputs in;
      llvm::Error error = llvm::Error::success();
      auto get = [&](Value v) -> NDArray {
        auto found = lookup(v);
        if (!found) {
          error = llvm::joinErrors(std::move(error), found.takeError());
          return NDArray();
        }
        return **found;
      };
      in.query = get(attention.getQuery());
      in.key = get(attention.getKey());
      in.value = get(attention.getValue());
      for (const OperandRoleInfo &info : operandRoles())
        if (info.optionalOperand())
          if (Value v = operandOf(attention, info.role))
            in[info.role] = get(v);
      for (Value c : attention.getCaptures())
        in.captures.push_back(get(c));
      if (error)
        return std::move(error);
      auto out = evaluate(attention, in);
      if (!out)
        return out.takeError();
      values[attention.getOutput()] = std::move(out->output);
      if (Value lse = attention.getLse())
        values[lse] = std::move(*out->lse);
      continue;
    }

    if (auto pool = dyn_cast<PoolBlocksOp>(op)) {
      auto input = lookup(pool.getInput());
      if (!input)
        return input.takeError();
      const NDArray &x = **input;
      if (x.rank() != 4)
        return fail(what(&op) + ": the input must have rank 4");
      int64_t B = x.shape()[0], H = x.shape()[1], N = x.shape()[2],
              D = x.shape()[3], block = pool.getBlock();
      int64_t blocks = (N + block - 1) / block;
      std::vector<double> xs = x.toDoubles();
      NDArray pooled(DType::F64, {B, H, blocks, D});
      for (int64_t bh = 0; bh < B * H; ++bh)
        for (int64_t c = 0; c < blocks; ++c) {
          int64_t first = c * block, last = std::min(N, first + block);
          for (int64_t d = 0; d < D; ++d) {
            double sum = 0;
            for (int64_t j = first; j < last; ++j)
              sum += xs[(bh * N + j) * D + d];
            pooled.setDouble((bh * blocks + c) * D + d,
                             sum / double(last - first));
          }
        }
      values[pool.getPooled()] = std::move(pooled);
      if (Value counts = pool.getLogCounts()) {
        NDArray logs(DType::F64, {1, 1, 1, blocks});
        for (int64_t c = 0; c < blocks; ++c)
          logs.setDouble(c, std::log(double(std::min(N, (c + 1) * block) -
                                            c * block)));
        values[counts] = std::move(logs);
      }
      continue;
    }

    if (auto merge = dyn_cast<BranchMergeOp>(op)) {
      std::vector<const NDArray *> outs, lses;
      for (Value v : merge.getOutputs()) {
        auto a = lookup(v);
        if (!a)
          return a.takeError();
        outs.push_back(*a);
      }
      for (Value v : merge.getLses()) {
        auto a = lookup(v);
        if (!a)
          return a.takeError();
        lses.push_back(*a);
      }
      llvm::ArrayRef<int64_t> shape = outs.front()->shape();
      if (shape.size() != 4)
        return fail(what(&op) + ": branch outputs must have rank 4");
      std::vector<int64_t> rowShape(shape.begin(), shape.begin() + 3);
      for (auto [k, o] : llvm::enumerate(outs))
        if (o->shape() != shape || lses[k]->shape() != llvm::ArrayRef(rowShape))
          return fail(what(&op) + ": branch " + llvm::Twine(k) +
                      " does not have the shape of branch 0");
      int64_t rows = shape[0] * shape[1] * shape[2], Dv = shape[3];
      NDArray out(DType::F64, {shape[0], shape[1], shape[2], Dv});
      NDArray lse(DType::F64, rowShape);
      const double inf = std::numeric_limits<double>::infinity();
      for (int64_t r = 0; r < rows; ++r) {
        double m = -inf;
        bool nan = false;
        for (const NDArray *l : lses) {
          double x = l->getDouble(r);
          nan |= std::isnan(x);
          m = std::max(m, x);
        }
        double sum = 0;
        std::vector<double> acc(Dv, 0.0);
        if (!std::isinf(m) || m > 0) {
          for (auto [k, l] : llvm::enumerate(lses)) {
            double x = l->getDouble(r);
            // A +inf logsumexp takes the whole row (weight 1 where it is
            // +inf, 0 elsewhere).
            double w = std::isinf(m) ? (x == m ? 1.0 : 0.0) : std::exp(x - m);
            if (w == 0)
              continue;
            sum += w;
            for (int64_t c = 0; c < Dv; ++c)
              acc[c] += w * outs[k]->getDouble(r * Dv + c);
          }
        }
        for (int64_t c = 0; c < Dv; ++c)
          out.setDouble(r * Dv + c,
                        nan ? std::nan("")
                            : sum > 0 ? acc[c] / sum : 0.0);
        lse.setDouble(r, nan ? std::nan("")
                             : sum > 0 ? m + std::log(sum) : -inf);
      }
      values[merge.getOutput()] = std::move(out);
      if (Value merged = merge.getLse())
        values[merged] = std::move(lse);
      continue;
    }

    if (auto sum = dyn_cast<GatedSumOp>(op)) {
      std::vector<const NDArray *> outs, gates;
      for (Value v : sum.getOutputs()) {
        auto a = lookup(v);
        if (!a)
          return a.takeError();
        outs.push_back(*a);
      }
      for (Value v : sum.getGates()) {
        auto a = lookup(v);
        if (!a)
          return a.takeError();
        gates.push_back(*a);
      }
      llvm::ArrayRef<int64_t> shape = outs.front()->shape();
      if (shape.size() != 4)
        return fail(what(&op) + ": branch outputs must have rank 4");
      for (auto [k, o] : llvm::enumerate(outs)) {
        if (o->shape() != shape)
          return fail(what(&op) + ": branch " + llvm::Twine(k) +
                      " does not have the shape of branch 0");
        llvm::ArrayRef<int64_t> g = gates[k]->shape();
        if (g.size() != 3 && g.size() != 4)
          return fail(what(&op) + ": gate " + llvm::Twine(k) +
                      " must have rank 3 or 4");
        for (auto [d, extent] : llvm::enumerate(g))
          if (extent != 1 && extent != shape[d])
            return fail(what(&op) + ": gate " + llvm::Twine(k) +
                        " dimension " + llvm::Twine(d) + " is " +
                        llvm::Twine(extent) + " but must be 1 or " +
                        llvm::Twine(shape[d]));
      }
      NDArray out(DType::F64, std::vector<int64_t>(shape));
      int64_t idx[4];
      for (idx[0] = 0; idx[0] < shape[0]; ++idx[0])
        for (idx[1] = 0; idx[1] < shape[1]; ++idx[1])
          for (idx[2] = 0; idx[2] < shape[2]; ++idx[2])
            for (idx[3] = 0; idx[3] < shape[3]; ++idx[3]) {
              int64_t linear =
                  ((idx[0] * shape[1] + idx[1]) * shape[2] + idx[2]) *
                      shape[3] +
                  idx[3];
              double total = 0;
              for (auto [k, o] : llvm::enumerate(outs)) {
                llvm::ArrayRef<int64_t> g = gates[k]->shape();
                double gate = gates[k]->getDouble(
                    broadcastIndex(g, llvm::ArrayRef(idx, g.size())));
                total += gate * o->getDouble(linear);
              }
              out.setDouble(linear, total);
            }
      values[sum.getOutput()] = std::move(out);
      continue;
    }
    return fail("the reference does not interpret '" + what(&op) +
                "' in a spec function");
  }

  std::vector<NDArray> results;
  for (Value v : body.getTerminator()->getOperands()) {
    auto a = lookup(v);
    if (!a)
      return a.takeError();
    results.push_back(**a);
  }
  return results;
}
