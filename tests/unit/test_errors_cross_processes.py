"""Domain errors cross from a replica to the ingress pickled: each must come back as itself, message intact."""

from __future__ import annotations

import inspect
import pickle

import pytest

from aftersales import errors as aftersales_errors
from catalog_index import errors as catalog_errors
from models import errors as model_errors


def _error_classes():
    for module in (aftersales_errors, catalog_errors, model_errors):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Exception) and cls.__module__ == module.__name__:
                yield cls


def _instance(cls):
    params = [p for p in inspect.signature(cls.__init__).parameters.values()
              if p.name != "self" and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    return cls(*[f"{p.name}-value" for p in params]) if params else cls("something went wrong")


@pytest.mark.parametrize("cls", list(_error_classes()), ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_error_survives_pickling(cls):
    original = _instance(cls)
    copy = pickle.loads(pickle.dumps(original))
    assert type(copy) is cls
    assert str(copy) == str(original)
    assert getattr(copy, "code", None) == getattr(original, "code", None)


def test_a_refusal_at_capacity_crosses_replicas_and_becomes_a_503_with_retry_after():
    import json

    from ray.serve.exceptions import BackPressureError

    from serving.errors import AtCapacity, to_response

    back = pickle.loads(pickle.dumps(AtCapacity("Dialogue", 2.5)))
    assert (str(back), back.retry_after_s) == ("Dialogue is at capacity", 2.5)
    for exc, retry in ((back, "3"), (BackPressureError(num_queued_requests=3, max_queued_requests=2), "1")):
        response = to_response(exc)
        assert response.status_code == 503 and response.headers["retry-after"] == retry
        assert json.loads(response.body)["error"]["code"] == "backpressure"
