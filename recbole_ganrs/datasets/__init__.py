"""The datasets of a run, shared by ``generate`` and the benchmark: which synthetic datasets to make
(``plan.py``), making or reusing them beside the source (``prepare.py``), and the source's split halves
(``halves.py``, the stand-in ceiling)."""
