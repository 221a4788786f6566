"""Response models (frozen native classes) and their enums, one module per core `models/<area>.rs`."""

from __future__ import annotations

from autoshares.models._base import StrEnum
from autoshares.models.accounts import (
    AccessType,
    Account,
    AccountBalance,
    AccountPermission,
    AccountStatus,
    MarginType,
    OwnerType,
    UserAccount,
)
from autoshares.models.users import Salutation, Suffix, UserInfo

__all__ = [
    "AccessType",
    "Account",
    "AccountBalance",
    "AccountPermission",
    "AccountStatus",
    "MarginType",
    "OwnerType",
    "Salutation",
    "StrEnum",
    "Suffix",
    "UserAccount",
    "UserInfo",
]
