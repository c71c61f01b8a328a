from django.contrib import messages

from ..services.runs import CohortError


def call_for_each(modeladmin, request, objects, name: str, service, done_message, **arguments) -> None:
    """
    Call an action's service once for each selected object; say what it refused, and how many it did.

    :param name: the keyword the service takes the object as ("cohort", "registration")
    :param done_message: gives the message for a number done, with a %(count)d placeholder
    """
    done = 0
    for obj in objects:
        try:
            service(**{name: obj}, by=request.user, request=request, **arguments)
        except CohortError as error:
            modeladmin.message_user(request, str(error), messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message(done) % {"count": done}, messages.SUCCESS)
