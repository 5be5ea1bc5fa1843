"""A cheaper ``__init__`` for the frozen slotted dataclasses made once or more per event.

A frozen dataclass's generated ``__init__`` sets each field with ``object.__setattr__`` (a
generic attribute lookup per field); a slotted class can set each slot through its descriptor
instead, about half the time. The class stays what ``@dataclass`` made it (frozen, compared,
hashed, printed the same); only its ``__init__`` is replaced, with the same signature.
"""

from __future__ import annotations

from dataclasses import MISSING, fields, is_dataclass
from typing import Any, TypeVar

T = TypeVar("T")


def set_by_slot(cls: type[T]) -> type[T]:
    """Give a frozen slotted dataclass an ``__init__`` that sets its slots through their descriptors.

    Fields with a plain default keep it; a ``default_factory`` is refused (none is used here).
    """
    if not is_dataclass(cls) or "__slots__" not in vars(cls):
        raise TypeError(f"{cls.__name__} is not a slotted dataclass")
    scope: dict[str, Any] = {}
    params, body = [], []
    for n, f in enumerate(fields(cls)):
        if f.default_factory is not MISSING:
            raise TypeError(f"{cls.__name__}.{f.name} has a default factory")
        scope[f"_set{n}"] = getattr(cls, f.name).__set__
        if f.default is MISSING:
            params.append(f.name)
        else:
            scope[f"_default{n}"] = f.default
            params.append(f"{f.name}=_default{n}")
        body.append(f"    _set{n}(self, {f.name})")
    source = f"def __init__(self, {', '.join(params)}):\n" + "\n".join(body or ["    pass"])
    made: dict[str, Any] = {}
    exec(source, scope, made)  # noqa: S102 (code made from the class's own field names, as dataclasses does)
    init = made["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = f"Set the fields of {cls.__name__} through their slots."
    init.__module__ = cls.__module__
    setattr(cls, "__init__", init)  # noqa: B010 (mypy refuses assigning a method)
    return cls
