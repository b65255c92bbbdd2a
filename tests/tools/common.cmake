# Shared helpers of the tool tests (run with cmake -P; variables LS, CHECK,
# FIXTURE, PYTHON and TMP come from tools/CMakeLists.txt).

# run(<prefix> <command...>): sets <prefix>_rc, <prefix>_out, <prefix>_err
macro(run prefix)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE ${prefix}_rc
                  OUTPUT_VARIABLE ${prefix}_out ERROR_VARIABLE ${prefix}_err)
endmacro()

# A fresh directory under TMP for this test's datastores; removed by done().
string(RANDOM LENGTH 10 _rand)
set(WORK ${TMP}/${TEST_NAME}-${_rand})
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

set(_failures 0)
# expect(<prefix> <rc> [OUT regex] [ERR regex] [NOTOUT regex]): the last run
macro(expect prefix want_rc)
  cmake_parse_arguments(E "" "OUT;ERR;NOTOUT;WHAT" "" ${ARGN})
  set(_ok TRUE)
  if(want_rc STREQUAL "nonzero")
    if("${${prefix}_rc}" STREQUAL "0")
      set(_ok FALSE)
    endif()
  elseif(NOT "${${prefix}_rc}" STREQUAL "${want_rc}")
    set(_ok FALSE)
  endif()
  if(DEFINED E_OUT AND NOT "${${prefix}_out}" MATCHES "${E_OUT}")
    set(_ok FALSE)
  endif()
  if(DEFINED E_ERR AND NOT "${${prefix}_err}" MATCHES "${E_ERR}")
    set(_ok FALSE)
  endif()
  if(DEFINED E_NOTOUT AND "${${prefix}_out}" MATCHES "${E_NOTOUT}")
    set(_ok FALSE)
  endif()
  if(_ok)
    message(STATUS "ok: ${E_WHAT}")
  else()
    math(EXPR _failures "${_failures} + 1")
    message("FAIL: ${E_WHAT}\n  want rc ${want_rc} out~'${E_OUT}' err~'${E_ERR}' "
            "notout~'${E_NOTOUT}'\n  got rc ${${prefix}_rc}\n"
            "  --- stdout ---\n${${prefix}_out}\n  --- stderr ---\n${${prefix}_err}")
  endif()
endmacro()

# Fail the whole test unless the step worked (no point going on).
macro(require prefix what)
  if(NOT "${${prefix}_rc}" STREQUAL "0")
    file(REMOVE_RECURSE ${WORK})
    message(FATAL_ERROR "${what} failed (rc ${${prefix}_rc}): ${${prefix}_err}")
  endif()
endmacro()

macro(done)
  file(REMOVE_RECURSE ${WORK})
  if(_failures GREATER 0)
    message(FATAL_ERROR "${_failures} check(s) failed")
  endif()
endmacro()
