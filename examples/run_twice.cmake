# Driver of the named_reattach example test: run 1 stores, run 2 (a new
# process) reads back and removes the datastore. Variables: EXE, DIR.
file(REMOVE_RECURSE ${DIR})
execute_process(COMMAND ${EXE} ${DIR} RESULT_VARIABLE rc1 OUTPUT_VARIABLE out1
                ERROR_VARIABLE err1)
message(STATUS "run 1: ${out1}${err1}")
if(NOT rc1 EQUAL 0 OR NOT out1 MATCHES "run 1 .*stored 3 named objects")
  file(REMOVE_RECURSE ${DIR})
  message(FATAL_ERROR "run 1 failed (rc ${rc1})")
endif()
execute_process(COMMAND ${EXE} ${DIR} RESULT_VARIABLE rc2 OUTPUT_VARIABLE out2
                ERROR_VARIABLE err2)
message(STATUS "run 2: ${out2}${err2}")
file(REMOVE_RECURSE ${DIR})
if(NOT rc2 EQUAL 0 OR NOT out2 MATCHES
   "counter = 1\n  squares = \\[0, 1, 4, 9, 16, 25, 36, 49, 64, 81\\] \\(40 bytes\\)\n  message = \"written by the first run\".*datastore removed")
  message(FATAL_ERROR "run 2 failed (rc ${rc2})")
endif()
