"""Signing certificates (PAdES, with pyHanko) and checking a PDF's signature.

The key and its certificate are PEM files: the operator's (``LMS_SIGNING_KEY``,
``LMS_SIGNING_CERT``), or a key and self-signed certificate this instance generates on first use
in its instance folder (``signing_key.pem``, ``signing_cert.pem``). A PDF verifies only when its
signature covers the whole file, is mathematically intact, and was made with a key of this
instance's keyring: the current one, or a retired one whose certificate is kept in
``signing/archive/`` of the instance folder (``lms certificates rotate-key`` puts it there).
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
#: retired signing certificates, under the instance folder: what they signed still verifies
ARCHIVE_DIR = Path("signing", "archive")
#: a generated certificate stays valid this long: certificates must verify for their holder's career
CERT_VALIDITY = timedelta(days=30 * 366)
FIELD_NAME = "LMSCertificateSignature"

#: the outcome of checking a PDF's signature
VALID, MISSING, BROKEN, UNTRUSTED = "valid", "missing", "broken", "untrusted"
#: not a PDF that can be read at all (another kind of file, or a damaged one): nothing to check
UNREADABLE = "unreadable"


@dataclass(frozen=True)
class SigningKeys:
    """Where the signing key and certificate are (plain paths: worker processes receive them)."""

    key: str
    cert: str
    #: certificates (PEM paths) of retired keys, still trusted for verification
    archived: tuple[str, ...] = ()


class SigningKeyError(RuntimeError):
    """The configured key or certificate cannot be read or do not belong together."""


# --- the key ------------------------------------------------------------------------------------

def signing_keys(app) -> SigningKeys:
    """The app's keys: configured, or generated once into the instance folder."""
    key, cert = app.config.get("LMS_SIGNING_KEY"), app.config.get("LMS_SIGNING_CERT")
    archived = archived_certificates(Path(app.instance_path))
    if key or cert:
        if not (key and cert):
            raise SigningKeyError("set both LMS_SIGNING_KEY and LMS_SIGNING_CERT, or neither")
        return SigningKeys(str(key), str(cert), archived)
    keys = instance_keys(Path(app.instance_path), app.config.get("LMS_ISSUER") or "LMS")
    return SigningKeys(keys.key, keys.cert, archived)


def archived_certificates(folder: Path) -> tuple[str, ...]:
    """The retired certificates kept in ``folder``'s archive, oldest first (names start with the date)."""
    archive = folder / ARCHIVE_DIR
    return tuple(str(path) for path in sorted(archive.glob("*.pem"))) if archive.is_dir() else ()


def rotate_instance_key(folder: Path, issuer: str, now: datetime | None = None) -> tuple[SigningKeys, str]:
    """A new instance key and certificate; the current certificate goes to the archive (and keeps
    verifying what it signed), the current key is overwritten. Returns the new keys and the
    archived certificate's path."""
    from cryptography import x509

    now = now or datetime.now(UTC)
    keys = instance_keys(folder, issuer)
    archive = folder / ARCHIVE_DIR
    archive.mkdir(parents=True, exist_ok=True)
    with open(folder / "signing.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        old_pem = Path(keys.cert).read_bytes()
        fingerprint = x509.load_pem_x509_certificate(old_pem).fingerprint(_sha256()).hex().upper()
        kept = archive / f"{now:%Y%m%dT%H%M%SZ}-{fingerprint[:16]}.pem"
        _write_new(kept, old_pem, 0o644)
        key_pem, cert_pem = generate_key_and_certificate(issuer, now)
        _write_new(Path(keys.key), key_pem, 0o600)
        _write_new(Path(keys.cert), cert_pem, 0o644)
    return SigningKeys(keys.key, keys.cert, archived_certificates(folder)), str(kept)


def trust_certificate(folder: Path, pem: bytes, now: datetime | None = None) -> str:
    """Keep a certificate (e.g. the operator's previous ``LMS_SIGNING_CERT``) in the archive."""
    from cryptography import x509

    try:
        fingerprint = x509.load_pem_x509_certificate(pem).fingerprint(_sha256()).hex().upper()
    except ValueError as error:
        raise SigningKeyError(f"not a PEM certificate: {error}") from error
    archive = folder / ARCHIVE_DIR
    archive.mkdir(parents=True, exist_ok=True)
    kept = archive / f"{now or datetime.now(UTC):%Y%m%dT%H%M%SZ}-{fingerprint[:16]}.pem"
    _write_new(kept, pem, 0o644)
    return str(kept)


def _sha256():
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


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


def _version(path: str) -> int:
    """Changes when the file is replaced (a rotated key has the same path)."""
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


def _signer(keys: SigningKeys):
    return _load_signer(keys.key, keys.cert, _version(keys.key), _version(keys.cert))


@functools.lru_cache(maxsize=4)
def _load_signer(key_path: str, cert_path: str, *_versions: int):
    from cryptography.hazmat.primitives import serialization
    from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    keys = SigningKeys(key_path, cert_path)
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


@functools.lru_cache(maxsize=32)
def _archived_certificate(path: str, _version: int):
    from pyhanko.keys import load_cert_from_pemder

    return load_cert_from_pemder(path)


def keyring(keys: SigningKeys) -> list[tuple[object, str]]:
    """Every certificate a signature may verify against, with how to name it: the current one,
    then the retired ones, newest first. An unreadable archived file is skipped."""
    ring = [(signer_certificate(keys), "current")]
    for path in reversed(keys.archived):
        try:
            ring.append((_archived_certificate(path, _version(path)), f"retired ({Path(path).stem})"))
        except (OSError, ValueError, TypeError):
            continue
    return ring


def fingerprint(cert) -> str:
    """A certificate's SHA-256 fingerprint, as PDF readers show it (AB:CD:…)."""
    digits = cert.sha256.hex().upper()
    return ":".join(digits[i:i + 2] for i in range(0, len(digits), 2))


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
    status: str  # VALID, MISSING, BROKEN, UNTRUSTED or UNREADABLE
    signer: str | None = None  # the signing certificate's subject
    detail: str = ""
    #: which key of the keyring signed: "current" or "retired (…)", with its fingerprint
    key: str | None = None

    @property
    def key_is_retired(self) -> bool:
        return bool(self.key) and self.key.startswith("retired")

    @property
    def key_fingerprint(self) -> str | None:
        return self.key.rpartition("SHA-256 ")[2] if self.key else None

    @property
    def is_valid(self) -> bool:
        return self.status == VALID


@_outside_event_loop
def check_signature(pdf: bytes, keys: SigningKeys) -> SignatureCheck:
    """Whether ``pdf`` carries an intact signature over the whole file, made with a key of the
    keyring of ``keys`` (the current key or a retired one)."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        signatures = PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError) as error:
        return SignatureCheck(UNREADABLE, detail=f"unreadable PDF: {error}")
    if not signatures:
        return SignatureCheck(MISSING, detail="the PDF is not signed")
    if len(signatures) > 1:
        return SignatureCheck(BROKEN, detail=f"{len(signatures)} signatures, expected one")
    embedded = signatures[0]
    try:
        claimed = embedded.signer_cert
    except Exception as error:
        return SignatureCheck(BROKEN, detail=f"{type(error).__name__}: {error}")
    found = next(((cert, name) for cert, name in keyring(keys) if cert.dump() == claimed.dump()), None)
    if found is None:
        return SignatureCheck(UNTRUSTED, claimed.subject.human_friendly,
                              "signed with a key that is not this site's")
    ours, name = found
    key = f"{name}, SHA-256 {fingerprint(ours)}"
    context = ValidationContext(trust_roots=[ours], allow_fetching=False, revocation_mode="soft-fail")
    try:
        status = validate_pdf_signature(embedded, context)
    except Exception as error:  # a damaged signature fails in many ways inside pyHanko and asn1crypto
        return SignatureCheck(BROKEN, detail=f"{type(error).__name__}: {error}")
    subject = claimed.subject.human_friendly
    if not (status.intact and status.valid):
        return SignatureCheck(BROKEN, subject, "the signed bytes were changed", key)
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return SignatureCheck(BROKEN, subject, "the file was changed after it was signed", key)
    if not status.trusted:
        return SignatureCheck(UNTRUSTED, subject, "signed with a key that is not this site's", key)
    return SignatureCheck(VALID, subject, key=key)
