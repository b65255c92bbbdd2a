# Spack recipe of metall-c (package API v2). Register the repository with
#   spack repo add <metall-c checkout>/spack/spack_repo/metallc
# then: spack install metall-c [+mpi +hwloc +shared], spack test run metall-c.

import os

from spack_repo.builtin.build_systems.cmake import CMakePackage, generator

from spack.package import *


class MetallC(CMakePackage):
    """metall-c: a persistent memory allocator for C for HPC. A program
    allocates as with malloc, but the heap lives in a datastore (a directory
    of memory-mapped files) that later runs reattach without parsing
    anything; an MPI layer gives every rank its own datastore on
    node-local storage, with collective snapshot and copy."""

    homepage = "https://example.org/metall-c"  # placeholder
    git = "https://example.org/metall-c.git"  # placeholder: the project's repository

    version("main", branch="main")

    generator("make", "ninja")

    variant("mpi", default=True, description="Build the MPI layer (libmetallc_mpi)")
    variant("hwloc", default=True, description="NUMA placement with hwloc")
    variant("shared", default=True, description="Build shared libraries (else static only)")

    depends_on("c", type="build")
    depends_on("cxx", type="build")
    depends_on("cmake@3.20:", type="build")
    # hwloc and cmocka are found through pkg-config
    depends_on("pkgconfig", type="build")
    depends_on("mpi", when="+mpi")
    depends_on("hwloc", when="+hwloc")
    depends_on("cmocka", type="test")

    # the library maps files with Linux facilities (MAP_NORESERVE,
    # fallocate, FICLONE)
    requires("platform=linux", msg="metall-c supports Linux only")

    # ~shared builds the MPI layer as a static library too (one copy of the
    # core per program), so +mpi works with either.

    def cmake_args(self):
        args = [
            self.define_from_variant("METALLC_USE_MPI", "mpi"),
            self.define_from_variant("METALLC_USE_HWLOC", "hwloc"),
            self.define_from_variant("METALLC_BUILD_SHARED", "shared"),
            self.define("METALLC_BUILD_STATIC", True),
            self.define("METALLC_BUILD_TESTS", self.run_tests),
            self.define("METALLC_BUILD_TOOLS", True),
            # the examples are documentation; the benchmarks would pick up
            # whatever jemalloc/PMDK/Boost the system has: neither belongs in
            # a reproducible install
            self.define("METALLC_BUILD_EXAMPLES", False),
            self.define("METALLC_BUILD_BENCHMARKS", False),
        ]
        if self.spec.satisfies("+mpi"):
            # FindMPI: the MPI of the spec, not one found on PATH
            args.append(self.define("MPI_C_COMPILER", self.spec["mpi"].mpicc))
        return args

    # ---- stand-alone tests (spack test run metall-c) ------------------------

    def _cc(self):
        """The C compiler of the test environment."""
        cc = os.environ.get("CC") or self.spec["c"].package.cc
        return which(cc, required=True)

    def _link_args(self, lib):
        libdir = self.prefix.lib64 if os.path.isdir(self.prefix.lib64) else self.prefix.lib
        return [f"-I{self.prefix.include}", f"-L{libdir}", f"-l{lib}", f"-Wl,-rpath,{libdir}"]

    def test_metall_ls(self):
        """run the installed metall-ls --help"""
        metall_ls = which(self.prefix.bin.join("metall-ls"), required=True)
        out = metall_ls("--help", output=str.split, error=str.split)
        assert "usage: metall-ls" in out

    def test_metall_check(self):
        """run the installed metall-check --help"""
        metall_check = which(self.prefix.bin.join("metall-check"), required=True)
        metall_check("--help", output=str.split, error=str.split)

    def test_create_reopen(self):
        """compile a C program against the installed library; it creates a
        datastore, reopens it and checks a named object"""
        src = join_path(self.test_suite.current_test_data_dir, "smoke.c")
        exe = "metallc_smoke"
        cc = self._cc()
        libs = self._link_args("metallc") + ["-lpthread"]
        if self.spec.satisfies("~shared +hwloc"):
            # the shared library carries hwloc; the static one needs it here
            libs += [f"-L{self.spec['hwloc'].prefix.lib}", "-lhwloc"]
        cc("-std=c11", src, "-o", exe, *libs)
        smoke = which(join_path(".", exe), required=True)
        out = smoke("smoke-datastore", output=str.split, error=str.split)
        assert "metallc smoke: ok" in out

    def test_mpi(self):
        """compile an MPI program against libmetallc_mpi and run it on one rank"""
        if not self.spec.satisfies("+mpi"):
            raise SkipTest("built without +mpi")
        src = join_path(self.test_suite.current_test_data_dir, "smoke_mpi.c")
        exe = "metallc_smoke_mpi"
        mpicc = which(self.spec["mpi"].mpicc, required=True)
        mpicc("-std=c11", src, "-o", exe, *self._link_args("metallc_mpi"), "-lmetallc")
        mpiexec = which(
            self.spec["mpi"].prefix.bin.join("mpiexec"),
            self.spec["mpi"].prefix.bin.join("mpirun"),
            required=True,
        )
        out = mpiexec("-n", "1", join_path(".", exe), "smoke-mpi-datastore",
                      output=str.split, error=str.split)
        assert "metallc mpi smoke: ok" in out
