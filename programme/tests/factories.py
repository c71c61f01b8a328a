import factory

from programme.models import Programme, ProgrammeDay


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Leergang {n}")
    subtitle = "Samen leren leiden"
    slug = factory.Sequence(lambda n: f"leergang-{n}")
    description = "Eerste alinea.\n\nTweede alinea."
    target_group = "Schoolleiders in het primair onderwijs."
    certification = "Gecertificeerd door het Schoolleidersregister."
    min_participants = 12
    max_participants = 30
    number_of_days = 6
    required_days = 5
    position = factory.Sequence(lambda n: n + 1)

    @factory.post_generation
    def days(self, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        for number in range(1, self.number_of_days + 1):
            ProgrammeDayFactory(programme=self, number=number)


class ProgrammeDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgrammeDay

    programme = factory.SubFactory(ProgrammeFactory, days=False)
    number = factory.Sequence(lambda n: n + 1)
    theme = factory.Sequence(lambda n: f"Thema {n}")
    content = "Wat we deze dag doen."
