# Run EXE DIR twice, as two processes; run 1 must print EXPECT1, run 2
# EXPECT2 (regexes), both with exit status 0. DIR is removed first and last.
file(REMOVE_RECURSE ${DIR})
foreach(run 1 2)
  execute_process(COMMAND ${EXE} ${DIR} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  message(STATUS "run ${run}: ${out}${err}")
  if(NOT rc EQUAL 0 OR NOT out MATCHES "${EXPECT${run}}")
    file(REMOVE_RECURSE ${DIR})
    message(FATAL_ERROR "run ${run} failed (rc ${rc}), expected '${EXPECT${run}}'")
  endif()
endforeach()
file(REMOVE_RECURSE ${DIR})
