"""annbook.sklearn against scikit-learn's own estimator checks, and in Pipeline and GridSearchCV.

Why here: `parametrize_with_checks` generates one pytest test per check; a notebook cannot. Skipped, with the
reason, where scikit-learn is not installed (`pip install annbook[sklearn]`).
"""
import numpy as np
import pytest

pytest.importorskip("sklearn", reason="scikit-learn is not installed: pip install annbook[sklearn]")
from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from annbook.model import MLP  # noqa: E402
from annbook.sklearn import ANNClassifier, ANNRegressor  # noqa: E402
from annbook.stepping import Stepper  # noqa: E402

# Checks expected to fail, with the reason (none so far: a check that starts failing is a regression).
EXPECTED_FAILED = {}


@parametrize_with_checks([ANNClassifier(random_state=0), ANNRegressor(random_state=0)],
                         expected_failed_checks=lambda est: EXPECTED_FAILED.get(type(est).__name__, {}))
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_in_a_pipeline_with_grid_search():
    X, y = make_classification(200, n_features=6, random_state=0)
    pipe = make_pipeline(StandardScaler(), ANNClassifier(epochs=150, random_state=0))
    grid = GridSearchCV(pipe, {"annclassifier__hidden_layer_sizes": [(4,), (16,)]}, cv=3).fit(X, y)
    assert grid.best_score_ > 0.8 and set(grid.best_params_) == {"annclassifier__hidden_layer_sizes"}
    Xr, yr = make_regression(200, n_features=4, noise=5, random_state=0)
    scores = cross_val_score(make_pipeline(StandardScaler(), ANNRegressor(epochs=200, random_state=0)), Xr, yr / yr.std(), cv=3)
    assert scores.mean() > 0.8


def test_params_and_the_model_can_be_stepped_through():
    X, y = make_classification(100, n_features=3, n_informative=3, n_redundant=0, random_state=1)
    clf = ANNClassifier(hidden_layer_sizes=5, epochs=50, random_state=3).fit(X, y)
    assert clf.get_params()["hidden_layer_sizes"] == 5 and clf.n_features_in_ == 3
    assert type(clf.model_) is MLP and clf.model_.sizes == [3, 5, 1] and len(clf.loss_curve_) == 50
    st = Stepper(clf.model_, X, y.reshape(-1, 1).astype(float), loss="bce", optimizer="adam", lr=0.01)
    st.next_iteration(); assert st.back() is not None
    same = ANNClassifier(hidden_layer_sizes=5, epochs=50, random_state=3).fit(X, y)
    assert np.array_equal(same.predict_proba(X), ANNClassifier(**clf.get_params()).fit(X, y).predict_proba(X))
    with pytest.raises(ValueError, match="batch_size must be 'auto', an int or None, got 'big'"):
        ANNClassifier(batch_size="big").fit(X, y)
