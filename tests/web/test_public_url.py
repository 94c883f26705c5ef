"""WHISTLE_PUBLIC_URL: the address printed on a counter receipt is the public site's, not the address the clerk's
request came in on (behind a proxy that is an inner name residents cannot reach); a bad value stops the server
with the variable named."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from web.public.counter import track_url
from web.settings import Settings, SettingsError


def test_the_receipt_prints_the_public_address_when_set(make_app: Callable[..., Flask]) -> None:
    inner = make_app()
    with inner.test_request_context("/public/counter/new", base_url="http://10.0.0.5:8000"):
        assert track_url() == "http://10.0.0.5:8000/public/track"  # unset: the request's own address
    public = make_app(public_url="https://12345.example.gov.cn")
    with public.test_request_context("/public/counter/new", base_url="http://10.0.0.5:8000"):
        assert track_url() == "https://12345.example.gov.cn/public/track"


@pytest.mark.parametrize(("given", "kept"), [("https://12345.example.gov.cn/", "https://12345.example.gov.cn"),
                                             (" http://whistle.local:8000/site ", "http://whistle.local:8000/site")])
def test_good_public_urls_are_kept_without_the_last_slash(given: str, kept: str) -> None:
    assert Settings.from_env({"WHISTLE_PUBLIC_URL": given}).public_url == kept


@pytest.mark.parametrize("given", ["12345.example.gov.cn", "ftp://example.gov.cn", "https://", "https://x/?a=1",
                                   "https://x/#top", "http://[::1", "https://x/\u0000", "https://" + "x" * 300])
def test_bad_public_urls_stop_the_server_naming_the_variable(given: str) -> None:
    with pytest.raises(SettingsError, match="WHISTLE_PUBLIC_URL"):
        Settings.from_env({"WHISTLE_PUBLIC_URL": given})
