"""Images re-encoded without what they say about the resident: EXIF (GPS, camera make and model, times), XMP, comments.

The police liaison receives these copies instead of the resident's file. Only the pixels
are carried over (turned upright first, since the orientation tag goes too): no EXIF, no
XMP, no IPTC, no ICC profile, no PNG text chunks, no JPEG or GIF comments.

NOTE: a format Pillow cannot re-encode faithfully here (HEIC/HEIF, animated GIF or WebP,
video, sound, PDF, anything that fails to decode) gets ``None``: the caller withholds the
file rather than handing out the original.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

# What Heard re-encodes, by the type the bytes show, into the same format.
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}
# A decompression bomb is refused like any file that cannot be re-encoded (Pillow's own limit is 89 Mpx).
MAX_PIXELS = 60_000_000
# Info keys that describe pixels, not the picture's origin; everything else is dropped.
_PIXEL_INFO = ("transparency",)


def can_redact(content_type: str) -> bool:
    """Tell whether files of this type can be handed out re-encoded without metadata."""
    return content_type in FORMATS


def strip_metadata(data: bytes, content_type: str) -> bytes | None:
    """Return the image re-encoded in its own format with no metadata, or None when Heard cannot do that."""
    fmt = FORMATS.get(content_type)
    if fmt is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as image:
                if image.width * image.height > MAX_PIXELS or getattr(image, "n_frames", 1) > 1:
                    return None
                image.load()
                upright = ImageOps.exif_transpose(image)
                kept = {key: image.info[key] for key in _PIXEL_INFO if key in image.info}
        # NOTE: a new image from the pixels alone, so nothing the file carried can ride along.
        clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
        if upright.mode in ("P", "PA") and (palette := upright.getpalette()) is not None:
            clean.putpalette(palette)
        clean.info.update(kept)
        if fmt == "JPEG" and clean.mode not in ("RGB", "L", "CMYK"):
            clean = clean.convert("RGB")
        out = io.BytesIO()
        clean.save(out, format=fmt, **({"quality": 95} if fmt in ("JPEG", "WEBP") else {}))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None
    return out.getvalue()
