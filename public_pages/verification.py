"""Verification of a certificate by whoever holds it in hand: by its number or its code."""

from django.shortcuts import redirect, render

from registry import selectors

from .forms import VerificationForm


def verify_form(request):
    form = VerificationForm(request.GET or None)
    if form.is_valid():
        return redirect("public:verify", code=form.cleaned_data["code"])
    return render(request, "public_pages/verify_form.html", {"form": form})


def verify(request, code):
    """Say whether a certificate is valid, superseded or revoked, with name, course and date: nothing more."""
    result = selectors.verify(code)
    return render(
        request,
        "public_pages/verify.html",
        {
            "certificate": result.certificate,
            "by_number": result.by_number,
            "older_versions": result.older_versions,
            # Shown back as it will be looked up: never more than a code or number can be.
            "code": selectors.normalize_typed_code(code),
        },
        status=200 if result.certificate else 404,
    )
