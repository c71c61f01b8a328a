"""
The e-invoice's independent readers: the OASIS UBL 2.1 schema (xmlschema) and the Peppol BIS Billing 3.0
Schematron with the CEN EN16931 UBL rules it builds on (saxonche), from the rule files in `data/` (see its README).

The CEN rules ship as XSLT; the Peppol rules ship as Schematron only and are compiled here with SchXslt. All is
compiled once per test session (`compiled`), in about 5 seconds, most of it the UBL schema.
"""

import functools
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import xmlschema
from saxonche import PySaxonProcessor

DATA = Path(__file__).parent / "data"
SVRL = "http://purl.oclc.org/dsdl/svrl"


@dataclass(frozen=True)
class Assertion:
    rule: str
    flag: str
    text: str


def parse(xml: bytes) -> ET.Element:
    """Return the tree of XML the tests made themselves (an e-invoice, a rule set's report): trusted input."""
    return ET.fromstring(xml)  # noqa: S314 (the tests' own documents, not input from outside)


@functools.cache
def compiled() -> "Rules":
    """Return the rules, compiled once per test session."""
    return Rules()


class Rules:
    """The schema and both rule sets, compiled once: `check` returns the schema's errors and the failed rules."""

    def __init__(self):
        # One schema of both documents: their common components are built once (some seconds).
        maindoc = DATA / "ubl-2.1/maindoc"
        self.schema = xmlschema.XMLSchema([str(maindoc / "UBL-Invoice-2.1.xsd"), "UBL-CreditNote-2.1.xsd"])
        self.processor = PySaxonProcessor(license=False)
        xslt = self.processor.new_xslt30_processor()
        schxslt = xslt.compile_stylesheet(stylesheet_file=str(DATA / "schxslt/2.0/pipeline-for-svrl.xsl"))
        peppol = schxslt.transform_to_string(source_file=str(DATA / "peppol/PEPPOL-EN16931-UBL.sch"))
        self.stylesheets = {
            "CEN EN16931": xslt.compile_stylesheet(stylesheet_file=str(DATA / "cen/EN16931-UBL-validation.xslt")),
            "Peppol BIS 3.0": xslt.compile_stylesheet(stylesheet_text=peppol),
        }

    def schema_errors(self, xml: bytes) -> list[str]:
        return [str(error.reason) for error in self.schema.iter_errors(xml.decode())]

    def failed(self, xml: bytes) -> list[Assertion]:
        """Return every failed assertion of both rule sets (fatal and warning), read from their SVRL."""
        failed = []
        for stylesheet in self.stylesheets.values():
            node = self.processor.parse_xml(xml_text=xml.decode())
            report = parse(stylesheet.transform_to_string(xdm_node=node).encode())
            for assertion in report.iter(f"{{{SVRL}}}failed-assert"):
                text = " ".join("".join(assertion.itertext()).split())
                failed.append(Assertion(assertion.get("id", ""), assertion.get("flag", ""), text))
        return failed

    def fatal(self, xml: bytes) -> list[Assertion]:
        return [assertion for assertion in self.failed(xml) if assertion.flag == "fatal"]
