"""Typed record classes made without generating code: `@value_class` gives a class of annotated fields a
slotted layout, `__init__` (positional or keyword, with defaults), `__repr__`, `__eq__`, `__match_args__`
and, with `frozen=True`, read-only fields and `__hash__`, as `dataclasses.dataclass(slots=True)` does.

dataclasses writes each class's methods as source text and runs it through `exec`, which costs most of a
millisecond a class (and imports `inspect`); edgekit defines some eighty such classes and a device pays for
them at every start. Here every class shares the same few methods, driven by its field table. What this
does not do: order methods, keyword-only fields, and an `inspect.signature` naming the fields (it shows
`*args, **kwargs`)."""
from __future__ import annotations

from typing import Any, Callable, ClassVar, TypeVar

T = TypeVar("T")
MISSING: Any = type("MISSING", (), {"__repr__": lambda self: "MISSING"})()


class FrozenInstanceError(AttributeError):
    """A field of a frozen value class was assigned or deleted."""


class Field:
    """A field's options (see `field`); `type` is its annotation as written."""

    __slots__ = ("name", "type", "default", "default_factory", "compare", "repr", "init")

    def __init__(self, default: Any = MISSING, default_factory: Callable[[], Any] | None = None,
                 compare: bool = True, repr: bool = True, init: bool = True) -> None:  # noqa: A002 (dataclasses' names)
        self.name, self.type = "", None
        self.default, self.default_factory = default, default_factory
        self.compare, self.repr, self.init = compare, repr, init


def field(*, default: Any = MISSING, default_factory: Callable[[], Any] | None = None, compare: bool = True,
          repr: bool = True, init: bool = True) -> Any:  # noqa: A002
    """A field with options, as `dataclasses.field`: a default or a factory of defaults, whether it takes
    part in equality and hashing, in the repr, and in `__init__` (else `__post_init__` sets it)."""
    return Field(default, default_factory, compare, repr, init)


def fields(cls_or_obj: Any) -> tuple[Field, ...]:
    """The fields of a value class (or of an instance of one), in declaration order, inherited ones first."""
    return cls_or_obj.__value_fields__


def asdict(obj: Any) -> Any:
    """A value class instance as plain data, recursively (as `dataclasses.asdict`): a dict of its fields, with
    value classes, lists, tuples (named ones too) and dicts inside converted, and other values deep-copied."""
    if hasattr(type(obj), "__value_fields__"):
        return {f.name: asdict(getattr(obj, f.name)) for f in obj.__value_fields__}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*[asdict(v) for v in obj])
    if isinstance(obj, (list, tuple)):
        return type(obj)(asdict(v) for v in obj)
    if isinstance(obj, dict):
        return {asdict(k): asdict(v) for k, v in obj.items()}
    import copy  # only for values that are not plain containers

    return copy.deepcopy(obj)


def replace(obj: T, **changes: Any) -> T:
    """A copy of a value class instance with some init fields changed (a fresh `__init__` runs)."""
    for f in obj.__value_fields__:
        if f.init and f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
        elif not f.init and f.name in changes:
            raise ValueError(f"field {f.name} is not set by __init__ and cannot be replaced")
    return type(obj)(**changes)


def value_class(cls: type | None = None, *, frozen: bool = False) -> Any:
    """Make `cls` a slotted record class of its annotated fields (used bare or as `value_class(frozen=True)`).
    As with dataclasses: fields of value-class bases come first, `ClassVar` annotations are not fields, and a
    `__repr__`, `__eq__` or `__hash__` the class defines itself is kept."""
    if cls is None:
        return lambda c: _build(c, frozen)
    return _build(cls, frozen)


def _is_classvar(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return annotation.startswith(("ClassVar", "typing.ClassVar"))
    return annotation is ClassVar or getattr(annotation, "__origin__", None) is ClassVar


def _build(cls: type, frozen: bool) -> type:
    own = cls.__dict__
    inherited: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        if "__value_fields__" in base.__dict__:
            if base.__dict__["__value_frozen__"] != frozen:
                raise TypeError(f"{cls.__name__}: a frozen and a mutable value class cannot inherit from each other")
            inherited.update((f.name, f) for f in base.__value_fields__)
    specs = dict(inherited)
    new_names = []
    for name, annotation in own.get("__annotations__", {}).items():
        if _is_classvar(annotation):
            continue
        got = own.get(name, MISSING)
        spec = got if isinstance(got, Field) else Field(got)
        if isinstance(spec.default, (list, dict, set)):
            raise ValueError(f"{cls.__name__}.{name}: a mutable default is shared by every instance; "
                             "use field(default_factory=...)")
        spec.name, spec.type = name, annotation
        if name not in specs:
            new_names.append(name)
        specs[name] = spec
    table = tuple(specs.values())
    with_init = [s for s in table if s.init]
    for before, after in zip(with_init, with_init[1:]):
        if _has_default(before) and not _has_default(after):
            raise TypeError(f"{cls.__name__}: field {after.name} without a default follows one with a default")
    ns = {k: v for k, v in own.items() if k not in specs and k not in ("__dict__", "__weakref__")}
    ns.update({
        "__qualname__": cls.__qualname__,
        "__slots__": tuple(new_names),
        "__match_args__": tuple(s.name for s in with_init),
        "__value_fields__": table,
        "__value_compare__": tuple(s.name for s in table if s.compare),
        "__value_frozen__": frozen,
    })
    setters: list[Callable[[Any, Any], None]] = []
    ns.setdefault("__init__", _make_init(cls.__name__, table, hasattr(cls, "__post_init__"), setters))
    ns.setdefault("__getstate__", _getstate)
    ns.setdefault("__setstate__", _setstate)  # through object.__setattr__: copies and pickles of frozen ones work
    ns.setdefault("__repr__", _repr)
    ns.setdefault("__eq__", _eq)
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    if not explicit_hash:
        ns["__hash__"] = _hash if frozen else None
    if frozen:
        ns["__setattr__"] = _frozen_setattr
        ns["__delattr__"] = _frozen_delattr
    new = type(cls)(cls.__name__, cls.__bases__, ns)
    # the positional __init__ sets each field through its slot's descriptor, not object.__setattr__ by name
    setters += [getattr(new, s.name).__set__ for s in with_init]
    for value in ns.values():  # methods using super() or __class__ refer to the class they were written in
        for fn in (value, getattr(value, "__func__", None), getattr(value, "fget", None),
                   getattr(value, "fset", None), getattr(value, "fdel", None)):
            code = getattr(fn, "__code__", None)
            if code is not None and "__class__" in code.co_freevars:
                fn.__closure__[code.co_freevars.index("__class__")].cell_contents = new
    return new


def _has_default(spec: Field) -> bool:
    return spec.default is not MISSING or spec.default_factory is not None


def _make_init(cls_name: str, specs: tuple[Field, ...], post_init: bool,
               setters: list[Callable[[Any, Any], None]]) -> Callable[..., None]:
    init_specs = tuple(s for s in specs if s.init)
    init_names = tuple(s.name for s in init_specs)
    later = tuple(s for s in specs if not s.init and _has_default(s))
    names = frozenset(init_names)
    n = len(init_specs)
    assign = object.__setattr__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        given = len(args)
        if given == n and not kwargs:  # all positional: the common case, kept short
            for set_slot, value in zip(setters, args):
                set_slot(self, value)
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
                elif spec.default_factory is not None:
                    value = spec.default_factory()
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
            assign(self, spec.name, spec.default_factory() if spec.default_factory is not None else spec.default)
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


def _getstate(self: Any) -> tuple:
    return tuple((f.name, getattr(self, f.name)) for f in self.__value_fields__ if hasattr(self, f.name))


def _setstate(self: Any, state: tuple) -> None:
    for name, value in state:
        object.__setattr__(self, name, value)
