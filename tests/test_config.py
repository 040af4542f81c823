"""Configuration: defaults < file < AEGIS_* env < flags; bad input is a clear ConfigError."""

from __future__ import annotations

import subprocess
import sys

import msgspec
import pytest

from shared.config import SERVICE_NAMES, load_settings, settings_env
from shared.errors import ConfigError


def test_defaults_are_loopback_and_seed_values():
    s = load_settings(environ={})
    assert (s.host, s.port, s.nats_port, s.data_dir) == ("127.0.0.1", 8001, 4222, ".aegis")
    assert (s.health_check_attempts, s.health_check_wait, s.health_check_timeout) == (10, 3.0, 5.0)
    assert s.max_replicas == 5 and s.log_truncate_chars == 2000


def test_file_then_env_then_flags(tmp_path):
    cfg = tmp_path / "aegis.toml"
    cfg.write_text('port = 9001\nmax_replicas = 3\n[[targets]]\nname = "api"\nport = 9100\ncommand = ["true"]\n')
    s = load_settings(cfg, environ={"AEGIS_MAX_REPLICAS": "4", "AEGIS_DEMO": "true"}, port=9002)
    assert (s.port, s.max_replicas, s.demo) == (9002, 4, True)
    assert s.target("api").port == 9100


def test_settings_env_round_trips():
    s = load_settings(environ={}, port=9005, demo=True)
    assert load_settings(environ=settings_env(s)) == s


def test_each_service_is_handed_only_its_own_secrets_even_over_the_config_file(tmp_path):
    cfg = tmp_path / "aegis.toml"
    cfg.write_text('llm_api_key = "sk-llm"\nsmtp_password = "smtp-pw"\nslack_webhook_url = "https://hooks.example/x"\n'
                   'notify_webhook_urls = ["https://hooks.example/y"]\njwt_secret = "' + "j" * 40 + '"\n')
    s = load_settings(cfg, environ={})
    seen = {name: load_settings(cfg, environ=settings_env(s, name)) for name in SERVICE_NAMES}
    assert seen["analyst"].llm_api_key == "sk-llm" and seen["gateway"].llm_api_key == ""
    assert seen["notifier"].smtp_password == "smtp-pw" and seen["executor"].smtp_password == ""
    assert seen["notifier"].notify_webhook_urls and not seen["prober"].notify_webhook_urls
    assert seen["gateway"].jwt_secret == "j" * 40 and seen["council"].jwt_secret == ""
    for name, held in seen.items():  # nothing else differs
        assert msgspec.structs.replace(held, llm_api_key="", smtp_password="", slack_webhook_url="",
                                       notify_webhook_urls=[], jwt_secret="") == \
            msgspec.structs.replace(s, llm_api_key="", smtp_password="", slack_webhook_url="",
                                    notify_webhook_urls=[], jwt_secret=""), name


@pytest.mark.parametrize("text, needle", [
    ("port = ", "not valid TOML"),
    ("port = 70000", "port 70000 out of range"),
    ("colour = 'blue'", "colour"),
    ('[[targets]]\nname = "bad name;rm"\nport = 1\ncommand = ["x"]', "must match"),
    ('[[targets]]\nname = "p"\nport = 80', "needs a command"),
    ("min_confidence = 2.0", "min_confidence"),
])
def test_bad_file_is_a_config_error(tmp_path, text, needle):
    cfg = tmp_path / "aegis.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=needle):
        load_settings(cfg, environ={})


def test_bad_env_is_a_config_error():
    with pytest.raises(ConfigError, match="port"):
        load_settings(environ={"AEGIS_PORT": "eighty"})


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_cli_reports_bad_config_and_exits_non_zero(tmp_path):
    cfg = tmp_path / "aegis.toml"
    cfg.write_text("port = -1\n")
    proc = subprocess.run([sys.executable, "-m", "aegis.cli", "up", "--config", str(cfg)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert "aegis: invalid configuration" in proc.stderr and "port" in proc.stderr


def test_services_to_run_are_named_and_checked():
    assert load_settings(environ={"AEGIS_SERVICES": "gateway, prober"}).services == ["gateway", "prober"]
    assert load_settings(environ={}).services == []  # all of them
    with pytest.raises(ConfigError, match="unknown service.*nope.*known: gateway"):
        load_settings(environ={}, services=["gateway", "nope"])


def test_the_monitor_contracts_env_names_are_read_below_their_aegis_twins():
    s = load_settings(environ={"EMAIL_SENDER": "ops@example.org", "EMAIL_APP_PASSWORD": "app-pass",
                               "EMAIL_RECIPIENTS": "a@example.org, b@example.org"})
    assert (s.email_sender, s.smtp_password, s.email_recipients) == ("ops@example.org", "app-pass",
                                                                      ["a@example.org", "b@example.org"])
    both = load_settings(environ={"EMAIL_SENDER": "old@example.org", "AEGIS_EMAIL_SENDER": "new@example.org"})
    assert both.email_sender == "new@example.org"
