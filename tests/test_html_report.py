"""report.html (benchmark/html_report.py): self-contained, verdict first, every table and image rendered in a
real headless browser with no console error."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from tabulate import tabulate  # noqa: E402

from recbole_ganrs.benchmark.html_report import write_html  # noqa: E402
from tests.browser import render  # noqa: E402


def test_the_page_opens_with_the_verdict_and_renders_every_table_and_image(tmp_path):
    figure = tmp_path / "f1_scatter.png"
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, 1])
    fig.savefig(figure)
    plt.close(fig)
    table = tabulate([["DeepMF", 0.5], ["NCF <b>", 0.6]], headers=["model", "F1"], tablefmt="github")
    tables = [("Verdict", "VERDICT: does it stand in?\nsyn:\n  q=4: STANDS IN: gap concordance 0.9\n  q=5: DOES NOT: 0.1"),
              ("Fidelity summary", table), ("Datasets (Table IV) and fidelity", f"{table}\n\nsecond caption\n{table}"),
              ("A table", table)]
    path = write_html(tmp_path / "report.html", "Benchmark t", "source s; models DeepMF", tables, [figure])
    figure.unlink()  # the page holds the image itself
    page = render(path, tmp_path / "shot.png")
    assert page.headings[0] == "Verdict" and page.headings[1] == "Fidelity summary" and page.headings[2] == "Figures"
    assert page.text.index("STANDS IN") < page.text.index("Contents")  # the verdict before anything else
    assert page.tables == 4 and "NCF <b>" in page.text  # cells escaped, not markup
    assert page.images and all(w > 0 for w in page.images)
    assert page.errors == [] and page.requests == []
    assert (tmp_path / "shot.png").stat().st_size > 0
