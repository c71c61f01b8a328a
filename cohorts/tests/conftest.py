import pytest
from django.contrib.auth.models import Group, User


def member(group):
    """Return a new staff user in one of the two staff groups ("Trainer", "Kantoor")."""
    user = User.objects.create_user(f"{group.lower()}-user", password="x-secret-123", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def trainer(client):
    """The test client, logged in as a member of the Trainer group."""
    client.force_login(member("Trainer"))
    return client


@pytest.fixture
def office(client):
    """The test client, logged in as a member of the Kantoor (office) group."""
    client.force_login(member("Kantoor"))
    return client
