"""Certificate issue requests: what the admin asks for is a row first, issued by a task, picked up by a drain."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cohorts', '0009_register_number_digits_only'),
        ('registry', '0004_register_export'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='IssueRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('requested_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='requested')),
                ('status', models.CharField(choices=[('pending', 'pending'), ('running', 'being issued'), ('done', 'done'), ('failed', 'failed')], default='pending', max_length=10, verbose_name='status')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                ('claimed_at', models.DateTimeField(blank=True, null=True, verbose_name='claimed')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished')),
                ('issued', models.PositiveIntegerField(default=0, verbose_name='issued')),
                ('last_error', models.TextField(blank=True, verbose_name='last error')),
                ('cohort', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='issue_requests', to='cohorts.cohort', verbose_name='course run')),
                ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='requested by')),
            ],
            options={
                'verbose_name': 'certificate issue request',
                'verbose_name_plural': 'certificate issue requests',
                'ordering': ['-requested_at', '-pk'],
                'indexes': [models.Index(fields=['status', 'requested_at'], name='issue_request_due_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('status', 'running'), _negated=True), ('claimed_at__isnull', False), _connector='OR'), name='issue_request_running_is_claimed')],
            },
        ),
    ]
