"""The house has floors (``shared/DESIGN.md``): a module imports only from its own floor or the
floors below it. This test parses every import in ``src/profond`` (lazy ones inside functions
included) and fails on any import that runs upward, or on a package that has no floor yet."""

import ast
import pathlib

import profond

# Bottom first. A new package gets its place here before it lands.
FLOORS = [
    ["backend", "config", "_names", "_text", "_validation"],
    ["registry"],
    ["autodiff"],
    ["random", "ops"],
    ["initializers", "activations", "losses", "metrics", "regularizers", "constraints"],
    ["layers"],
    ["optimizers"],
    ["data", "datasets", "utils"],
    ["models", "callbacks", "saving"],
    ["rl", "explain", "distribute", "federated", "privacy", "unsupervised", "generative"],
    ["keras", "nn", "math", "linalg", "image", "strings", "train", "saved_model", "debugging",
     "experimental", "nest", "dtypes", "mixed_precision", "applications", "function", "compat",
     "cli", "viz", "playground", "testing", "serve", "onnx", "wrappers"],
]
FLOOR = {name: level for level, names in enumerate(FLOORS) for name in names}
ROOT = pathlib.Path(profond.__file__).parent


def _package(module):
    """``profond.layers.core`` → ``layers``; the top-level ``profond`` → None (imports all)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _imports(path, module):
    """The profond packages that ``path`` (the module ``module``) imports, with line numbers."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("profond."):
                    yield node.lineno, _package(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: resolve against the module's package
                base = module.split(".")[: -node.level] if path.name != "__init__.py" else \
                    module.split(".")[: len(module.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "profond":
                for alias in node.names:
                    yield node.lineno, alias.name
            elif target.startswith("profond."):
                yield node.lineno, _package(target)


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield path, ".".join(parts)


def test_every_package_has_a_floor():
    missing = {_package(m) for _, m in _modules()} - set(FLOOR) - {None}
    assert not missing, f"packages with no floor in tests/test_layering.py: {sorted(missing)}"


def test_imports_only_run_downward():
    upward = []
    for path, module in _modules():
        own = _package(module)
        if own is None or own not in FLOOR:
            continue
        for line, target in _imports(path, module):
            if target in FLOOR and FLOOR[target] > FLOOR[own]:
                upward.append(f"{path.relative_to(ROOT)}:{line}: {own} (floor {FLOOR[own]}) "
                              f"imports {target} (floor {FLOOR[target]})")
    assert not upward, "imports that run upward:\n" + "\n".join(upward)


def test_the_checker_sees_an_upward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from profond.models import Model\n")
    assert list(_imports(bad, "profond.ops.bad")) == [(2, "models")]
