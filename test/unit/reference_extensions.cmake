attn_unittest(ReferenceExtensionsTest ReferenceExtensionsTest.cpp
  LIBS AttnReference AttnDialect AttnSupport MLIR LLVM)
