attn_unittest(NpyTest NpyTest.cpp LIBS AttnSupport LLVM)
