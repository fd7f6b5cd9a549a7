"""The account page's forms: validation only, the services do the rest."""

from django import forms
from django.contrib.auth.models import User

from .models import time_zone_choices


class NameForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Display time zone",
        required=False,
        help_text="Pages and emails show dates and times in this zone.",
    )

    def __init__(self, *args, site_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["time_zone"]
        assert isinstance(field, forms.ChoiceField)  # the ``time_zone`` declared above
        field.choices = [
            ("", f"The marketplace's ({site_zone.replace('_', ' ')})"),
            *time_zone_choices(),
        ]


class CloseAccountForm(forms.Form):
    """The confirmation step: the person types their username, so a stray click closes nothing."""

    username = forms.CharField(
        label="Type your username to confirm",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_username(self) -> str:
        typed = self.cleaned_data["username"].strip()
        if typed != self.user.get_username():
            raise forms.ValidationError("That is not your username: nothing was closed.")
        return typed
