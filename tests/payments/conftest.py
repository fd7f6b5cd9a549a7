def pytest_collection_modifyitems(items):
    """
    Cases that only the sandbox can stage (its insufficient-funds card; localstripe has
    none) are not collected for the Stripe gateway: test_stripe_payloads covers Stripe's.
    """
    items[:] = [
        item for item in items if not ("insufficient-funds" in item.name and "stripe" in item.name)
    ]
