attn_unittest(ReferenceTest ReferenceTest.cpp LIBS AttnReference AttnDialect AttnSupport MLIR LLVM)
