"""JWT sessions: HS256 only (the algorithm is pinned, `none` and others are refused), with expiry."""

from __future__ import annotations

import time
import uuid

import jwt

from shared.errors import UnauthorizedError

ALGORITHM = "HS256"
ISSUER = "aegisops"
AUDIENCE = "aegisops-gateway"


def issue(secret: str, user_id: str, minutes: int, now: float | None = None) -> str:
    """A signed token naming the user; the role is looked up on every request, not trusted from here."""
    issued = int(now if now is not None else time.time())
    claims = {"sub": user_id, "iat": issued, "exp": issued + minutes * 60, "iss": ISSUER, "aud": AUDIENCE,
              "jti": uuid.uuid4().hex}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(secret: str, token: str) -> str:
    """The user id of a valid token; UnauthorizedError (without the token) for anything else."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                            options={"require": ["exp", "iat", "sub", "iss", "aud"]})
    except jwt.ExpiredSignatureError:
        raise UnauthorizedError("token expired") from None
    except jwt.InvalidTokenError as exc:
        raise UnauthorizedError(f"invalid token ({type(exc).__name__})") from None
    return str(claims["sub"])
