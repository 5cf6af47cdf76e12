"""What anonymous answering costs the service, beside OpenSSL doing comparable work in the same run.

    .venv/bin/python -m bench.credentials

Times, per operation: a survey's key pair (RSA-2048), the blind signature of one credential (RFC 9474
BlindSign, written on the key's numbers: `services/feedback/answering/blindrsa.py`) beside an
ordinary RSA-PSS signature by OpenSSL with the same key (the same private-key operation, in C), and the
check of a ballot's signature.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes

from devtools import blindclient
from services.feedback.answering.blindrsa import PSS, SigningKey, load_public, verify


def _ms(operation: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        operation()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    key = SigningKey.generate()
    token = blindclient.prepare()
    blinded, inverse = blindclient.blind(key.public_der(), token)
    signature = blindclient.finalize(key.public_der(), token, key.blind_sign(blinded), inverse)
    public = load_public(key.public_der())
    keygen = _ms(SigningKey.generate, 20)
    blind = _ms(lambda: key.blind_sign(blinded), 200)
    openssl = _ms(lambda: key.private.sign(token, PSS, hashes.SHA384()), 200)
    check = _ms(lambda: verify(public, token, signature), 1000)
    print(f"key pair (survey opened): {keygen:.1f} ms")
    print(
        f"blind signature (credential): {blind:.2f} ms; OpenSSL's PSS signature {openssl:.2f} ms; "
        f"ratio {blind / openssl:.1f}x"
    )
    print(f"signature check (ballot): {check:.3f} ms")


if __name__ == "__main__":
    main()
