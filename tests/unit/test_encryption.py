"""Secrets at rest: Fernet round trip, and rotation keeps old data readable and moves it to the new key."""

import pytest
from cryptography.fernet import Fernet

from webapp.services.accounts.encryption import SecretBox


def test_round_trip_does_not_contain_the_plaintext():
    box = SecretBox([Fernet.generate_key().decode()])
    token = box.encrypt({"api_key": "very-secret-key"})
    assert "very-secret-key" not in token
    assert box.decrypt(token) == {"api_key": "very-secret-key"}


def test_rotation_reencrypts_under_the_newest_key_and_old_key_can_be_dropped():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = SecretBox([old]).encrypt({"api_key": "k"})
    during = SecretBox([new, old])
    assert during.decrypt(token) == {"api_key": "k"}  # old data stays readable mid-rotation
    rotated = during.rotate(token)
    assert SecretBox([new]).decrypt(rotated) == {"api_key": "k"}
    with pytest.raises(RuntimeError):
        SecretBox([new]).decrypt(token)  # un-rotated data needs the old key


def test_wrong_key_fails_loudly_rather_than_returning_garbage():
    token = SecretBox([Fernet.generate_key().decode()]).encrypt({"a": "b"})
    with pytest.raises(RuntimeError):
        SecretBox([Fernet.generate_key().decode()]).decrypt(token)
