# The GPU lowering's pre-mapping IR, run on the CPU against the reference
# for every zoo spec (found at run time under zoo/) and inline specs.
if(TARGET AttnReference)
  attn_unittest(GPUNumericsTest GPUNumericsTest.cpp
    LIBS AttnGPU AttnJIT AttnRunner AttnReference AttnDialect AttnSupport MLIR LLVM)
  target_compile_definitions(GPUNumericsTest PRIVATE
    ATTN_ZOO_DIR="${PROJECT_SOURCE_DIR}/zoo")
endif()
