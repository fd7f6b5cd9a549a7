class OrderNumberConverter:
    """
    Order numbers in URLs: 3-7-4 digits (see ``models.new_order_number``). Anything
    else is not a URL of ours (404) and never reaches the database.
    """

    regex = r"[0-9]{3}-[0-9]{7}-[0-9]{4}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
