"""catalog.photos: an upload's content decides; what is kept is upright and bare of metadata."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.photos import NOT_A_PHOTO, PhotoRefused, prepare_photo

ORIENTATION = 0x0112
GPS_IFD = 0x8825


def upload(content: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def image_bytes(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` pixels, with a few bytes of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def opened(photo) -> Image.Image:
    return Image.open(io.BytesIO(photo.read()))


# --- Accepted ---------------------------------------------------------------------------------
@pytest.mark.parametrize("format", ["JPEG", "PNG", "WEBP", "GIF"])
def test_each_accepted_format_becomes_a_jpeg(format):
    """JPEG, PNG, WebP and GIF without transparency are kept as a JPEG of the same size."""
    content = image_bytes(Image.new("RGB", (64, 48), "navy"), format)

    photo = prepare_photo(upload(content, name="whatever.bin"))

    assert photo.name == "photo.jpg"
    image = opened(photo)
    assert (image.format, image.size) == ("JPEG", (64, 48))


def test_a_photo_with_transparency_stays_a_png():
    """A PNG with an alpha channel keeps it: it is stored as a PNG."""
    content = image_bytes(Image.new("RGBA", (30, 30), (255, 0, 0, 0)), "PNG")

    photo = prepare_photo(upload(content, name="logo.png"))

    image = opened(photo)
    assert (photo.name, image.format, image.mode) == ("photo.png", "PNG", "RGBA")
    assert image.getpixel((0, 0))[3] == 0


def test_an_animated_gif_keeps_its_first_frame():
    """Only the first frame of an animation is kept, as a still photo."""
    frames = [Image.new("RGB", (20, 20), colour) for colour in ("red", "blue")]
    content = image_bytes(frames[0], "GIF", save_all=True, append_images=frames[1:])

    image = opened(prepare_photo(upload(content, name="spin.gif")))

    assert getattr(image, "n_frames", 1) == 1
    red, _green, blue = image.convert("RGB").getpixel((10, 10))
    assert red > 200 and blue < 60


def test_exif_orientation_is_applied():
    """A camera's 'rotate 90° clockwise' (orientation 6) is applied to the pixels and dropped."""
    source = Image.new("RGB", (80, 40), "white")
    source.paste((0, 0, 0), (0, 0, 10, 10))  # a black corner, top left as stored
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    content = image_bytes(source, "JPEG", exif=exif.tobytes(), quality=95)

    image = opened(prepare_photo(upload(content)))

    assert image.size == (40, 80)
    assert image.getexif().get(ORIENTATION) is None
    # Turned clockwise, the stored top-left corner is now at the top right.
    assert sum(image.getpixel((35, 4))) < 100
    assert sum(image.getpixel((4, 4))) > 600


def test_gps_and_camera_metadata_are_stripped():
    """EXIF (a GPS position, the camera's make) and XMP never reach the stored photo."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif.get_ifd(GPS_IFD)[2] = (51.0, 30.0, 0.0)  # GPSLatitude
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret place</x:xmpmeta>'
    content = image_bytes(Image.new("RGB", (32, 32), "green"), "JPEG", exif=exif, xmp=xmp)
    assert b"PhoneMaker" in content and b"secret place" in content

    photo = prepare_photo(upload(content))

    data = photo.read()
    assert b"PhoneMaker" not in data and b"secret place" not in data
    image = Image.open(io.BytesIO(data))
    assert dict(image.getexif()) == {}
    assert image.getexif().get_ifd(GPS_IFD) == {}


# --- Refused ----------------------------------------------------------------------------------
def test_a_text_file_named_png_is_refused():
    """The name does not make a photo: text in a .png is refused."""
    with pytest.raises(PhotoRefused) as refused:
        prepare_photo(upload(b"just some notes, not pixels\n" * 10, name="notes.png"))

    assert str(refused.value) == NOT_A_PHOTO


def test_an_svg_with_script_is_refused():
    """SVG is not a format Pillow reads (and may carry script): refused as not a photo."""
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(1)</script><rect width='10' height='10'/></svg>"
    )

    with pytest.raises(PhotoRefused) as refused:
        prepare_photo(upload(svg, name="photo.svg"))

    assert str(refused.value) == "not a photo we can read: use JPEG, PNG, WebP or GIF."


def test_an_image_of_another_format_is_refused():
    """A BMP is an image Pillow reads, but not one of the four formats accepted."""
    content = image_bytes(Image.new("RGB", (10, 10)), "BMP")

    with pytest.raises(PhotoRefused, match="use JPEG, PNG, WebP or GIF"):
        prepare_photo(upload(content, name="photo.jpg"))


def test_a_truncated_jpeg_is_refused():
    """A JPEG cut short is refused when its pixels are read, not stored broken."""
    content = image_bytes(Image.effect_noise((200, 200), 50).convert("RGB"), "JPEG")

    with pytest.raises(PhotoRefused, match="not a photo we can read"):
        prepare_photo(upload(content[: len(content) // 2]))


def test_a_50_mb_upload_is_refused_with_the_limit():
    """An upload over PHOTO_MAX_BYTES is refused before it is read, naming the limit."""
    content = b"\xff\xd8\xff" + b"\0" * (50 * 1024 * 1024)

    with pytest.raises(PhotoRefused) as refused:
        prepare_photo(upload(content))

    assert str(refused.value) == "larger than 10 MB, the most a photo may be."


def test_a_20000_pixel_square_is_refused_without_decoding(monkeypatch):
    """A 20,000 × 20,000 header over a few bytes (a decompression bomb) is never decoded."""
    monkeypatch.setattr(Image.Image, "load", lambda self: pytest.fail("decoded"))
    content = png_header_only(20_000, 20_000)
    assert len(content) < 200

    with pytest.raises(PhotoRefused, match="too many pixels; a photo may have 40 megapixels"):
        prepare_photo(upload(content, name="bomb.png"))


def test_more_pixels_than_the_limit_are_refused_from_the_header(monkeypatch):
    """Below Pillow's own bomb limit but above PHOTO_MAX_PIXELS: refused from the header."""
    monkeypatch.setattr(Image.Image, "load", lambda self: pytest.fail("decoded"))

    with pytest.raises(PhotoRefused) as refused:
        prepare_photo(upload(png_header_only(8_000, 6_000), name="big.png"))

    assert str(refused.value) == (
        "8,000 × 6,000 pixels: too many pixels; a photo may have 40 megapixels at most."
    )


def test_the_pixel_limit_is_a_setting(settings):
    """PHOTO_MAX_PIXELS moves the limit: 100 × 100 is refused under a 5,000-pixel limit."""
    settings.PHOTO_MAX_PIXELS = 5_000
    content = image_bytes(Image.new("RGB", (100, 100)), "PNG")

    with pytest.raises(PhotoRefused, match=r"0\.005 megapixels"):
        prepare_photo(upload(content))
