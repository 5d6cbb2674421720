"""One phone number, one key: every written form of a number normalised before it is hashed.

A citizen's STOP must hold whether the gateway writes the number as +8613855556666,
008613855556666 or 13855556666. Google's `phonenumbers` knows each country's international and
trunk prefixes, so a number is parsed in the deployment's region and written as E.164. What it
cannot parse (a short code, an alphanumeric sender) is kept as its letters and digits only.
"""

from __future__ import annotations

import re

import phonenumbers

# Our region ids (scripts_library/regions.yaml) to ISO 3166 codes; "intl" has no home country.
_COUNTRIES = {"cn": "CN", "hk": "HK", "tw": "TW", "sg": "SG", "mo": "MO", "my": "MY", "us": "US", "gb": "GB"}
_NOT_DIALLED = re.compile(r"[^\w+]")


def country_of(region: str | None) -> str | None:
    """The ISO country a region's local numbers belong to, when it has one."""
    if not region:
        return None
    return _COUNTRIES.get(region.lower(), region.upper() if len(region) == 2 else None)


def normalise_number(number: str, region: str | None = None) -> str:
    """E.164 (`+8613855556666`) when the number parses in `region`, else its letters and digits."""
    plain = _NOT_DIALLED.sub("", number)
    if not plain:
        return ""
    try:
        parsed = phonenumbers.parse(number, country_of(region))
    except phonenumbers.NumberParseException:
        return plain
    if not phonenumbers.is_possible_number(parsed):
        return plain
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
