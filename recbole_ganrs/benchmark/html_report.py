"""report.html: one self-contained page (no network: styles and images inline) opening with the verdict, then
the figures and every table of tables.md, readable on a laptop."""
import base64
import html
from pathlib import Path

from recbole_ganrs.benchmark.text_tables import github_rows
from recbole_ganrs.files import replaced_on_success

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 78em; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.1em; margin-top: 2em; border-bottom: 1px solid #ccc; }
.verdict { background: #f6f8fa; border-left: 4px solid #444; padding: 0.6em 1em; white-space: pre-wrap;
           font-family: ui-monospace, monospace; font-size: 0.85em; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.8em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { background: #f0f0f0; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.8em; color: #555; }
nav li { font-size: 0.85em; }
"""

#: the verdict's decisions (verdict.py writes them in capitals) and their colours
DECISION_COLOURS = {"STANDS IN": "#1a7f37", "PARTLY": "#9a6700", "DOES NOT": "#cf222e", "CANNOT TELL": "#57606a"}

#: what each figure shows, by the start of its file name
CAPTIONS = {
    "scatter": "Real vs synthetic: a point per (model, N), the source's value against the synthetic one; a "
               "perfect stand-in puts them on y = x, a level difference shifts them, another ranking scrambles them.",
    "real_vs_synthetic": "Each model's metric at every N: the source solid black, each synthetic dataset dashed, "
                         "in the same panel.",
    "groups": "Per group of users: the metric averaged over the models (whiskers: the models' range), the source "
              "and each synthetic dataset side by side.",
    "curves": "Figures 4-7 of the paper: a row per dataset, a line per model.",
    "scenario": "The metric against the scenario setting.",
}


def caption(path):
    stem = Path(path).stem
    return next((text for key, text in CAPTIONS.items() if key in stem), "")


def image(path):
    """An <img> holding the PNG itself (base64), so the page needs no other file."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(Path(path).name)}">'
            f"<figcaption>{html.escape(Path(path).name)}: {html.escape(caption(path))}</figcaption></figure>")


def highlighted(text):
    """The verdict's text escaped, its decisions coloured."""
    text = html.escape(text)
    for word, colour in DECISION_COLOURS.items():
        text = text.replace(f"{word}:", f'<b style="color:{colour}">{word}</b>:')
    return text


def table_html(text):
    """A report table's text (tabulate's github format, with caption lines between tables) as HTML; text with
    no table stays preformatted."""
    blocks = github_rows(text)
    if not blocks:
        return f'<div class="verdict">{highlighted(text)}</div>'
    parts = []
    for captions, headers, rows in blocks:
        parts += [f"<p>{html.escape(line)}</p>" for line in captions]
        head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
        parts.append(f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>')
    return "\n".join(parts)


def write_html(path, title, subtitle, tables, figures):
    """Write report.html: ``tables`` the report's (title, text) pairs (the verdict first when the run has one),
    ``figures`` PNG paths, shown after the verdict and the fidelity summary."""
    tables = list(tables)
    lead = tables[:2] if tables and tables[0][0] == "Verdict" else []
    rest = tables[len(lead):]
    sections = [(t, table_html(text)) for t, text in lead]
    sections.append(("Figures", "\n".join(image(f) for f in figures)))
    sections += [(t, table_html(text)) for t, text in rest]
    nav = "".join(f'<li><a href="#s{i}">{html.escape(t[:120])}</a></li>' for i, (t, _) in enumerate(sections))
    nav = f"<details><summary>Contents ({len(sections)} sections)</summary><nav><ul>{nav}</ul></nav></details>"
    parts = [f'<section id="s{i}"><h2>{html.escape(t)}</h2>\n{content}</section>' for i, (t, content) in
             enumerate(sections)]
    body = "\n".join([*parts[:len(lead)], nav, *parts[len(lead):]])  # the verdict first, then the contents
    page = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n<body>"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(subtitle.strip())}</p>"
            f"\n{body}\n</body></html>\n")
    with replaced_on_success(path) as tmp:
        Path(tmp).write_text(page, encoding="utf-8")
    return Path(path)
