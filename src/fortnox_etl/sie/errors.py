"""What reading a SIE file raises, apart from the reader, so that Airflow's retry policy can name it cheaply."""
from __future__ import annotations


class SieSyntaxError(ValueError):
    """A file that cannot be read: `line_no` is its line, or None for the file as a whole."""

    def __init__(self, line_no: int | None, reason: str):
        super().__init__(f"line {line_no}: {reason}" if line_no else reason)
        self.line_no = line_no
        self.reason = reason
