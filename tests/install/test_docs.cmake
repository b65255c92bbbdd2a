# ctest docs_api: the API reference builds with zero Doxygen warnings.
# Runs Doxygen with the `doc` target's Doxyfile, into OUT, listing every
# warning (FAIL_ON_WARNINGS) instead of stopping at the first, so that one
# failing run names everything left to document.
#   cmake -DDOXYGEN=... -DDOXYFILE=<build>/docs/Doxyfile -DOUT=<dir> -P test_docs.cmake
foreach(v DOXYGEN DOXYFILE OUT)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "test_docs.cmake: -D${v}= is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${OUT}")
file(MAKE_DIRECTORY "${OUT}")
file(READ "${DOXYFILE}" config)
# later assignments of a key win in a Doxyfile
string(APPEND config "
OUTPUT_DIRECTORY = \"${OUT}\"
WARN_LOGFILE = \"${OUT}/warnings.log\"
WARN_AS_ERROR = FAIL_ON_WARNINGS
")
file(WRITE "${OUT}/Doxyfile" "${config}")
execute_process(COMMAND "${DOXYGEN}" "${OUT}/Doxyfile"
                WORKING_DIRECTORY "${OUT}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(warnings "")
if(EXISTS "${OUT}/warnings.log")
  file(READ "${OUT}/warnings.log" warnings)
  string(STRIP "${warnings}" warnings)
endif()
if(NOT rc EQUAL 0 OR NOT warnings STREQUAL "")
  message(FATAL_ERROR "Doxygen failed (exit ${rc}) or warned on the public headers:\n"
                      "${warnings}\n${err}")
endif()
if(NOT EXISTS "${OUT}/html/index.html" OR NOT EXISTS "${OUT}/html/metall_8h.html")
  message(FATAL_ERROR "Doxygen ran clean but wrote no html/index.html or metall_8h.html in ${OUT}")
endif()
message(STATUS "API reference: ${OUT}/html/index.html, no warnings")
