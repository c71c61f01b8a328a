"""The trainer's materials: a link or a private file per programme day, shown from a chosen moment."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ..models import Material
from ..validators import MATERIAL_TYPES, content_type, validate_upload
from .files import delete_after_commit

LINK_OR_FILE = _("Give either a link or a file, not both.")


@transaction.atomic
def save_material(*, material: Material, upload=None) -> Material:
    """
    Save a material, with a new file when `upload` is given (checked by its content; it replaces the old one).

    :raises ValidationError: a link and a file at once, neither, or a file of a kind or size not accepted
    """
    replaced = ""
    if upload is not None:
        try:
            kind = validate_upload(upload, allowed=MATERIAL_TYPES, max_bytes=settings.MATERIAL_MAX_BYTES)
        except ValidationError as error:
            raise ValidationError({"file": error.messages}) from None
        if material.pk:
            replaced = Material.objects.filter(pk=material.pk).values_list("file", flat=True).first() or ""
        material.file.save(upload.name, upload, save=False)
        material.filename = upload.name.rsplit("/", 1)[-1][:200]
        material.content_type = content_type(kind)
    elif material.url and material.file:
        # A link given for a material that had a file: the link replaces it.
        replaced, material.file, material.filename, material.content_type = material.file.name, None, "", ""
    if bool(material.url) == bool(material.file):
        raise ValidationError(LINK_OR_FILE)
    material.full_clean()
    material.save()
    delete_after_commit(replaced)
    return material


@transaction.atomic
def delete_material(*, material: Material) -> None:
    """Delete a material, and its file once the deletion has committed."""
    name = material.file.name if material.file else ""
    material.delete()
    delete_after_commit(name)
