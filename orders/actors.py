from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .models import ActorRole, Order


def signed_in_user(request: HttpRequest) -> User:
    """The person on a page that requires signing in (so never anonymous there)."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


@dataclass(frozen=True)
class Actor:
    """Who does something: recorded on every audit row (the system has no user)."""

    role: ActorRole
    user: User | None = None

    @classmethod
    def buyer(cls, user: User) -> "Actor":
        return cls(ActorRole.BUYER, user)

    @classmethod
    def seller(cls, user: User) -> "Actor":
        return cls(ActorRole.SELLER, user)

    @classmethod
    def staff(cls, user: User) -> "Actor":
        return cls(ActorRole.STAFF, user)

    @classmethod
    def system(cls) -> "Actor":
        return cls(ActorRole.SYSTEM, None)

    @property
    def user_id(self) -> int | None:
        return None if self.user is None else self.user.pk

    def plays_on(self, order: Order) -> bool:
        """A buyer on their own order, a seller on their store's; staff and the system on any."""
        if self.role == ActorRole.BUYER:
            return order.buyer_id == self.user_id
        if self.role == ActorRole.SELLER:
            return order.seller.user_id == self.user_id
        return True

    def person(self) -> User:
        """The user of an act only a person does (writing, asking): never the system's."""
        if self.user is None:
            raise ValueError(f"The {self.role.label} acts without a user here.")
        return self.user
