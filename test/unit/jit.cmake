attn_unittest(JITTest JITTest.cpp LIBS AttnJIT AttnRunner AttnDialect AttnSupport MLIR LLVM)
