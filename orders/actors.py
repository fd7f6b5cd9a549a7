from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from .models import ActorRole


@dataclass(frozen=True)
class Actor:
    """Who does something: recorded on every audit row (the system has no user)."""

    role: ActorRole
    user: AbstractBaseUser | None = None

    @classmethod
    def buyer(cls, user: AbstractBaseUser) -> "Actor":
        return cls(ActorRole.BUYER, user)

    @classmethod
    def seller(cls, user: AbstractBaseUser) -> "Actor":
        return cls(ActorRole.SELLER, user)

    @classmethod
    def staff(cls, user: AbstractBaseUser) -> "Actor":
        return cls(ActorRole.STAFF, user)

    @classmethod
    def system(cls) -> "Actor":
        return cls(ActorRole.SYSTEM, None)
