"""Connector secrets encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256, from `cryptography`).

The key comes from ``KEEL_SECRET_KEY`` or, on a fresh embedded install, from a key file generated once
under ``KEEL_HOME`` with mode 0600. Several comma-separated keys rotate: the first encrypts, all
decrypt. Secrets are never logged and never shown back in full: :func:`mask` keeps the last characters.
"""

from __future__ import annotations

import json
import os
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from keel.errors import KeelError
from keel.home import private_home
from keel.settings import KeelSettings, get_settings


def _keys(settings: KeelSettings) -> list[bytes]:
    if settings.secret_key is not None:
        raw = settings.secret_key.get_secret_value()
    else:
        path = settings.secret_key_file
        if not path.exists():
            private_home(settings)
            # O_EXCL: two processes creating the key at once must not end up with different keys.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(Fernet.generate_key())
        raw = path.read_text().strip()
    keys = [part.strip().encode() for part in raw.split(",") if part.strip()]
    if not keys:
        raise KeelError(
            "the secret key is empty", "set KEEL_SECRET_KEY to a Fernet key (Fernet.generate_key())"
        )
    return keys


def _fernet(settings: KeelSettings | None = None) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in _keys(settings or get_settings())])
    except ValueError as exc:
        raise KeelError(
            f"the secret key is not a valid Fernet key: {exc}",
            "set KEEL_SECRET_KEY to the output of cryptography.fernet.Fernet.generate_key()",
        ) from None


def encrypt_secrets(secrets: dict[str, Any], settings: KeelSettings | None = None) -> bytes:
    return _fernet(settings).encrypt(json.dumps(secrets, sort_keys=True).encode())


def decrypt_secrets(token: bytes, settings: KeelSettings | None = None) -> dict[str, Any]:
    try:
        data = json.loads(_fernet(settings).decrypt(bytes(token)))
    except InvalidToken:
        raise KeelError(
            "connector secrets cannot be decrypted with the configured key",
            "restore the KEEL_SECRET_KEY (or KEEL_HOME/secret.key) they were saved with",
        ) from None
    if not isinstance(data, dict):
        raise KeelError("stored connector secrets are not a JSON object", "save the data source again")
    return data


def mask(value: str, visible: int = 4) -> str:
    """What the console may show of a secret: its length hidden, its last characters kept."""
    if len(value) <= visible * 2:
        return "…" if value else ""
    return "…" + value[-visible:]


def signing_keys(settings: KeelSettings | None = None) -> list[bytes]:
    """The secret keys, oldest first, for signing tokens (itsdangerous takes the last as the signer).

    The same key material as the connector secrets; itsdangerous derives a separate key per purpose
    from it with its ``salt``, so a signature for one purpose is no good for another.
    """
    return list(reversed(_keys(settings or get_settings())))
