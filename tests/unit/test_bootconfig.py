"""chronoedge.txt as operators write it: Windows line ends, a BOM, comments, mistakes."""

from __future__ import annotations

from pathlib import Path

from edge.appliance.bootconfig import CONFIG_FILE, parse, read_config, remove_secrets
from edge.appliance.sshkeys import check_public_key

ED25519 = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDy7Vq2C0a7yNf6qB8Y3pYlqg6bJkOqZs1pS0f3m9Q0r admin@laptop"
)


def test_crlf_bom_comments_and_quotes_are_read_as_an_operator_means_them(tmp_path: Path) -> None:
    text = "# settings\r\n\r\nHostname = Finish-Line\r\n; a comment\r\nwifi_ssid = 'Course 4G'\r\n"
    (tmp_path / CONFIG_FILE).write_bytes(b"\xef\xbb\xbf" + text.encode())
    config = read_config(tmp_path)
    assert config.problems == []
    assert config.values == {"hostname": "finish-line", "wifi_ssid": "Course 4G"}
    assert config.lines == {"hostname": 3, "wifi_ssid": 5}


def test_a_hash_inside_a_value_is_kept_not_taken_for_a_comment() -> None:
    config = parse("wifi_ssid = x\nwifi_password = pass#word 12\n")
    assert config.get("wifi_password") == "pass#word 12"


def test_each_bad_line_is_reported_with_its_number_and_key_and_the_rest_is_read() -> None:
    config = parse(
        "hostname = -bad-\n"
        "colour = blue\n"
        "just words\n"
        "timezone = ../../etc/passwd\n"
        "wifi_country = France\n"
        "role = referee\n"
        "central_url = ftp://central\n"
        "timezone = Europe/Paris\n"
    )
    found = {(p.line, p.key) for p in config.problems}
    assert {(1, "hostname"), (2, "colour"), (3, ""), (4, "timezone"), (5, "wifi_country")} <= found
    assert {(6, "role"), (7, "central_url")} <= found
    assert config.values == {"timezone": "Europe/Paris"}
    assert "unknown key" in str(next(p for p in config.problems if p.key == "colour"))
    assert str(config.problems[0]).startswith("line 1: hostname: ")


def test_settings_that_need_another_are_reported_without_it() -> None:
    config = parse("wifi_password = longenough\nenrollment_token = abc\nevent = race\n")
    reasons = {p.key: p.reason for p in config.problems}
    assert "wifi_ssid" in reasons["wifi_password"]
    assert "central_url" in reasons["enrollment_token"]
    assert "role" in reasons["event"]
    assert config.values == {}


def test_wifi_passwords_follow_wpa_rules() -> None:
    assert parse("wifi_ssid = a\nwifi_password = short\n").problems
    assert not parse("wifi_ssid = a\nwifi_password = " + "ab" * 32 + "\n").problems
    assert not parse("wifi_ssid = a\nwifi_password =\n").problems  # an open network


def test_ssh_keys_are_checked_one_by_one_and_may_be_repeated() -> None:
    rsa_in_ed25519_line = "ssh-ed25519 " + ED25519.split()[1][:20]
    config = parse(
        f"ssh_authorized_keys = {ED25519}\n"
        "ssh_authorized_keys = ssh-dss AAAAB3NzaC1kc3M= old\n"
        f"ssh_authorized_keys = {rsa_in_ed25519_line}\n"
        f"ssh_authorized_keys = {ED25519.replace('admin@laptop', 'second')}\n"
    )
    assert len(config.ssh_keys) == 2
    assert [(p.line, p.key) for p in config.problems] == [
        (2, "ssh_authorized_keys"),
        (3, "ssh_authorized_keys"),
    ]
    assert check_public_key("not a key") is not None
    assert check_public_key(ED25519) is None


def test_a_file_saved_as_windows_1252_is_read_and_noted(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).write_bytes("wifi_ssid = Caf\u00e9\n".encode("cp1252"))
    config = read_config(tmp_path)
    assert config.get("wifi_ssid") == "Caf\u00e9"
    assert "Windows-1252" in str(config.problems[0])


def test_no_file_is_an_empty_configuration(tmp_path: Path) -> None:
    config = read_config(tmp_path)
    assert config.values == {}
    assert config.problems == []


def test_secrets_are_removed_and_everything_else_kept_byte_for_byte(tmp_path: Path) -> None:
    original = (
        b"\xef\xbb\xbf# mine\r\nwifi_ssid = Course\r\nwifi_password = secret-pass\r\n"
        b"#enrollment_token = a comment stays\r\nenrollment_token = tok\r\nrole = master"
    )
    (tmp_path / CONFIG_FILE).write_bytes(original)
    assert remove_secrets(tmp_path) == ["wifi_password", "enrollment_token"]
    after = (tmp_path / CONFIG_FILE).read_bytes()
    assert b"secret-pass" not in after
    assert b"= tok" not in after
    assert after.startswith(b"\xef\xbb\xbf# mine\r\nwifi_ssid = Course\r\n# wifi_password: removed")
    assert after.endswith(
        b"#enrollment_token = a comment stays\r\n# enrollment_token: removed"
        b" by the first boot (it is kept on the box)\r\nrole = master"
    )
    assert remove_secrets(tmp_path) == []
    assert (tmp_path / CONFIG_FILE).read_bytes() == after
