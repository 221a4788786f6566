"""The base of every model enum: `str` values, unknown values kept as pseudo-members."""

from __future__ import annotations

import enum


class StrEnum(str, enum.Enum):
    """A wire-string enum that never fails on a value it does not know.

    The platform adds enum values over time. An unknown value becomes a pseudo-member of the class (cached, so
    `MarginType("New") is MarginType("New")`), with `is_known` false; its `value` and `str()` are the wire value.
    """

    @classmethod
    def _missing_(cls, value: object) -> StrEnum | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return cls._value2member_map_.setdefault(value, member)  # type: ignore[return-value]

    @property
    def is_known(self) -> bool:
        """Whether this SDK version knows the value (false for pseudo-members)."""
        return type(self).__members__.get(self._name_) is self

    def __str__(self) -> str:
        return str(self.value)
