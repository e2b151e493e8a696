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
