from django.shortcuts import render
from django.utils.translation import get_language

from .models import PrivacyStatement


def statement(request):
    current = PrivacyStatement.objects.current()
    paragraphs = current.paragraphs(get_language()) if current else []
    return render(request, "privacy/statement.html", {"statement": current, "paragraphs": paragraphs})
