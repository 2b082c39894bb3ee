"""Typed record classes made without generating code: `@value_class` gives a class of annotated fields a
slotted layout, `__init__` (positional or keyword, with defaults), `__repr__`, `__eq__`, `__match_args__`
and, with `frozen=True`, read-only fields and `__hash__`, as `dataclasses.dataclass(slots=True)` does.

dataclasses writes each class's methods as source text and runs it through `exec`, which costs most of a
millisecond a class (and imports `inspect`); the forest defines some forty such classes and a device pays
for them at every start. Here every class shares the same few methods, driven by its field table."""
from __future__ import annotations

from typing import Any, Callable, TypeVar

T = TypeVar("T")
MISSING: Any = type("MISSING", (), {"__repr__": lambda self: "MISSING"})()


class FrozenInstanceError(AttributeError):
    """A field of a frozen value class was assigned or deleted."""


class Field:
    """A field's options (see `field`)."""

    __slots__ = ("name", "default", "factory", "compare", "repr", "init")

    def __init__(self, default: Any = MISSING, factory: Callable[[], Any] | None = None, compare: bool = True,
                 repr: bool = True, init: bool = True) -> None:  # noqa: A002  (dataclasses' names)
        self.name = ""
        self.default, self.factory, self.compare, self.repr, self.init = default, factory, compare, repr, init


def field(*, default: Any = MISSING, default_factory: Callable[[], Any] | None = None, compare: bool = True,
          repr: bool = True, init: bool = True) -> Any:  # noqa: A002
    """A field with options, as `dataclasses.field`: a default or a factory of defaults, whether it takes
    part in equality and hashing, in the repr, and in `__init__` (else `__post_init__` sets it)."""
    return Field(default, default_factory, compare, repr, init)


def fields(cls_or_obj: Any) -> tuple[Field, ...]:
    """The fields of a value class (or of an instance of one), in declaration order."""
    return cls_or_obj.__value_fields__


def asdict(obj: Any) -> Any:
    """A value class instance as plain data, recursively (as `dataclasses.asdict`): a dict of its fields, with
    value classes, lists, tuples and dicts inside converted too."""
    if hasattr(type(obj), "__value_fields__"):
        return {f.name: asdict(getattr(obj, f.name)) for f in obj.__value_fields__}
    if isinstance(obj, (list, tuple)):
        return type(obj)(asdict(v) for v in obj)
    if isinstance(obj, dict):
        return {asdict(k): asdict(v) for k, v in obj.items()}
    return obj


def replace(obj: T, **changes: Any) -> T:
    """A copy of a value class instance with some init fields changed (a fresh `__init__` runs)."""
    for f in obj.__value_fields__:
        if f.init and f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
        elif not f.init and f.name in changes:
            raise ValueError(f"field {f.name} is not set by __init__ and cannot be replaced")
    return type(obj)(**changes)


def value_class(cls: type | None = None, *, frozen: bool = False) -> Any:
    """Make `cls` a slotted record class of its annotated fields (used bare or as `value_class(frozen=True)`)."""
    if cls is None:
        return lambda c: _build(c, frozen)
    return _build(cls, frozen)


def _build(cls: type, frozen: bool) -> type:
    specs: list[Field] = []
    for name in cls.__dict__.get("__annotations__", {}):
        got = cls.__dict__.get(name, MISSING)
        spec = got if isinstance(got, Field) else Field(got)
        spec.name = name
        specs.append(spec)
    required_after = [s for s in specs if s.init]
    for before, after in zip(required_after, required_after[1:]):
        if _has_default(before) and not _has_default(after):
            raise TypeError(f"{cls.__name__}: field {after.name} without a default follows one with a default")
    ns = {k: v for k, v in cls.__dict__.items() if k not in {s.name for s in specs} | {"__dict__", "__weakref__"}}
    table = tuple(specs)
    ns.update({
        "__slots__": tuple(s.name for s in specs),
        "__match_args__": tuple(s.name for s in specs if s.init),
        "__value_fields__": table,
        "__init__": _make_init(cls.__name__, table, "__post_init__" in cls.__dict__, frozen),
        "__repr__": _repr,
        "__eq__": _eq,
        "__hash__": _hash if frozen else None,
    })
    if frozen:
        ns["__setattr__"] = _frozen_setattr
        ns["__delattr__"] = _frozen_delattr
        ns["__setstate__"] = _frozen_setstate  # copy.copy sets the state through object.__setattr__
    ns["__value_compare__"] = tuple(s.name for s in specs if s.compare)
    return type(cls)(cls.__name__, cls.__bases__, ns)


def _has_default(spec: Field) -> bool:
    return spec.default is not MISSING or spec.factory is not None


def _make_init(cls_name: str, specs: tuple[Field, ...], post_init: bool, frozen: bool) -> Callable[..., None]:
    init_specs = tuple(s for s in specs if s.init)
    init_names = tuple(s.name for s in init_specs)
    later = tuple(s for s in specs if not s.init and _has_default(s))
    names = frozenset(init_names)
    n = len(init_specs)
    assign = object.__setattr__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        given = len(args)
        if given == n and not kwargs:  # all positional: the common case, kept short
            for name, value in zip(init_names, args):
                assign(self, name, value)
        else:
            if given > n:
                raise TypeError(f"{cls_name}() takes {n} positional arguments but {given} were given")
            for name, value in zip(init_names, args):
                assign(self, name, value)
            used = 0
            for spec in init_specs[given:]:
                value = kwargs.get(spec.name, MISSING)
                if value is not MISSING:
                    used += 1
                elif spec.factory is not None:
                    value = spec.factory()
                elif spec.default is not MISSING:
                    value = spec.default
                else:
                    raise TypeError(f"{cls_name}() missing required argument: {spec.name!r}")
                assign(self, spec.name, value)
            if used != len(kwargs):  # a keyword no field has, or one given by position too
                unknown = sorted(kwargs.keys() - names)
                if unknown:
                    raise TypeError(f"{cls_name}() got an unexpected keyword argument {unknown[0]!r}")
                twice = [name for name in init_names[:given] if name in kwargs]
                raise TypeError(f"{cls_name}() got multiple values for argument {twice[0]!r}")
        for spec in later:
            assign(self, spec.name, spec.factory() if spec.factory is not None else spec.default)
        if post_init:
            self.__post_init__()

    return __init__


def _repr(self: Any) -> str:
    parts = ", ".join(f"{s.name}={getattr(self, s.name)!r}" for s in self.__value_fields__ if s.repr)
    return f"{type(self).__qualname__}({parts})"


def _key(self: Any) -> tuple:
    return tuple([getattr(self, name) for name in self.__value_compare__])


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return self is other or _key(self) == _key(other)


def _hash(self: Any) -> int:
    return hash(_key(self))


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _frozen_setstate(self: Any, state: Any) -> None:
    _dict, slots = state if isinstance(state, tuple) else (state, None)
    for name, value in (slots or {}).items():
        object.__setattr__(self, name, value)
