"""Building blocks every app may use: the money bound and strict form fields.

It sits below every app (``tests/test_architecture.py``) and imports none of them.
"""
