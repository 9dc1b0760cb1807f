if(TARGET AttnReference)
  attn_unittest(NumericsTest NumericsTest.cpp
    LIBS AttnJIT AttnRunner AttnReference AttnDialect AttnSupport MLIR LLVM)
  # Gated Slot Attention's two zoo specs, composed by one test.
  target_compile_definitions(NumericsTest PRIVATE
    ATTN_ZOO_DIR="${PROJECT_SOURCE_DIR}/zoo")
endif()
