"""Attribute comparison for the tests that read one output in several
formats (h5py attributes, zarr-python's JSON attributes, NumPy members)."""
import numpy as np


def same_value(actual, wanted):
    """Equal as the format gives it back: a str equals a str; numbers and
    lists of them are equal arrays of the same kind (an integer stays an
    integer and a real a real in every format)."""
    if isinstance(wanted, str) or isinstance(actual, str):
        return actual == wanted
    actual, wanted = np.asarray(actual), np.asarray(wanted)
    return actual.dtype.kind == wanted.dtype.kind and np.array_equal(actual, wanted)


def check_attributes(actual, wanted, where):
    """The same keys, each with the same value."""
    assert set(actual) == set(wanted), (where, sorted(actual), sorted(wanted))
    for key, value in wanted.items():
        assert same_value(actual[key], value), (where, key, actual[key], value)
