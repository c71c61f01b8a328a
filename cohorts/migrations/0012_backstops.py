"""
The database's own backstops for four rules the services keep (0011 made the data fit them):

- a place on a run's waiting list is taken by one participant at a time;
- a school board has its bestuursnummer, a samenwerkingsverband its code;
- a registration is placed exactly when it names its course run (a cancelled one may keep it);
- attendance names the day it was made up on exactly when it is "made up", and that day cannot be deleted.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cohorts', '0011_check_data_for_the_backstops'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='attendance',
            name='made_up_in',
            field=models.ForeignKey(blank=True, help_text='The same programme day with another course run.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='make_ups', to='cohorts.courseday', verbose_name='made up on'),
        ),
        migrations.AddConstraint(
            model_name='attendance',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('made_up_in__isnull', False), ('status', 'made_up')), models.Q(models.Q(('status', 'made_up'), _negated=True), ('made_up_in__isnull', True)), _connector='OR'), name='attendance_made_up_names_its_day', violation_error_message='A day made up names the day it was made up on, and only a day made up names one.'),
        ),
        migrations.AddConstraint(
            model_name='board',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'bestuur'), models.Q(('bestuursnummer', ''), _negated=True)), models.Q(('kind', 'swv'), models.Q(('swv_code', ''), _negated=True)), _connector='OR'), name='board_kind_has_its_number', violation_error_message='A school board needs its bestuursnummer, a samenwerkingsverband its code.'),
        ),
        migrations.AddConstraint(
            model_name='participant',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'waiting')), fields=('cohort', 'waitlist_number'), name='participant_waitlist_number_unique', violation_error_message='Two participants cannot have the same place on a waiting list.'),
        ),
        migrations.AddConstraint(
            model_name='registration',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('cohort__isnull', False), ('status', 'placed')), models.Q(('cohort__isnull', True), ('status__in', ['received', 'intake'])), ('status', 'cancelled'), _connector='OR'), name='registration_placed_has_its_run', violation_error_message='A registration placed in a course run names that run; one received or with an intake planned has none yet.'),
        ),
    ]
