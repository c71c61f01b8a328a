"""The participant form that the board page and the admin's "add a participant" both use."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Participant, Sector, roles_for_sector
from .validators import normalize_brin, validate_brin


class ParticipantForm(forms.ModelForm):
    class Meta:
        model = Participant
        fields = ["first_name", "initials", "tussenvoegsel", "last_name", "email", "role", "school", "brin"]
        help_texts = {
            "first_name": _("The name used every day (roepnaam)."),
            "initials": _("As they must stand on the certificate, such as J.P."),
            "brin": _("The school's BRIN code: 2 digits and 2 letters, such as 16SW."),
        }

    def __init__(self, *args, sector: str = Sector.BOTH, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = roles_for_sector(sector)
        self.fields["role"].choices = [("", "---------")] + [(role.value, role.label) for role in allowed]
        self.fields["brin"].max_length = 10
        self.fields["brin"].validators = []
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Div(Div("first_name", css_class="col-sm-7"), Div("initials", css_class="col-sm-5"), css_class="row"),
            Div(Div("tussenvoegsel", css_class="col-sm-4"), Div("last_name", css_class="col-sm-8"), css_class="row"),
            "email",
            "role",
            Div(Div("school", css_class="col-sm-8"), Div("brin", css_class="col-sm-4"), css_class="row"),
        )

    def clean_brin(self):
        value = normalize_brin(self.cleaned_data["brin"])
        validate_brin(value)
        return value

    def clean_email(self):
        return self.cleaned_data["email"].strip()
