#!/usr/bin/env python3
"""ctest spack_recipe: check the Spack recipe without Spack.

Spack cannot be installed here, so this test loads
spack/spack_repo/metallc/packages/metall_c/package.py with stand-ins for the
Spack modules it imports (spack.package and
spack_repo.builtin.build_systems.cmake) that record every directive, then
checks:
  - the repository layout of package API v2 (repo.yaml namespace and api,
    directory names, class name derived from the package name metall-c);
  - variants mpi, hwloc, shared (all on by default) and the dependencies;
  - cmake_args(): every -D it passes is an option() of the top-level
    CMakeLists.txt, each variant drives its option, METALLC_BUILD_TESTS
    follows run_tests, and cmake@3.20: matches cmake_minimum_required;
  - every stand-alone test method test_*() has a docstring;
  - with --prefix (an installed metall-c) or --build-dir (installed into a
    temporary prefix first): runs those test methods for real against it,
    with a stand-in `which`/`Executable` that runs programs.
Exit status 0 only if every check holds.
"""

import argparse
import ast
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
    def __init__(self, path):
        self.path = path

    def __call__(self, *args, output=None, error=None, **kwargs):
        cmd = [self.path] + [str(a) for a in args]
        print("  $ " + " ".join(cmd))
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=120)
        sys.stdout.write(proc.stdout)
        sys.stdout.write(proc.stderr)
        if proc.returncode != 0:
            raise ProcessError(f"{cmd[0]} exited with {proc.returncode}")
        if output in (str, str.split):
            return proc.stdout + (proc.stderr if error in (str, str.split) else "")
        return None


def which(*names, required=False, **kwargs):
    for name in names:
        found = shutil.which(str(name))
        if found:
            return Executable(found)
    if required:
        raise ProcessError(f"none of {names} found")
    return None


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
        if any(n not in ("make", "ninja") for n in names):
            raise ValueError("only 'make' and 'ninja' are allowed")
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
    package.join_path = os.path.join
    package.working_dir = None
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
    """Just enough of a concrete spec: variants, satisfies(), spec[dep]."""

    def __init__(self, variants, deps):
        self.variants = variants
        self.deps = deps

    def satisfies(self, constraint):
        for tok in constraint.split():
            if tok.startswith("platform="):
                if tok != "platform=linux":
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
        return self.deps[name]


def spack_name_to_class(name):
    """Spack's mod_to_class: metall-c -> MetallC."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", name))


# ---- the checks ------------------------------------------------------------

def cmake_options(source_dir):
    text = open(os.path.join(source_dir, "CMakeLists.txt")).read()
    options = set(re.findall(r"^\s*option\(\s*(\w+)", text, re.M))
    m = re.search(r"cmake_minimum_required\(\s*VERSION\s+([0-9.]+)", text)
    return options, (m.group(1) if m else None)


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
    return cls, rec, pkg_dir


def check_layout(repo_dir):
    check(os.path.basename(os.path.dirname(repo_dir)) == "spack_repo",
          "the repository lives in spack_repo/<namespace>/ (API v2 layout)")
    text = open(os.path.join(repo_dir, "repo.yaml")).read()
    ns = re.search(r"^\s+namespace:\s*['\"]?([\w.]+)", text, re.M)
    api = re.search(r"^\s+api:\s*['\"]?(v[0-9.]+)", text, re.M)
    check(ns is not None and ns.group(1) == os.path.basename(repo_dir),
          "repo.yaml namespace matches its directory (metallc)")
    check(api is not None and api.group(1).startswith("v2."), "repo.yaml api: v2.x")


def check_directives(rec, options, cmake_min):
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
    check(any(k.get("when") == "+mpi" for k in deps.get("mpi", [])), "depends_on mpi when +mpi")
    check(any(k.get("when") == "+hwloc" for k in deps.get("hwloc", [])),
          "depends_on hwloc when +hwloc")
    check(any(k.get("type") == "test" for k in deps.get("cmocka", [])), "depends_on cmocka (test)")
    versions = [a[0] for a, k in rec.all("version")]
    check("main" in versions, "version main")
    check(len(rec.all("generator")) <= 1, "at most one generator() directive")


def fake_package(cls, variants, run_tests, prefix="/opt/metall-c"):
    pkg = cls.__new__(cls)
    mpi = types.SimpleNamespace(mpicc=shutil.which("mpicc") or "/usr/bin/mpicc",
                                prefix=Prefix("/usr"))
    deps = {
        "mpi": mpi,
        "c": types.SimpleNamespace(package=types.SimpleNamespace(
            cc=shutil.which("cc") or "/usr/bin/cc")),
        "hwloc": types.SimpleNamespace(prefix=Prefix("/usr")),
    }
    pkg.spec = Spec(dict(variants), deps)
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


def check_cmake_args(cls, rec, options):
    mapping = {"mpi": "METALLC_USE_MPI", "hwloc": "METALLC_USE_HWLOC",
               "shared": "METALLC_BUILD_SHARED"}
    for opt in mapping.values():
        check(opt in options, f"{opt} is an option() of CMakeLists.txt")
    base = {"mpi": True, "hwloc": True, "shared": True}
    defs = parse_defines(fake_package(cls, base, run_tests=False).cmake_args())
    for name in defs:
        if name.startswith("METALLC_"):
            check(name in options, f"cmake_args -D{name}: an option() of CMakeLists.txt")
    check(defs.get("METALLC_BUILD_TESTS") == "OFF", "METALLC_BUILD_TESTS=OFF without run_tests")
    defs_t = parse_defines(fake_package(cls, base, run_tests=True).cmake_args())
    check(defs_t.get("METALLC_BUILD_TESTS") == "ON", "METALLC_BUILD_TESTS=ON with run_tests")
    used = {a[1]: a[0] for n, a, k in rec.calls if n == "define_from_variant"}
    for variant, opt in mapping.items():
        check(used.get(variant) == opt, f"variant {variant} -> define_from_variant({opt!r})")
        check(defs.get(opt) == "ON", f"+{variant} gives -D{opt}=ON")
        off = dict(base, **{variant: False})
        d = parse_defines(fake_package(cls, off, run_tests=False).cmake_args())
        check(d.get(opt) == "OFF", f"~{variant} gives -D{opt}=OFF")
    d = parse_defines(fake_package(cls, dict(base, mpi=False), run_tests=False).cmake_args())
    check("MPI_C_COMPILER" not in d, "~mpi passes no MPI_C_COMPILER")


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
    installed metall-c."""
    os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    pkg = fake_package(cls, variants, run_tests=False, prefix=prefix)
    pkg.test_suite = types.SimpleNamespace(current_test_data_dir=Prefix(os.path.join(pkg_dir, "test")))
    old = os.getcwd()
    for n in tests:
        work = tempfile.mkdtemp(prefix=f"spack-{n}-", dir=os.environ.get("METALLC_TEST_TMPDIR"))
        os.chdir(work)
        try:
            getattr(pkg, n)()
            check(True, f"{n}() passes against {prefix}")
        except SkipTest as e:
            print(f"skip  {n}(): {e}")
        except Exception as e:  # noqa: BLE001 - any failure of the test method
            check(False, f"{n}() against {prefix}: {type(e).__name__}: {e}")
        finally:
            os.chdir(old)
            shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--prefix", help="an installed metall-c to run the stand-alone tests on")
    ap.add_argument("--build-dir", help="a metall-c build tree: install it into a temporary "
                    "prefix and run the stand-alone tests on that")
    ap.add_argument("--cmake", default="cmake")
    ap.add_argument("--mpi", choices=("on", "off"), default="on",
                    help="whether that install has the MPI layer")
    args = ap.parse_args()
    repo_dir = os.path.join(os.path.abspath(args.source_dir), "spack", "spack_repo", "metallc")
    options, cmake_min = cmake_options(args.source_dir)
    check_layout(repo_dir)
    cls, rec, pkg_dir = load_recipe(repo_dir)
    check_directives(rec, options, cmake_min)
    check_cmake_args(cls, rec, options)
    tests = check_test_methods(cls, pkg_dir)
    variants = {"mpi": args.mpi == "on", "hwloc": True, "shared": True}
    if args.prefix:
        run_test_methods(cls, tests, pkg_dir, args.prefix, variants)
    elif args.build_dir:
        prefix = tempfile.mkdtemp(prefix="spack-prefix-", dir=os.environ.get("METALLC_TEST_TMPDIR"))
        try:
            proc = subprocess.run([args.cmake, "--install", args.build_dir, "--prefix", prefix],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            check(proc.returncode == 0, f"cmake --install {args.build_dir} --prefix {prefix}"
                  + (f": {proc.stderr}" if proc.returncode else ""))
            if proc.returncode == 0:
                run_test_methods(cls, tests, pkg_dir, prefix, variants)
        finally:
            shutil.rmtree(prefix, ignore_errors=True)
    print(f"spack_recipe: {PASSED[0]} passed, {len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
