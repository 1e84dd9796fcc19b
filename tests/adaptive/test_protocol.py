"""Tests for adaptive.protocol: frames round-trip, and every malformed input is refused."""

import json

import numpy as np
import pytest

from adaptive import errors, protocol
from adaptive.errors import (
    AdaptiveError,
    InvalidParameterError,
    JournalError,
    OutOfSpaceError,
    ProtocolError,
    RemoteError,
    ServerUnavailableError,
)


def _frames(envelope: dict, *arrays: bytes) -> list[bytes]:
    return [json.dumps(envelope).encode(), *arrays]


def _header(index=0, dtype="<f8", shape=(2,)) -> dict:
    return {"__array__": index, "dtype": dtype, "shape": list(shape)}


# ----------------------------------------------------------------------- round trip


def test_round_trip_nested_arrays():
    grid = np.arange(12, dtype=np.float64).reshape(3, 4) / 7
    counts = np.array([-3, 0, 2**31 - 1], dtype=np.int32)
    mask = np.array([[True, False], [False, True]])
    envelope = {
        "v": 1,
        "params": {
            "spectrum": {"x": grid, "y": [counts, {"mask": mask}]},
            "label": "é",
            "n": 3,
            "empty": np.zeros((0, 2), dtype=np.float32),
        },
    }
    frames = protocol.encode(envelope)
    assert len(frames) == 5
    assert all(isinstance(frame, bytes) for frame in frames)
    header = json.loads(frames[0])["params"]["spectrum"]["x"]
    assert header == {"__array__": 0, "dtype": "<f8", "shape": [3, 4]}

    back = protocol.decode(frames)
    x = back["params"]["spectrum"]["x"]
    ys = back["params"]["spectrum"]["y"]
    assert x.dtype == np.float64 and x.shape == (3, 4)
    np.testing.assert_array_equal(x, grid)
    assert ys[0].dtype == np.int32
    np.testing.assert_array_equal(ys[0], counts)
    assert ys[1]["mask"].dtype == np.bool_
    np.testing.assert_array_equal(ys[1]["mask"], mask)
    assert back["params"]["empty"].shape == (0, 2)
    assert back["params"]["label"] == "é" and back["params"]["n"] == 3


def test_encode_makes_non_contiguous_big_endian_arrays_c_little_endian():
    array = np.arange(6, dtype=">i8").reshape(2, 3).T  # big-endian, Fortran order
    frames = protocol.encode({"a": array})
    assert json.loads(frames[0])["a"] == {"__array__": 0, "dtype": "<i8", "shape": [3, 2]}
    assert frames[1] == np.ascontiguousarray(array, dtype="<i8").tobytes()
    np.testing.assert_array_equal(protocol.decode(frames)["a"], array)


def test_nan_travels_inside_arrays():
    back = protocol.decode(protocol.encode({"y": np.array([np.nan, np.inf])}))
    assert np.isnan(back["y"][0]) and np.isinf(back["y"][1])


def test_numpy_scalars_become_json_numbers():
    frames = protocol.encode({"i": np.int64(4), "f": np.float32(0.5), "b": np.bool_(True)})
    assert json.loads(frames[0]) == {"i": 4, "f": 0.5, "b": True}


# -------------------------------------------------------------------- encode errors


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), np.float64(-np.inf), np.float32("nan"), object(), b"raw"],
    ids=["nan", "inf", "np-inf", "np-float32-nan", "object", "bytes"],
)
def test_encode_rejects_values_json_cannot_carry(value):
    with pytest.raises(InvalidParameterError, match=r"^params\.x is .*, which JSON cannot carry"):
        protocol.encode({"params": {"x": value}})


def test_a_datetime_is_sent_as_unix_seconds_the_time_a_put_takes():
    # review Z18: the advice offered ISO text, which observation_put then refused
    import datetime

    now = datetime.datetime.now(datetime.UTC)
    with pytest.raises(InvalidParameterError, match=r"UNIX seconds, datetime.timestamp\(\)"):
        protocol.encode({"params": {"time": now}})


def test_encode_names_where_a_nested_value_json_cannot_carry_sits():
    """A NaN deep in a put's metadata names its key, so a driver's author knows which
    channel read it (it was "Out of range float values are not JSON compliant")."""
    envelope = {"params": {"metadata": {"ring": {"current_ma": [400.1, float("nan")]}}}}
    with pytest.raises(InvalidParameterError) as caught:
        protocol.encode(envelope)
    assert str(caught.value).startswith("params.metadata.ring.current_ma[1] is nan")
    assert "send None" in str(caught.value)


def test_encode_sends_numpy_scalars_as_json_numbers():
    scalars = {"n": np.int64(3), "x": np.float32(2.5), "b": np.bool_(1), "l": np.longdouble(4)}
    frames = protocol.encode({"params": scalars})
    assert json.loads(frames[0])["params"] == {"n": 3, "x": 2.5, "b": True, "l": 4.0}
    assert len(frames) == 1


def test_encode_refuses_an_envelope_that_holds_itself():
    envelope: dict = {"params": {}}
    envelope["params"]["self"] = envelope
    with pytest.raises(InvalidParameterError, match="holds itself"):
        protocol.encode(envelope)


@pytest.mark.parametrize("dtype", ["complex128", "float16", "int16", "U3", "O", "M8[s]"])
def test_encode_rejects_dtypes_not_allowed(dtype):
    with pytest.raises(InvalidParameterError, match="cannot go on the wire"):
        protocol.encode({"a": np.zeros(2, dtype=dtype)})


def test_encode_rejects_reserved_key_and_non_dict():
    with pytest.raises(InvalidParameterError, match="reserved"):
        protocol.encode({"x": {"__array__": 0}})
    with pytest.raises(InvalidParameterError, match="must be a dict"):
        protocol.encode([1, 2])


# -------------------------------------------------------------------- decode errors


@pytest.mark.parametrize(
    ("frames", "match"),
    [
        ([], "empty message"),
        ([b"\xff\xfe{}"], "not UTF-8"),
        ([b"{not json"], "not valid JSON"),
        ([b"", b"{}"], "frame 0 is empty.*REQ socket adds the delimiter itself"),
        ([b"[1, 2]"], "must be a JSON object, got list"),
        ([b'"text"'], "must be a JSON object, got str"),
        ([b'{"x": NaN}'], "literal NaN"),
        ([b'{"x": [1, -Infinity]}'], "literal -Infinity"),
        ([b'{"x": 1e999}'], "overflows"),
        (_frames({"a": _header(dtype="<c16")}, bytes(32)), "unknown dtype '<c16'"),
        (_frames({"a": _header(dtype=">f8")}, bytes(16)), "unknown dtype '>f8'"),
        (_frames({"a": _header(dtype=7)}, bytes(16)), "unknown dtype 7"),
        (_frames({"a": _header(shape=(-1,))}, bytes(16)), "bad shape"),
        (_frames({"a": {**_header(), "shape": 2}}, bytes(16)), "bad shape"),
        (_frames({"a": _header(shape=(2.0,))}, bytes(16)), "bad shape"),
        (_frames({"a": _header(index=1)}, bytes(16)), "index 1 is out of range"),
        (_frames({"a": _header(index=-1)}, bytes(16)), "index -1 is out of range"),
        (_frames({"a": _header(index="0")}, bytes(16)), "index '0' must be an integer"),
        (_frames({"a": _header()}), "out of range: the message has 0 array frame"),
        (_frames({"a": _header(shape=(3,))}, bytes(16)), "has 16 bytes.*needs 24"),
        (_frames({"a": _header()}, bytes(16), bytes(8)), r"extra frame\(s\) \[2\]"),
        (_frames({"a": 1}, bytes(8)), r"1 extra frame\(s\) \[1\] are"),
        (_frames({"a": 1}, *[b""] * 9), r"9 extra frame\(s\) \[1, 2, 3, 4, 5\] and 4 more are"),
        (_frames({"a": _header(), "b": _header()}, bytes(16)), "more than one header"),
        (_frames({"a": {**_header(), "extra": 1}}, bytes(16)), "exactly the keys"),
        (_frames({"a": _header(dtype="|b1")}, b"\x00\x02"), "other than 0 and 1"),
        (_frames({"a": _header(shape=(0, 10**30))}, b""), "numpy cannot hold"),
        (_frames({"a": _header(shape=(1,) * 64 + (0,))}, b""), "numpy cannot hold"),
        ([b'{"x": ' + b"9" * 5000 + b"}"], "not valid JSON"),
    ],
)
def test_decode_rejects(frames, match):
    with pytest.raises(ProtocolError, match=match):
        protocol.decode(frames)


def test_decode_accepts_memoryview_frames():
    data = np.array([1.5, 2.5]).tobytes()
    back = protocol.decode([memoryview(json.dumps({"a": _header()}).encode()), memoryview(data)])
    np.testing.assert_array_equal(back["a"], [1.5, 2.5])


# ------------------------------------------------------------------------- requests


def test_request_builds_envelope_with_fresh_ids():
    first = protocol.request("campaign_status", {"campaign": "c1"})
    second = protocol.request("campaign_status")
    assert first["v"] == 1 and first["method"] == "campaign_status"
    assert first["params"] == {"campaign": "c1"} and second["params"] == {}
    assert len(first["id"]) == 32 and first["id"] != second["id"]
    assert protocol.request("x", id="abc")["id"] == "abc"
    assert protocol.request("x", id=0)["id"] == 0


@pytest.mark.parametrize("id", [[1], 1.5, True, {"a": 1}])
def test_request_refuses_an_id_the_server_would_refuse(id):
    # it built the envelope, which the server then refused as a ProtocolError
    with pytest.raises(InvalidParameterError, match="id must be a str or int"):
        protocol.request("server_ping", id=id)


@pytest.mark.parametrize("method", ["", None, 3])
def test_request_rejects_bad_method(method):
    with pytest.raises(InvalidParameterError, match="method"):
        protocol.request(method)


def test_parse_request_round_trip_through_frames():
    envelope = protocol.request("observation_put", {"y": np.ones(3)}, id="r1")
    request_id, method, params = protocol.parse_request(protocol.decode(protocol.encode(envelope)))
    assert (request_id, method) == ("r1", "observation_put")
    np.testing.assert_array_equal(params["y"], np.ones(3))
    assert protocol.parse_request({"v": 1, "id": 7, "method": "m", "params": {}})[0] == 7


def test_parse_request_rejects_version_2():
    with pytest.raises(ProtocolError, match="version 2.*server speaks version 1"):
        protocol.parse_request({"v": 2, "id": "a", "method": "m", "params": {}})


def test_another_version_is_named_before_its_arrays_are_read():
    frames = [
        json.dumps(
            {"v": 2, "id": "a", "x": {"__array__": 0, "dtype": "<f2", "shape": [1]}}
        ).encode(),
        b"\0\0",
    ]
    with pytest.raises(ProtocolError, match="version 2.*server speaks version 1"):
        protocol.decode(frames)
    with pytest.raises(ProtocolError, match="version 2.*client speaks version 1"):
        protocol.decode(frames, "reply")


def test_a_masked_array_is_refused_not_sent_with_its_fill_value():
    y = np.ma.masked_array([10.0, 12.0, 11.0], mask=[False, True, False])
    with pytest.raises(InvalidParameterError, match=r"masked array.*filled\(np.nan\)"):
        protocol.encode({"y": y})
    frames = protocol.encode({"y": y.filled(np.nan)})
    np.testing.assert_array_equal(protocol.decode(frames)["y"], [10.0, np.nan, 11.0])


@pytest.mark.parametrize("metadata", [{1: 1200, "1": 57}, {"a": {2.5: 1}}, {("a",): 1}])
def test_dict_keys_that_are_not_text_are_refused_not_merged(metadata):
    with pytest.raises(InvalidParameterError, match="dict key .* JSON keys are text"):
        protocol.encode({"metadata": metadata})


@pytest.mark.parametrize(
    ("envelope", "match"),
    [
        ({"id": "a", "method": "m", "params": {}}, "no protocol version"),
        ({"v": "1", "id": "a", "method": "m", "params": {}}, "integer 1, got str '1'"),
        ({"v": True, "id": "a", "method": "m", "params": {}}, "integer 1, got bool True"),
        ({"v": 1.0, "id": "a", "method": "m", "params": {}}, "integer 1, got float 1.0"),
        ({"v": 1, "id": "a", "method": "m", "params": {}, "x": 1}, r"unknown key\(s\) \['x'\]"),
        ({"v": 1, "method": "m", "params": {}}, "id must be a str or int, got None"),
        ({"v": 1, "id": 1.5, "method": "m", "params": {}}, "id must be"),
        ({"v": 1, "id": False, "method": "m", "params": {}}, "id must be"),
        ({"v": 1, "id": "a", "method": "", "params": {}}, "method must be a non-empty str"),
        ({"v": 1, "id": "a", "method": 3, "params": {}}, "method must be"),
        ({"v": 1, "id": "a", "method": "m", "params": [1]}, "params must be a JSON object"),
        ({"v": 1, "id": "a", "method": "m"}, "params must be a JSON object"),
        ([1], "must be a JSON object"),
    ],
)
def test_parse_request_rejects(envelope, match):
    with pytest.raises(ProtocolError, match=match):
        protocol.parse_request(envelope)


# -------------------------------------------------------------------------- replies


def test_ok_reply_unwraps_to_result():
    reply = protocol.ok_reply("a", {"x": [1, 2]})
    assert reply == {"v": 1, "id": "a", "ok": True, "result": {"x": [1, 2]}}
    assert protocol.unwrap_reply(protocol.decode(protocol.encode(reply))) == {"x": [1, 2]}
    assert protocol.unwrap_reply(protocol.ok_reply("a", None)) is None


def test_error_reply_raises_remote_error_with_type():
    reply = protocol.error_reply("a", InvalidParameterError("x=5 is outside [0, 1]"))
    assert reply["error"] == {"type": "InvalidParameterError", "message": "x=5 is outside [0, 1]"}
    assert reply["ok"] is False and reply["id"] == "a"
    with pytest.raises(RemoteError, match="x=5 is outside") as caught:
        protocol.unwrap_reply(protocol.decode(protocol.encode(reply)))
    assert caught.value.type == "InvalidParameterError"


def raised_by(type_: str, message: str) -> RemoteError:
    """What unwrapping an error reply of ``type_`` and ``message`` raises."""
    reply = {"v": 1, "id": "a", "ok": False, "error": {"type": type_, "message": message}}
    with pytest.raises(RemoteError) as caught:
        protocol.unwrap_reply(protocol.decode(protocol.encode(reply)))
    return caught.value


SENT_BY_SERVERS = [
    cls
    for cls in vars(errors).values()
    if isinstance(cls, type)
    and issubclass(cls, AdaptiveError)
    and cls not in (AdaptiveError, RemoteError, ServerUnavailableError)
]


@pytest.mark.parametrize("cls", SENT_BY_SERVERS, ids=lambda cls: cls.__name__)
def test_an_error_reply_is_raised_as_the_class_it_names(cls):
    err = raised_by(cls.__name__, "what went wrong; the fix")
    assert isinstance(err, cls) and isinstance(err, RemoteError)
    assert err.type == cls.__name__ and str(err) == f"{cls.__name__}: what went wrong; the fix"
    assert type(raised_by(cls.__name__, "again")) is type(err)  # one class per type


def test_an_out_of_space_reply_is_caught_as_each_of_its_classes():
    err = raised_by("OutOfSpaceError", "x=5 is outside [0, 1]")
    for cls in (RemoteError, OutOfSpaceError, InvalidParameterError, ValueError, RuntimeError):
        assert isinstance(err, cls), cls


def test_a_journal_error_reply_is_an_oserror_without_errno():
    """JournalError is an OSError, whose instances have fields RuntimeError's lack."""
    err = raised_by("JournalError", "the journal 'j.sqlite' failed: disk I/O error")
    assert isinstance(err, JournalError) and isinstance(err, OSError)
    assert isinstance(err, RemoteError) and isinstance(err, RuntimeError)
    assert err.errno is None and err.strerror is None
    assert str(err) == "JournalError: the journal 'j.sqlite' failed: disk I/O error"


@pytest.mark.parametrize(
    "type_", ["KeyError", "ErrorOfANewerServer", "AdaptiveError", "RemoteError", "__class__"]
)
def test_an_error_reply_of_a_type_not_ours_stays_a_plain_remote_error(type_):
    err = raised_by(type_, "m")
    assert type(err) is RemoteError and err.type == type_ and str(err) == f"{type_}: m"


def test_a_reply_naming_the_clients_own_unavailable_error_is_no_outage():
    err = raised_by("ServerUnavailableError", "m")
    assert type(err) is RemoteError and not isinstance(err, ServerUnavailableError)


@pytest.mark.parametrize(
    ("envelope", "match"),
    [
        ({"id": "a", "ok": True, "result": 1}, "no protocol version"),
        ({"v": 2, "id": "a", "ok": True, "result": 1}, "version 2.*client speaks version 1"),
        ({"v": 1, "id": "a", "result": 1}, "boolean 'ok'"),
        ({"v": 1, "id": "a", "ok": 1, "result": 1}, "boolean 'ok'"),
        ({"v": 1, "id": "a", "ok": True}, "expected"),
        ({"v": 1, "id": "a", "ok": True, "result": 1, "x": 2}, "expected"),
        ({"v": 1, "id": "a", "ok": False, "result": 1}, "expected"),
        ({"v": 1, "id": "a", "ok": False, "error": "boom"}, "reply error must be"),
        ({"v": 1, "id": "a", "ok": False, "error": {"type": "E"}}, "reply error must be"),
        ({"v": 1, "id": "a", "ok": False, "error": {"type": 1, "message": "m"}}, "must be"),
    ],
)
def test_unwrap_reply_rejects_malformed(envelope, match):
    with pytest.raises(ProtocolError, match=match):
        protocol.unwrap_reply(envelope)


@pytest.mark.parametrize("depth", [800, 5000])
def test_decode_refuses_lists_nested_too_deeply_for_restoring_or_parsing(depth):
    # 800: json.loads takes it; looking for arrays inside used to recurse too deep. 5000:
    # json.loads recursed too deep, told "not valid JSON (maximum recursion depth ...)"
    text = '{"x": ' + "[" * depth + "1" + "]" * depth + "}"
    with pytest.raises(ProtocolError, match="^frame 0 nests JSON too deeply; flatten"):
        protocol.decode([text.encode()])


def test_a_version_sent_as_text_is_named_as_the_wrong_type():
    # 'v': "1" was answered "uses protocol version '1', but this server speaks version 1"
    frames = [b'{"v": "1", "id": 1, "method": "server_ping", "params": {}}']
    with pytest.raises(ProtocolError, match=r"must be the JSON integer 1, got str '1'"):
        protocol.decode(frames)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('{"v": 1, "id": 1, "method": "campaign_stop", "method": "campaign_status"}', "method"),
        ('{"v": 1, "id": 1, "method": "m", "params": {"a": {"b": 1, "b": 2}}}', "b"),
    ],
)
def test_a_key_given_twice_is_refused_not_resolved_last_wins(text, key):
    # a stop followed by a status ran the status: a proxy keeping the first key disagreed
    with pytest.raises(ProtocolError, match=f"the key '{key}' is given twice in one object"):
        protocol.decode([text.encode()])
