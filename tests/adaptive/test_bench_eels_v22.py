"""Review V22: on a few test spectra ``bench eels`` showed a weighted F1 of 1.0 beside a
precision of 0.8 (a false element labelled in no spectrum weighs nothing); it now reports
the micro F1 too, which counts every false element."""

import pytest

import adaptive.bench_eels as bench_eels


@pytest.fixture(scope="module")
def methods():
    return bench_eels.bench_eels(3, progress=False)["methods"]


def test_each_method_reports_the_micro_f1_of_its_precision_and_recall(methods):
    for name, figures in methods.items():
        precision, recall = figures["precision"], figures["recall"]
        expected = 2 * precision * recall / (precision + recall)
        assert figures["micro_f1"] == pytest.approx(expected), name
