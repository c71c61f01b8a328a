from .models import AuditEvent


def record(*, action: str, obj, actor=None, request=None, detail: str = "", changes: dict | None = None) -> AuditEvent:
    """
    Add an event to the audit trail.

    :param obj: the record acted on (any model instance)
    :param actor: the user; taken from the request when not given
    :param request: gives the address the action came from
    :param changes: what changed, as {"field": [before, after]}; JSON values only
    """
    if action not in AuditEvent.Action.values:
        # The trail reads by its choices: an action without one would show as its raw value, untranslated.
        raise ValueError(f"{action!r} is not an audit action; add it to AuditEvent.Action.")
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    address = None
    if request is not None:
        from verbindend.ratelimit import client_address

        address = client_address(request) or None
    return AuditEvent.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor else "",
        action=action,
        object_type=obj._meta.label,
        object_id=str(obj.pk),
        object_label=str(obj)[:300],
        detail=detail[:300],
        changes=changes or {},
        address=address,
    )
