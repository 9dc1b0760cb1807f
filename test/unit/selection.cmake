if(TARGET AttnReference)
  attn_unittest(SelectionNumericsTest SelectionNumericsTest.cpp
    LIBS AttnJIT AttnRunner AttnReference AttnDialect AttnSupport MLIR LLVM)
endif()
