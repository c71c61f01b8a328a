"""
The forms only the public pages use: registration, own details, verification, an offer's acceptance. The forms by
which leaders are enrolled are in enrolment_forms.py.
"""

import hashlib
import re
import uuid

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout, Submit
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from billing.validators import validate_kvk_number
from cohorts.models import Board, Cohort, Participant, Registration, Sector
from cohorts.validators import (
    normalize_phone,
    normalize_swv_code,
    validate_bestuursnummer,
    validate_swv_code,
)
from registry import selectors as registry_selectors


class RegistrationForm(forms.Form):
    """The public form: a board asks for a new course run or joins an open one."""

    path = forms.ChoiceField(
        label=_("What would you like?"),
        choices=Registration.Kind.choices,
        widget=forms.RadioSelect,
        initial=Registration.Kind.NEW_COHORT,
    )
    cohort = forms.TypedChoiceField(label=_("Course run to join"), required=False, coerce=int, empty_value=None)
    board_name = forms.CharField(label=_("Name of the board or samenwerkingsverband"), max_length=200)
    board_kind = forms.ChoiceField(
        label=_("Kind of organisation"),
        choices=Board.Kind.choices,
        widget=forms.RadioSelect,
        initial=Board.Kind.BESTUUR,
    )
    bestuursnummer = forms.CharField(
        label=_("Bestuursnummer"),
        max_length=20,
        required=False,
        help_text=_("The 5-digit number of the competent authority (bevoegd gezag), such as 77494."),
    )
    swv_code = forms.CharField(
        label=_("Samenwerkingsverband code"),
        max_length=20,
        required=False,
        help_text=_("Such as PO-22-02."),
    )
    sector = forms.ChoiceField(label=_("Sector"), choices=Sector.choices, widget=forms.RadioSelect)
    board_place = forms.CharField(label=_("Place"), max_length=100, required=False)
    contact_name = forms.CharField(label=_("Your name"), max_length=150)
    contact_function = forms.CharField(label=_("Your function"), max_length=150, required=False)
    contact_email = forms.EmailField(label=_("Your e-mail address"), max_length=254)
    contact_phone = forms.CharField(label=_("Your phone number"), max_length=30)
    expected_participants = forms.IntegerField(
        label=_("Expected number of participants"),
        min_value=1,
        max_value=500,
    )
    preferred_period = forms.CharField(
        label=_("Preferred period"), max_length=200, required=False, help_text=_("For example: spring 2027.")
    )
    preferred_place = forms.CharField(label=_("Preferred place"), max_length=200, required=False)
    remarks = forms.CharField(
        label=_("Remarks"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    privacy_consent = forms.BooleanField(
        label=_("I agree to the privacy statement: my details are used to handle this registration."),
        error_messages={
            "required": _("Please agree to the privacy statement; without it we cannot handle your registration.")
        },
    )
    # A field people do not see; a bot that fills it in is thanked and ignored.
    website = forms.CharField(required=False, label=_("Leave this field empty"))
    submission_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, open_cohorts=(), programme=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.open_cohorts = {cohort.pk: cohort for cohort in open_cohorts}
        self.programme = programme
        self.fields["cohort"].choices = [("", _("Choose a course run"))] + [
            (cohort.pk, cohort_choice_label(cohort)) for cohort in open_cohorts
        ]
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4().hex)
        if not open_cohorts:
            self.fields["path"].widget = forms.HiddenInput()
            del self.fields["cohort"]
        if programme:
            self.fields["expected_participants"].help_text = _(
                "A course run has %(minimum)s to %(maximum)s participants. Fewer than %(minimum)s? "
                "We will combine your board with others."
            ) % {"minimum": programme.min_participants, "maximum": programme.max_participants}
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        self.fields["privacy_consent"].label = format_html(
            '{} <a href="/privacy/" target="_blank" rel="noopener">{}</a>',
            _("I agree to the privacy statement: my details are used to handle this registration."),
            _("Read the privacy statement"),
        )

    @cached_property
    def helper(self) -> FormHelper:
        """Build the crispy layout only when the form is rendered: a valid POST and a cached rendering need none."""
        helper = FormHelper()
        helper.form_tag = False
        # The rendering is cached and served to every visitor: the CSRF token is
        # each visitor's own, so the template renders it outside the cached part.
        helper.disable_csrf = True
        # With no course run open to join there is nothing to choose: the path is a hidden field, without a heading.
        request = Fieldset(_("Your request"), "path", "cohort", css_class="mb-4") if "cohort" in self.fields else "path"
        helper.layout = Layout(
            request,
            Fieldset(
                _("Your organisation"),
                "board_name",
                "board_kind",
                Div(
                    Div("bestuursnummer", css_class="col-md-6"), Div("swv_code", css_class="col-md-6"), css_class="row"
                ),
                "sector",
                "board_place",
                css_class="mb-4",
            ),
            Fieldset(
                _("Contact person"),
                Div(
                    Div("contact_name", css_class="col-md-6"),
                    Div("contact_function", css_class="col-md-6"),
                    css_class="row",
                ),
                Div(
                    Div("contact_email", css_class="col-md-6"),
                    Div("contact_phone", css_class="col-md-6"),
                    css_class="row",
                ),
                css_class="mb-4",
            ),
            Fieldset(
                _("Participants and planning"),
                "expected_participants",
                Div(
                    Div("preferred_period", css_class="col-md-6"),
                    Div("preferred_place", css_class="col-md-6"),
                    css_class="row",
                ),
                "remarks",
                css_class="mb-4",
            ),
            "privacy_consent",
            Div("website", css_class="form-honeypot", aria_hidden="true"),
            Submit("submit", _("Send registration"), css_class="btn-primary btn-lg mt-2"),
        )
        return helper

    @classmethod
    def page_key(cls, *, open_cohorts, programme) -> str:
        """
        Identify what the unbound form shows, so that its page can be cached without building the form.

        The form is the same for every visitor until a course run opens,
        fills up or moves, or the programme's numbers change. The CSRF token
        and the submission key are each visitor's own: they are never part
        of what is cached (see views.registration).
        """
        # A deploy that changes the form never meets an old rendering.
        state = [list(cls.base_fields), bool(open_cohorts)]
        # Everything the page shows of the runs and the programme, so that a change is never served stale.
        state += [
            (c.pk, c.code, c.place, c.venue, c.seats_left, [d.date.isoformat() for d in c.days.all()])
            for c in open_cohorts
        ]
        if programme:
            state.append((programme.pk, programme.title, programme.min_participants, programme.max_participants))
        return hashlib.sha256(repr(state).encode()).hexdigest()[:32]

    def clean_bestuursnummer(self):
        value = re.sub(r"\s+", "", self.cleaned_data["bestuursnummer"])
        if value:
            validate_bestuursnummer(value)
        return value

    def clean_swv_code(self):
        value = normalize_swv_code(self.cleaned_data["swv_code"])
        if value:
            validate_swv_code(value)
        return value

    def clean_contact_phone(self):
        return normalize_phone(self.cleaned_data["contact_phone"])

    def clean(self):
        data = super().clean()
        kind = data.get("board_kind")
        if kind == Board.Kind.BESTUUR and not data.get("bestuursnummer") and "bestuursnummer" not in self.errors:
            self.add_error("bestuursnummer", _("Please enter the board's bestuursnummer (5 digits)."))
        if kind == Board.Kind.SWV and not data.get("swv_code") and "swv_code" not in self.errors:
            self.add_error("swv_code", _("Please enter the samenwerkingsverband code, such as PO-22-02."))
        if data.get("path") == Registration.Kind.JOIN_COHORT:
            cohort = self.open_cohorts.get(data.get("cohort"))
            if not self.open_cohorts:
                self.add_error(None, _("No course run is open to join at the moment; please ask for a new one."))
            elif cohort is None:
                self.add_error("cohort", _("Please choose one of the open course runs."))
            data["cohort_object"] = cohort
        else:
            data["cohort_object"] = None
        return data

    def board_data(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["board_name"],
            "kind": data["board_kind"],
            "bestuursnummer": data["bestuursnummer"] if data["board_kind"] == Board.Kind.BESTUUR else "",
            "swv_code": data["swv_code"] if data["board_kind"] == Board.Kind.SWV else "",
            "sector": data["sector"],
            "place": data["board_place"],
        }

    def registration_data(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["path"],
            "cohort": data["cohort_object"],
            "contact_name": data["contact_name"],
            "contact_function": data["contact_function"],
            "contact_email": data["contact_email"],
            "contact_phone": data["contact_phone"],
            "expected_participants": data["expected_participants"],
            "preferred_period": data["preferred_period"],
            "preferred_place": data["preferred_place"],
            "remarks": data["remarks"],
        }


def cohort_choice_label(cohort: Cohort) -> str:
    days = list(cohort.days.all())
    left = cohort.seats_left
    dates = ", ".join(f"{day.date:%d-%m-%Y}" for day in days) if days else str(_("dates to be planned"))
    return str(_("%(code)s (%(place)s): %(dates)s; %(left)s seats left")) % {
        "code": cohort.code,
        "place": cohort.place or cohort.venue or "-",
        "dates": dates,
        "left": left,
    }


class OwnDetailsForm(forms.ModelForm):
    """
    What a participant may correct themselves: their name as on the certificate, and their register number.

    The number is asked only of a participant a register expects one of (see
    `registry.selectors.register_rule_for`), and checked against that
    register's rule; `asks_register_number` says which.
    """

    class Meta:
        model = Participant
        fields = ["initials", "first_name", "tussenvoegsel", "last_name", "register_number"]
        help_texts = {"initials": _("As they must stand on the certificate, such as J.P.")}

    def __init__(self, *args, disabled: bool = False, rules=None, **kwargs):
        """:param rules: as `registry.selectors.register_rule_for` takes them, when read already"""
        super().__init__(*args, **kwargs)
        self.register_rule = register_rule = registry_selectors.register_rule_for(self.instance, rules=rules)
        if register_rule is None:
            del self.fields["register_number"]
        else:
            self.fields["register_number"].help_text = _("Your number in the %(register)s, if you have one.") % {
                "register": register_rule.get_register_display()
            }
        if disabled:
            for field in self.fields.values():
                field.disabled = True
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Div(Div("initials", css_class="col-sm-4"), Div("first_name", css_class="col-sm-8"), css_class="row"),
            Div(Div("tussenvoegsel", css_class="col-sm-4"), Div("last_name", css_class="col-sm-8"), css_class="row"),
            *(["register_number"] if register_rule is not None else []),
        )

    @property
    def asks_register_number(self) -> bool:
        return self.register_rule is not None

    def as_html(self) -> SafeString:
        """
        Return the form's crispy rendering; unbound, from the rendering this process made of its layout.

        The crispy layout is most of the participant page's cost, and unbound it
        is the same for every participant of one layout (language, read-only or
        not, which register asks a number) but for the values, which go into
        placeholders afterwards: the cached rendering holds nothing personal.
        """
        if self.is_bound:
            return _crispy(self)
        rule = self.register_rule
        layout = (translation.get_language(), self.fields["first_name"].disabled, rule and (rule.pk, rule.register))
        skeleton = _OWN_DETAILS_LAYOUTS.get(layout) or _own_details_layout(layout, form=self)

        def value(match) -> str:  # as Django's input widget writes it: no attribute for an empty value
            value = self[match[1]].value()
            return f' value="{escape(value)}"' if value not in (None, "") else ""

        # In one pass, so that a value that looks like a placeholder stays as it is.
        return mark_safe(_PLACEHOLDER.sub(value, skeleton))  # noqa: S308 - crispy's rendering, the values escaped

    def clean_register_number(self):
        number = self.cleaned_data["register_number"]
        if number:
            registry_selectors.check_register_number(rule=self.register_rule, number=number)
        return number


# The unbound OwnDetailsForm rendered per layout, with placeholders for the values; a few layouts at most.
_OWN_DETAILS_LAYOUTS: dict[tuple, str] = {}
_PLACEHOLDER = re.compile(r' value="own-details-value-of-(\w+)"')


def _crispy(form) -> str:
    return render_to_string("public_pages/crispy_form.html", {"form": form})


def _own_details_layout(layout: tuple, *, form: OwnDetailsForm) -> str:
    """Render `form`'s layout with a placeholder for each value, and keep it for `layout`."""
    placeholders = {name: f"own-details-value-of-{name}" for name in form.fields}
    rules = [form.register_rule] if form.register_rule else []
    skeleton = OwnDetailsForm(instance=form.instance, initial=placeholders, disabled=layout[1], rules=rules)
    html = _crispy(skeleton)
    if len(_PLACEHOLDER.findall(html)) != len(placeholders):  # pragma: no cover - a guard
        raise ImproperlyConfigured("The own details form lost a placeholder of its values.")
    _OWN_DETAILS_LAYOUTS[layout] = html
    return html


class VerificationForm(forms.Form):
    code = forms.CharField(
        label=_("Certificate number or verification code"),
        max_length=registry_selectors.MAX_TYPED,
        strip=True,
        help_text=_(
            "The number printed large on the certificate, such as VL-2026-01-001, or the code next to the QR code."
        ),
    )

    def clean_code(self):
        code = registry_selectors.normalize_typed_code(self.cleaned_data["code"])
        if not code.replace("-", ""):
            raise forms.ValidationError(
                _("Type the certificate number or the verification code, in letters and digits.")
            )
        return code


def _no_markup(value: str) -> None:
    # An invoice address or an order number has no use for angle brackets;
    # refusing them keeps markup out of the offer, the invoice and the UBL.
    if "<" in value or ">" in value:
        raise forms.ValidationError(_("Please leave out the characters < and >."), code="markup")


class OfferAcceptanceForm(forms.Form):
    """The contact accepts the latest version of their board's offer, with the details the invoice needs."""

    offer = forms.IntegerField(widget=forms.HiddenInput)
    po_number = forms.CharField(
        label=_("Purchase-order number"),
        required=False,
        max_length=50,
        validators=[_no_markup],
        help_text=_("If your board works with purchase orders; the invoice will carry it."),
    )
    invoice_address = forms.CharField(
        label=_("Invoice address"),
        max_length=500,
        validators=[_no_markup],
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Name, street and number, postcode and place, as the invoice should be addressed."),
    )
    invoice_email = forms.EmailField(label=_("Invoice e-mail address"), max_length=254)
    cost_centre = forms.CharField(label=_("Cost centre"), required=False, max_length=50, validators=[_no_markup])
    kvk_number = forms.CharField(
        label=_("KvK number"),
        # Room for the spaces or dots it is often written with; eight digits are what is kept.
        max_length=12,
        help_text=_("The board's number in the Chamber of Commerce: eight digits."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "accept")
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the template's form has the token
        self.helper.layout = Layout(
            "offer",
            Div(Div("po_number", css_class="col-sm-6"), Div("cost_centre", css_class="col-sm-6"), css_class="row"),
            "invoice_address",
            Div(Div("invoice_email", css_class="col-sm-7"), Div("kvk_number", css_class="col-sm-5"), css_class="row"),
        )

    def clean_kvk_number(self):
        number = re.sub(r"[\s.]", "", self.cleaned_data["kvk_number"])
        validate_kvk_number(number)
        return number
