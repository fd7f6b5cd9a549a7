from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """django-allauth's hooks into the portal (emails through the outbox, where to go next)."""
