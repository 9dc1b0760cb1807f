if(TARGET AttnReference)
  attn_unittest(QuantizedNumericsTest QuantizedNumericsTest.cpp
    LIBS AttnJIT AttnRunner AttnReference AttnDialect AttnSupport MLIR LLVM)
endif()
