"""Password hashing with scrypt from the standard library."""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    """A salted scrypt hash in the form ``scrypt$n$r$p$salt$hash``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "$".join(["scrypt", str(_N), str(_R), str(_P), _b64(salt), _b64(digest)])


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored``; False for anything malformed.

    With no stored hash (an unknown name, a disabled account, a login without a password)
    the same scrypt work is still done against a throw-away hash, so the time taken does not
    tell a caller which user names exist.
    """
    if not stored:
        _check(password, _dummy_hash())
        return False
    return _check(password, stored)


def _check(password: str, stored: str) -> bool:
    """Whether ``password`` hashes to ``stored`` (scrypt with the parameters stored beside it)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def _dummy_hash() -> str:
    """A hash of a random password, made on first need (not at import: scrypt takes ~40 ms)."""
    return hash_password(secrets.token_urlsafe(16))


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
