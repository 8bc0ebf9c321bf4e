"""Recovery codes: making them, reading what someone typed, and the digest that is stored.

django-otp's own static tokens are stored as typed, so anyone who can read the database
could sign in with them. Pathways keeps only a keyed digest (HMAC-SHA256 with the secret
key, salted with the device's id) and shows each code once, when it is made.

A code is 12 characters from Crockford's base32 alphabet (60 bits), shown in three groups
of four. Typing is forgiving: case, spaces and hyphens do not matter, and the letters that
look like digits (I, L, O) count as those digits.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.utils.crypto import salted_hmac

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32: no i, l, o, u
LENGTH = 12
GROUP = 4
_KEY_SALT = "pathways.accounts.recovery-code"
_LOOKALIKES = str.maketrans({"i": "1", "l": "1", "o": "0"})


def generate() -> str:
    """A new random code, as the person sees it: `xxxx-xxxx-xxxx`."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def normalise(typed: str) -> str:
    """What someone typed, reduced to the code's 12 characters (or something that is not one)."""
    compact = "".join(typed.split()).replace("-", "").lower()
    return compact.translate(_LOOKALIKES)[: LENGTH * 2]


def digest(device_id: int, code: str, *, secret: str | bytes | None = None) -> str:
    """The stored form of a code for one device. `code` is normalised first."""
    return salted_hmac(
        _KEY_SALT,
        f"{device_id}:{normalise(code)}",
        secret=secret if secret is not None else settings.SECRET_KEY,
        algorithm="sha256",
    ).hexdigest()


def digests(device_id: int, code: str) -> list[str]:
    """The code's digest under the secret key and each fallback key, so a key rotation done
    the Django way (SECRET_KEY_FALLBACKS) does not void everyone's recovery codes."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [digest(device_id, code, secret=key) for key in keys]
