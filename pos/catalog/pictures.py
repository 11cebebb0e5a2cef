"""Product pictures as uploaded: checked before anything is written.

A picture is a JPEG, PNG or WebP of at most ``MAX_SIDE`` pixels a side and ``MAX_PIXELS``
in all. The header is read (not the pixels), so a file claiming 100000×100000 pixels — a
decompression bomb that would take gigabytes to decode — is refused with a message, as is a
file Pillow cannot identify or whose data is broken.
"""

from __future__ import annotations

import warnings

from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from ..errors import DomainError

PICTURE_TYPES = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}
MAX_SIDE = 10_000
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; a tablet camera takes 8–12


def check_picture(stream) -> str:
    """The picture's file suffix (``.jpg``, ``.png``, ``.webp``); raises ``DomainError`` for anything else.
    Leaves ``stream`` at its start."""
    not_a_picture = _("The picture must be a JPEG, PNG or WebP image.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as img:
                kind, (width, height) = img.format, img.size
                if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
                    raise DomainError(_("The picture is %(w)d × %(h)d pixels; at most %(n)d pixels a side, "
                                        "please (make it smaller first).", w=width, h=height, n=MAX_SIDE),
                                      field="picture")
                img.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DomainError(_("The picture is far too large in pixels; make it smaller first."),
                          field="picture") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise DomainError(not_a_picture, field="picture") from None
    finally:
        stream.seek(0)
    if kind not in PICTURE_TYPES:
        raise DomainError(not_a_picture, field="picture")
    return PICTURE_TYPES[kind]
