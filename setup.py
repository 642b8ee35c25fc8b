"""recbole-ganrs: GANRS synthetic datasets and deep CF baselines as a RecBole plugin."""
from pathlib import Path

from setuptools import find_packages, setup

README = Path(__file__).with_name("README.md")

setup(
    name="recbole-ganrs",
    version="0.1.0",
    description="GANRS synthetic recommender datasets and deep CF baselines as a RecBole plugin",
    long_description=README.read_text(encoding="utf-8") if README.exists() else "",
    long_description_content_type="text/markdown",
    python_requires=">=3.9",
    packages=find_packages(include=["recbole_ganrs", "recbole_ganrs.*"]) + ["recbole_ganrs.properties"],
    # properties/ sits at the top of the repo (RecBole-GNN layout) and is installed inside the package
    package_dir={"recbole_ganrs.properties": "properties"},
    package_data={"recbole_ganrs.properties": ["*.yaml", "*/*.yaml"]},
    install_requires=[
        "recbole==1.2.1",
        "torch>=2.6,<3",
        "numpy>=1.24,<3",
        "pandas>=1.5,<3",          # pandas 3 silently skips RecBole's NaN filling
        "ray[tune]==2.6.3",         # the last Ray RecBole 1.2.1 accepts
        "setuptools<81",            # Ray 2.6 imports pkg_resources
        "scikit-learn>=1.3",
        "scipy>=1.10",
        "matplotlib>=3.7",
        "tqdm>=4.60",
        "tabulate>=0.9",
        "PyYAML>=6",
        "opacus>=1.5",              # --dp-epsilon: DP-SGD's per-sample clipping, noise and accountant
    ],
    extras_require={"test": ["pytest>=7"]},
    entry_points={"console_scripts": ["recbole-ganrs=recbole_ganrs.cli:main"]},
)
