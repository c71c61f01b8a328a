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
    assert OutgoingMail.objects.filter(status=OutgoingMail.Status.SENT).count() == 1
    assert OutgoingMail.objects.filter(status=OutgoingMail.Status.FAILED).count() == 1
