# ctest bench/smoke: each benchmark binary on tiny sizes, failing on a
# non-zero exit or a benchmark that reports an error.
foreach(run
    "${FMA_PEAK};--benchmark_min_time=0.01"
    "${ATTENTION_BENCH};--benchmark_filter=/H:2/|^cache_hit/|^compile/zoo/basics/causal/;--benchmark_min_time=0.01")
  execute_process(COMMAND ${run} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  message("${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "benchmark failed (exit ${rc}): ${run}")
  endif()
  if("${out}${err}" MATCHES "ERROR OCCURRED")
    message(FATAL_ERROR "a benchmark reported an error: ${run}")
  endif()
endforeach()
