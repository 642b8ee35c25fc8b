"""The report as sections: each report module returns a :class:`Section` (its tables, the frames written beside
them, its figures) and :func:`write_sections` writes them all, in order, as tables.md, tables.tex, the CSVs and
report.html."""
from dataclasses import dataclass

from recbole_ganrs.benchmark.html_report import write_html
from recbole_ganrs.benchmark.text_tables import write_latex, write_markdown
from recbole_ganrs.files import replaced_on_success


@dataclass(frozen=True)
class Section:
    """A part of the report: ``tables`` [(title, text)] in reading order, ``frames`` [(CSV file name, frame)]
    (an empty frame writes nothing) and ``figures`` (PNG paths, already written)."""
    tables: tuple = ()
    frames: tuple = ()
    figures: tuple = ()


def write_sections(sections, output, title, header):
    """Write ``sections`` under ``output``: tables.md and tables.tex (every table, in order, ``header`` first),
    each section's CSVs, and report.html (the tables and the figures); returns the paths written."""
    tables = [table for section in sections for table in section.tables]
    written = [write_markdown(tables, output / "tables.md", header=f"# {title}\n\n{header}\n\n"),
               write_latex(tables, output / "tables.tex")]
    for section in sections:
        for name, frame in section.frames:
            if len(frame):
                with replaced_on_success(output / name) as tmp:
                    frame.to_csv(tmp, index=False)
                written.append(output / name)
    figures = [figure for section in sections for figure in section.figures]
    written += figures
    written.append(write_html(output / "report.html", title, header, tables, figures))
    return written
