"""
Django's SQLite backend, told how many variables one statement may hold on the SQLite it runs on.

Django 5.2 assumes 999, the limit of SQLite before 3.32, and splits every
bulk INSERT into statements of at most 999 variables: queuing the e-mails of
a course run of 30 took four INSERTs, and more the more people it had. The
library says its own limit (SQLITE_LIMIT_VARIABLE_NUMBER: 32766 by default
since SQLite 3.32, 250000 as Debian builds it), so one INSERT holds them all,
as on PostgreSQL.
"""

import sqlite3

from django.db.backends.sqlite3 import base, features
from django.utils.functional import cached_property


class DatabaseFeatures(features.DatabaseFeatures):
    @cached_property
    def max_query_params(self):
        self.connection.ensure_connection()
        return self.connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
