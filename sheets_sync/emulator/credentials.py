"""Service-account key files for the stand-in: google-auth signs its token request with the key,
and the stand-in's /token accepts any signature, so a fresh key is as good as a real one."""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def service_account_info(base_url):
    """What a service account's JSON key file holds, with its token_uri at the stand-in's /token."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return {
        "type": "service_account",
        "project_id": "killer-stand-in",
        "client_email": "killer@killer-stand-in.iam.gserviceaccount.com",
        "client_id": "1",
        "private_key_id": "stand-in",
        "private_key": pem.decode(),
        "token_uri": f"{base_url.rstrip('/')}/token",
    }
