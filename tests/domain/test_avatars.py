"""Which images the site keeps as avatars, told by their first bytes."""

from dailypapers.domain.avatars import image_type, initial


def test_raster_images_are_recognised_and_anything_else_is_not():
    assert image_type(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert image_type(b"\xff\xd8\xff\xe0....") == "image/jpeg"
    assert image_type(b"GIF89a....") == "image/gif"
    assert image_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert image_type(b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>') is None
    assert image_type(b"<!doctype html><html>") is None
    assert image_type(b"") is None


def test_the_initial_stands_in_for_a_missing_avatar():
    assert initial("renmin University") == "R"
    assert initial("  ") == "?"
