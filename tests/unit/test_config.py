"""Production is the default; production refuses to start half-configured; local mode is asked
for explicitly."""

import pytest
from cryptography.fernet import Fernet

from webapp import config as config_module
from webapp.config import Config, ConfigurationError

PRODUCTION = {
    "SECRET_KEY": "k" * 64,
    "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "FYNODE_PUBLIC_URL": "https://connect.fynode.example",
}


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A clean environment with no FYNODE_* settings and an empty instance folder."""
    for name in (
        "FYNODE_LOCAL",
        "SECRET_KEY",
        "ENCRYPTION_KEYS",
        "FYNODE_PUBLIC_URL",
        "DATABASE_URL",
        "SESSION_COOKIE_SECURE",
        "ACCOUNTING_SANDBOX",
        "TRUSTED_PROXIES",
        "PORT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(config_module, "INSTANCE", tmp_path)

    def set_env(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    set_env.instance = tmp_path
    return set_env


def test_without_fynode_local_the_app_runs_in_production_mode(env):
    env(**PRODUCTION)
    config = Config()
    assert config.LOCAL_MODE is False
    assert config.SESSION_COOKIE_SECURE is True and config.REMEMBER_COOKIE_SECURE is True


def test_database_url_alone_does_not_decide_the_mode(env):
    env(**PRODUCTION)
    assert Config().LOCAL_MODE is False  # no DATABASE_URL: still production


@pytest.mark.parametrize("missing", sorted(PRODUCTION))
def test_production_without_a_required_setting_refuses_to_start_and_names_it(env, missing):
    env(**{k: v for k, v in PRODUCTION.items() if k != missing})
    with pytest.raises(ConfigurationError) as refused:
        Config()
    assert missing in str(refused.value) and "FYNODE_LOCAL=1" in str(refused.value)
    assert list(env.instance.iterdir()) == []  # nothing generated into instance/


def test_production_refuses_an_encryption_key_that_is_not_a_fernet_key(env):
    env(**{**PRODUCTION, "ENCRYPTION_KEYS": PRODUCTION["ENCRYPTION_KEYS"] + ",not-a-key"})
    with pytest.raises(ConfigurationError, match="key 2 is not a Fernet key"):
        Config()


def test_sandbox_mode_does_not_turn_production_local(env):
    env(ACCOUNTING_SANDBOX="1")
    with pytest.raises(ConfigurationError):
        Config()


def test_local_mode_generates_its_keys_into_the_instance_folder(env):
    env(FYNODE_LOCAL="1")
    config = Config()
    assert config.LOCAL_MODE is True and config.SESSION_COOKIE_SECURE is False
    assert (env.instance / "secret_key").read_text() == config.SECRET_KEY
    assert Config().ENCRYPTION_KEYS == config.ENCRYPTION_KEYS  # the same keys on the next start


def test_trusted_proxies_must_be_a_number(env):
    env(**PRODUCTION, TRUSTED_PROXIES="nginx")
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXIES"):
        Config()


def test_local_mode_has_a_public_url_for_oauth_without_the_host_header(env):
    env(FYNODE_LOCAL="1", PORT="5055")
    assert Config().PUBLIC_URL == "http://127.0.0.1:5055"


def test_request_bodies_are_limited_to_2_mb(env):
    env(**PRODUCTION)
    assert Config().MAX_CONTENT_LENGTH == 2 * 1024 * 1024


def test_a_generated_secret_is_the_first_process_s_when_processes_start_together(env):
    """Another process creates the file while this one generates its value (modelled by the
    generator itself asking, as that process would): both end with the one value in the file."""
    other: list[str] = []

    def make_while_another_process_starts() -> str:
        other.append(config_module._instance_secret("secret_key", lambda: "written-by-the-other-process"))
        return "generated-here"

    mine = config_module._instance_secret("secret_key", make_while_another_process_starts)
    assert mine == other[0] == "written-by-the-other-process"
    assert (env.instance / "secret_key").read_text() == "written-by-the-other-process"
    assert [p.name for p in env.instance.iterdir()] == ["secret_key"]  # no draft left behind


def test_a_rotated_key_file_is_replaced_whole(env):
    (env.instance / "encryption_keys").write_text("old")
    config_module.write_instance_secret("encryption_keys", "new,old")
    assert (env.instance / "encryption_keys").read_text() == "new,old"
    assert [p.name for p in env.instance.iterdir()] == ["encryption_keys"]
