from django.contrib import messages
from django.template.response import TemplateResponse

from privacy import services as privacy

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


class PersonErasureAdmin:
    """
    An admin whose action erases the selected people's data, for the office only, after a page saying what goes
    and what stays.
    """

    def has_erase_permission(self, request):
        return request.user.has_perm("cohorts.erase_participant")

    def erase_selected(self, request, queryset, *, action: str, title, shown, describe, removed, kept, done_message):
        """
        Erase each selected person through the privacy service once confirmed; until then show the page.

        :param shown: the selected people as the page lists them, with what `describe` reads loaded
        :param describe: gives the page's line for one person
        :param removed: what the erasure removes, as one sentence or a few
        :param kept: what it keeps, and why
        :param done_message: gives the message for a number erased, with a %(count)s placeholder
        """
        if request.POST.get("confirm") == "yes":
            for person in queryset:
                privacy.erase_person(person=person, by=request.user, request=request)
            count = queryset.count()
            self.message_user(request, done_message(count) % {"count": count}, messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/cohorts/erase_people.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": title,
                "action": action,
                "people": [(person.pk, describe(person)) for person in shown],
                "removed": removed,
                "kept": kept,
            },
        )
