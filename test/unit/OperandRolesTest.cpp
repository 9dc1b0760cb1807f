//===- OperandRolesTest.cpp - the operand-role table against the op ------===//
//
// attn/Dialect/Attn/OperandRoles.h is the one list of a spec's operand roles
// (runner, reference, APIs). Its length is checked at compile time against
// attn.attention's operand segments; these tests check its order against
// the op's ODS accessors, its names, and the runner's binding through it.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/AttnDialect.h"
#include "attn/Dialect/Attn/OperandRoles.h"
#include "attn/Runner/Runner.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

using namespace mlir;
using namespace attn;

namespace {

/// An attn.attention in generic form with every operand group holding one
/// operand (argument n feeds group n; not verified: no declaration would
/// accept all of them at once).
OwningOpRef<ModuleOp> everyOperand(MLIRContext &context) {
  unsigned groups = kNumAttentionOperandGroups;
  std::string args, operands, types, sizes;
  for (unsigned n = 0; n < groups; ++n) {
    std::string sep = n ? ", " : "";
    args += sep + "%a" + std::to_string(n) + ": tensor<?x?x?x?xf32>";
    operands += sep + "%a" + std::to_string(n);
    types += sep + "tensor<?x?x?x?xf32>";
    sizes += sep + "1";
  }
  std::string text =
      "func.func @f(" + args + ") -> tensor<?x?x?x?xf32> {\n"
      "  %o = \"attn.attention\"(" + operands +
      ") <{operandSegmentSizes = array<i32: " + sizes +
      ">}> ({\n}, {\n}, {\n}) : (" + types +
      ") -> tensor<?x?x?x?xf32>\n  return %o : tensor<?x?x?x?xf32>\n}\n";
  ParserConfig config(&context, /*verifyAfterParse=*/false);
  return parseSourceString<ModuleOp>(text, config);
}

class OperandRolesTest : public ::testing::Test {
protected:
  void SetUp() override {
    context.loadDialect<AttnDialect, func::FuncDialect>();
  }
  MLIRContext context;
};

TEST_F(OperandRolesTest, TableIsInEnumOrderWithDistinctNames) {
  std::set<std::string> names;
  unsigned n = 0;
  for (const OperandRoleInfo &info : operandRoles()) {
    EXPECT_EQ(static_cast<unsigned>(info.role), n++);
    EXPECT_TRUE(names.insert(info.name.str()).second) << info.name.str();
    EXPECT_EQ(operandRoleNamed(info.name), info.role);
    EXPECT_EQ(argRoleName(info.role), info.name);
    EXPECT_FALSE(info.shape.empty());
  }
  EXPECT_FALSE(operandRoleNamed("no_such_operand").has_value());
  EXPECT_FALSE(operandRoleInfo(OperandRole::Value).optional());
  EXPECT_TRUE(operandRoleInfo(OperandRole::Bias).optional());
}

// Each role reads the operand group the op's own accessor reads: a row out
// of ODS order fails here.
TEST_F(OperandRolesTest, RolesAreTheOpsOperandGroups) {
  OwningOpRef<ModuleOp> module = everyOperand(context);
  ASSERT_TRUE(module);
  auto func = cast<func::FuncOp>(module->getBody()->front());
  AttentionOp op = *func.getOps<AttentionOp>().begin();
  using R = OperandRole;
  const std::pair<R, Value> accessors[] = {
      {R::Query, op.getQuery()},
      {R::Key, op.getKey()},
      {R::Value, op.getValue()},
      {R::Bias, op.getBias()},
      {R::QSegmentIds, op.getQSegmentIds()},
      {R::KvSegmentIds, op.getKvSegmentIds()},
      {R::BlockLayout, op.getBlockLayout()},
      {R::AlibiSlopes, op.getAlibiSlopes()},
      {R::KHeadMap, op.getKHeadMap()},
      {R::VHeadMap, op.getVHeadMap()},
      {R::SinkLogits, op.getSinkLogits()},
      {R::OutputGate, op.getOutputGate()},
      {R::Decay, op.getDecay()},
      {R::QScale, op.getQScale()},
      {R::KScale, op.getKScale()},
      {R::VScale, op.getVScale()},
      {R::KSalient, op.getKSalient()},
      {R::Rotation, op.getRotation()},
      {R::LowRankU, op.getLowRankU()},
      {R::LowRankW, op.getLowRankW()},
      {R::FeatureWeight, op.getFeatureWeight()},
      {R::FeatureBias, op.getFeatureBias()},
      {R::GateQWeight, op.getGateQWeight()},
      {R::GateKWeight, op.getGateKWeight()},
      {R::BlockScores, op.getBlockScores()},
  };
  ASSERT_EQ(std::size(accessors) + 1, kNumAttentionOperandGroups)
      << "a new operand group: add its accessor here";
  for (auto [role, value] : accessors) {
    SCOPED_TRACE(operandRoleInfo(role).name.str());
    EXPECT_EQ(operandOf(op, role), value);
    EXPECT_EQ(operandOf(op, role),
              func.getArgument(static_cast<unsigned>(role)));
  }
  ASSERT_EQ(op.getCaptures().size(), 1u);
  EXPECT_EQ(op.getCaptures()[0],
            func.getArgument(static_cast<unsigned>(R::Capture)));
}

// The runner binds arguments to roles through the table.
TEST_F(OperandRolesTest, RunnerBindsArgumentsByRole) {
  const char *text = R"mlir(
func.func @f(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
             %v: tensor<?x?x?x?xf32>, %s: tensor<?xf32>,
             %g: tensor<?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v sink_logits(%s : tensor<?xf32>)
         output_gate(%g : tensor<?x?x?xf32>) mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
)mlir";
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &context);
  ASSERT_TRUE(module);
  FailureOr<SpecBinding> binding = bindSpec(*module, "f");
  ASSERT_TRUE(succeeded(binding));
  using R = OperandRole;
  EXPECT_EQ(binding->roles, (std::vector<R>{R::Query, R::Key, R::Value,
                                            R::SinkLogits, R::OutputGate}));
  EXPECT_EQ(binding->names[3], "sink_logits");
  EXPECT_EQ(binding->names[4], "output_gate");
}

} // namespace
