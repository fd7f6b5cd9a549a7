"""The ``{% photo %}`` tag (core/templatetags/photos.py) and Display's size (core/images.py)."""

import pytest
from django.template import Context, Template

from core.images import display_size
from orders.models import OrderLine
from tests.factories import ListingPhotoFactory, image_file

pytestmark = pytest.mark.django_db


def render(source: str, **context) -> str:
    return Template("{% load photos %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((1600, 1200), (800, 600)),  # shrunk to the box
        ((400, 1000), (320, 800)),  # a tall one: its height is the box's
        ((40, 30), (40, 30)),  # a small one keeps its size: never enlarged, never blurred
        ((0, 0), (0, 0)),  # a size never read
    ],
)
def test_display_size_is_the_size_imagekit_makes(size, expected):
    """The <img> announces the size Display gives the file, so nothing shifts when it loads."""
    assert display_size(*size) == expected


@pytest.mark.parametrize(("size", "expected"), [((1000, 250), (800, 200)), ((50, 20), (50, 20))])
def test_display_size_matches_the_file_imagekit_wrote(size, expected):
    """Given a big or a small photo, when its Display image is made, it is the size computed."""
    from PIL import Image

    photo = ListingPhotoFactory(image=image_file(size=size))

    with Image.open(photo.display.path) as made:
        assert made.size == display_size(*size) == expected


def test_a_thumbnail_has_its_url_alt_size_and_lazy_loading():
    """A photo: the thumbnail's URL, the title as alt text, a square size, loading lazily."""
    photo = ListingPhotoFactory()

    html = render('{% photo photo alt="Dot grid" size=64 %}', photo=photo)

    assert f'src="{photo.thumbnail.url}"' in html
    assert photo.thumbnail.url.startswith("/media/thumbnails/")
    assert 'alt="Dot grid"' in html
    assert 'width="64"' in html and 'height="64"' in html
    assert 'loading="lazy"' in html


def test_a_display_image_has_its_own_size_and_loads_at_once_when_asked():
    """The large photo: Display's URL and size, the column's class, no lazy loading."""
    photo = ListingPhotoFactory(image=image_file(size=(1600, 1200)))

    html = render('{% photo photo "display" alt="Pen" lazy=False css="img-fluid" %}', photo=photo)

    assert f'src="{photo.display.url}"' in html
    assert 'width="800"' in html and 'height="600"' in html
    assert 'class="photo img-fluid"' in html
    assert "loading" not in html


def test_the_title_in_alt_text_is_escaped():
    """A title with HTML is text in the alt attribute, never markup."""
    photo = ListingPhotoFactory()

    html = render("{% photo photo alt=title %}", photo=photo, title='"><script>x()</script>')

    assert "<script>" not in html
    assert 'alt="&quot;&gt;&lt;script&gt;x()&lt;/script&gt;"' in html


@pytest.mark.parametrize(
    "owner", [None, "", OrderLine(title="No photo")], ids=["none", "empty", "line-without"]
)
def test_without_a_photo_the_placeholder_is_drawn_inline(owner):
    """No photo (none prefetched, or a line bought without one): an inline SVG box, no <img>."""
    html = render('{% photo owner alt="Pen" size=48 %}', owner=owner)

    assert "<img" not in html
    assert 'data-testid="photo-placeholder"' in html
    assert 'width="48"' in html and 'height="48"' in html
    assert 'aria-hidden="true"' in html


def test_an_order_lines_photo_is_its_own_files_thumbnail():
    """A line that kept a photo's file shows that file's thumbnail: the listing's same file."""
    photo = ListingPhotoFactory()
    line = OrderLine(title="Pen", image=photo.image.name)

    html = render('{% photo line alt="Pen" %}', line=line)

    assert f'src="{photo.thumbnail.url}"' in html
