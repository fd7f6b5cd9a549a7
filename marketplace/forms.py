from allauth.account.forms import LoginForm


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
