if(TARGET AttnReference)
  attn_unittest(NumericsTest NumericsTest.cpp
    LIBS AttnJIT AttnRunner AttnReference AttnDialect AttnSupport MLIR LLVM)
endif()
