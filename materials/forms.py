from django import forms
from django.utils.translation import gettext_lazy as _


class AssignmentUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Your final assignment"),
        help_text=_("A PDF, Word (.docx) or OpenDocument (.odt) file."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.odt"}),
    )


class ReviewForm(forms.Form):
    feedback = forms.CharField(
        label=_("Feedback for the participant"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Required when you return the assignment; sent with the e-mail and shown on their page."),
    )
