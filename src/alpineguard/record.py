"""`Record`: field-wise equality, hashing and repr for small classes that list their fields
in `__slots__` and set them in an explicit `__init__`.

The lint path avoids `dataclasses`: on Python 3.11 importing it imports `inspect`, and
generating each class's methods with `exec` costs more start-up time than checking a file.
"""
from __future__ import annotations


class Record:
    """Compares and prints as a dataclass would: by the fields in `__slots__`, in order.

    `class Edit(Record, frozen=True)` also hashes by them (frozen in spirit: nothing
    assigns to its fields after `__init__`). `_unequal` names the fields that take no part
    in `==` and hashing, `_hidden` those `repr` leaves out.
    """
    __slots__ = ()
    _unequal: tuple[str, ...] = ()
    _hidden: tuple[str, ...] = ()
    _compared: tuple[str, ...] = ()
    _shown: tuple[str, ...] = ()

    def __init_subclass__(cls, frozen: bool = False, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls._compared = tuple(name for name in cls.__slots__ if name not in cls._unequal)
        cls._shown = tuple(name for name in cls.__slots__ if name not in cls._hidden)
        if frozen:
            cls.__hash__ = Record._hash  # type: ignore[method-assign]

    def _key(self) -> tuple:
        return tuple([getattr(self, name) for name in self._compared])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._key() == other._key()  # type: ignore[attr-defined]
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable records are unhashable, as with dataclasses

    def _hash(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._shown)
        return f"{self.__class__.__qualname__}({shown})"
