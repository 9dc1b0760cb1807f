attn_unittest(ReferenceExtensionsTest ReferenceExtensionsTest.cpp
  LIBS AttnReference AttnRunner AttnDialect AttnSupport MLIR LLVM)
