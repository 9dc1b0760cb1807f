attn_unittest(ReferenceTest ReferenceTest.cpp LIBS AttnReference AttnRunner AttnDialect AttnSupport MLIR LLVM)
