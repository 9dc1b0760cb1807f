add_executable(StaticCacheTest StaticCacheTest.cpp)
target_link_libraries(StaticCacheTest PRIVATE AttnJIT AttnRunner AttnDialect AttnSupport MLIR LLVM)
add_test(NAME jit/static-cache-exit COMMAND StaticCacheTest)
