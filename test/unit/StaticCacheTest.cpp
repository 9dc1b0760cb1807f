// A process holding a static KernelCache exits cleanly (no engine teardown
// after LLVM statics are destroyed). Run by ctest: the exit status is the test.
#include "attn/JIT.h"
static attn::KernelCache cache;
int main() {
  const char *spec = R"(func.func @f(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
})";
  auto k = cache.getOrCompile(spec, "f", {{attn::DType::F32, {1, 1, 8, 4}}, {attn::DType::F32, {1, 1, 8, 4}}, {attn::DType::F32, {1, 1, 8, 4}}});
  return k ? 0 : 1;
}
