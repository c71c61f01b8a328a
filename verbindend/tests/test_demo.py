from django.core.management import call_command


def test_demo_prints_a_working_staff_login(db, client, capsys):
    call_command("demo")
    output = capsys.readouterr().out
    password = output.split("password:")[1].split()[0]
    assert "user:     demo-trainer" in output
    assert client.login(username="demo-trainer", password=password)
    assert client.get("/admin/").status_code == 200


def test_demo_makes_a_new_password_each_run(db, capsys):
    call_command("demo")
    first = capsys.readouterr().out.split("password:")[1].split()[0]
    call_command("demo")
    second = capsys.readouterr().out.split("password:")[1].split()[0]
    assert first != second


def test_demo_fills_the_outbox_once_however_often_it_runs(db, capsys, django_capture_on_commit_callbacks):
    from mail.models import OutgoingMail

    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo")
    demo_rows = OutgoingMail.objects.filter(key__startswith="demo:")
    assert demo_rows.filter(status=OutgoingMail.Status.SENT).count() == 1
    assert demo_rows.filter(status=OutgoingMail.Status.FAILED).count() == 1


def test_demo_tells_a_story_of_boards_and_course_runs(db, capsys, client, django_capture_on_commit_callbacks):
    from cohorts.models import Cohort, Participant, Registration

    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo")
    output = capsys.readouterr().out
    assert Registration.objects.count() == 4
    assert Cohort.objects.filter(open_for_joining=True).count() == 1
    assert Cohort.objects.filter(status="completed").count() == 1
    assert Participant.objects.filter(status="enrolled").count() == 42
    assert Participant.objects.exclude(tussenvoegsel="").exists()
    from registry.models import Certificate

    assert Certificate.objects.filter(kind="certificate").count() == 13  # one of the 14 missed two days
    assert "verificatie/" in output
    board_url = output.split("board page of ")[1].split(": ", 1)[1].split()[0]
    page = client.get(board_url.replace("http://127.0.0.1:8000", ""))
    assert page.status_code == 200
    assert "Stichting Openbaar Onderwijs Rivierenland" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo")
    assert Registration.objects.count() == 4
