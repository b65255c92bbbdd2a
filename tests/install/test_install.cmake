# ctest install_consumers: install the build tree into a fresh prefix and
# build outside programs against it, the way users do:
#  1. cmake --install BUILD --prefix WORK/prefix;
#  2. a CMake project: find_package(MetallC) + MetallC::metallc (and
#     MetallC::metallc_static, MetallC::metallc_mpi when installed);
#  3. a plain `cc` command with `pkg-config --cflags --libs metallc`
#     (and metallc-mpi), PKG_CONFIG_PATH=WORK/prefix/lib/pkgconfig;
#  4. the installed tools (metall-ls) on a datastore made by 2.
# A datastore made by one build is checked by the other. Any failure fails
# the test.
#
#   cmake -DBUILD_DIR= -DWORK= -DSRC= -DCC= -DGENERATOR= [-DMAKE_PROGRAM=]
#         [-DBUILD_TYPE=] [-DLIBDIR=lib] [-DEXTRA_FLAGS=...] [-DMPIEXEC=...
#         -DMPIEXEC_FLAGS=... -DLSAN_SUPP=<file>] -P test_install.cmake
foreach(v BUILD_DIR WORK SRC CC GENERATOR)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "test_install.cmake: -D${v}= is required")
  endif()
endforeach()
if(NOT LIBDIR)
  set(LIBDIR lib)
endif()
set(prefix "${WORK}/prefix")
set(data "${WORK}/data")
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}" "${data}")
separate_arguments(extra UNIX_COMMAND "${EXTRA_FLAGS}")

# run(<name> COMMAND...): run, echo the output, fail on a non-zero status
# (a name starting with "quiet-" does not echo)
function(run name)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT name MATCHES "^quiet-")
    message(STATUS "[${name}] ${out}${err}")
  endif()
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${name} failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(run_out "${out}" PARENT_SCOPE)
endfunction()

# ---- 1. install -------------------------------------------------------------
set(cfg)
if(BUILD_TYPE)
  set(cfg --config "${BUILD_TYPE}")
endif()
run(quiet-install "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}" ${cfg})
foreach(f include/metall/metall.h include/metall/c_api/metall.h
          include/metall/array.h include/metall/hashmap.h include/metall/metall.hpp
          ${LIBDIR}/cmake/MetallC/MetallCConfig.cmake
          ${LIBDIR}/cmake/MetallC/MetallCConfigVersion.cmake
          ${LIBDIR}/cmake/MetallC/MetallCTargets.cmake
          ${LIBDIR}/pkgconfig/metallc.pc bin/metall-ls bin/metall-check)
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "not installed: ${prefix}/${f}")
  endif()
endforeach()
file(GLOB libs "${prefix}/${LIBDIR}/libmetallc.*")
if(NOT libs)
  message(FATAL_ERROR "no libmetallc.* in ${prefix}/${LIBDIR}")
endif()
set(have_mpi FALSE)
if(EXISTS "${prefix}/include/metall/metall_mpi.h")
  set(have_mpi TRUE)
  foreach(f ${LIBDIR}/pkgconfig/metallc-mpi.pc)
    if(NOT EXISTS "${prefix}/${f}")
      message(FATAL_ERROR "MPI layer installed without ${prefix}/${f}")
    endif()
  endforeach()
endif()

# ---- 2. find_package(MetallC) -----------------------------------------------
set(gen -G "${GENERATOR}")
if(MAKE_PROGRAM)
  list(APPEND gen "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
run(cmake-consumer-configure "${CMAKE_COMMAND}" ${gen}
    -S "${SRC}/consumer" -B "${WORK}/cmake-build"
    "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_C_COMPILER=${CC}"
    "-DCMAKE_BUILD_TYPE=RelWithDebInfo"
    "-DCMAKE_C_FLAGS=${EXTRA_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${EXTRA_FLAGS}")
string(FIND "${run_out}" "from ${prefix}/" at_pkg)
if(NOT run_out MATCHES "MetallC [0-9.]+ from " OR at_pkg LESS 0)
  message(FATAL_ERROR "find_package(MetallC) did not use the package in ${prefix}")
endif()
if(have_mpi AND NOT run_out MATCHES "mpi: (TRUE|1|ON)")
  message(FATAL_ERROR "metall_mpi.h installed but MetallC::metallc_mpi not exported")
endif()
run(cmake-consumer-build "${CMAKE_COMMAND}" --build "${WORK}/cmake-build")
run(cmake-consumer-create "${WORK}/cmake-build/consumer" create "${data}/ds")

# ---- 3. pkg-config + cc ----------------------------------------------------
find_program(PKG_CONFIG pkg-config)
if(NOT PKG_CONFIG)
  message(FATAL_ERROR "pkg-config not found")
endif()
set(ENV{PKG_CONFIG_PATH} "${prefix}/${LIBDIR}/pkgconfig")
run(pkg-config "${PKG_CONFIG}" --cflags --libs metallc)
separate_arguments(pc_flags UNIX_COMMAND "${run_out}")
string(FIND "${run_out}" "-I${prefix}/include" at_inc)
if(at_inc LESS 0 OR NOT run_out MATCHES "-lmetallc")
  message(FATAL_ERROR "metallc.pc gives `${run_out}`, not the prefix ${prefix}")
endif()
run(cc-consumer "${CC}" -std=c11 -Wall -Wextra -Werror ${extra}
    "${SRC}/consumer/consumer.c" ${pc_flags} "-Wl,-rpath,${prefix}/${LIBDIR}"
    -o "${WORK}/consumer-pc")
# the datastore made by the CMake-built program, read by the pkg-config one
run(cc-consumer-check "${WORK}/consumer-pc" check "${data}/ds")
run(cc-consumer-create "${WORK}/consumer-pc" create "${data}/ds2")

# ---- 4. installed tools, and the static library -----------------------------
run(metall-ls-help "${prefix}/bin/metall-ls" --help)
if(NOT run_out MATCHES "usage: metall-ls")
  message(FATAL_ERROR "installed metall-ls --help printed no usage")
endif()
run(metall-ls "${prefix}/bin/metall-ls" "${data}/ds2")
if(NOT run_out MATCHES "answer")
  message(FATAL_ERROR "installed metall-ls does not list the object 'answer'")
endif()
run(metall-check "${prefix}/bin/metall-check" "${data}/ds2")
if(EXISTS "${WORK}/cmake-build/consumer_static")
  run(static-consumer-check "${WORK}/cmake-build/consumer_static" check "${data}/ds2")
  find_program(READELF readelf)
  if(READELF)
    run(quiet-readelf "${READELF}" -d "${WORK}/cmake-build/consumer_static")
    if(run_out MATCHES "libmetallc\\.so")
      message(FATAL_ERROR "consumer_static needs libmetallc.so: MetallC::metallc_static is not static")
    endif()
  endif()
else()
  run(cc-consumer-check2 "${WORK}/consumer-pc" check "${data}/ds2")
endif()

# ---- 5. the MPI layer ------------------------------------------------------
if(have_mpi AND MPIEXEC)
  separate_arguments(mpiflags UNIX_COMMAND "${MPIEXEC_FLAGS}")
  set(ENV{OMPI_ALLOW_RUN_AS_ROOT} 1)
  set(ENV{OMPI_ALLOW_RUN_AS_ROOT_CONFIRM} 1)
  if(LSAN_SUPP AND EXISTS "${LSAN_SUPP}")
    # Open MPI's own allocations, not ours (the MPI tests' suppressions)
    set(ENV{LSAN_OPTIONS} "suppressions=${LSAN_SUPP}:fast_unwind_on_malloc=0:print_suppressions=0")
  endif()
  run(cmake-consumer-mpi ${MPIEXEC} ${mpiflags} -n 2
      "${WORK}/cmake-build/consumer_mpi" "${data}/mpi-cmake")
  run(pkg-config-mpi "${PKG_CONFIG}" --cflags --libs metallc-mpi)
  separate_arguments(pc_mpi_flags UNIX_COMMAND "${run_out}")
  run(cc-consumer-mpi "${CC}" -std=c11 -Wall -Wextra ${extra}
      "${SRC}/consumer/consumer_mpi.c" ${pc_mpi_flags} "-Wl,-rpath,${prefix}/${LIBDIR}"
      -o "${WORK}/consumer-mpi-pc")
  run(cc-consumer-mpi-run ${MPIEXEC} ${mpiflags} -n 2
      "${WORK}/consumer-mpi-pc" "${data}/mpi-pc")
endif()

file(REMOVE_RECURSE "${WORK}")
message(STATUS "install test: ok (CMake package, pkg-config, tools; MPI: ${have_mpi})")
