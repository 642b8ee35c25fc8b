"""Cornac's CVAE on the split our CVAE was tested on (``benchmarks/generative_models.py --export DIR``).

Cornac needs TensorFlow, which this project does not install: run it from a separate environment,

    python3 -m venv /tmp/cornac && /tmp/cornac/bin/pip install cornac tensorflow-cpu
    /tmp/cornac/bin/python benchmarks/cornac_cvae.py --split DIR/seed0 --items <recbole>/dataset_example/ml-100k/ml-100k.item

Each item's text is its release year and genres (the content our CVAE reads, as words); Cornac's CVAE with its
defaults (z_dim 50, layers [200, 100], lambda_v 0.001 ...) and with lambda_v 10 (ours). Ranking as Cornac ranks:
each user's training items excluded, test items unknown to training dropped (``exclude_unknowns``).
"""
import argparse
import tempfile

import pandas as pd


def main():
    import cornac
    from cornac.data import TextModality
    from cornac.data.text import BaseTokenizer
    from cornac.eval_methods import BaseMethod
    from cornac.metrics import NDCG, Precision, Recall

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", required=True, help="a folder with train.csv and test.csv (user_id,item_id)")
    parser.add_argument("--items", required=True, help="ml-100k.item (RecBole's atomic file)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()
    train = pd.read_csv(f"{args.split}/train.csv", dtype=str)
    test = pd.read_csv(f"{args.split}/test.csv", dtype=str)
    items = pd.read_csv(args.items, sep="\t", dtype=str)
    items.columns = [c.split(":")[0] for c in items.columns]
    docs = {row.item_id: f"y{row.release_year} {row['class'] if isinstance(row['class'], str) else ''}".strip()
            for _, row in items.iterrows()}
    text = TextModality(corpus=list(docs.values()), ids=list(docs), tokenizer=BaseTokenizer(sep=" ", stop_words=[]),
                        max_vocab=10_000, max_doc_freq=1.0)
    method = BaseMethod.from_splits(train_data=[(u, i, 1.0) for u, i in train.itertuples(index=False)],
                                    test_data=[(u, i, 1.0) for u, i in test.itertuples(index=False)],
                                    item_text=text, exclude_unknowns=True, verbose=False, seed=args.seed)
    vocab = method.train_set.item_text.batch_bow([0]).shape[1]  # the words of the bags (no special tokens)
    models = [cornac.models.CVAE(name="CVAE (Cornac defaults)", input_dim=vocab, n_epochs=args.epochs, seed=args.seed,
                                 verbose=False),
              cornac.models.CVAE(name="CVAE (Cornac, lambda_v 10)", input_dim=vocab, n_epochs=args.epochs,
                                 lambda_v=10.0, seed=args.seed, verbose=False)]
    metrics = [Precision(k=5), Precision(k=20), Recall(k=5), Recall(k=20), NDCG(k=5), NDCG(k=20)]
    with tempfile.TemporaryDirectory() as logs:  # Cornac writes a log of each experiment: not into the checkout
        cornac.Experiment(eval_method=method, models=models, metrics=metrics, verbose=False, save_dir=logs).run()


if __name__ == "__main__":
    main()
