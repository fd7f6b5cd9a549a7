from allauth.account.forms import ChangePasswordForm, LoginForm, ResetPasswordKeyForm


class SignInForm(LoginForm):
    """
    django-allauth's sign-in form (``ACCOUNT_FORMS``) in the portal's words: one field
    takes a username or an email address, and the browser fills it as a username.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = "Username or email"
        login.widget.attrs.update(autocomplete="username", autofocus=True)
        login.widget.attrs.pop("placeholder", None)
        self.fields["password"].widget.attrs.pop("placeholder", None)
        if "remember" in self.fields:
            self.fields["remember"].label = "Keep me signed in on this device"


# allauth's password fields, in the portal's sentence case (its own say "New Password").
PASSWORD_LABELS = {
    "oldpassword": "Current password",
    "password1": "New password",
    "password2": "New password (again)",
}


def _relabel_passwords(form) -> None:
    for name, label in PASSWORD_LABELS.items():
        if name in form.fields:
            form.fields[name].label = label
            form.fields[name].widget.attrs["placeholder"] = label


class PasswordChangeForm(ChangePasswordForm):
    """Change your password (``ACCOUNT_FORMS``): allauth's form with the portal's labels."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel_passwords(self)


class PasswordResetKeyForm(ResetPasswordKeyForm):
    """A new password from the emailed reset link (``ACCOUNT_FORMS``), the portal's labels."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel_passwords(self)
