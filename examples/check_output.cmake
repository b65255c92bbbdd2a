# Run one example (EXE with ARGS, a ;-list) and require exit status 0 AND
# output matching EXPECT (PASS_REGULAR_EXPRESSION alone would ignore the
# exit status).
separate_arguments(_args UNIX_COMMAND "${ARGS}")
execute_process(COMMAND ${EXE} ${_args} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
message(STATUS "${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "exit status ${rc}")
endif()
if(NOT out MATCHES "${EXPECT}")
  message(FATAL_ERROR "output does not match '${EXPECT}'")
endif()
