# Spack recipe of metall-c (package API v2). In a clone of the project:
#   spack repo add spack/spack_repo/metallc
#   spack dev-build metall-c@main          # build this checkout, no download
#   spack test run metall-c                # the stand-alone tests below
# or, in a Spack environment: spack develop --no-clone --path "$PWD"
# metall-c@main, spack add metall-c@main, spack install. docs/install.md has
# the whole sequence.

import os

from spack_repo.builtin.build_systems.cmake import CMakePackage

from spack.package import *


class MetallC(CMakePackage):
    """metall-c: a persistent memory allocator for C for HPC. A program
    allocates as with malloc, but the heap lives in a datastore (a directory
    of memory-mapped files) that later runs reattach without parsing
    anything; an MPI layer gives every rank its own datastore on
    node-local storage, with collective snapshot and copy."""

    # the project's repository (source, issues, releases)
    homepage = "https://github.com/metall-c/metall-c"
    git = "https://github.com/metall-c/metall-c.git"

    maintainers("metall-c")

    license("Apache-2.0 OR MIT")

    # versions follow the project's CMake version (project(MetallC VERSION
    # ...)); each release is a tag vX.Y.Z
    version("main", branch="main")
    version("0.1.0", tag="v0.1.0")

    variant("mpi", default=True, description="Build the MPI layer (libmetallc_mpi)")
    variant("hwloc", default=True, description="NUMA placement with hwloc")
    variant("shared", default=True, description="Build shared libraries (else static only)")

    depends_on("c", type="build")
    depends_on("cxx", type="build")
    depends_on("cmake@3.20:", type="build")
    # hwloc and cmocka are found through pkg-config; the stand-alone tests
    # use it as a consumer does
    depends_on("pkgconfig", type="build")
    depends_on("mpi", when="+mpi")
    depends_on("hwloc", when="+hwloc")
    # only the build-time tests (spack install --test=root) need it; they
    # also use python3 and doxygen when found, skipping those parts otherwise
    depends_on("cmocka", type="test")

    # the library maps files with Linux facilities (MAP_NORESERVE,
    # fallocate, FICLONE)
    requires("platform=linux", msg="metall-c supports Linux only")

    # ~shared builds the MPI layer as a static library too (one copy of the
    # core per program), so +mpi works with either.

    # the stand-alone tests compile programs against the installation
    test_requires_compiler = True

    @property
    def libs(self):
        """libmetallc; with spec["metall-c:mpi"], libmetallc_mpi too."""
        names = ["libmetallc"]
        query = getattr(self.spec, "last_query", None)
        if query is not None and "mpi" in query.extra_parameters:
            names.insert(0, "libmetallc_mpi")
        return find_libraries(
            names, root=self.prefix, shared=self.spec.satisfies("+shared"), recursive=True
        )

    def cmake_args(self):
        args = [
            # ON makes CMake require MPI/hwloc: +mpi never builds without it
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

    def check(self):
        """The project's test suite without the long `slow` runs (minutes of
        crash loops); a failing test's output goes into the build log."""
        cmake = Executable(self.spec["cmake"].prefix.bin.cmake)
        ctest = Executable(self.spec["cmake"].prefix.bin.ctest)
        with working_dir(self.build_directory):
            if not self._tests_configured():
                # `spack dev-build --test=root` reuses the build directory of
                # an earlier dev-build without tests and skips configuring
                cmake("-DMETALLC_BUILD_TESTS=ON", ".")
                cmake("--build", ".", f"-j{make_jobs}")
            ctest("-LE", "slow", "--output-on-failure", "--no-tests=error", f"-j{make_jobs}")

    def _tests_configured(self):
        """Whether the build directory was configured with the tests."""
        cache = join_path(self.build_directory, "CMakeCache.txt")
        if not os.path.isfile(cache):
            return False
        with open(cache) as f:
            return any(line.strip() == "METALLC_BUILD_TESTS:BOOL=ON" for line in f)

    # ---- stand-alone tests (spack test run metall-c) ------------------------

    def _cc(self):
        """The compiler itself, not Spack's wrapper: the programs must link
        through the flags given here, as a user's would."""
        return which(self.spec["c"].package.cc, os.environ.get("CC", "cc"), required=True)

    def _static_deps(self):
        """What a program linking the static libmetallc.a needs too."""
        flags = []
        if self.spec.satisfies("+hwloc"):
            hwloc = self.spec["hwloc"].libs
            flags += [hwloc.search_flags, *(f"-Wl,-rpath,{d}" for d in hwloc.directories)]
            flags += hwloc.link_flags.split()
        return flags + ["-lpthread"]

    def _link_flags(self, libs):
        """Link flags for the installed `libs` (a LibraryList): -L, -l and
        the run path of shared libraries."""
        flags = [libs.search_flags, *libs.link_flags.split()]
        if self.spec.satisfies("+shared"):
            flags += [f"-Wl,-rpath,{d}" for d in libs.directories]
        else:
            flags += self._static_deps()
        return flags

    def _run(self, exe, *args, expect):
        """Run a test program; its output must contain `expect`."""
        out = which(join_path(".", exe), required=True)(
            *args, output=str.split, error=str.split
        )
        assert expect in out, f"{exe}: no {expect!r} in {out!r}"

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
        flags = [f"-I{self.prefix.include}", *self._link_flags(self.spec["metall-c"].libs)]
        self._cc()("-std=c11", src, "-o", exe, *flags)
        self._run(exe, "smoke-datastore", expect="metallc smoke: ok")

    def test_pkg_config(self):
        """compile with `cc app.c $(pkg-config --cflags --libs metallc)` (the
        README's command) and run the program without LD_LIBRARY_PATH"""
        pcdirs = [d.join("pkgconfig") for d in (self.prefix.lib, self.prefix.lib64)]
        pcdirs = [d for d in pcdirs if os.path.isdir(d)]
        env = os.environ.get("PKG_CONFIG_PATH")
        os.environ["PKG_CONFIG_PATH"] = os.pathsep.join(pcdirs + ([env] if env else []))
        pkg_config = which(
            self.spec["pkgconfig"].prefix.bin.join("pkg-config"), "pkg-config", required=True
        )
        flags = pkg_config("--cflags", "--libs", "metallc", output=str).split()
        src = join_path(self.test_suite.current_test_data_dir, "smoke.c")
        exe = "metallc_smoke_pc"
        self._cc()(src, "-o", exe, *flags)
        os.environ.pop("LD_LIBRARY_PATH", None)
        self._run(exe, "smoke-pc-datastore", expect="metallc smoke: ok")

    def test_mpi(self):
        """compile an MPI program against libmetallc_mpi and run it on two
        ranks"""
        if not self.spec.satisfies("+mpi"):
            raise SkipTest("built without +mpi")
        src = join_path(self.test_suite.current_test_data_dir, "smoke_mpi.c")
        exe = "metallc_smoke_mpi"
        mpicc = which(self.spec["mpi"].mpicc, required=True)
        libs = self.spec["metall-c:mpi"].libs
        mpicc("-std=c11", src, "-o", exe, f"-I{self.prefix.include}", *self._link_flags(libs))
        mpi_bin = self.spec["mpi"].prefix.bin
        mpiexec = which(mpi_bin.join("mpiexec"), mpi_bin.join("mpirun"), required=True)
        args = ["-n", "2"]
        if self.spec["mpi"].name == "openmpi":
            # two ranks even on one core; Open MPI refuses root unless told
            args.append("--oversubscribe")
            if os.geteuid() == 0:
                args.append("--allow-run-as-root")
        out = mpiexec(
            *args, join_path(".", exe), "smoke-mpi-datastore", output=str.split, error=str.split
        )
        assert "metallc mpi smoke: ok" in out, out
