"""The writes of materials: `library` for the trainer's materials, `assignments` for the final assignment."""


class MaterialsError(Exception):
    """A refused write, with a translated message for the person who tried it."""
