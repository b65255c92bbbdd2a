#!/usr/bin/env python3
"""ctest spack_recipe / spack_recipe_static: check the Spack recipe without Spack.

Spack is not installed where CI runs, so this test loads
spack/spack_repo/metallc/packages/metall_c/package.py with stand-ins for the
Spack modules it imports (spack.package and
spack_repo.builtin.build_systems.cmake) that record every directive, then
checks:
  - the repository layout of package API v2 (repo.yaml namespace and api,
    directory names, class name derived from the package name metall-c);
  - the package's identity: homepage and git on a real host (no placeholder),
    a version per the CMake project version (tag vX.Y.Z) plus main, a
    license() equal to the SPDX header of the project's LICENSE, maintainers,
    no generator() (CMakePackage already offers make and ninja);
  - variants mpi, hwloc, shared (all on by default) and the dependencies,
    cmocka as a test-only one;
  - cmake_args(): every -D it passes is an option (or cache entry) of the
    top-level CMakeLists.txt, each variant drives its option, and
    METALLC_BUILD_TESTS follows run_tests; cmake@3.20: matches
    cmake_minimum_required;
  - check() runs ctest without the `slow` label, with --output-on-failure;
  - every stand-alone test method test_*() has a docstring;
  - with --prefix (an installed metall-c) or --build-dir (installed into a
    temporary prefix first): runs those test methods for real against it,
    with a stand-in `which`/`Executable` that runs programs, as the user
    running the test (root included: the recipe must cope with Open MPI's
    refusal to run as root by itself);
  - with --static-build DIR: configures this source tree in DIR with the
    recipe's own cmake_args() for ~shared, builds and installs it, and runs
    the test methods against that static-only install; and checks that the
    recipe's +hwloc and +mpi make configuring fail when hwloc or MPI cannot
    be found (instead of building without them).
Exit status 0 only if every check holds.
"""

import argparse
import ast
import contextlib
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import types

FAILURES = []
PASSED = [0]


def check(cond, what, quiet=False):
    if cond:
        PASSED[0] += 1
        if not quiet:
            print(f"ok    {what}")
    else:
        print(f"FAIL  {what}")
        FAILURES.append(what)


# ---- stand-ins for the Spack modules -----------------------------------------

class Recorder:
    """Collects the directives the class body calls, in order."""

    def __init__(self):
        self.calls = []

    def directive(self, name):
        def record(*args, **kwargs):
            self.calls.append((name, args, kwargs))
        return record

    def all(self, name):
        return [(a, k) for n, a, k in self.calls if n == name]


class Prefix(str):
    """A path whose attributes are sub-paths, as Spack's Prefix."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Prefix(os.path.join(self, name))

    def join(self, name):
        return Prefix(os.path.join(self, name))


class ProcessError(Exception):
    pass


class SkipTest(Exception):
    pass


class Executable:
    """Runs a program as Spack's Executable does; every call is recorded."""

    calls = []

    def __init__(self, path):
        self.path = path

    def __call__(self, *args, output=None, error=None, **kwargs):
        cmd = [self.path] + [str(a) for a in args]
        Executable.calls.append(cmd)
        print("  $ " + " ".join(cmd))
        if Executable.dry_run:
            return "" if output in (str, str.split) else None
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=120)
        sys.stdout.write(proc.stdout)
        sys.stdout.write(proc.stderr)
        if proc.returncode != 0:
            raise ProcessError(f"{cmd[0]} exited with {proc.returncode}")
        if output in (str, str.split):
            return proc.stdout + (proc.stderr if error in (str, str.split) else "")
        return None


Executable.dry_run = False


def which(*names, required=False, **kwargs):
    for name in names:
        found = shutil.which(str(name))
        if found:
            return Executable(found)
    if required:
        raise ProcessError(f"none of {names} found")
    return None


class LibraryList(list):
    """Spack's LibraryList: full paths of libraries and their flags."""

    @property
    def directories(self):
        return list(dict.fromkeys(os.path.dirname(p) for p in self))

    @property
    def names(self):
        return [re.sub(r"^lib|\.(so|a)(\.[0-9.]*)?$", "", os.path.basename(p)) for p in self]

    @property
    def search_flags(self):
        return " ".join(f"-L{d}" for d in self.directories)

    @property
    def link_flags(self):
        return " ".join(f"-l{n}" for n in dict.fromkeys(self.names))

    @property
    def ld_flags(self):
        return f"{self.search_flags} {self.link_flags}"


def find_libraries(libraries, root, shared=True, recursive=False, runtime=True):
    """Spack's find_libraries: the libraries in the order asked for."""
    if isinstance(libraries, str):
        libraries = [libraries]
    suffix = "so" if shared else "a"
    found = []
    for lib in libraries:
        pattern = os.path.join(root, "**" if recursive else "", f"{lib}.{suffix}")
        found += sorted(glob.glob(pattern, recursive=recursive))[:1]
    return LibraryList(found)


@contextlib.contextmanager
def working_dir(path, create=False):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def make_stubs(rec):
    """Install fake spack.package and spack_repo.builtin.build_systems.cmake."""

    class CMakePackage:
        """Stand-in for Spack's CMakePackage (define* as Spack writes them)."""

        @staticmethod
        def define(name, value):
            if isinstance(value, bool):
                return f"-D{name}:BOOL={'ON' if value else 'OFF'}"
            if isinstance(value, (list, tuple)):
                return f"-D{name}:STRING={';'.join(map(str, value))}"
            return f"-D{name}:STRING={value}"

        def define_from_variant(self, name, variant=None):
            variant = variant or name.lower()
            rec.calls.append(("define_from_variant", (name, variant), {}))
            if variant not in self.spec.variants:
                raise KeyError(f"define_from_variant: no variant {variant!r}")
            return self.define(name, self.spec.variants[variant])

    def generator(*names, default=None):
        rec.calls.append(("generator", names, {"default": default}))

    package = types.ModuleType("spack.package")
    for name in ("version", "variant", "depends_on", "conflicts", "requires",
                 "maintainers", "license", "provides", "patch", "resource",
                 "build_system", "extends", "tags"):
        setattr(package, name, rec.directive(name))
    package.which = which
    package.Executable = Executable
    package.ProcessError = ProcessError
    package.SkipTest = SkipTest
    package.LibraryList = LibraryList
    package.find_libraries = find_libraries
    package.join_path = os.path.join
    package.working_dir = working_dir
    package.run_after = lambda *a, **k: (lambda f: f)
    package.run_before = lambda *a, **k: (lambda f: f)
    package.on_package_attributes = lambda **k: (lambda f: f)
    package.test_part = None
    package.__all__ = [n for n in dir(package) if not n.startswith("_")]

    cmake = types.ModuleType("spack_repo.builtin.build_systems.cmake")
    cmake.CMakePackage = CMakePackage
    cmake.generator = generator

    spack = types.ModuleType("spack")
    spack.package = package
    mods = {
        "spack": spack,
        "spack.package": package,
        "spack_repo": types.ModuleType("spack_repo"),
        "spack_repo.builtin": types.ModuleType("spack_repo.builtin"),
        "spack_repo.builtin.build_systems": types.ModuleType("spack_repo.builtin.build_systems"),
        "spack_repo.builtin.build_systems.cmake": cmake,
    }
    sys.modules.update(mods)
    return CMakePackage


class Spec:
    """Just enough of a concrete spec: variants, satisfies(), spec[dep],
    spec["metall-c:mpi"] (a query forwarded to the package's libs)."""

    def __init__(self, variants, deps, pkg=None):
        self.variants = variants
        self.deps = deps
        self.pkg = pkg
        self.last_query = None

    def satisfies(self, constraint):
        for tok in constraint.split():
            if tok.startswith("platform="):
                if tok != "platform=linux":
                    return False
            elif tok.startswith("^"):
                if tok[1:] not in self.deps and tok[1:] != getattr(self.deps.get("mpi"), "name", ""):
                    return False
            elif tok[0] in "+~":
                if self.variants.get(tok[1:]) != (tok[0] == "+"):
                    return False
            else:
                raise ValueError(f"Spec stand-in cannot evaluate {tok!r}")
        return True

    def __contains__(self, name):
        return name in self.deps

    def __getitem__(self, name):
        base, _, params = name.partition(":")
        if base == "metall-c":
            self.last_query = types.SimpleNamespace(
                name=base, extra_parameters=[p for p in params.split(",") if p])
            pkg = self.pkg
            return types.SimpleNamespace(libs=type(pkg).libs.fget(pkg), prefix=pkg.prefix)
        return self.deps[name]


def spack_name_to_class(name):
    """Spack's mod_to_class: metall-c -> MetallC."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", name))


# ---- the checks ------------------------------------------------------------

def cmake_project(source_dir):
    """options and cache entries, minimum CMake version and project version
    of the top-level CMakeLists.txt"""
    text = open(os.path.join(source_dir, "CMakeLists.txt")).read()
    options = set(re.findall(r"^\s*option\(\s*(\w+)", text, re.M))
    options |= set(re.findall(r"^\s*set\(\s*(\w+)\s+\S+\s+CACHE\b", text, re.M))
    m = re.search(r"cmake_minimum_required\(\s*VERSION\s+([0-9.]+)", text)
    v = re.search(r"project\(\s*\w+\s+VERSION\s+([0-9.]+)", text)
    return options, (m.group(1) if m else None), (v.group(1) if v else None)


def load_recipe(repo_dir):
    pkg_dir = os.path.join(repo_dir, "packages", "metall_c")
    path = os.path.join(pkg_dir, "package.py")
    rec = Recorder()
    base = make_stubs(rec)
    source = open(path).read()
    # imports: only the two Spack modules and the standard library
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            check(node.module in ("spack.package", "spack_repo.builtin.build_systems.cmake"),
                  f"package.py imports from {node.module}")
    namespace = {"__name__": "spack_repo.metallc.packages.metall_c.package", "__file__": path}
    exec(compile(source, path, "exec"), namespace)
    cls = namespace.get(spack_name_to_class("metall-c"))
    check(cls is not None, "package.py defines class MetallC (the class name of metall-c)")
    if cls is None:
        sys.exit(1)
    check(issubclass(cls, base), "MetallC derives from CMakePackage")
    return cls, rec, pkg_dir, namespace


def check_layout(repo_dir):
    check(os.path.basename(os.path.dirname(repo_dir)) == "spack_repo",
          "the repository lives in spack_repo/<namespace>/ (API v2 layout)")
    text = open(os.path.join(repo_dir, "repo.yaml")).read()
    ns = re.search(r"^\s+namespace:\s*['\"]?([\w.]+)", text, re.M)
    api = re.search(r"^\s+api:\s*['\"]?(v[0-9.]+)", text, re.M)
    check(ns is not None and ns.group(1) == os.path.basename(repo_dir),
          "repo.yaml namespace matches its directory (metallc)")
    check(api is not None and api.group(1).startswith("v2."), "repo.yaml api: v2.x")


PLACEHOLDER_HOSTS = re.compile(
    r"//([^/]*\.)?(example\.(org|com|net)|localhost|invalid|test)(/|:|$)|placeholder|TODO", re.I)


def check_identity(cls, rec, source_dir, project_version):
    homepage, git = getattr(cls, "homepage", ""), getattr(cls, "git", "")
    for what, url in (("homepage", homepage), ("git", git)):
        check(url.startswith("https://") and not PLACEHOLDER_HOSTS.search(url),
              f"{what} {url!r} is an https URL on a real host")
    check(git.endswith(".git") and git[:-4].rstrip("/") == homepage.rstrip("/"),
          "git is the homepage's repository")
    versions = {a[0]: k for a, k in rec.all("version")}
    check(versions.get("main", {}).get("branch") == "main", "version main (branch main)")
    check(project_version in versions
          and versions[project_version].get("tag") == f"v{project_version}",
          f"version {project_version} (the CMake project version) from tag v{project_version}")
    licenses = [a[0] for a, k in rec.all("license")]
    spdx = None
    path = os.path.join(source_dir, "LICENSE")
    if os.path.isfile(path):
        m = re.search(r"SPDX-License-Identifier:\s*(.+)", open(path).read())
        spdx = m.group(1).strip() if m else None
    check(spdx is not None, "LICENSE exists and carries an SPDX-License-Identifier")
    check(licenses == [spdx], f"license({licenses}) matches LICENSE's SPDX identifier {spdx!r}")
    if spdx:
        text = open(path).read()
        for lic, marker in (("MIT", "Permission is hereby granted, free of charge"),
                            ("Apache-2.0", "TERMS AND CONDITIONS FOR USE, REPRODUCTION")):
            if lic in spdx.split():
                check(marker in text, f"LICENSE holds the {lic} text")
    maint = [m for a, k in rec.all("maintainers") for m in a]
    check(bool(maint) and all(re.fullmatch(r"[A-Za-z0-9-]+", m) for m in maint),
          f"maintainers({', '.join(maint)}) are GitHub handles")
    check(not rec.all("generator"),
          "no generator() directive (CMakePackage already offers make and ninja)")


def check_directives(rec, cmake_min):
    variants = {a[0]: k for a, k in rec.all("variant")}
    for name in ("mpi", "hwloc", "shared"):
        check(name in variants and variants[name].get("default") is True,
              f"variant {name} exists, default on")
        check(bool(variants.get(name, {}).get("description")), f"variant {name} has a description")
    deps = {}
    for a, k in rec.all("depends_on"):
        deps.setdefault(a[0], []).append(k)
    check(any(k.get("type") == "build" for k in deps.get("c", [])), "depends_on c (build)")
    check(any(k.get("type") == "build" for k in deps.get("cxx", [])), "depends_on cxx (build)")
    cmake = [s for s in deps if s.startswith("cmake@")]
    check(len(cmake) == 1 and all(k.get("type") == "build" for k in deps[cmake[0]]),
          "depends_on cmake@X: (build)")
    if cmake and cmake_min:
        check(cmake[0] == f"cmake@{cmake_min}:",
              f"depends_on {cmake[0]} matches cmake_minimum_required({cmake_min})")
    check(any("build" in k.get("type", ()) for k in deps.get("pkgconfig", [])),
          "depends_on pkgconfig (build: hwloc and cmocka are found through it)")
    check(any(k.get("when") == "+mpi" for k in deps.get("mpi", [])), "depends_on mpi when +mpi")
    check(any(k.get("when") == "+hwloc" for k in deps.get("hwloc", [])),
          "depends_on hwloc when +hwloc")
    check(any(k.get("type") == "test" for k in deps.get("cmocka", [])),
          "depends_on cmocka (test only: the build-time tests)")


def fake_package(cls, variants, run_tests, prefix="/opt/metall-c", mpicc=None):
    pkg = cls.__new__(cls)
    mpi_prefix = Prefix(os.path.dirname(os.path.dirname(shutil.which("mpiexec") or "/usr/bin/x")))
    mpi = types.SimpleNamespace(
        name="openmpi" if shutil.which("ompi_info") else "mpich",
        mpicc=mpicc or shutil.which("mpicc") or "/usr/bin/mpicc", prefix=mpi_prefix)
    pc = shutil.which("pkg-config") or "/usr/bin/pkg-config"
    hwloc_dir = subprocess.run([pc, "--variable=libdir", "hwloc"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True).stdout.strip()
    deps = {
        "mpi": mpi,
        "c": types.SimpleNamespace(package=types.SimpleNamespace(
            cc=shutil.which("cc") or "/usr/bin/cc")),
        "hwloc": types.SimpleNamespace(
            prefix=Prefix("/usr"),
            libs=find_libraries("libhwloc", hwloc_dir or "/usr/lib", shared=True)),
        "pkgconfig": types.SimpleNamespace(prefix=Prefix(os.path.dirname(os.path.dirname(pc)))),
        "cmake": types.SimpleNamespace(prefix=Prefix(os.path.dirname(os.path.dirname(
            shutil.which("cmake") or "/usr/bin/cmake")))),
    }
    pkg.spec = Spec(dict(variants), deps, pkg)
    pkg.run_tests = run_tests
    pkg.prefix = Prefix(prefix)
    return pkg


def parse_defines(args):
    out = {}
    for a in args:
        m = re.match(r"-D(\w+)(?::\w+)?=(.*)$", a)
        check(m is not None, f"cmake_args item {a!r} is a -DNAME[:TYPE]=VALUE", quiet=True)
        if m:
            out[m.group(1)] = m.group(2)
    return out


VARIANT_OPTIONS = {"mpi": "METALLC_USE_MPI", "hwloc": "METALLC_USE_HWLOC",
                   "shared": "METALLC_BUILD_SHARED"}
ALL_ON = {"mpi": True, "hwloc": True, "shared": True}


def check_cmake_args(cls, rec, options):
    for opt in VARIANT_OPTIONS.values():
        check(opt in options, f"{opt} is an option of CMakeLists.txt")
    defs = parse_defines(fake_package(cls, ALL_ON, run_tests=False).cmake_args())
    for name in defs:
        if name.startswith("METALLC_"):
            check(name in options, f"cmake_args -D{name}: an option of CMakeLists.txt")
    check(defs.get("METALLC_BUILD_TESTS") == "OFF", "METALLC_BUILD_TESTS=OFF without run_tests")
    defs_t = parse_defines(fake_package(cls, ALL_ON, run_tests=True).cmake_args())
    check(defs_t.get("METALLC_BUILD_TESTS") == "ON", "METALLC_BUILD_TESTS=ON with run_tests")
    used = {a[1]: a[0] for n, a, k in rec.calls if n == "define_from_variant"}
    for variant, opt in VARIANT_OPTIONS.items():
        check(used.get(variant) == opt, f"variant {variant} -> define_from_variant({opt!r})")
        check(defs.get(opt) == "ON", f"+{variant} gives -D{opt}=ON")
        off = dict(ALL_ON, **{variant: False})
        d = parse_defines(fake_package(cls, off, run_tests=False).cmake_args())
        check(d.get(opt) == "OFF", f"~{variant} gives -D{opt}=OFF")
    d = parse_defines(fake_package(cls, dict(ALL_ON, mpi=False), run_tests=False).cmake_args())
    check("MPI_C_COMPILER" not in d, "~mpi passes no MPI_C_COMPILER")


def check_check(cls, namespace):
    """check(): ctest -LE slow --output-on-failure in the build directory,
    turning the tests on first where the directory was configured without
    them."""
    check("check" in cls.__dict__, "the recipe defines check()")
    if "check" not in cls.__dict__:
        return
    namespace["make_jobs"] = 2  # a global Spack gives the package's module
    build = tempfile.mkdtemp(prefix="spack-check-", dir=os.environ.get("METALLC_TEST_TMPDIR"))
    pkg = fake_package(cls, ALL_ON, run_tests=True)
    pkg.build_directory = build

    def calls(cache):
        with open(os.path.join(build, "CMakeCache.txt"), "w") as f:
            f.write(f"METALLC_BUILD_SHARED:BOOL=ON\nMETALLC_BUILD_TESTS:BOOL={cache}\n")
        Executable.calls.clear()
        Executable.dry_run = True
        try:
            pkg.check()
        finally:
            Executable.dry_run = False
        return ([c[1:] for c in Executable.calls if os.path.basename(c[0]) == "ctest"],
                [c[1:] for c in Executable.calls if os.path.basename(c[0]) == "cmake"])

    try:
        runs, configs = calls("ON")
        check(len(runs) == 1 and not configs, "check() runs ctest once (tests configured)")
        if runs:
            args = runs[0]
            ok = any(args[i:i + 2] == ["-LE", "slow"] for i in range(len(args)))
            check(ok, f"check() excludes the slow label: ctest {' '.join(args)}")
            check("--output-on-failure" in args, "check() passes --output-on-failure")
            check("--no-tests=error" in args, "check() fails when there is no test to run")
        # an incremental `spack dev-build --test=root` skips configuring
        runs, configs = calls("OFF")
        check(any("-DMETALLC_BUILD_TESTS=ON" in c for c in configs) and len(runs) == 1,
              "check() turns the tests on in a build directory configured without them")
    finally:
        shutil.rmtree(build, ignore_errors=True)


def check_test_methods(cls, pkg_dir):
    tests = [n for n in dir(cls) if n.startswith("test_") and callable(getattr(cls, n))]
    check(len(tests) >= 2, f"stand-alone tests defined: {', '.join(tests)}")
    for n in tests:
        check(bool((getattr(cls, n).__doc__ or "").strip()), f"{n}() has a docstring")
    src = open(os.path.join(pkg_dir, "package.py")).read()
    for f in re.findall(r'"(\w+\.c)"', src):
        check(os.path.isfile(os.path.join(pkg_dir, "test", f)),
              f"test source {f} is in packages/metall_c/test/")
    return tests


def run_test_methods(cls, tests, pkg_dir, prefix, variants):
    """Run the stand-alone tests, as `spack test run` would, against an
    installed metall-c: each in a fresh directory and environment, without
    anything that would make Open MPI accept root."""
    what = " ".join(("+" if v else "~") + k for k, v in sorted(variants.items()))
    pkg = fake_package(cls, variants, run_tests=False, prefix=prefix)
    pkg.test_suite = types.SimpleNamespace(current_test_data_dir=Prefix(os.path.join(pkg_dir, "test")))
    old, env = os.getcwd(), dict(os.environ)
    for n in tests:
        work = tempfile.mkdtemp(prefix=f"spack-{n}-", dir=os.environ.get("METALLC_TEST_TMPDIR"))
        os.chdir(work)
        for v in ("OMPI_ALLOW_RUN_AS_ROOT", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "LD_LIBRARY_PATH"):
            os.environ.pop(v, None)
        try:
            getattr(pkg, n)()
            check(True, f"{n}() passes against {prefix} ({what})")
        except SkipTest as e:
            print(f"skip  {n}(): {e}")
        except Exception as e:  # noqa: BLE001 - any failure of the test method
            check(False, f"{n}() against {prefix} ({what}): {type(e).__name__}: {e}")
        finally:
            os.chdir(old)
            os.environ.clear()
            os.environ.update(env)
            shutil.rmtree(work, ignore_errors=True)


def run(cmd, what, expect_ok=True, env=None, timeout=900):
    """Run a configure/build/install step; returns (ok, output)."""
    proc = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, env=env, timeout=timeout)
    ok = proc.returncode == 0
    if ok != expect_ok:
        sys.stdout.write(proc.stdout[-4000:])
    return ok, proc.stdout


def recipe_configure_cmd(cls, source_dir, build, prefix, variants, cmake, generator,
                         mpicc=None):
    """cmake as Spack's CMakeBuilder runs it: std_cmake_args + cmake_args()."""
    pkg = fake_package(cls, variants, run_tests=False, prefix=prefix, mpicc=mpicc)
    return [cmake, "-G", generator, "-S", source_dir, "-B", build,
            f"-DCMAKE_INSTALL_PREFIX:STRING={prefix}", "-DCMAKE_BUILD_TYPE:STRING=Release",
            *pkg.cmake_args()]


def check_required_deps(cls, source_dir, work, cmake, generator):
    """+hwloc / +mpi fail the configuration when the dependency is absent."""
    env = dict(os.environ, PKG_CONFIG_LIBDIR="/nonexistent", PKG_CONFIG_PATH="")
    build = os.path.join(work, "no-hwloc")
    shutil.rmtree(build, ignore_errors=True)
    ok, out = run(recipe_configure_cmd(cls, source_dir, build, "/nonexistent",
                                       dict(ALL_ON, mpi=False), cmake, generator),
                  "configure +hwloc without hwloc", expect_ok=False, env=env)
    check(not ok and "hwloc" in out,
          "+hwloc: configuring fails when pkg-config finds no hwloc (no silent fallback)")
    build = os.path.join(work, "no-mpi")
    shutil.rmtree(build, ignore_errors=True)
    # MPI "not found" for certain: a REQUIRED find_package(MPI) then fails,
    # one without REQUIRED (a silent fallback) would succeed
    ok, out = run(recipe_configure_cmd(cls, source_dir, build, "/nonexistent",
                                       dict(ALL_ON, hwloc=False), cmake, generator)
                  + ["-DCMAKE_DISABLE_FIND_PACKAGE_MPI=ON"],
                  "configure +mpi without MPI", expect_ok=False)
    check(not ok and "MPI" in out,
          "+mpi: configuring fails when MPI is not found (no silent fallback)")
    for d in ("no-hwloc", "no-mpi"):
        shutil.rmtree(os.path.join(work, d), ignore_errors=True)


def static_install(cls, source_dir, work, cmake, generator, mpi, hwloc):
    """Configure, build and install this tree as the recipe does for
    ~shared; returns the prefix or None."""
    build, prefix = os.path.join(work, "build"), os.path.join(work, "prefix")
    shutil.rmtree(prefix, ignore_errors=True)
    variants = dict(ALL_ON, shared=False, mpi=mpi, hwloc=hwloc)
    ok, _ = run(recipe_configure_cmd(cls, source_dir, build, prefix, variants, cmake, generator),
                "configure ~shared")
    check(ok, f"configure ~shared with the recipe's cmake_args in {build}")
    if ok:
        ok, _ = run([cmake, "--build", build, "-j", str(os.cpu_count() or 2)], "build ~shared")
        check(ok, "build ~shared")
    if ok:
        ok, _ = run([cmake, "--install", build], "install ~shared")
        check(ok, f"install ~shared into {prefix}")
    if ok:
        libs = glob.glob(os.path.join(prefix, "lib*", "libmetallc*"))
        check(libs and not any(".so" in os.path.basename(p) for p in libs),
              f"~shared installs static libraries only: {[os.path.basename(p) for p in libs]}")
    return prefix if ok else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--prefix", help="an installed metall-c to run the stand-alone tests on")
    ap.add_argument("--build-dir", help="a metall-c build tree: install it into a temporary "
                    "prefix and run the stand-alone tests on that")
    ap.add_argument("--static-build", metavar="DIR",
                    help="build this tree as the recipe does for ~shared in DIR, run the "
                    "stand-alone tests on it, and check that +hwloc/+mpi are required")
    ap.add_argument("--cmake", default="cmake")
    ap.add_argument("--generator", default="Unix Makefiles")
    ap.add_argument("--mpi", choices=("on", "off"), default="on",
                    help="whether that install has the MPI layer")
    ap.add_argument("--hwloc", choices=("on", "off"), default="on",
                    help="whether that install uses hwloc")
    args = ap.parse_args()
    source_dir = os.path.abspath(args.source_dir)
    repo_dir = os.path.join(source_dir, "spack", "spack_repo", "metallc")
    options, cmake_min, project_version = cmake_project(source_dir)
    check_layout(repo_dir)
    cls, rec, pkg_dir, namespace = load_recipe(repo_dir)
    check_identity(cls, rec, source_dir, project_version)
    check_directives(rec, cmake_min)
    check_cmake_args(cls, rec, options)
    check_check(cls, namespace)
    tests = check_test_methods(cls, pkg_dir)
    variants = {"mpi": args.mpi == "on", "hwloc": args.hwloc == "on", "shared": True}
    if args.prefix:
        run_test_methods(cls, tests, pkg_dir, args.prefix, variants)
    elif args.build_dir:
        prefix = tempfile.mkdtemp(prefix="spack-prefix-", dir=os.environ.get("METALLC_TEST_TMPDIR"))
        try:
            ok, out = run([args.cmake, "--install", args.build_dir, "--prefix", prefix], "install")
            check(ok, f"cmake --install {args.build_dir} --prefix {prefix}")
            if ok:
                run_test_methods(cls, tests, pkg_dir, prefix, variants)
        finally:
            shutil.rmtree(prefix, ignore_errors=True)
    if args.static_build:
        work = os.path.abspath(args.static_build)
        os.makedirs(work, exist_ok=True)
        check_required_deps(cls, source_dir, work, args.cmake, args.generator)
        prefix = static_install(cls, source_dir, work, args.cmake, args.generator,
                                variants["mpi"], variants["hwloc"])
        if prefix:
            run_test_methods(cls, tests, pkg_dir, prefix, dict(variants, shared=False))
    print(f"spack_recipe: {PASSED[0]} passed, {len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
