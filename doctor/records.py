"""``record``: ``dataclasses.dataclass``, without compiling anything at import.

dataclasses writes each class's methods (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``,
and ``__setattr__``/``__delattr__`` when frozen) as source and compiles it: over half a
millisecond a class, which over the doctor's seventy records was a quarter of an offline run.
``record`` writes the same methods, and takes them compiled from doctor/_records_code.py, a module
generated from that very source (``python -m doctor.records``), whose bytecode Python caches like
any module's. A class whose source is not there (changed since the module was generated) is
compiled as dataclasses would; a test fails until the module is generated again.

What it builds is a dataclass (``dataclasses.fields``, ``replace``, ``asdict`` and
``is_dataclass`` work on it) whose methods behave as dataclasses' own, for the options the doctor
uses: ``frozen``, ``eq``, defaults, ``default_factory``, ``field(init=, repr=, compare=,
hash=)``, ``__post_init__`` and inheritance. Anything else (``InitVar``, ``kw_only``...) is
refused at import. tests/test_records.py compares it with dataclasses, method by method. A
record without a docstring gets "Name(field, ...)" as its docstring.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List

# The creator function source of every record built in this process, by module and name: what
# `python -m doctor.records` writes to doctor/_records_code.py.
SOURCES: Dict[str, str] = {}
_GENERATED = "_records_code.py"

if TYPE_CHECKING:
    from dataclasses import dataclass as record
else:

    def record(cls: Any = None, *, frozen: bool = False, eq: bool = True) -> Any:
        def wrap(cls: type) -> type:
            return _build(cls, frozen=frozen, eq=eq)

        return wrap if cls is None else wrap(cls)


def _build(cls: Any, *, frozen: bool, eq: bool) -> Any:
    import dataclasses
    import reprlib

    body = cls.__dict__
    class_hash = body.get("__hash__", dataclasses.MISSING)
    explicit_hash = not (
        class_hash is dataclasses.MISSING or (class_hash is None and "__eq__" in body)
    )
    doc = body.get("__doc__")
    if doc is None:
        cls.__doc__ = "-"  # (else dataclasses writes one from inspect.signature: slow)
    # Fields, inheritance and the class's bookkeeping, without a method compiled.
    cls = dataclasses.dataclass(cls, init=False, repr=False, eq=False)
    all_fields = list(cls.__dataclass_fields__.values())
    for f in all_fields:
        if f._field_type is dataclasses._FIELD_INITVAR or getattr(f, "kw_only", False) is True:  # type: ignore[attr-defined]
            raise TypeError(f"{cls.__qualname__}.{f.name}: record supports plain fields only")
    fields = [f for f in all_fields if f._field_type is dataclasses._FIELD]  # type: ignore[attr-defined]
    names: Dict[str, Any] = {
        "__class": cls,
        "__setattr": object.__setattr__,
        "__factory": _HAS_FACTORY,
        "FrozenInstanceError": dataclasses.FrozenInstanceError,
    }
    source: List[str] = []
    made: List[str] = []

    def method(name: str, lines: List[str]) -> None:
        if name not in body:  # a method the class writes itself is kept, as dataclasses does
            source.extend(lines)
            made.append(name)

    method("__init__", _init(fields, frozen, names, hasattr(cls, "__post_init__")))
    method(
        "__repr__",
        [
            "  def __repr__(self):",
            "    return self.__class__.__qualname__ + f'("
            + ", ".join(f"{f.name}={{self.{f.name}!r}}" for f in fields if f.repr)
            + ")'",
        ],
    )
    compared = [f.name for f in fields if f.compare]
    if eq:
        method(
            "__eq__",
            [
                "  def __eq__(self, other):",
                "    if other.__class__ is self.__class__:",
                f"      return {_tuple(compared, 'self')} == {_tuple(compared, 'other')}",
                "    return NotImplemented",
            ],
        )
    if eq and frozen and not explicit_hash:
        hashed = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
        source.extend(["  def __hash__(self):", f"    return hash({_tuple(hashed, 'self')})"])
        made.append("__hash__")
    if frozen:
        in_fields = _tuple([repr(f.name) for f in fields], "")
        for name, args, call, verb in (
            ("__setattr__", "self, name, value", "__setattr__(name, value)", "assign to"),
            ("__delattr__", "self, name", "__delattr__(name)", "delete"),
        ):
            if name in body:
                raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
            source.extend(
                [
                    f"  def {name}({args}):",
                    f"    if type(self) is __class or name in {in_fields}:",
                    f"      raise FrozenInstanceError(f'cannot {verb} field {{name!r}}')",
                    f"    super(__class, self).{call}",
                ]
            )
            made.append(name)
    text = "\n".join(
        [f"def __create_fn__({', '.join(names)}):", *source, f"  return ({_tuple(made, '')})"]
    )
    for name, function in zip(
        made, _creator(f"{cls.__module__}.{cls.__qualname__}", text)(**names)
    ):
        function.__qualname__ = f"{cls.__qualname__}.{name}"
        if name == "__init__":
            function.__annotations__ = {f.name: f.type for f in fields if f.init}
            function.__annotations__["return"] = None
        elif name == "__repr__":
            function = reprlib.recursive_repr()(function)
        setattr(cls, name, function)
    if eq and not frozen and not explicit_hash:
        cls.__hash__ = None  # as dataclasses: unhashable
    if doc is None:
        cls.__doc__ = f"{cls.__name__}({', '.join(f.name for f in fields if f.init)})"
    return cls


def _creator(key: str, text: str) -> Any:
    """The function ``text`` defines: from the generated module when it holds this very text."""
    SOURCES[key] = text
    try:
        from ._records_code import CREATORS
        from ._records_code import SOURCES as GENERATED
    except ImportError:  # not generated yet
        GENERATED, CREATORS = {}, {}
    if GENERATED.get(key) == text:
        return CREATORS[key]
    scope: Dict[str, Any] = {}
    exec(text, {}, scope)
    return scope["__create_fn__"]


class _HasFactory:
    def __repr__(self) -> str:
        return "<factory>"


_HAS_FACTORY = _HasFactory()


def _tuple(items: List[str], owner: str) -> str:
    parts = [f"{owner}.{item}" if owner else item for item in items]
    return "(" + "".join(f"{part}," for part in parts) + ")"


def _init(fields: List[Any], frozen: bool, names: Dict[str, Any], post_init: bool) -> List[str]:
    import dataclasses

    params, lines = ["self"], []
    for f in fields:
        given = f"__dflt_{f.name}"  # the default, or the default factory
        if f.default is not dataclasses.MISSING:
            names[given] = f.default
            param, value = f"{f.name}={given}", f.name
            unset = ""  # not a parameter: the class attribute holds the default
        elif f.default_factory is not dataclasses.MISSING:
            names[given] = f.default_factory
            param = f"{f.name}=__factory"
            value = f"{given}() if {f.name} is __factory else {f.name}"
            unset = f"{given}()"
        else:
            param, value, unset = f.name, f.name, ""
        if f.init:
            params.append(param)
        elif unset:
            value = unset
        else:
            continue  # as dataclasses: left to the class attribute, or unset
        lines.append(
            f"    __setattr(self, {f.name!r}, {value})"
            if frozen
            else f"    self.{f.name} = {value}"
        )
    if post_init:
        lines.append("    self.__post_init__()")
    return [f"  def __init__({', '.join(params)}):", *(lines or ["    pass"])]


def generate() -> str:
    """doctor/_records_code.py's text, from every record in the doctor's modules."""
    import importlib
    import pkgutil

    import doctor

    for module in pkgutil.walk_packages(doctor.__path__, "doctor."):
        if module.name not in ("doctor.__main__", "doctor._sdk_child", "doctor._records_code"):
            importlib.import_module(module.name)
    keys = sorted(key for key in SOURCES if key.startswith("doctor."))
    lines = [
        '"""Generated by `python -m doctor.records` (see doctor/records.py): do not edit."""',
        "# fmt: off",
        "",
    ]
    for index, key in enumerate(keys):
        lines += [SOURCES[key].replace("def __create_fn__(", f"def _{index}(", 1), ""]
    lines.append("SOURCES = {")
    lines += [f"    {key!r}: {SOURCES[key]!r}," for key in keys]
    lines += ["}", "CREATORS = {", *(f"    {key!r}: _{i}," for i, key in enumerate(keys)), "}", ""]
    return "\n".join(lines)


if (
    __name__ == "__main__"
):  # (this module is __main__ here: the records register with doctor.records)
    import os

    from doctor import records

    with open(os.path.join(os.path.dirname(__file__), _GENERATED), "w", encoding="utf-8") as out:
        out.write(records.generate())
