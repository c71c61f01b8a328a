"""Read a page as its visitor sees it: the rows of its tables, cell by cell, the words without the tags."""

from html.parser import HTMLParser


class _TableRows(HTMLParser):
    def __init__(self, table_id: str | None):
        super().__init__()
        self.table_id = table_id
        self.depth = 0  # tables open inside the wanted one, itself counted
        self.in_head = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            if self.depth or self.table_id is None or dict(attrs).get("id") == self.table_id:
                self.depth += 1
        elif not self.depth:
            return
        elif tag == "thead":
            self.in_head = True
        elif tag == "tr" and not self.in_head:
            self.rows.append([])
        elif tag in ("td", "th") and not self.in_head and self.rows:
            self.cell = []

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "table":
            self.depth -= 1
        elif tag == "thead":
            self.in_head = False
        elif tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join(" ".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html: str, table_id: str | None = None) -> list[list[str]]:
    """
    Return the rows of the page's tables outside their heads, each as the visible text of its cells.

    :param table_id: only the table with this id, such as the admin's "result_list"
    """
    parser = _TableRows(table_id)
    parser.feed(html)
    return parser.rows


def changelist_rows(response) -> list[list[str]]:
    """Return the rows of an admin change list, each as the visible text of its cells (the checkbox's is empty)."""
    return table_rows(response.content.decode(), "result_list")


class _InputValues(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        fields = dict(attrs)
        if tag == "input" and "name" in fields:
            self.values[fields["name"]] = fields.get("value") or ""


def input_values(html: str) -> dict[str, str]:
    """Return what the page's input fields hold, by name, as the browser would submit them."""
    parser = _InputValues()
    parser.feed(html)
    return parser.values
