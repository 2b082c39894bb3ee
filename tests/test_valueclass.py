"""edgekit.valueclass behaves as dataclasses does for the forms edgekit uses (checked against a real
dataclass of the same fields), without generating code."""
import collections
import copy
import dataclasses
import pickle
from typing import ClassVar

import pytest

from edgekit.valueclass import FrozenInstanceError, asdict, field, fields, replace, value_class


@value_class(frozen=True)
class Point:
    x: int
    y: int = 0
    tag: str = field(default="", compare=False)


@dataclasses.dataclass(frozen=True, slots=True)
class DPoint:
    x: int
    y: int = 0
    tag: str = dataclasses.field(default="", compare=False)


@value_class
class Bag:
    name: str
    items: list = field(default_factory=list)
    size: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.size = len(self.items)


def test_construction_repr_and_equality_match_a_dataclass():
    for args, kwargs in [((1,), {}), ((1, 2), {}), ((1,), {"tag": "t"}), ((), {"x": 3, "y": 4})]:
        a, d = Point(*args, **kwargs), DPoint(*args, **kwargs)
        assert repr(a) == repr(d).replace("DPoint", "Point")
        assert (a.x, a.y, a.tag) == (d.x, d.y, d.tag)
    assert Point(1, 2, "a") == Point(1, 2, "b")  # tag takes no part in equality
    assert hash(Point(1, 2, "a")) == hash(Point(1, 2, "b"))
    assert Point(1, 2) != Point(2, 1)
    assert Point(1) != DPoint(1)
    assert not hasattr(Point(1), "__dict__")


def test_bad_arguments_are_type_errors():
    with pytest.raises(TypeError, match="missing required argument: 'x'"):
        Point()
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        Point(1, z=2)
    with pytest.raises(TypeError, match="multiple values for argument 'x'"):
        Point(1, x=2)
    with pytest.raises(TypeError, match="takes 3 positional arguments but 4"):
        Point(1, 2, "t", 4)
    with pytest.raises(TypeError, match="without a default follows"):
        @value_class
        class Bad:
            a: int = 0
            b: int


def test_frozen_fields_are_read_only_and_copies_work():
    p = Point(1, 2)
    with pytest.raises(FrozenInstanceError):
        p.x = 5
    with pytest.raises(AttributeError):
        del p.y
    assert copy.copy(p) == p and copy.deepcopy(p) == p and copy.deepcopy(p).tag == p.tag


def test_mutable_class_factories_post_init_and_replace():
    a, b = Bag("a"), Bag("b")
    a.items.append(1)
    assert b.items == [] and a.size == 0
    c = Bag("c", [1, 2])
    assert c.size == 2
    with pytest.raises(TypeError):
        hash(c)
    d = replace(c, name="d")
    assert (d.name, d.items, d.size) == ("d", [1, 2], 2)
    with pytest.raises(ValueError):
        replace(c, size=5)
    assert [f.name for f in fields(Bag)] == ["name", "items", "size"]


def test_pattern_matching_uses_the_init_fields_in_order():
    match Point(3, 4):
        case Point(x, y):
            assert (x, y) == (3, 4)
        case _:
            raise AssertionError("no match")
    assert Bag.__match_args__ == ("name", "items")


@value_class(frozen=True)
class Base:
    x: int
    KIND: ClassVar[str] = "base"

    def describe(self) -> str:
        return f"{self.KIND}:{self.x}"


@value_class(frozen=True)
class Derived(Base):
    y: int = 0

    def describe(self) -> str:
        return "derived " + super().describe()


class Outer:
    @value_class(frozen=True)
    class Inner:
        x: int


@value_class
class Custom:
    x: int

    def __repr__(self) -> str:
        return "custom"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Custom)


def test_inheritance_class_vars_own_methods_and_super_work_as_with_dataclasses():
    d = Derived(1, 2)
    assert (d.x, d.y, repr(d)) == (1, 2, "Derived(x=1, y=2)")
    assert Derived(x=1) == Derived(1, 0) and Derived.__match_args__ == ("x", "y")
    assert "KIND" not in [f.name for f in fields(Base)] and Base(3).KIND == "base"
    assert d.describe() == "derived base:1"
    assert repr(Custom(1)) == "custom" and Custom(1) == Custom(2)
    with pytest.raises(TypeError):
        @value_class
        class Mixed(Base):
            z: int = 0
    with pytest.raises(ValueError, match="mutable default"):
        @value_class
        class Shared:
            items: list = []  # noqa: RUF012


def test_pickles_on_every_protocol_nested_ones_too_and_asdict_recurses():
    for obj in (Point(1, 2, "t"), Bag("a", [1]), Derived(1, 2), Outer.Inner(5)):
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            back = pickle.loads(pickle.dumps(obj, protocol))
            assert type(back) is type(obj) and asdict(back) == asdict(obj)
    NT = collections.namedtuple("NT", "a b")
    assert asdict(Bag("n", [NT(Point(1), 2)])) == {"name": "n", "items": [NT({"x": 1, "y": 0, "tag": ""}, 2)],
                                                   "size": 1}
    assert Outer.Inner.__qualname__ == "Outer.Inner"
