"""The text of a file a person saved with their own tools: a client file, a voucher file.

Read: UTF-8 with or without a byte order mark (editors, Excel's "CSV UTF-8"), UTF-16 with one (Excel's
"Unicode text"), and Windows-1252 (Notepad and Excel on Swedish Windows). Anything else is refused, naming them.
"""
from __future__ import annotations

import codecs

ENCODINGS_READ = "UTF-8 (with or without a byte order mark), UTF-16 with a byte order mark, or Windows-1252"
_NAMES = {"utf-16": "UTF-16", "utf-8-sig": "UTF-8", "cp1252": "Windows-1252"}


class NotText(ValueError):
    """The bytes are no text in the encodings read; the message follows the file's name ("x.csv is not ...")."""


def text_of(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif b"\x00" in data:
        raise NotText(f"not a text file in {ENCODINGS_READ} (it holds zero bytes, as UTF-16 without a byte "
                      "order mark or a binary file does)")
    else:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "cp1252"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise NotText(f"not a text file in {ENCODINGS_READ}: byte {error.start + 1} is not "
                      f"{_NAMES[encoding]}") from None
