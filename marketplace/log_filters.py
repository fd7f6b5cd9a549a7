"""Logging filters named in settings.LOGGING."""

import logging


class QuietClientErrors(logging.Filter):
    """
    A 4xx is the visitor's doing (no permission, a page that is not theirs): log it
    as one line, without the traceback Django attaches to "Forbidden" and "Bad
    request" records. Server errors keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if 400 <= getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
