"""One phone number, one key: every written form of a number normalised before it is hashed.

A citizen's STOP must hold whether the gateway writes the number as +8613855556666,
008613855556666 or 13855556666. Google's `phonenumbers` knows each country's international and
trunk prefixes, so a number is parsed in the deployment's region and written as E.164. What it
cannot parse (a short code, an alphanumeric sender) is kept as its letters and digits only.
"""

from __future__ import annotations

import re

_NOT_DIALLED = re.compile(r"[^\w+]")


def normalise_number(number: str, country: str | None = None) -> str:
    """E.164 (`+8613855556666`) when the number parses in `country` (ISO 3166-1, the region pack's `country`),
    else its letters and digits."""
    import phonenumbers  # its metadata is a fifth of what the SMS channel costs to import: loaded at the first SMS

    plain = _NOT_DIALLED.sub("", number)
    if not plain:
        return ""
    try:
        parsed = phonenumbers.parse(number, country)
    except phonenumbers.NumberParseException:
        return plain
    if not phonenumbers.is_possible_number(parsed):
        return plain
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
