"""Signing certificates (PAdES, with pyHanko) and checking a PDF's signature.

The key and its certificate are PEM files: the operator's (``LMS_SIGNING_KEY``,
``LMS_SIGNING_CERT``), or a key and self-signed certificate this instance generates on first use
in its instance folder (``signing_key.pem``, ``signing_cert.pem``). A PDF verifies only when its
signature covers the whole file, is mathematically intact, and was made with this instance's key.
No Flask here except :func:`signing_keys`, which reads the app's configuration.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

KEY_FILE, CERT_FILE = "signing_key.pem", "signing_cert.pem"
#: a generated certificate stays valid this long: certificates must verify for their holder's career
CERT_VALIDITY = timedelta(days=30 * 366)
FIELD_NAME = "LMSCertificateSignature"

#: the outcome of checking a PDF's signature
VALID, MISSING, BROKEN, UNTRUSTED = "valid", "missing", "broken", "untrusted"


@dataclass(frozen=True)
class SigningKeys:
    """Where the signing key and certificate are (plain paths: worker processes receive them)."""

    key: str
    cert: str


class SigningKeyError(RuntimeError):
    """The configured key or certificate cannot be read or do not belong together."""


# --- the key ------------------------------------------------------------------------------------

def signing_keys(app) -> SigningKeys:
    """The app's keys: configured, or generated once into the instance folder."""
    key, cert = app.config.get("LMS_SIGNING_KEY"), app.config.get("LMS_SIGNING_CERT")
    if key or cert:
        if not (key and cert):
            raise SigningKeyError("set both LMS_SIGNING_KEY and LMS_SIGNING_CERT, or neither")
        return SigningKeys(str(key), str(cert))
    return instance_keys(Path(app.instance_path), app.config.get("LMS_ISSUER") or "LMS")


def instance_keys(folder: Path, issuer: str) -> SigningKeys:
    """The key and self-signed certificate in ``folder``, generated if absent (one process does it,
    the others wait for it)."""
    keys = SigningKeys(str(folder / KEY_FILE), str(folder / CERT_FILE))
    if os.path.exists(keys.cert):
        return keys
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "signing.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(keys.cert):
            key_pem, cert_pem = generate_key_and_certificate(issuer)
            _write_new(Path(keys.key), key_pem, 0o600)
            _write_new(Path(keys.cert), cert_pem, 0o644)
    return keys


def _write_new(path: Path, data: bytes, mode: int) -> None:
    temporary = path.with_suffix(".tmp")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def generate_key_and_certificate(issuer: str, now: datetime | None = None) -> tuple[bytes, bytes]:
    """An ECDSA P-256 key and a self-signed certificate for signing documents, as PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = now or datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{issuer} 证书签名"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, issuer)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + CERT_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False, crl_sign=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


@functools.lru_cache(maxsize=4)
def _signer(keys: SigningKeys):
    from cryptography.hazmat.primitives import serialization
    from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    try:
        cert = load_cert_from_pemder(keys.cert)
        key = load_private_key_from_pemder(keys.key, passphrase=None)
        public = serialization.load_der_private_key(key.dump(), None).public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    except (OSError, ValueError, TypeError) as error:
        raise SigningKeyError(f"cannot read the signing key {keys.key} or certificate {keys.cert}: "
                              f"{error}") from error
    if public != cert.public_key.dump():
        raise SigningKeyError(f"the signing key {keys.key} does not belong to the certificate {keys.cert}")
    return SimpleSigner(signing_cert=cert, signing_key=key,
                        cert_registry=SimpleCertificateStore.from_certs([cert]))


def signer_certificate(keys: SigningKeys):
    """The signing certificate (asn1crypto), e.g. to show its fingerprint."""
    return _signer(keys).signing_cert


# --- signing and checking ---------------------------------------------------------------------

def _outside_event_loop(function):
    """pyHanko's blocking API runs an asyncio loop of its own, which cannot start in a thread that
    already runs one (an async host, a test driving a browser): there, call it in a new thread."""
    @functools.wraps(function)
    def call(*args, **kwargs):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return function(*args, **kwargs)
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(function, *args, **kwargs).result()
    return call


@_outside_event_loop
def sign_pdf(pdf: bytes, keys: SigningKeys, reason: str = "结业证书", location: str | None = None) -> bytes:
    """``pdf`` with a PAdES signature (an incremental update) made with ``keys``."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    meta = signers.PdfSignatureMetadata(field_name=FIELD_NAME, subfilter=SigSeedSubFilter.PADES,
                                        md_algorithm="sha256", reason=reason, location=location)
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    output = signers.PdfSigner(meta, signer=_signer(keys)).sign_pdf(writer)
    return output.getvalue()


@dataclass(frozen=True)
class SignatureCheck:
    status: str  # VALID, MISSING, BROKEN or UNTRUSTED
    signer: str | None = None  # the signing certificate's subject
    detail: str = ""

    @property
    def is_valid(self) -> bool:
        return self.status == VALID


@_outside_event_loop
def check_signature(pdf: bytes, keys: SigningKeys) -> SignatureCheck:
    """Whether ``pdf`` carries an intact signature over the whole file, made with ``keys``."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        signatures = PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError) as error:
        return SignatureCheck(BROKEN, detail=f"unreadable PDF: {error}")
    if not signatures:
        return SignatureCheck(MISSING, detail="the PDF is not signed")
    if len(signatures) > 1:
        return SignatureCheck(BROKEN, detail=f"{len(signatures)} signatures, expected one")
    ours = signer_certificate(keys)
    embedded = signatures[0]
    try:
        claimed = embedded.signer_cert
    except Exception as error:
        return SignatureCheck(BROKEN, detail=f"{type(error).__name__}: {error}")
    if claimed.dump() != ours.dump():
        return SignatureCheck(UNTRUSTED, claimed.subject.human_friendly,
                              "signed with a key that is not this site's")
    context = ValidationContext(trust_roots=[ours], allow_fetching=False, revocation_mode="soft-fail")
    try:
        status = validate_pdf_signature(embedded, context)
    except Exception as error:  # a damaged signature fails in many ways inside pyHanko and asn1crypto
        return SignatureCheck(BROKEN, detail=f"{type(error).__name__}: {error}")
    subject = claimed.subject.human_friendly
    if not (status.intact and status.valid):
        return SignatureCheck(BROKEN, subject, "the signed bytes were changed")
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return SignatureCheck(BROKEN, subject, "the file was changed after it was signed")
    if not status.trusted:
        return SignatureCheck(UNTRUSTED, subject, "signed with a key that is not this site's")
    return SignatureCheck(VALID, subject)
