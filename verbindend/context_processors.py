from django.conf import settings


def provider(request):
    """Give every template the provider's name and contact for headers and footers."""
    return {
        "provider_name": settings.PROVIDER_NAME,
        "provider_contact_name": settings.PROVIDER_CONTACT_NAME,
        "provider_email": settings.PROVIDER_EMAIL,
    }
