"""RSA blind signatures (RFC 9474, RSABSSA-SHA384-PSS-Randomized): the server's half against the RFC's
test vector, the development client's half too, and what the server refuses to sign or accept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from devtools import blindclient
from services.feedback.answering import blindrsa

VECTOR = json.loads((Path(__file__).parent / "rfc9474_vector.json").read_text())


def _vector_key() -> blindrsa.SigningKey:
    p, q, d, e, n = (int(VECTOR[k], 16) for k in ("p", "q", "d", "e", "n"))
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=rsa.rsa_crt_dmp1(d, p),
        dmq1=rsa.rsa_crt_dmq1(d, q),
        iqmp=rsa.rsa_crt_iqmp(p, q),
        public_numbers=rsa.RSAPublicNumbers(e, n),
    )
    return blindrsa.SigningKey(numbers.private_key())


def test_the_server_signs_the_rfc_vector_as_the_rfc_says() -> None:
    key = _vector_key()
    blind_signature = key.blind_sign(bytes.fromhex(VECTOR["blinded_msg"]))
    assert blind_signature.hex() == VECTOR["blind_sig"]
    signature = bytes.fromhex(VECTOR["sig"])
    assert blindrsa.verify(key.private.public_key(), bytes.fromhex(VECTOR["input_msg"]), signature)


def test_the_development_client_blinds_and_finalizes_the_rfc_vector() -> None:
    key = _vector_key()
    n = int(VECTOR["n"], 16)
    token = bytes.fromhex(VECTOR["input_msg"])
    assert token == bytes.fromhex(VECTOR["msg_prefix"] + VECTOR["msg"])
    r = pow(int(VECTOR["inv"], 16), -1, n)
    blinded, inverse = blindclient.blind(key.public_der(), token, salt=bytes.fromhex(VECTOR["salt"]), r=r)
    assert blinded.hex() == VECTOR["blinded_msg"]
    signature = blindclient.finalize(key.public_der(), token, bytes.fromhex(VECTOR["blind_sig"]), inverse)
    assert signature.hex() == VECTOR["sig"]


@pytest.fixture(scope="module")
def key() -> blindrsa.SigningKey:
    return blindrsa.SigningKey.generate()


def test_a_token_signed_blind_verifies_and_nothing_else_does(key: blindrsa.SigningKey) -> None:
    token = blindclient.prepare()
    blinded, inverse = blindclient.blind(key.public_der(), token)
    signature = blindclient.finalize(key.public_der(), token, key.blind_sign(blinded), inverse)
    public = key.private.public_key()
    assert blindrsa.verify(public, token, signature)
    assert not blindrsa.verify(public, token[:-1] + bytes([token[-1] ^ 1]), signature)
    assert not blindrsa.verify(public, token, signature[:-1] + bytes([signature[-1] ^ 1]))
    assert not blindrsa.verify(public, token, signature[:-1])
    other = blindrsa.SigningKey.generate().private.public_key()
    assert not blindrsa.verify(other, token, signature)


def test_the_same_token_blinded_twice_looks_unrelated(key: blindrsa.SigningKey) -> None:
    """What the server sees of a token: a fresh random-looking number every time."""
    token = blindclient.prepare()
    first, _ = blindclient.blind(key.public_der(), token)
    second, _ = blindclient.blind(key.public_der(), token)
    assert first != second


def test_the_server_refuses_what_it_cannot_sign(key: blindrsa.SigningKey) -> None:
    with pytest.raises(blindrsa.BlindSignError, match="256 bytes"):
        key.blind_sign(b"\x01" * 255)
    n = key.private.public_key().public_numbers().n
    with pytest.raises(blindrsa.BlindSignError, match="below the key's modulus"):
        key.blind_sign(n.to_bytes(256, "big"))
    with pytest.raises(blindrsa.BlindSignError, match="below the key's modulus"):
        key.blind_sign(b"\xff" * 256)


def test_a_key_survives_being_stored(key: blindrsa.SigningKey) -> None:
    again = blindrsa.SigningKey.from_der(key.to_der())
    assert again.public_der() == key.public_der()
    assert (
        blindrsa.load_public(key.public_der()).public_numbers() == key.private.public_key().public_numbers()
    )


def test_with_the_private_key_every_request_fits_every_ballot_equally(key: blindrsa.SigningKey) -> None:
    """Why the holder of every key cannot pair a credential request with the ballot it became: for each
    blinded message the server saw and each (token, signature) a ballot carried, there is a blinding
    factor that makes them fit, so every pairing is as likely as the true one."""
    numbers = key.private.private_numbers()
    n, e, d = numbers.public_numbers.n, numbers.public_numbers.e, numbers.d
    requests: list[int] = []
    ballots: list[int] = []
    for _ in range(3):
        token = blindclient.prepare()
        blinded, inverse = blindclient.blind(key.public_der(), token)
        requests.append(int.from_bytes(blinded, "big"))
        final = blindclient.finalize(key.public_der(), token, key.blind_sign(blinded), inverse)
        ballots.append(int.from_bytes(final, "big"))
    for request in requests:
        for signature in ballots:
            encoded = pow(signature, e, n)  # the token's padded message, from the public signature
            r = pow(request * pow(encoded, -1, n), d, n)
            assert (encoded * pow(r, e, n)) % n == request
