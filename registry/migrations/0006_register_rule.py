"""Register rules: per register, the sectors and roles it expects a number of, and its numbers' pattern."""

import registry.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0005_issue_request'),
    ]

    operations = [
        migrations.CreateModel(
            name='RegisterRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('register', models.CharField(choices=[('po', 'Schoolleidersregister PO'), ('vo', 'Schoolleidersregister VO')], max_length=5, unique=True, verbose_name='register')),
                ('sectors', models.JSONField(blank=True, default=list, help_text="The boards' sectors whose leaders this register serves.", verbose_name='sectors')),
                ('roles', models.JSONField(blank=True, default=list, help_text='The roles whose leaders are expected to be registered.', verbose_name='roles')),
                ('number_pattern', models.CharField(default='[0-9]+', help_text='A regular expression the whole number must match, after spaces, dots and hyphens are left out. The default, [0-9]+, is digits of any length with their leading zeros.', max_length=200, validators=[registry.models.validate_pattern], verbose_name='register number pattern')),
                ('number_example', models.CharField(blank=True, help_text='Shown to a participant whose number does not match, if the register publishes one.', max_length=40, verbose_name='example number')),
            ],
            options={
                'verbose_name': 'register rule',
                'verbose_name_plural': 'register rules',
                'ordering': ['register'],
            },
        ),
    ]
