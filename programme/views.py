from django.shortcuts import get_object_or_404, render

from .selectors import active_programmes


def home(request):
    programmes = list(active_programmes())
    return render(
        request,
        "programme/home.html",
        {"programme": programmes[0] if programmes else None, "other_programmes": programmes[1:]},
    )


def programme_detail(request, slug):
    programme = get_object_or_404(active_programmes(), slug=slug)
    return render(request, "programme/detail.html", {"programme": programme})
