"""The client's address: the peer's, unless a trusted proxy forwarded the connection."""

from __future__ import annotations

import pytest
from signify.config import ConfigError, Settings
from signify.serving.clientaddress import TrustedProxies, parse_address, parse_networks

PROXY = "10.0.0.5"
TRUSTED = TrustedProxies(parse_networks("10.0.0.0/8, 192.168.1.1, fd00::/8"))
NONE_TRUSTED = TrustedProxies(())


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert NONE_TRUSTED.client("127.0.0.1", ["203.0.113.7"]) == "127.0.0.1"


def test_an_untrusted_peer_cannot_name_another_client() -> None:
    assert TRUSTED.client("198.51.100.2", ["203.0.113.7"]) == "198.51.100.2"


def test_a_trusted_proxy_names_the_client() -> None:
    assert TRUSTED.client(PROXY, ["203.0.113.7"]) == "203.0.113.7"


def test_the_right_most_untrusted_hop_is_the_client_whatever_the_client_wrote_to_its_left() -> None:
    # The client wrote 1.1.1.1 itself; the outer proxy (192.168.1.1) saw 203.0.113.7.
    assert TRUSTED.client(PROXY, ["1.1.1.1, 203.0.113.7, 192.168.1.1"]) == "203.0.113.7"


def test_several_headers_are_one_list_in_order() -> None:
    assert TRUSTED.client(PROXY, ["1.1.1.1", "203.0.113.7"]) == "203.0.113.7"


def test_only_trusted_hops_give_the_left_most() -> None:
    assert TRUSTED.client(PROXY, ["10.1.1.1, 10.2.2.2"]) == "10.1.1.1"


def test_a_trusted_proxy_without_a_header_is_itself_the_client() -> None:
    assert TRUSTED.client(PROXY, []) == PROXY
    assert TRUSTED.client(PROXY, [" , "]) == PROXY


def test_a_hop_that_is_not_an_address_is_kept_as_the_key() -> None:
    assert TRUSTED.client(PROXY, ["203.0.113.7, Unknown"]) == "unknown"
    assert len(TRUSTED.client(PROXY, ["x" * 500])) == 64


@pytest.mark.parametrize(("written", "address"), [
    ("203.0.113.7:5678", "203.0.113.7"),
    ("[2001:db8::1]:443", "2001:db8::1"),
    ("2001:db8::1", "2001:db8::1"),
    ("::ffff:203.0.113.7", "203.0.113.7"),
    ("fe80::1%eth0", "fe80::1"),
])
def test_addresses_are_read_as_proxies_write_them(written: str, address: str) -> None:
    assert str(parse_address(written)) == address


def test_an_ipv4_mapped_peer_is_matched_against_ipv4_networks() -> None:
    assert TRUSTED.client("::ffff:10.0.0.5", ["203.0.113.7"]) == "203.0.113.7"


def test_ipv6_proxies() -> None:
    assert TRUSTED.client("fd00::2", ["2001:db8::9"]) == "2001:db8::9"


def test_trusted_proxies_setting() -> None:
    settings = Settings.from_env({"TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"})
    assert [str(network) for network in settings.trusted_proxies] == ["127.0.0.1/32", "10.0.0.0/8"]
    assert Settings.from_env({}).trusted_proxies == ()
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        Settings.from_env({"TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"})


def test_max_sessions_per_client_setting() -> None:
    assert Settings.from_env({}).max_sessions_per_client == 4
    assert Settings.from_env({"MAX_SESSIONS_PER_CLIENT": "0"}).max_sessions_per_client == 0
    with pytest.raises(ConfigError, match="MAX_SESSIONS_PER_CLIENT"):
        Settings.from_env({"MAX_SESSIONS_PER_CLIENT": "-1"})
