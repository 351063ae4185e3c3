"""Plain builder functions for test data."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from intake.access import partners, staff
from intake.cases import filing as complaints
from intake.crypto import Keyring
from intake.enums import Role
from intake.models import Case, Partner, StaffUser


def submission_data(**overrides: Any) -> dict[str, Any]:
    """Return a valid partner API body; override any field."""
    data: dict[str, Any] = {
        "kind": "complaint",
        "channel": "partner",
        "language": "es",
        "narrative": "El oficial me empujó contra el carro y no me dijo por qué me paraba.",
        "incident_time_text": "el sábado como a las 9 de la noche",
        "location": "Calle Main y Hunter, Stockton",
        "officers": "Oficial alto, placa 4471, patrulla 12",
        "injuries": "moretón en el brazo",
        "witnesses": "mi hermana",
        "anonymous": False,
        "contact": {"name": "María López", "phone": "(209) 555-0142", "email": "maria@example.org", "preferred": "sms"},
    }
    data.update(overrides)
    return data


def make_partner(session: Session, name: str = "Stockton NAACP") -> tuple[Partner, str]:
    return partners.create_partner(session, name=name, actor="test")


def make_staff(session: Session, role: Role = Role.INTAKE, email: str = "intake@example.org") -> StaffUser:
    return staff.create_staff(session, email=email, role=role, password="correct horse battery", actor="test")


def make_case(session: Session, keyring: Keyring, **overrides: Any) -> tuple[Case, complaints.Receipt]:
    submission = complaints.parse_submission(submission_data(**overrides))
    return complaints.file_case(session, keyring=keyring, submission=submission, actor="test")


# What a phone writes into a photo about the resident: where (GPS), with what (make, model), and notes.
PHOTO_MAKE = "HeardTestCam"
PHOTO_MODEL = "Model-X9-Resident"
PHOTO_COMMENT = "taken at my home on Elm Street"
PHOTO_XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>Resident-XMP-Author</rdf:Description></x:xmpmeta>'


def photo_with_metadata(fmt: str = "JPEG", size: tuple[int, int] = (64, 48)) -> bytes:
    """Return a real JPEG or PNG carrying EXIF GPS, camera make and model, a comment and XMP."""
    import io

    from PIL import Image, PngImagePlugin

    image = Image.new("RGB", size, (180, 40, 40))
    for x in range(size[0] // 2):  # a left half of another colour, so a turn of the picture shows
        for y in range(size[1]):
            image.putpixel((x, y), (20, 60, 200))
    exif = Image.Exif()
    exif[0x010F] = PHOTO_MAKE
    exif[0x0110] = PHOTO_MODEL
    exif[0x0112] = 1  # upright
    exif[0x8825] = {1: "N", 2: (37.0, 57.0, 29.5), 3: "W", 4: (121.0, 17.0, 12.25)}  # GPS: Stockton
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", exif=exif.tobytes(), comment=PHOTO_COMMENT.encode(), xmp=PHOTO_XMP, quality=90)
    else:
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", PHOTO_COMMENT)
        text.add_itxt("XML:com.adobe.xmp", PHOTO_XMP.decode())
        image.save(out, "PNG", exif=exif.tobytes(), pnginfo=text)
    return out.getvalue()
