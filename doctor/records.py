"""``record``: ``dataclasses.dataclass``, built in one ``exec`` per class before Python 3.13.

Before 3.13, dataclasses compiles every method it writes separately (``__init__``, ``__repr__``,
``__eq__``, ``__hash__``, and ``__setattr__``/``__delattr__`` when frozen): about a millisecond
a class, which over the doctor's seventy records was a fifth of an offline run. 3.13 compiles
them in one go; this does the same on the older versions. What it builds is a dataclass
(``dataclasses.fields``, ``replace``, ``asdict`` and ``is_dataclass`` work on it) whose methods
behave as dataclasses' own, for the options the doctor uses: ``frozen``, ``eq``, defaults,
``default_factory``, ``field(init=, repr=, compare=, hash=)``, ``__post_init__`` and
inheritance. Anything else (``InitVar``, ``kw_only``, ``order``...) is refused at import, where a
test sees it. tests/test_records.py compares it with dataclasses, method by method.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Dict, List

if TYPE_CHECKING:
    from dataclasses import dataclass as record
else:

    def record(cls: Any = None, *, frozen: bool = False, eq: bool = True) -> Any:
        def wrap(cls: type) -> type:
            if sys.version_info >= (3, 13):
                import dataclasses

                return dataclasses.dataclass(cls, frozen=frozen, eq=eq)
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
    scope: Dict[str, Any] = {}
    exec(text, {}, scope)
    for name, function in zip(made, scope["__create_fn__"](**names)):
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
        import inspect

        cls.__doc__ = cls.__name__ + str(inspect.signature(cls)).replace(" -> None", "")
    return cls


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
