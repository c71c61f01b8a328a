from django.shortcuts import get_object_or_404, render

from .selectors import active_programmes

# The price and terms (the billing app's price model) come in the same query, for the page's price section.
WITH_PRICE = "price_model"


def home(request):
    programmes = list(active_programmes().select_related(WITH_PRICE))
    return render(
        request,
        "programme/home.html",
        {"programme": programmes[0] if programmes else None, "other_programmes": programmes[1:]},
    )


def programme_detail(request, slug):
    programme = get_object_or_404(active_programmes().select_related(WITH_PRICE), slug=slug)
    return render(request, "programme/detail.html", {"programme": programme})
