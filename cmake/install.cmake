# Installation and packaging: headers, libraries, the CMake package
# (find_package(MetallC) -> MetallC::metallc, MetallC::metallc_static,
# MetallC::metallc_mpi) and the pkg-config files metallc.pc and
# metallc-mpi.pc. Included by the top-level CMakeLists.txt after every
# subdirectory, so every target the project defines is known here.
#
# Who installs what:
#  - here: include/metall/, the core libraries (METALLC_LIBRARY_TARGETS,
#    set by src/), the package files;
#  - mpi/:  install(TARGETS metallc_mpi EXPORT MetallCTargets ...), so the
#    MPI library lands in the same export set and gets MetallC::metallc_mpi;
#  - tools/, benchmarks/: their own binaries, into CMAKE_INSTALL_BINDIR.
#
# Relocation: `cmake --install build --prefix P` may differ from the
# configured CMAKE_INSTALL_PREFIX. The CMake files are relocatable by
# construction (paths relative to the config file); the pkg-config files are
# written at install time, with the prefix actually installed to.

set(METALLC_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/MetallC CACHE STRING
    "Where MetallCConfig.cmake is installed (relative to the prefix)")
set(METALLC_INSTALL_PKGCONFIGDIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig CACHE STRING
    "Where metallc.pc and metallc-mpi.pc are installed (relative to the prefix)")

# ---- headers -----------------------------------------------------------
# metall_mpi.h declares functions of libmetallc_mpi and includes <mpi.h>: it
# is only useful, and only installed, when that library is.
set(_metallc_header_excludes)
if(NOT TARGET metallc_mpi)
  list(APPEND _metallc_header_excludes PATTERN "metall_mpi.h" EXCLUDE)
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/metall
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT metallc_dev
        FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp"
        ${_metallc_header_excludes})

# ---- run paths -----------------------------------------------------------
# Installed programs and libraries find the project's shared libraries in
# ../lib (or beside them) wherever the prefix is, without LD_LIBRARY_PATH.
# Appended to INSTALL_RPATH, which starts as CMAKE_INSTALL_RPATH: Spack's (or
# a distribution's) run paths are kept.
file(RELATIVE_PATH _metallc_bin_to_lib
     ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_LIBDIR})
function(_metallc_collect_targets dir out)
  get_property(_t DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(_subs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(s ${_subs})
    _metallc_collect_targets(${s} _st)
    list(APPEND _t ${_st})
  endforeach()
  set(${out} ${_t} PARENT_SCOPE)
endfunction()
_metallc_collect_targets(${PROJECT_SOURCE_DIR} _metallc_all_targets)
foreach(t ${_metallc_all_targets})
  get_target_property(_type ${t} TYPE)
  get_target_property(_imported ${t} IMPORTED)
  if(_imported)
    continue()
  endif()
  if(_type STREQUAL "EXECUTABLE")
    set_property(TARGET ${t} APPEND PROPERTY INSTALL_RPATH "$ORIGIN/${_metallc_bin_to_lib}")
  elseif(_type STREQUAL "SHARED_LIBRARY" OR _type STREQUAL "MODULE_LIBRARY")
    set_property(TARGET ${t} APPEND PROPERTY INSTALL_RPATH "$ORIGIN")
  endif()
endforeach()

# ---- core libraries ------------------------------------------------------
install(TARGETS ${METALLC_LIBRARY_TARGETS}
        EXPORT MetallCTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT metallc_runtime
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT metallc_runtime
                NAMELINK_COMPONENT metallc_dev
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT metallc_dev
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# the license travels with the binaries (share/doc/MetallC/LICENSE)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR}
        COMPONENT metallc_runtime)

# ---- CMake package -------------------------------------------------------
# What the installed targets need from the consumer's side, decided here and
# written into MetallCConfig.cmake:
#  - Threads::Threads: every core target links it publicly;
#  - MPI::MPI_C: metallc_mpi, when it is built;
#  - PkgConfig::HWLOC: only if a target exports it (the MPI layer may); the
#    static core library names plain `hwloc` (src/), which the config file
#    upgrades to PkgConfig::HWLOC when hwloc's .pc file is found, so a hwloc
#    in a non-system prefix (Spack) links too.
set(METALLC_CONFIG_HAVE_MPI OFF)
if(TARGET metallc_mpi)
  set(METALLC_CONFIG_HAVE_MPI ON)
endif()
set(METALLC_CONFIG_HAVE_HWLOC ${METALLC_HAVE_HWLOC})
set(METALLC_CONFIG_STATIC_TARGET "")
if(TARGET metallc_static)
  set(METALLC_CONFIG_STATIC_TARGET metallc_static)
elseif(NOT METALLC_BUILD_SHARED)
  set(METALLC_CONFIG_STATIC_TARGET metallc)
endif()

install(EXPORT MetallCTargets
        NAMESPACE MetallC::
        FILE MetallCTargets.cmake
        DESTINATION ${METALLC_INSTALL_CMAKEDIR}
        COMPONENT metallc_dev)
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/MetallCConfig.cmake.in
  ${PROJECT_BINARY_DIR}/MetallCConfig.cmake
  INSTALL_DESTINATION ${METALLC_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_BINDIR)
# 0.x: the library version is also the on-disk format's promise; a consumer
# asking for 0.1 accepts any 0.1.z, not 0.2 (SameMinorVersion).
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/MetallCConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/MetallCConfig.cmake
              ${PROJECT_BINARY_DIR}/MetallCConfigVersion.cmake
        DESTINATION ${METALLC_INSTALL_CMAKEDIR}
        COMPONENT metallc_dev)

# ---- pkg-config ------------------------------------------------------------
# Paths as pkg-config variables relative to ${prefix} when GNUInstallDirs
# gives relative ones (the usual case), absolute otherwise.
foreach(_d LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_d}}")
    set(METALLC_PC_${_d} "${CMAKE_INSTALL_${_d}}")
  else()
    set(METALLC_PC_${_d} "\${prefix}/${CMAKE_INSTALL_${_d}}")
  endif()
endforeach()
# hwloc outside the linker's default directories (a Spack or module prefix):
# its -L and a run path, so that `cc app.c $(pkg-config --libs metallc)`
# links the static library and the program finds libhwloc.so when it runs.
set(METALLC_PC_LIBS_PRIVATE "-lpthread")
if(METALLC_HAVE_HWLOC)
  foreach(_dir ${HWLOC_LIBRARY_DIRS})
    if(NOT _dir IN_LIST CMAKE_C_IMPLICIT_LINK_DIRECTORIES)
      string(APPEND METALLC_PC_LIBS_PRIVATE " -L${_dir} -Wl,-rpath,${_dir}")
    endif()
  endforeach()
  string(APPEND METALLC_PC_LIBS_PRIVATE " -lhwloc")
endif()
# Only a static library installed: -lmetallc is libmetallc.a, so its own
# dependencies belong on every link line, not just `pkg-config --static`.
# The shared library's directory goes into the program's run path when it
# is not one the dynamic linker searches anyway (decided at install time,
# for the prefix actually installed to): a program built with
# `cc app.c $(pkg-config --cflags --libs metallc)` runs without
# LD_LIBRARY_PATH, e.g. after `spack load metall-c`.
set(METALLC_PC_LIBS "-lmetallc")
if(NOT METALLC_BUILD_SHARED)
  string(APPEND METALLC_PC_LIBS " ${METALLC_PC_LIBS_PRIVATE}")
endif()
set(METALLC_PC_SYSTEM_LIBDIRS ${CMAKE_C_IMPLICIT_LINK_DIRECTORIES}
    ${CMAKE_PLATFORM_IMPLICIT_LINK_DIRECTORIES})
list(REMOVE_DUPLICATES METALLC_PC_SYSTEM_LIBDIRS)

set(_metallc_pc_files metallc)
if(TARGET metallc_mpi)
  list(APPEND _metallc_pc_files metallc-mpi)
  get_target_property(_mpi_out metallc_mpi OUTPUT_NAME)
  if(NOT _mpi_out)
    set(_mpi_out metallc_mpi)
  endif()
  set(METALLC_PC_MPI_LIBNAME ${_mpi_out})
  # Open MPI ships ompi-c.pc: require it by name, so that its flags follow
  # the MPI actually installed. Otherwise (MPICH, vendor MPIs) write the
  # flags FindMPI found.
  set(METALLC_PC_MPI_REQUIRES "")
  set(METALLC_PC_MPI_CFLAGS "")
  set(METALLC_PC_MPI_LIBS "")
  set(_ompi_c FALSE)
  set(_is_ompi FALSE)
  foreach(_inc ${MPI_C_HEADER_DIR} ${MPI_C_INCLUDE_DIRS})
    if(EXISTS ${_inc}/mpi.h)
      file(STRINGS ${_inc}/mpi.h _ompi_def REGEX "^#define OPEN_MPI ")
      if(_ompi_def)
        set(_is_ompi TRUE)
      endif()
      break()
    endif()
  endforeach()
  if(_is_ompi)
    find_package(PkgConfig QUIET)
    if(PKG_CONFIG_FOUND)
      pkg_check_modules(METALLC_OMPI_C QUIET ompi-c)
      set(_ompi_c ${METALLC_OMPI_C_FOUND})
    endif()
  endif()
  if(_ompi_c)
    set(METALLC_PC_MPI_REQUIRES "ompi-c")
  else()
    foreach(_inc ${MPI_C_INCLUDE_DIRS})
      string(APPEND METALLC_PC_MPI_CFLAGS " -I${_inc}")
    endforeach()
    foreach(_lib ${MPI_C_LIBRARIES})
      if(_lib MATCHES "^/.*/lib([^/]+)\\.(so|a)(\\.[0-9.]*)?$")
        get_filename_component(_libdir ${_lib} DIRECTORY)
        string(APPEND METALLC_PC_MPI_LIBS " -L${_libdir} -l${CMAKE_MATCH_1}")
      elseif(_lib MATCHES "^-")
        string(APPEND METALLC_PC_MPI_LIBS " ${_lib}")
      else()
        string(APPEND METALLC_PC_MPI_LIBS " -l${_lib}")
      endif()
    endforeach()
    if(MPI_C_COMPILE_OPTIONS)
      list(JOIN MPI_C_COMPILE_OPTIONS " " _opts)
      string(APPEND METALLC_PC_MPI_CFLAGS " ${_opts}")
    endif()
  endif()
endif()

if(IS_ABSOLUTE "${METALLC_INSTALL_PKGCONFIGDIR}")
  set(_metallc_pc_dest "${METALLC_INSTALL_PKGCONFIGDIR}")
else()
  set(_metallc_pc_dest "\${CMAKE_INSTALL_PREFIX}/${METALLC_INSTALL_PKGCONFIGDIR}")
endif()
# Written at install time: CMAKE_INSTALL_PREFIX then is the prefix actually
# installed to (`--prefix` included), and DESTDIR is honoured by file(INSTALL).
set(_metallc_pc_vars PROJECT_VERSION PROJECT_DESCRIPTION METALLC_PC_LIBDIR METALLC_PC_LIBS
    METALLC_PC_INCLUDEDIR METALLC_PC_LIBS_PRIVATE METALLC_PC_MPI_LIBNAME
    METALLC_PC_MPI_REQUIRES METALLC_PC_MPI_CFLAGS METALLC_PC_MPI_LIBS
    METALLC_PC_SYSTEM_LIBDIRS)
set(_metallc_pc_code "")
foreach(_v ${_metallc_pc_vars})
  string(APPEND _metallc_pc_code "set(${_v} [==[${${_v}}]==])\n")
endforeach()
# (install scripts run without the project's policies: plain if() forms)
set(_metallc_pc_rpath_code "")
if(METALLC_BUILD_SHARED)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
    set(_metallc_pc_rpath_code "set(_metallc_pc_full_libdir [==[${CMAKE_INSTALL_LIBDIR}]==])")
  else()
    set(_metallc_pc_rpath_code
        "set(_metallc_pc_full_libdir \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}\")")
  endif()
  string(APPEND _metallc_pc_rpath_code "
list(FIND METALLC_PC_SYSTEM_LIBDIRS \"\${_metallc_pc_full_libdir}\" _metallc_pc_sys)
if(_metallc_pc_sys EQUAL -1)
  string(APPEND METALLC_PC_LIBS \" -Wl,-rpath,\\\${libdir}\")
endif()")
endif()
foreach(_pc ${_metallc_pc_files})
  # one staging directory per prefix: installs into two prefixes at once
  # (the tests do) must not write the same file
  install(CODE "${_metallc_pc_code}
set(METALLC_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
${_metallc_pc_rpath_code}
string(MD5 _metallc_pc_stage \"\${CMAKE_INSTALL_PREFIX}\")
set(_metallc_pc_stage \"${PROJECT_BINARY_DIR}/pkgconfig/\${_metallc_pc_stage}\")
configure_file([==[${CMAKE_CURRENT_LIST_DIR}/${_pc}.pc.in]==]
               \"\${_metallc_pc_stage}/${_pc}.pc\" @ONLY)
file(INSTALL DESTINATION \"${_metallc_pc_dest}\"
     TYPE FILE FILES \"\${_metallc_pc_stage}/${_pc}.pc\")"
          COMPONENT metallc_dev)
endforeach()
