"""Secrets in and out: password hashes (scrypt), API keys (random, stored as SHA-256 digests), user ids."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from shared.errors import ValidationError

KEY_PREFIX = "agops_"  # the AgentOps contract's key shape
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,189}\.[A-Za-z]{2,24}$")
MIN_PASSWORD, MAX_PASSWORD = 10, 256


def normalise_email(email: str) -> str:
    """Lower-cased and checked; ValidationError names what is wrong."""
    value = email.strip().lower()
    if len(value) > 254 or not EMAIL.match(value):
        raise ValidationError("email is not a valid address")
    return value


def user_id_for(email: str) -> str:
    """A stable id from the normalised email (the subject token of the user's events)."""
    return "u" + hashlib.sha256(email.encode()).hexdigest()[:23]


def check_password_policy(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationError(f"password must be {MIN_PASSWORD}-{MAX_PASSWORD} characters")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_password(password: str) -> str:
    """scrypt$N$r$p$salt$hash — slow on purpose (~60 ms here); call it off the event loop."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check against a stored hash; False for anything malformed."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


# A hash to check against when the email is unknown, so a miss costs as long as a wrong password.
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def new_api_key() -> tuple[str, str, str]:
    """(key, digest, display prefix). The key is shown once; only the digest is stored."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return key, key_digest(key), key[: len(KEY_PREFIX) + 6]


def key_digest(key: str) -> str:
    """SHA-256 hex of a key (keys carry 256 bits of randomness, so a fast hash is enough)."""
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_key(token: str) -> bool:
    return token.startswith(KEY_PREFIX)
