"""Settings > Data > Import: the file's columns and a template, the upload, a preview of every
row's errors, then the import with a progress bar and what it did."""

import reflex as rx

from smslinks import routes
from smslinks.core.imports import COLUMNS, GROUPING_RULES
from smslinks.pages.layout import loading, page_header, staff_page
from smslinks.pages.settings import settings_frame
from smslinks.state.imports import ERRORS_SHOWN, MAX_UPLOAD_BYTES, UPLOAD_ID
from smslinks.state.imports import ImportState as State


def _card(title: str, *children: rx.Component, **props) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="4", as_="h2"), *children, spacing="3", width="100%"),
        size="3",
        width="100%",
        **props,
    )


def _dropzone() -> rx.Component:
    return rx.upload.root(
        rx.vstack(
            rx.icon("file-up", size=28, color="var(--accent-9)"),
            rx.text("Drop a CSV file here, or click to choose one", weight="medium", text_align="center"),
            rx.text(
                f"Up to {MAX_UPLOAD_BYTES // (1024 * 1024)} MB. Nothing is saved until you press Import.",
                size="1",
                color_scheme="gray",
                text_align="center",
            ),
            align="center",
            spacing="2",
        ),
        id=UPLOAD_ID,
        accept={"text/csv": [".csv"], "application/vnd.ms-excel": [".csv"]},
        multiple=False,
        max_files=1,
        max_size=MAX_UPLOAD_BYTES,
        on_drop=State.upload(rx.upload_files(upload_id=UPLOAD_ID)),
        border="2px dashed var(--accent-7)",
        border_radius="var(--radius-3)",
        background="var(--accent-a2)",
        padding="2rem 1rem",
        width="100%",
        cursor="pointer",
        custom_attrs={"aria-label": "Choose a CSV file to import"},
    )


def _unusable() -> rx.Component:
    return rx.cond(
        State.unusable != "",
        rx.callout(
            rx.text(rx.text.strong(State.file_name), ": ", State.unusable),
            icon="file-x",
            color_scheme="red",
            role="alert",
            width="100%",
        ),
    )


def _column(column) -> rx.Component:
    """One documented column: name, meaning and example side by side; stacked on a phone."""
    return rx.flex(
        rx.box(rx.code(column.name, size="2"), width=rx.breakpoints(initial="100%", md="200px"), flex_shrink="0"),
        rx.text(column.meaning, size="2", flex="1"),
        rx.text(
            "e.g. ",
            column.example,
            size="2",
            color_scheme="gray",
            width=rx.breakpoints(initial="100%", md="150px"),
            flex_shrink="0",
        ),
        direction=rx.breakpoints(initial="column", md="row"),
        spacing=rx.breakpoints(initial="1", md="4"),
        padding_y="0.5rem",
        border_top="1px solid var(--gray-a4)",
        width="100%",
    )


def _file_format() -> rx.Component:
    return _card(
        "The file",
        rx.el.ul(
            *[rx.el.li(rx.text(rule, size="2")) for rule in GROUPING_RULES],
            padding_left="1.25rem",
            margin="0",
            display="grid",
            gap="0.35rem",
            list_style_type="disc",
        ),
        rx.button(
            rx.icon("download", size=16), "Download the template", variant="soft", on_click=State.download_template
        ),
        rx.box(
            rx.heading("Columns", size="3", as_="h3", padding_bottom="0.5rem"),
            *[_column(column) for column in COLUMNS],
            width="100%",
            custom_attrs={"data-testid": "import-columns"},
        ),
    )


def _choose() -> rx.Component:
    return rx.vstack(_card("Your file", _dropzone(), _unusable()), _file_format(), spacing="4", width="100%")


def _progress(verb: str, note: str) -> rx.Component:
    return _card(
        rx.fragment(verb, " ", State.file_name),
        rx.text(note, size="2", color_scheme="gray"),
        rx.progress(
            value=State.rows_done,
            max=State.rows_total,
            size="3",
            width="100%",
            custom_attrs={"aria-label": f"{verb} rows"},
        ),
        rx.text(
            State.rows_done,
            " of ",
            State.rows_total,
            " rows",
            size="2",
            color_scheme="gray",
            custom_attrs={"data-testid": "import-progress"},
        ),
    )


_COUNT_KEYS = ("created", "updated", "unchanged", "skipped")


def _stat(kind: str, key: str, number, word: str) -> rx.Component:
    return rx.box(
        rx.text(number, size="5", weight="bold", custom_attrs={"data-testid": f"count-{kind}-{key}"}),
        rx.text(word, size="1", color_scheme="gray"),
        padding="0.5rem 0.75rem",
        border_radius="var(--radius-2)",
        background="var(--gray-a2)",
        min_width="0",
    )


def _counts(words: tuple[str, str, str, str]) -> rx.Component:
    """For customers and for invoices: how many were (or will be) created, updated, unchanged, skipped."""
    return rx.vstack(
        *[
            rx.vstack(
                rx.text(label, weight="bold", size="2"),
                rx.grid(
                    *[_stat(kind, key, counts[key], word) for key, word in zip(_COUNT_KEYS, words, strict=True)],
                    columns=rx.breakpoints(initial="2", sm="4"),
                    spacing="2",
                    width="100%",
                ),
                spacing="1",
                width="100%",
            )
            for kind, label, counts in (
                ("customers", "Customers", State.customers),
                ("invoices", "Invoices", State.invoices),
            )
        ],
        spacing="3",
        width="100%",
    )


def _error_row(error) -> rx.Component:
    return rx.table.row(
        rx.table.cell(error["row"]),
        rx.table.cell(rx.cond(error["column"] != "", rx.code(error["column"], word_break="break-all"), "")),
        rx.table.cell(error["message"]),
    )


def _errors() -> rx.Component:
    return rx.cond(
        State.error_count > 0,
        rx.vstack(
            rx.flex(
                rx.heading("Rows with errors", size="3", as_="h3"),
                rx.spacer(),
                rx.button(
                    rx.icon("download", size=14),
                    "Download the errors (CSV)",
                    variant="soft",
                    color_scheme="gray",
                    size="1",
                    on_click=State.download_errors,
                ),
                align="center",
                wrap="wrap",
                spacing="2",
                width="100%",
            ),
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Row"),
                            rx.table.column_header_cell("Column"),
                            rx.table.column_header_cell("Error"),
                        )
                    ),
                    rx.table.body(rx.foreach(State.errors, _error_row)),
                    size="1",
                    variant="surface",
                    width="100%",
                ),
                overflow_x="auto",
                width="100%",
                custom_attrs={"data-testid": "import-errors"},
            ),
            rx.cond(
                State.error_count > ERRORS_SHOWN,
                rx.text(
                    f"The first {ERRORS_SHOWN} of ",
                    State.error_count,
                    " errors; the errors file has them all.",
                    size="1",
                    color_scheme="gray",
                ),
            ),
            spacing="2",
            width="100%",
        ),
    )


def _ready() -> rx.Component:
    importable = State.rows_total - State.rows_with_errors
    return _card(
        rx.fragment("Preview of ", State.file_name),
        rx.cond(
            State.rows_with_errors > 0,
            rx.callout(
                rx.text(
                    State.rows_total,
                    " rows: ",
                    importable,
                    " ready, ",
                    State.rows_with_errors,
                    " with errors. Rows with errors are skipped; fix them and import the file again "
                    "(what is imported already stays the same).",
                ),
                icon="triangle-alert",
                color_scheme="amber",
                width="100%",
            ),
            rx.callout(
                rx.text(State.rows_total, " rows, all ready. Nothing is saved until you press Import."),
                icon="circle-check",
                color_scheme="green",
                width="100%",
            ),
        ),
        _counts(("Will be created", "Will be updated", "Unchanged", "Skipped (errors)")),
        _errors(),
        rx.flex(
            rx.button(
                rx.icon("upload", size=16),
                "Import ",
                importable,
                " rows",
                on_click=State.start_import,
                disabled=importable <= 0,
            ),
            rx.button("Choose another file", variant="soft", color_scheme="gray", on_click=State.choose_another),
            wrap="wrap",
            spacing="3",
        ),
    )


def _done() -> rx.Component:
    return _card(
        rx.fragment("Imported ", State.file_name),
        rx.cond(
            State.rows_with_errors > 0,
            rx.callout(
                rx.text(
                    State.rows_total - State.rows_with_errors,
                    " of ",
                    State.rows_total,
                    " rows imported; ",
                    State.rows_with_errors,
                    " with errors skipped.",
                ),
                icon="triangle-alert",
                color_scheme="amber",
                width="100%",
                role="status",
            ),
            rx.callout(
                rx.text("All ", State.rows_total, " rows imported."),
                icon="circle-check",
                color_scheme="green",
                width="100%",
                role="status",
            ),
        ),
        _counts(("Created", "Updated", "Unchanged", "Skipped (errors)")),
        _errors(),
        rx.flex(
            rx.link(rx.button(rx.icon("users", size=16), "Open Customers"), href=routes.CUSTOMERS),
            rx.button("Import another file", variant="soft", color_scheme="gray", on_click=State.choose_another),
            wrap="wrap",
            spacing="3",
        ),
    )


def _content() -> rx.Component:
    return rx.vstack(
        page_header(
            "Import", subtitle="Customers and invoices from a CSV file, checked row by row before anything is saved."
        ),
        rx.match(
            State.stage,
            (
                "checking",
                _progress("Checking", "Every row goes through the rules of the import itself; nothing is saved."),
            ),
            ("preview", _ready()),
            (
                "importing",
                _progress("Importing", "Rows are saved batch by batch. You can leave this page: the import goes on."),
            ),
            ("done", _done()),
            _choose(),
        ),
        spacing="4",
        width="100%",
    )


@staff_page(routes.SETTINGS_IMPORT, "Import", on_load=[State.load])
def import_page() -> rx.Component:
    return settings_frame(routes.SETTINGS_IMPORT, rx.cond(State.loaded, _content(), loading()))
