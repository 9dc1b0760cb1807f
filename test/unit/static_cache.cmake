add_executable(StaticCacheTest StaticCacheTest.cpp)
target_link_libraries(StaticCacheTest PRIVATE AttnJIT AttnRunner AttnDialect AttnSupport MLIR LLVM)
add_test(NAME jit/static-cache-exit COMMAND StaticCacheTest)
# The cache deliberately leaks its engine at exit (see lib/JIT/CPUJit.cpp):
# under LeakSanitizer (ATTN_ENABLE_SANITIZERS) that is not a finding.
set_tests_properties(jit/static-cache-exit PROPERTIES
  ENVIRONMENT "LSAN_OPTIONS=detect_leaks=0")
