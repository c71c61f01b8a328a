"""
Seed the register rules with what is known of the registers today; the office keeps them up to date in the admin.

PO (Schoolleidersregister PO, compulsory under the cao PO): directeuren and
adjunct-directeuren, meerscholen- and bovenschools directeuren included, and
the locatieleider, who leads a school site as its director does. Not in it:
the statutory bestuurder, the intern begeleider, the bouwcoördinator and the
teamleider.

VO (Schoolleidersregister VO, voluntary): rector, conrector, centrale
directie, (adjunct-)directeur and teamleider, and the afdelingsleider, the
teamleider's counterpart in many schools.

A board of both sectors is served by both registers. A role left out means
that leader's completion is never reported, which costs them their
registration points; a role let in costs at most a "missing number" in the
report that the office can dismiss. So the doubtful roles are in, and the
office removes them when PE-online says otherwise.

Register numbers are digits of any length (the PO register publishes no
format): the model's default pattern.
"""

from django.db import migrations

RULES = {
    "po": {
        "sectors": ["po", "po_vo"],
        "roles": [
            "directeur",
            "adjunct_directeur",
            "meerscholendirecteur",
            "locatieleider",
            "bovenschools_directeur",
        ],
    },
    "vo": {
        "sectors": ["vo", "po_vo"],
        "roles": [
            "rector",
            "conrector",
            "centrale_directie",
            "directeur",
            "adjunct_directeur",
            "teamleider",
            "afdelingsleider",
        ],
    },
}


def seed(apps, schema_editor):
    RegisterRule = apps.get_model("registry", "RegisterRule")
    for register, facts in RULES.items():
        RegisterRule.objects.get_or_create(register=register, defaults=facts)


class Migration(migrations.Migration):
    dependencies = [("registry", "0006_register_rule")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
