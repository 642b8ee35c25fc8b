"""The report's tables as files: Markdown, LaTeX, and the parse of tabulate's github format both start from."""
from pathlib import Path

from tabulate import tabulate

from recbole_ganrs.files import replaced_on_success


def write_markdown(tables, path, header=""):
    text = header + "".join(f"## {title}\n\n{table}\n\n" for title, table in tables)
    with replaced_on_success(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return Path(path)


def github_rows(text):
    """(headers, rows) of each github-format table in ``text`` (tabulate's output), with the lines between
    tables as captions: [(caption lines, headers, rows)]."""
    blocks, caption, lines = [], [], text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("|") and i + 1 < len(lines) and set(lines[i + 1].replace("|", "").strip()) <= set("-:"):
            cells = lambda row: [c.strip() for c in row.strip().strip("|").split("|")]  # noqa: E731
            headers, rows, i = cells(line), [], i + 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(cells(lines[i]))
                i += 1
            blocks.append((caption, headers, rows))
            caption = []
            continue
        if line.strip():
            caption.append(line.strip())
        i += 1
    return blocks


def write_latex(tables, path):
    """The report's tables as LaTeX (booktabs, as RecBole's ``list_to_latex``): one ``table`` environment per
    table, its title as the caption; the same cells as tables.md."""
    parts = ["% recbole-ganrs benchmark tables: \\usepackage{booktabs}\n"]
    for title, table in tables:
        for caption, headers, rows in github_rows(table):
            text = " ".join([title, *caption]) if caption else title
            parts.append("\\begin{table}[ht]\n\\centering\n\\small\n"
                         + tabulate(rows, headers=headers, tablefmt="latex_booktabs", disable_numparse=True)
                         + f"\n\\caption{{{latex_escape(text)}}}\n\\end{{table}}\n")
    with replaced_on_success(path) as tmp:
        Path(tmp).write_text("\n".join(parts), encoding="utf-8")
    return Path(path)


def latex_escape(text):
    for char, escaped in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("$", r"\$"), ("#", r"\#"),
                          ("_", r"\_"), ("{", r"\{"), ("}", r"\}"), ("~", r"\textasciitilde{}"),
                          ("^", r"\textasciicircum{}")):
        text = text.replace(char, escaped)
    return text
