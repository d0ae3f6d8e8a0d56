"""The type stubs describe the module as built: every public name, every
Models member, every method and property of every class."""
import ast
import enum
import inspect
from pathlib import Path

import bioptimus_cpp as bp

STUB = Path(bp.__file__).with_name("__init__.pyi")
STUB_ONLY = {"Resolution", "Extent", "Pixels", "Placement", "MetadataValue", "StainTarget"}  # aliases for annotations


def stub_classes():
    tree = ast.parse(STUB.read_text())
    classes = {}
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            members = set()
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    members.add(item.name)
                elif isinstance(item, (ast.Assign, ast.AnnAssign)):
                    target = item.targets[0] if isinstance(item, ast.Assign) else item.target
                    members.add(target.id)
            classes[node.name] = members
            names.add(node.name)
        elif isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            names.add(target.id)
    return names, classes


def public_members(cls):
    own = set()
    for name, value in vars(cls).items():
        if name.startswith("_") and name not in {"__call__", "__getitem__", "__contains__", "__len__", "__iter__"}:
            continue
        if name.startswith("_pybind11"):
            continue
        own.add(name)
    return own


def test_every_public_name_is_in_the_stub():
    names, _ = stub_classes()
    # Submodules (bioptimus_cpp.torch, once imported) are not names of the module's own.
    runtime = {name for name in dir(bp) if not name.startswith("_") and not inspect.ismodule(getattr(bp, name))}
    runtime |= {"__version__"}
    # SlideInference exists only in a module built with the inference layer (LibTorch).
    optional = {"SlideInference"} - runtime
    assert names - STUB_ONLY - optional == runtime


def test_every_class_member_is_in_the_stub():
    _, classes = stub_classes()
    for name, stub_members in classes.items():
        if name not in dir(bp):
            continue  # an optional class this build leaves out
        cls = getattr(bp, name)
        if issubclass(cls, BaseException):
            continue
        if isinstance(cls, enum.EnumMeta):
            assert stub_members == {member.name for member in cls}, name
            continue
        missing = public_members(cls) - stub_members
        assert not missing, f"{name}: {sorted(missing)} not in the stub"
        extra = {m for m in stub_members if not m.startswith("__")} - public_members(cls)
        assert not extra, f"{name}: {sorted(extra)} in the stub but not in the module"


def test_every_public_function_and_class_has_a_docstring():
    for name in dir(bp):
        value = getattr(bp, name)
        if name.startswith("_") or not (inspect.isclass(value) or callable(value)):
            continue
        assert value.__doc__, name
