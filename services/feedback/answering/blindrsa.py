"""The server's half of RSA blind signatures (RFC 9474, variant RSABSSA-SHA384-PSS-Randomized).

A survey has a key pair of its own. An invitee's client prepares a random token, blinds it with the
survey's public key and sends only the blinded message; the server signs it (`blind_sign`) without
learning the token. The client unblinds the signature and later sends the token and signature with its
answers, in a request that names nobody; `verify` checks them as an ordinary RSASSA-PSS signature
(SHA-384, MGF1 with SHA-384, 48-byte salt) through `cryptography`. Blindness is information-theoretic:
for every token there is a blinding factor that makes it fit a given blinded message, so not even the
holder of the private key can tell which blinded message became which token.

`cryptography` has no raw RSA private-key operation, so `blind_sign` is the one piece written here
(RFC 9474 section 4.3: RSASP1, then RSAVP1 to check the result). It runs with the Chinese remainder
theorem on the key's own numbers, each half with GMP's side-channel-resistant exponentiation
(`gmpy2.powmod_sec`), and with the base blinded by a fresh random factor, so neither the time it takes
nor anything else depends on the (attacker-chosen) message.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import gmpy2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

VARIANT = "RSABSSA-SHA384-PSS-Randomized"
MODULUS_BITS = 2048
SALT_LENGTH = 48
# The prefix the randomized variant puts before the client's message (RFC 9474 section 4.1).
PREFIX_LENGTH = 32
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=SALT_LENGTH)


class BlindSignError(ValueError):
    """The blinded message is not one this key can sign (wrong length, or not below the modulus)."""


@dataclass(frozen=True)
class SigningKey:
    private: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=MODULUS_BITS))

    @classmethod
    def from_der(cls, der: bytes) -> SigningKey:
        key = serialization.load_der_private_key(der, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("not an RSA private key")
        return cls(key)

    def to_der(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def public_der(self) -> bytes:
        """The public key as SubjectPublicKeyInfo (DER): what WebCrypto's `importKey("spki", …)` reads."""
        return public_der(self.private.public_key())

    @property
    def length(self) -> int:
        """The modulus length in bytes: every blinded message, blind signature and signature has it."""
        return (self.private.key_size + 7) // 8

    def blind_sign(self, blinded_message: bytes) -> bytes:
        """RFC 9474 BlindSign: the blinded message raised to the private exponent, checked."""
        numbers = self.private.private_numbers()
        n, e = numbers.public_numbers.n, numbers.public_numbers.e
        if len(blinded_message) != self.length:
            raise BlindSignError(f"A blinded message is {self.length} bytes, not {len(blinded_message)}.")
        m = int.from_bytes(blinded_message, "big")
        if m >= n:
            raise BlindSignError("The blinded message is not below the key's modulus.")
        # Base blinding: sign m * r^e and divide by r, for a random r invertible mod n.
        while True:
            r = secrets.randbelow(n - 2) + 2
            try:
                r_inverse = pow(r, -1, n)
            except ValueError:
                continue
            break
        blinded_base = (m * pow(r, e, n)) % n
        s = (_private_power(numbers, blinded_base) * r_inverse) % n
        if pow(s, e, n) != m:
            raise BlindSignError("Signing failed its own check.")
        return s.to_bytes(self.length, "big")


def _private_power(numbers: rsa.RSAPrivateNumbers, c: int) -> int:
    """c^d mod n by the Chinese remainder theorem (Garner's recombination)."""
    m1 = int(gmpy2.powmod_sec(c % numbers.p, numbers.dmp1, numbers.p))
    m2 = int(gmpy2.powmod_sec(c % numbers.q, numbers.dmq1, numbers.q))
    h = (numbers.iqmp * (m1 - m2)) % numbers.p
    return m2 + h * numbers.q


def public_der(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public(der: bytes) -> rsa.RSAPublicKey:
    key = serialization.load_der_public_key(der)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def verify(public_key: rsa.RSAPublicKey, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is the key's RSASSA-PSS signature of `message` (the token with its random
    prefix, as the client prepared it), as RFC 9474 section 4.5 verifies it."""
    if len(message) <= PREFIX_LENGTH or len(signature) != (public_key.key_size + 7) // 8:
        return False
    try:
        public_key.verify(signature, message, PSS, hashes.SHA384())
    except InvalidSignature:
        return False
    return True
