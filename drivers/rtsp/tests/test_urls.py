from __future__ import annotations

import pytest

from argus_driver_rtsp import urls

PASSWORD = "p@ss:w/rd%x é"


def test_with_credentials_percent_encodes_what_ffmpeg_decodes() -> None:
    url = urls.with_credentials("rtsp://cam:8554/live", "us er", PASSWORD)
    assert url == "rtsp://us%20er:p%40ss%3Aw%2Frd%25x%20%C3%A9@cam:8554/live"
    assert urls.split_credentials(url) == ("rtsp://cam:8554/live", "us er", PASSWORD)


def test_without_credentials_the_url_is_unchanged() -> None:
    assert urls.with_credentials("rtsp://cam/live", "", "") == "rtsp://cam/live"
    assert urls.split_credentials("rtsp://cam/live") == ("rtsp://cam/live", "", "")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("rtsp://admin:hunter2@cam:554/s1", "rtsp://admin:***@cam:554/s1"),
        ("rtsp://:hunter2@cam/s1", "rtsp://***@cam/s1"),
        ("rtsp://admin@cam/s1", "rtsp://admin@cam/s1"),
        (
            "rtsp://cam/s1?user=admin&password=hunter2&ch=1",
            "rtsp://cam/s1?user=admin&password=***&ch=1",
        ),
        ("rtsp://cam/s1?PWD=hunter2", "rtsp://cam/s1?PWD=***"),
        ("rtsp://a:hunter2@[::1/s1", "rtsp://***@[::1/s1"),
    ],
)
def test_redact_masks_passwords(url: str, shown: str) -> None:
    assert urls.redact(url) == shown
    assert "hunter2" not in urls.redact(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://cam/s1",
        "rtsp:///s1",
        "rtsp://cam:99999/s1",
        "rtsp://cam:0/s1",
        "rtsp://cam:port/s1",
        "rtsp://cam/my stream",
        "rtsp://cam/s1\x01",
        "rtsp://[::1/s1",
        "rtsp://cam/" + "x" * urls.MAX_URL_LENGTH,
    ],
)
def test_check_rejects_unusable_urls_without_quoting_them(url: str) -> None:
    with pytest.raises(ValueError) as info:
        urls.check(url)
    assert "cam" not in str(info.value)


def test_check_accepts_rtsp_and_rtsps() -> None:
    assert urls.check("  RTSP://10.0.0.5:554/Streaming/Channels/101 ") == (
        "RTSP://10.0.0.5:554/Streaming/Channels/101"
    )
    assert urls.check("rtsps://[fe80::1]/live") == "rtsps://[fe80::1]/live"


def test_endpoint_defaults_the_port_by_scheme() -> None:
    assert urls.endpoint("rtsp://cam/s") == ("cam", 554)
    assert urls.endpoint("rtsps://cam/s") == ("cam", 322)
    assert urls.endpoint("rtsp://[::1]:8554/s") == ("::1", 8554)


def test_scrubber_masks_secrets_as_given_and_percent_encoded() -> None:
    scrub = urls.Scrubber([PASSWORD, ""])
    encoded = urls.with_credentials("rtsp://cam/s", "admin", PASSWORD)
    text = scrub(f"failed: '{encoded}' ({PASSWORD}) [p%40ss%3Aw%2Frd%25x%20%C3%A9]")
    assert "p@ss" not in text and "p%40ss" not in text
    assert text.count(urls.MASK) >= 3
    assert PASSWORD not in repr(scrub)
