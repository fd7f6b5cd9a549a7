"""
A postal address as a form asks for it: checkout's new address, the account page's saved
addresses, and any other form that takes one, with the same labels, limits, countries
and browser autofill hints.
"""

from django import forms

from .countries import COUNTRIES

# Field → the browser's autofill name for it.
AUTOCOMPLETE = {
    "name": "name",
    "line1": "address-line1",
    "line2": "address-line2",
    "city": "address-level2",
    "state": "address-level1",
    "postcode": "postal-code",
    "country": "country",
}
ADDRESS_FIELDS = list(AUTOCOMPLETE)


class AddressFieldsForm(forms.Form):
    """The fields of one address; ``address_data()`` gives them as keyword arguments."""

    name = forms.CharField(label="Full name", max_length=100)
    line1 = forms.CharField(label="Address line 1", max_length=200)
    line2 = forms.CharField(label="Address line 2", max_length=200, required=False)
    city = forms.CharField(max_length=100)
    state = forms.CharField(label="State, province or region", max_length=100, required=False)
    postcode = forms.CharField(label="ZIP or postcode", max_length=20)
    country = forms.ChoiceField(choices=COUNTRIES, initial="US")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, autocomplete in AUTOCOMPLETE.items():
            self.fields[name].widget.attrs["autocomplete"] = autocomplete

    def address_data(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in ADDRESS_FIELDS}
