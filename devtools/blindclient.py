"""The client's half of RSA blind signatures (RFC 9474, RSABSSA-SHA384-PSS-Randomized), for tests, the
demo data and benchmarks: what the intranet does in the browser with `@cloudflare/blindrsa-ts`.

    token = prepare()                                   # a random message with its random prefix
    blinded, inverse = blind(public_key_der, token)     # send `blinded` with your sign-in
    signature = finalize(public_key_der, token, blind_signature, inverse)
    # later, with no sign-in: send token, signature and the answers
"""

from __future__ import annotations

import hashlib
import math
import secrets

from cryptography.hazmat.primitives.asymmetric import rsa

from services.feedback.answering import blindrsa

_HASH = hashlib.sha384
_HASH_LENGTH = 48


def prepare(message: bytes | None = None) -> bytes:
    """RFC 9474 Prepare for the randomized variant: 32 random bytes, then the message (32 random bytes
    when none is given)."""
    return secrets.token_bytes(blindrsa.PREFIX_LENGTH) + (message or secrets.token_bytes(32))


def _public(der: bytes) -> rsa.RSAPublicNumbers:
    return blindrsa.load_public(der).public_numbers()


def _mgf1(seed: bytes, length: int) -> bytes:
    out = b""
    for counter in range(math.ceil(length / _HASH_LENGTH)):
        out += _HASH(seed + counter.to_bytes(4, "big")).digest()
    return out[:length]


def pss_encode(message: bytes, modulus_bits: int, salt: bytes | None = None) -> bytes:
    """EMSA-PSS-ENCODE (RFC 8017 section 9.1.1) with SHA-384, MGF1-SHA-384 and a 48-byte salt."""
    em_bits = modulus_bits - 1
    em_length = math.ceil(em_bits / 8)
    salt = secrets.token_bytes(blindrsa.SALT_LENGTH) if salt is None else salt
    m_hash = _HASH(message).digest()
    h = _HASH(bytes(8) + m_hash + salt).digest()
    db = bytes(em_length - len(salt) - _HASH_LENGTH - 2) + b"\x01" + salt
    masked = bytes(a ^ b for a, b in zip(db, _mgf1(h, em_length - _HASH_LENGTH - 1), strict=True))
    masked = bytes([masked[0] & (0xFF >> (8 * em_length - em_bits))]) + masked[1:]
    return masked + h + b"\xbc"


def blind(
    public_key_der: bytes, token: bytes, *, salt: bytes | None = None, r: int | None = None
) -> tuple[bytes, int]:
    """RFC 9474 Blind: the blinded message to send, and the inverse to keep for `finalize`."""
    key = _public(public_key_der)
    length = (key.n.bit_length() + 7) // 8
    m = int.from_bytes(pss_encode(token, key.n.bit_length(), salt), "big")
    if math.gcd(m, key.n) != 1:
        raise ValueError("invalid input")
    while r is None:
        candidate = secrets.randbelow(key.n - 1) + 1
        if math.gcd(candidate, key.n) == 1:
            r = candidate
    inverse = pow(r, -1, key.n)
    return ((m * pow(r, key.e, key.n)) % key.n).to_bytes(length, "big"), inverse


def finalize(public_key_der: bytes, token: bytes, blind_signature: bytes, inverse: int) -> bytes:
    """RFC 9474 Finalize: the signature of `token`, checked before it is returned."""
    key = _public(public_key_der)
    length = (key.n.bit_length() + 7) // 8
    signature = ((int.from_bytes(blind_signature, "big") * inverse) % key.n).to_bytes(length, "big")
    if not blindrsa.verify(blindrsa.load_public(public_key_der), token, signature):
        raise ValueError("the blind signature does not verify")
    return signature
